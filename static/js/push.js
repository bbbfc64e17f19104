// "Get notified": subscribe this browser to the audience of an event or of the organization
// (Push API, with the organization's VAPID public key), and keep the subscription on the server.
(function () {
  "use strict";
  var box = document.querySelector(".push-optin");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window) || !window.Notification) return;
  box.hidden = false;
  var status = box.querySelector(".push-status");
  var csrf = document.querySelector('meta[name="csrf-token"]');

  function keyBytes(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": csrf ? csrf.content : ""},
      body: JSON.stringify(body),
    }).then(function (response) { if (!response.ok) throw new Error(response.status); return response; });
  }

  function subscribe(scope) {
    return Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") { status.textContent = box.dataset.denied; return null; }
      return Promise.all([
        navigator.serviceWorker.register(box.dataset.workerUrl, {scope: "/"}).then(function () { return navigator.serviceWorker.ready; }),
        fetch(box.dataset.keyUrl, {credentials: "same-origin"}).then(function (r) { return r.json(); }),
      ]).then(function (results) {
        var registration = results[0], key = keyBytes(results[1].publicKey);
        return registration.pushManager.getSubscription().then(function (existing) {
          return existing || registration.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: key});
        });
      }).then(function (subscription) {
        return post(box.dataset.subscribeUrl, {
          org: box.dataset.org,
          event: scope === "event" && box.dataset.event ? parseInt(box.dataset.event, 10) : null,
          order: box.dataset.order || null,
          subscription: subscription.toJSON(),
        });
      }).then(function () { status.textContent = box.dataset.done; });
    }).catch(function () { status.textContent = box.dataset.failed; });
  }

  box.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-scope]");
    if (button) subscribe(button.dataset.scope);
  });
})();
