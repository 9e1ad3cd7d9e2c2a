// Progressive enhancement for the console; every page works without this file.
(function () {
  "use strict";

  // Copy buttons: shown only when the Clipboard API is available.
  function setUpCopyButtons(root) {
    if (!navigator.clipboard) return;
    root.querySelectorAll("button.copy-button[data-copy]").forEach(function (button) {
      if (button.dataset.ready) return;
      button.dataset.ready = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(button.dataset.copy).then(function () {
          button.textContent = "Copied";
          button.dataset.copied = "1";
          setTimeout(function () {
            button.textContent = "Copy";
            delete button.dataset.copied;
          }, 1500);
        });
      });
    });
  }

  // Plain (non-htmx) form posts: mark the submit button busy, so a slow request shows a spinner,
  // and ignore a second submit while the first one runs.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post") || form.hasAttribute("hx-get")) return;
    if (form.dataset.submitting) {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    var button = event.submitter || form.querySelector("[type=submit]");
    if (button) button.setAttribute("aria-busy", "true");
  });

  // Coming back through the back/forward cache: forms are usable again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitting]").forEach(function (form) {
      delete form.dataset.submitting;
      form.querySelectorAll("[aria-busy=true]").forEach(function (el) { el.removeAttribute("aria-busy"); });
    });
  });

  document.addEventListener("DOMContentLoaded", function () { setUpCopyButtons(document); });
  document.addEventListener("htmx:afterSettle", function (event) { setUpCopyButtons(event.target); });
})();
