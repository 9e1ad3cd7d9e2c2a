// The Scans table with htmx: show 400/404 answers (bad filters, a page that went away while the
// table refreshed itself) in the table instead of dropping them. The page works without this file.
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.elt;
    var status = event.detail.xhr.status;
    if (elt && elt.closest && elt.closest("#scan-list") && (status === 400 || status === 404)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
