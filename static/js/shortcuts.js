// Keyboard shortcuts, listed on the "?" help: "/" search, "j"/"k" next and previous row,
// Enter open, "i" import, "x" select the row for a bulk action (staff's rows have a checkbox).
// Keys typed into a form control are left alone.
(function () {
  "use strict";

  var ROWS = "#results tbody tr";
  var current = -1;  // the row j/k last moved to

  function typing(target) {
    return target.closest && target.closest("input, select, textarea, [contenteditable]");
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll(ROWS)); }

  function currentRow() {
    var active = document.activeElement;
    var row = active && active.closest && active.closest(ROWS);
    if (row) return row;
    return rows()[current] || null;
  }

  function moveRow(step) {
    var all = rows();
    if (!all.length) return false;
    var row = currentRow();
    var index = row ? all.indexOf(row) + step : (step > 0 ? 0 : all.length - 1);
    index = Math.max(0, Math.min(all.length - 1, index));
    current = index;
    all.forEach(function (each, n) { each.classList.toggle("row-current", n === index); });
    var link = all[index].querySelector("td.cell-name a");
    if (link) link.focus();
    return true;
  }

  function importUrl(row) {
    var link = row && row.querySelector("td.cell-name a");
    if (!link) return null;
    var url = new URL(link.href);
    url.pathname = url.pathname.replace(/\/$/, "/import");
    return url.toString();
  }

  function importCurrent() {
    var detailImport = document.getElementById("import-link");
    if (detailImport) {
      detailImport.click();
      return true;
    }
    var list = document.querySelector("#backend-resource-list[data-can-import]");
    var url = list && importUrl(currentRow());
    if (!url) return false;
    window.location.assign(url);
    return true;
  }

  function toggleSelection() {
    var row = currentRow();
    var box = row && row.querySelector('input[type=checkbox][name="selected"]');
    if (!box || box.disabled) return false;
    box.click();  // as a click would: change events, and whatever listens to them
    return true;
  }

  function help() { return document.getElementById("shortcuts-help"); }

  function openHelp() {
    var dialog = help();
    if (!dialog || dialog.open) return false;
    dialog.showModal();
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (help() && help().open) return;  // the dialog handles its own keys (Esc closes it)
    if (typing(event.target)) {
      if (event.key === "Escape" && event.target.id === "filter-q") event.target.blur();
      return;
    }
    var done = false;
    switch (event.key) {
      case "?": done = openHelp(); break;
      case "/":
        var search = document.getElementById("filter-q");
        if (search) { search.focus(); search.select(); done = true; }
        break;
      case "j": done = moveRow(1); break;
      case "k": done = moveRow(-1); break;
      case "i": done = importCurrent(); break;
      case "x": done = toggleSelection(); break;
    }
    if (done) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-open-shortcuts]");
    if (opener) openHelp();
    var closer = event.target.closest && event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-open-shortcuts]").forEach(function (button) {
      button.hidden = false;
    });
  });
  // A new table: the row marker starts over.
  document.addEventListener("htmx:afterSettle", function () { current = -1; });
})();
