// Inside the widget's frame: tell the page that framed us how tall we are, so it sizes the frame
// to the form (no inner scrollbar). The server puts the parent's origin on <body> only when that
// origin is on the organization's allow-list; messages go to that origin only, and are taken
// from it only.
(function () {
  "use strict";
  var parentOrigin = document.body.getAttribute("data-parent-origin");
  if (!parentOrigin || window.parent === window) return;
  var last = 0;

  function post() {
    var height = Math.ceil(document.body.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ type: "rollcall:height", height: height }, parentOrigin);
  }

  new ResizeObserver(post).observe(document.body);
  window.addEventListener("load", post);
  window.addEventListener("message", function (event) {
    if (event.origin !== parentOrigin || event.source !== window.parent) return;
    if (event.data && event.data.type === "rollcall:hello") { last = 0; post(); }
  });
})();
