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

  // --- focus after a swap ----------------------------------------------------------------------
  // What to focus once the table has been replaced, decided when the user acted.
  var focusNext = null;
  var focusedId = null;

  function searchBox() { return document.getElementById("filter-q"); }

  function control(key) {
    var element = document.getElementById("filter-" + key);
    var details = element && element.closest("details");
    if (details) details.open = true;
    return element;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a");
    if (!link || !link.closest(LIST)) return;
    var chip = link.closest(".filter-chip");
    if (chip) {
      // The chip that takes this one's place, else the one before it, else the search box.
      var chips = Array.prototype.slice.call(document.querySelectorAll(".filter-chip a"));
      var index = chips.indexOf(link);
      focusNext = function () {
        var left = document.querySelectorAll(".filter-chip a");
        return left[index] || left[index - 1] || searchBox();
      };
    } else if (link.closest(".active-filters, .empty-state")) {
      focusNext = searchBox;  // "Clear all filters": start over in the search box
    } else if (link.closest(".notice-error")) {
      var keys = Array.prototype.map.call(
        link.closest(".notice-error").querySelectorAll("a[href^='#filter-']"),
        function (anchor) { return anchor.getAttribute("href").slice("#filter-".length); }
      );
      if (link.getAttribute("href").indexOf("#filter-") === 0) {
        // A named bad value: go to its control (a fragment link would only scroll there).
        event.preventDefault();
        var target = control(link.getAttribute("href").slice("#filter-".length));
        if (target) target.focus();
        return;
      }
      // "Drop the values that are not valid": the first control that held one.
      focusNext = function () { return keys.length ? control(keys[0]) : searchBox(); };
    } else if (link.closest(".empty-state")) {
      focusNext = searchBox;
    }
  }, true);

  document.addEventListener("htmx:beforeSwap", function () {
    var active = document.activeElement;
    focusedId = active && active.id ? active.id : null;
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!event.detail.elt || !event.detail.elt.closest || !event.detail.elt.closest(LIST)) return;
    var wanted = focusNext ? focusNext() : null;
    focusNext = null;
    var active = document.activeElement;
    var lost = !active || active === document.body || !document.contains(active);
    if (!wanted && lost && focusedId) wanted = document.getElementById(focusedId);
    if (wanted && (wanted !== active)) wanted.focus({ preventScroll: !lost && !focusNextScrolls(wanted) });
  });

  // Scroll to the new focus only when it is out of sight.
  function focusNextScrolls(element) {
    var box = element.getBoundingClientRect();
    return box.top < 0 || box.bottom > window.innerHeight;
  }
})();
