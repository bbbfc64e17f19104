// The service worker of Rollcall's notifications: shows a push (title, body, link) and opens its
// link when tapped. Served from /push-sw.js so that its scope is the whole site.
"use strict";

self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {body: event.data ? event.data.text() : ""}; }
  event.waitUntil(self.registration.showNotification(data.title || "", {
    body: data.body || "",
    data: {url: data.url || ""},
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var url = event.notification.data && event.notification.data.url;
  // Only our own pages and https:// addresses are ever sent (the server checks each link).
  if (url && (url.indexOf("https://") === 0 || url.indexOf(self.location.origin + "/") === 0)) {
    event.waitUntil(clients.openWindow(url));
  }
});
