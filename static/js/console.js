// Console behaviours: select-all on the registrant list, the label box of the bulk bar.
// Delegated on document so they keep working after htmx swaps parts of the page.
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el.matches("[data-select-all]")) {
    const form = el.closest("form");
    form.querySelectorAll('input[name="ids"]').forEach((box) => { box.checked = el.checked; });
  }
  if (el.matches("[data-bulk-action]")) syncLabelBox(el);
});

function syncLabelBox(select) {
  const box = select.form && select.form.querySelector(".console-label-input");
  if (box) box.hidden = select.value !== "label";
}

function syncAll(root) {
  root.querySelectorAll("[data-bulk-action]").forEach(syncLabelBox);
}

document.addEventListener("DOMContentLoaded", () => syncAll(document));
document.addEventListener("htmx:afterSettle", (e) => syncAll(e.target));
