// The website widget's loader (docs/widgets.md), included by the organization's own website:
//   <div data-rollcall-widget="https://rollcall.example/widget/<org>/<event>/register"></div>
//   <script src="https://rollcall.example/static/js/widget.js" async></script>
// No inline script, no eval, no inline style markup (only CSSOM): a host page with a strict CSP
// needs our origin in script-src and frame-src, nothing more. Messages are taken from our own
// origin and from the frames this script made only, and sent to our origin only.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.src) return;
  var origin = new URL(script.src).origin;
  var frames = [];

  function mount(box) {
    if (box.getAttribute("data-rollcall-mounted")) return;
    var url;
    try { url = new URL(box.getAttribute("data-rollcall-widget"), origin); } catch (err) { return; }
    if (url.origin !== origin || url.pathname.indexOf("/widget/") !== 0) return;
    url.searchParams.set("parent", window.location.origin);
    var frame = document.createElement("iframe");
    frame.src = url.href;
    frame.title = box.getAttribute("data-title") || "Registration";
    frame.style.width = "100%";
    frame.style.border = "0";
    frame.style.display = "block";
    frame.style.height = (parseInt(box.getAttribute("data-height"), 10) || 640) + "px";
    var loads = 0;
    frame.addEventListener("load", function () {
      frame.contentWindow.postMessage({ type: "rollcall:hello" }, origin);
      // A new page in the frame (sent form, payment result): show its top, not the old scroll spot.
      if (++loads > 1 && frame.getBoundingClientRect().top < 0) frame.scrollIntoView({ block: "start" });
    });
    box.setAttribute("data-rollcall-mounted", "1");
    box.replaceChildren(frame); // the <noscript> fallback goes
    frames.push(frame);
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== "rollcall:height") return;
    var frame = frames.find(function (f) { return f.contentWindow === event.source; });
    var height = Number(data.height);
    if (!frame || !isFinite(height) || height < 80) return;
    frame.style.height = Math.min(Math.ceil(height), 20000) + "px";
  });

  function mountAll() { document.querySelectorAll("[data-rollcall-widget]").forEach(mount); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mountAll);
  else mountAll();
})();
