// The backend resource table's view (the table works without this file):
// - "Compact rows" switches in place and is remembered for the user by the server;
// - focus lands somewhere sensible after a filter chip, "Clear all filters" or a link of the
//   bad-value notice has removed the control that had it.
(function () {
  "use strict";

  var LIST = "#backend-resource-list";

  // --- compact rows --------------------------------------------------------------------------
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-density-toggle]")) return;
    event.preventDefault();
    var density = form.elements.density.value;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Console-History": "replace" },
    }).then(function (response) {
      if (response.status !== 204) return HTMLFormElement.prototype.submit.call(form);
      applyDensity(density);
    }, function () { HTMLFormElement.prototype.submit.call(form); });
  });

  function applyDensity(density) {
    var list = document.querySelector(LIST);
    if (!list) return;
    list.classList.remove("density-compact", "density-comfortable");
    list.classList.add("density-" + density);
    list.querySelectorAll("form[data-density-toggle]").forEach(function (form) {
      form.elements.density.value = density === "compact" ? "comfortable" : "compact";
      var button = form.querySelector("button");
      if (button) button.setAttribute("aria-pressed", density === "compact" ? "true" : "false");
    });
  }
})();
