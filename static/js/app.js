// Small behaviours shared by every page. No inline scripts: the CSP allows only our own files.
document.addEventListener("change", (e) => {
  const el = e.target;
  if (el.matches("[data-autosubmit]") && el.form) el.form.requestSubmit();
});
document.addEventListener("click", (e) => {
  const el = e.target.closest("[data-confirm]");
  if (el && !window.confirm(el.dataset.confirm)) { e.preventDefault(); e.stopPropagation(); }
}, true);
document.addEventListener("DOMContentLoaded", () => {
  if (window.htmx) {
    // Error answers (422 with field errors) still replace the form, so the message shows beside the field.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
  }
});
document.addEventListener("htmx:responseError", (e) => {
  const flashes = document.getElementById("flashes");
  if (!flashes) return;
  const div = document.createElement("div");
  div.className = "alert alert-error";
  div.setAttribute("role", "alert");
  div.textContent = e.detail.xhr.status === 403 ? "Your role does not allow this." :
    "The request failed (" + e.detail.xhr.status + "). Try again.";
  flashes.replaceChildren(div);
});
// A field's error goes away as soon as the field is changed: the message was about the old
// value (the form checks the new one when it is sent). Errors of enclosing groups (the ticket
// choice) go too.
function clearErrors(e) {
  const el = e.target;
  if (!el.closest || !el.closest(".has-error")) return;
  el.removeAttribute("aria-invalid");
  for (let box = el.closest(".has-error"); box; box = box.parentElement && box.parentElement.closest(".has-error")) {
    box.classList.remove("has-error");
    box.querySelectorAll(":scope > .error, :scope > .field-feedback > .error").forEach((msg) => msg.remove());
  }
}
document.addEventListener("input", clearErrors);
document.addEventListener("change", clearErrors);
