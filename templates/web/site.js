// The pages' one script (served as /static/site.js: no inline scripts, see CSP).
// A field marked data-select-on-focus (e.g. a calendar link) is selected whole when focused.
document.addEventListener("focusin", (event) => {
  const field = event.target;
  if (field instanceof HTMLInputElement && field.hasAttribute("data-select-on-focus")) {
    field.select();
  }
});

// Tables: each body and footer cell gets its column's header as data-label, which site.css
// shows on a phone where a row becomes a card; the stage table (class "counts") keeps its columns.
// A table's box that still scrolls sideways is made reachable by keyboard and named.
function cardTables() {
  for (const table of document.querySelectorAll("table")) {
    const headers = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    if (!headers.length || table.classList.contains("counts")) continue;
    table.classList.add("cards");
    for (const row of table.querySelectorAll("tbody tr, tfoot tr")) {
      let column = 0; // a cell spanning columns (a footer's "Insgesamt") names its row itself
      for (const cell of row.cells) {
        if (cell.colSpan === 1 && headers[column]) cell.dataset.label = headers[column];
        column += cell.colSpan;
      }
    }
  }
}

function scrollableTables() {
  for (const box of document.querySelectorAll(".table")) {
    if (box.scrollWidth > box.clientWidth) {
      let heading = box.previousElementSibling;
      while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
      box.tabIndex = 0;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", heading ? heading.textContent.trim() : "Tabelle");
    } else if (box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }
}

cardTables();
scrollableTables();
window.addEventListener("resize", scrollableTables);
