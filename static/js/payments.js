// Copy buttons on the bank transfer details: <button data-copy="#element-id" data-copied="Copied">.
// The order page re-inserts this script when it refreshes its status: listen only once.
if (!window.rollcallPaymentsCopy) {
  window.rollcallPaymentsCopy = true;
  document.addEventListener("click", (e) => {
    const button = e.target.closest("[data-copy]");
    if (!button || !navigator.clipboard) return;
    const source = document.querySelector(button.dataset.copy);
    if (!source) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(() => {
      const label = button.textContent;
      button.textContent = button.dataset.copied || "Copied";
      setTimeout(() => { button.textContent = label; }, 1500);
    });
  });
}
