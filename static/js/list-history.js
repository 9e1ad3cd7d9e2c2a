// History that matches what the reviewer meant (the table works without this file):
// - typing a search makes one history entry, not one per pause: the first answer of a typing
//   burst pushes an entry and later answers replace it, until the search settles (no key for
//   SETTLE_MS), the box loses focus, or Enter is pressed;
// - a request for the state already shown (or already on its way) is not sent, so Enter in an
//   unchanged box adds nothing;
// - after paging from the bottom of the table, the view goes to the top of the new page.
(function () {
  "use strict";

  var LIST = "#backend-resource-list";
  var SEARCH = "filter-q";
  var SETTLE_MS = 1200;

  var burst = 0;            // the typing burst requests from the search box belong to now
  var pushedBurst = -1;     // the last burst that has pushed its history entry
  var endAfterNextRequest = false;
  var lastRequestedValue = null;
  var settleTimer = null;
  var inFlight = null;      // the state (canonical query) of the request under way

  function searchBox() { return document.getElementById(SEARCH); }

  // The request a table shown before counting makes for its counts is no state of the list.
  function isCounts(elt) { return Boolean(elt && elt.id === "list-counts"); }

  function endBurst() {
    clearTimeout(settleTimer);
    var box = searchBox();
    if (box && lastRequestedValue !== null && box.value !== lastRequestedValue) {
      endAfterNextRequest = true;  // a delayed request for the last keys is still to come
    } else {
      burst += 1;
      endAfterNextRequest = false;
    }
  }

  // A list state as a canonical string: non-empty parameters, sorted; `page` optional.
  function canonical(params, withPage) {
    var pairs = [];
    params.forEach(function (value, key) {
      if (value !== "" && (withPage || key !== "page")) pairs.push(key + "=" + value);
    });
    return pairs.sort().join("&");
  }

  function formOf(elt) { return elt.tagName === "A" ? null : elt.form || elt.closest("form"); }

  function requestedParams(detail) {
    var form = formOf(detail.elt);
    if (!form) return new URL(detail.path, window.location.href).searchParams;
    return new URLSearchParams(new FormData(form));
  }

  document.addEventListener("htmx:confirm", function (event) {
    var detail = event.detail;
    if (isCounts(detail.elt) || !detail.elt.closest || !detail.elt.closest(LIST)) return;
    var fromForm = Boolean(formOf(detail.elt));
    var wanted = canonical(requestedParams(detail), !fromForm);
    var shown = new URLSearchParams(inFlight !== null ? inFlight : window.location.search);
    // A form request keeps the page it is on only when nothing changed: compare without it.
    if (wanted === canonical(shown, !fromForm)) {
      event.preventDefault();
      return;
    }
    inFlight = canonical(requestedParams(detail), true);
    var box = searchBox();
    if (detail.elt === box || (fromForm && document.activeElement === box)) {
      detail.elt.dataset.burst = String(burst);
      lastRequestedValue = box.value;
      if (endAfterNextRequest || detail.elt !== box) endBurst();
    } else {
      delete detail.elt.dataset.burst;
      endBurst();
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    if (!isCounts(event.detail.elt)) inFlight = null;
  });

  document.addEventListener("htmx:beforeHistoryUpdate", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!elt || !elt.dataset || elt.dataset.burst === undefined) return;
    var requestBurst = Number(elt.dataset.burst);
    if (requestBurst === pushedBurst) {
      event.detail.history.type = "replace";
    } else {
      event.detail.history.type = "push";
      pushedBurst = requestBurst;
    }
  });

  document.addEventListener("input", function (event) {
    if (event.target.id !== SEARCH) return;
    clearTimeout(settleTimer);
    settleTimer = setTimeout(endBurst, SETTLE_MS);
  });
  document.addEventListener("focusout", function (event) {
    if (event.target.id === SEARCH) endBurst();
  });
  // Back and forward land on another entry: the next keys start a new one.
  window.addEventListener("popstate", function () { burst += 1; lastRequestedValue = null; });
  // list.js leaves the focused control alone; after Back the box shows the entry's search.
  document.addEventListener("htmx:historyRestore", function () {
    var box = searchBox();
    if (box) box.value = new URLSearchParams(window.location.search).get("q") || "";
  });

  // Paging from the pager under the table: show the top of the new page.
  document.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!elt || !elt.closest || !elt.closest(".pager")) return;
    var results = document.getElementById("results");
    if (results && results.getBoundingClientRect().top < 0) results.scrollIntoView({ block: "start" });
  });
})();
