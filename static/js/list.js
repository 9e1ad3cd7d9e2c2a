// The backend resource table with htmx: tidy pushed URLs, show 400/404 answers in the table,
// and keep the filter form in step with the URL. The table works without this file.
(function () {
  "use strict";

  var LIST = "#backend-resource-list";

  function inList(event) {
    var elt = event.detail && event.detail.elt;
    return Boolean(elt && elt.closest && elt.closest(LIST));
  }

  // Leave empty fields out of the request, so the pushed URL says only what is set:
  // /backend-resources/?q=gpu rather than ?q=gpu&customer_uuid=&project_uuid=&...
  document.addEventListener("htmx:configRequest", function (event) {
    if (!inList(event)) return;
    var data = event.detail.formData;
    var empty = [];
    data.forEach(function (value, key) {
      if (value === "" && empty.indexOf(key) < 0) empty.push(key);
    });
    empty.forEach(function (key) {
      var kept = data.getAll(key).filter(function (value) { return value !== ""; });
      data.delete(key);
      kept.forEach(function (value) { data.append(key, value); });
    });
  });

  // Bad filter values (400) and pages past the end (404) come back as a table fragment that
  // explains them; htmx would otherwise drop error responses.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (inList(event) && (status === 400 || status === 404)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // The URL is the state: after htmx pushes or restores one, show it in the form, except in
  // the control the user is typing in.
  function syncFormWithUrl() {
    var form = document.getElementById("filters");
    if (!form) return;
    var params = new URLSearchParams(window.location.search);
    // Negated flags (flag=-stale) have no checkbox: they ride along as hidden fields.
    form.querySelectorAll('input[type="hidden"][name="flag"]').forEach(function (hidden) {
      hidden.remove();
    });
    params.getAll("flag").join(",").split(",").forEach(function (flag) {
      if (flag.charAt(0) !== "-") return;
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = "flag";
      hidden.value = flag;
      form.appendChild(hidden);
    });
    Array.prototype.forEach.call(form.elements, function (control) {
      if (!control.name || control === document.activeElement) return;
      if (control.type === "hidden" && control.name === "flag") return;
      if (control.type === "checkbox") {
        // Repeated or comma-separated (flag=duplicate,stale): checked if the URL names it.
        var named = params.getAll(control.name).join(",").split(",");
        control.checked = named.indexOf(control.value) >= 0;
        return;
      }
      var values = params.getAll(control.name);
      var value = values.length ? values[values.length - 1] : "";
      if (control.value !== value) control.value = value;
    });
  }
  document.addEventListener("htmx:pushedIntoHistory", syncFormWithUrl);
  document.addEventListener("htmx:historyRestore", syncFormWithUrl);

  // Tell assistive technology the results are being replaced.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var results = document.getElementById("results");
    if (results && inList(event)) results.setAttribute("aria-busy", "true");
  });
  function notBusy() {
    var results = document.getElementById("results");
    if (results) results.removeAttribute("aria-busy");
  }
  document.addEventListener("htmx:afterRequest", notBusy);
  // htmx snapshots the page for back/forward while the request is still running.
  document.addEventListener("htmx:beforeHistorySave", notBusy);
})();
