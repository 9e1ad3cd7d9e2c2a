// The review loop without dead ends in history: Import and Delete links replace the report's
// history entry, and the import and delete forms post in the background and then replace the
// form's entry with the page they lead to. After an import, Back returns to the list the
// reviewer came from instead of walking through the form and the report, which no longer exist.
// Without this file the server still redirects those gone pages back to the list.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-replace-history]");
    if (!link || event.defaultPrevented || event.button !== 0) return;
    if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    window.location.replace(link.href);
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-replace-history]") || event.defaultPrevented) return;
    event.preventDefault();
    var data = new FormData(form);
    if (event.submitter && event.submitter.name) data.append(event.submitter.name, event.submitter.value);
    fetch(form.action, {
      method: "POST",
      body: data,
      credentials: "same-origin",
      headers: { "X-Console-History": "replace" },
    }).then(function (response) {
      var next = response.headers.get("X-Console-Location");
      if (response.status === 204 && next) {
        window.location.replace(next);
      } else {
        submitNatively(form, event.submitter);  // a refusal: let the server's page show it
      }
    }, function () {
      submitNatively(form, event.submitter);
    });
  });

  // A refused post changed nothing, so posting it again the ordinary way shows the same answer
  // as a normal page (with its own URL and history entry).
  function submitNatively(form, submitter) {
    form.removeAttribute("data-replace-history");
    if (submitter && submitter.name) {
      var carried = document.createElement("input");
      carried.type = "hidden";
      carried.name = submitter.name;
      carried.value = submitter.value;
      form.appendChild(carried);
    }
    HTMLFormElement.prototype.submit.call(form);
  }
})();
