// Drag-and-drop ordering of the rows of an admin inline marked "desk-reorderable" (the issue's
// articles): dropping a row renumbers the rows' "position" inputs in their new order (10, 20, …),
// which the form then saves. Each row also gets ↑/↓ buttons for the keyboard.
"use strict";
(function () {
  const gettext = window.gettext || ((text) => text); // the admin's JavaScript catalogue


  function rows(tbody) {
    return Array.from(tbody.querySelectorAll("tr.form-row.has_original"));
  }

  function renumber(tbody) {
    rows(tbody).forEach(function (row, index) {
      const position = row.querySelector('input[name$="-position"]');
      if (position) position.value = String((index + 1) * 10);
    });
  }

  function button(label, title, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "desk-move";
    b.textContent = label;
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", onClick);
    return b;
  }

  function setUp(group) {
    const tbody = group.querySelector("table tbody");
    if (!tbody) return;
    let dragged = null;
    rows(tbody).forEach(function (row) {
      row.draggable = true;
      row.classList.add("desk-draggable");
      const position = row.querySelector('input[name$="-position"]');
      const cell = position ? position.parentElement : row.cells[0];
      const handle = document.createElement("span");
      handle.className = "desk-handle";
      handle.textContent = "⠿";
      handle.title = gettext("拖动调整顺序");
      cell.prepend(handle);
      cell.append(
        document.createElement("br"),
        button("↑", gettext("上移"), function () {
          const previous = row.previousElementSibling;
          if (previous && previous.classList.contains("has_original")) tbody.insertBefore(row, previous);
          renumber(tbody);
        }),
        button("↓", gettext("下移"), function () {
          const next = row.nextElementSibling;
          if (next && next.classList.contains("has_original")) tbody.insertBefore(next, row);
          renumber(tbody);
        })
      );
      row.addEventListener("dragstart", function (event) {
        dragged = row;
        row.classList.add("desk-dragging");
        event.dataTransfer.effectAllowed = "move";
        event.dataTransfer.setData("text/plain", row.id);
      });
      row.addEventListener("dragend", function () {
        // After a drop or a cancelled drag alike: the rows were moved while dragging over them.
        row.classList.remove("desk-dragging");
        dragged = null;
        renumber(tbody);
      });
      row.addEventListener("dragover", function (event) {
        if (!dragged || dragged === row) return;
        event.preventDefault();
        const box = row.getBoundingClientRect();
        const after = event.clientY > box.top + box.height / 2;
        tbody.insertBefore(dragged, after ? row.nextElementSibling : row);
      });
      row.addEventListener("drop", function (event) {
        event.preventDefault(); // accept the drop; dragend renumbers
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".desk-reorderable").forEach(setUp);
  });
})();
