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
