// Bulk selection on the backend resource table: "select this page" and a live count. Without
// this file the row checkboxes and "All N matching" still post the bulk form.
(function () {
  "use strict";

  function rowBoxes() {
    return document.querySelectorAll('#results input[name="selected"][form="bulk-form"]');
  }

  function update() {
    var count = document.getElementById("bulk-count");
    var all = document.getElementById("bulk-all");
    var pageBox = document.getElementById("select-page");
    if (!count) return;
    var boxes = rowBoxes();
    var checked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
    if (all && all.checked) {
      count.textContent = "every matching row selected";
    } else {
      count.textContent = checked ? checked + " selected on this page" : "";
    }
    if (pageBox) {
      pageBox.hidden = false;
      pageBox.checked = boxes.length > 0 && checked === boxes.length;
      pageBox.indeterminate = checked > 0 && checked < boxes.length;
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.id === "select-page") {
      rowBoxes().forEach(function (box) { box.checked = target.checked; });
    }
    if (target.id === "select-page" || target.id === "bulk-all" || target.name === "selected") update();
  });
  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);
})();
