// The door's service worker: keeps the scanner's shell (its pages and static files) so the scanner
// opens and answers scans without the network. Served from /checkin/sw.js, so its scope is the
// door pages; the server writes the line before this one: DOOR_SHELL, the cache's version (from
// the files' fingerprints: a new deploy is a new cache, the old one is deleted) and the files.
// Scans, uploads and the list's data never go through this cache: the page keeps those in
// IndexedDB (door-offline.js).
/* global DOOR_SHELL */
"use strict";

const PREFIX = "rollcall-door-";
const CACHE = PREFIX + DOOR_SHELL.version;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(DOOR_SHELL.assets))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith(PREFIX) && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

async function fromCacheFirst(request) {
  const cache = await caches.open(CACHE);
  const found = await cache.match(request);
  if (found) return found;
  const response = await fetch(request);
  if (response.ok) cache.put(request, response.clone());
  return response;
}

async function fromNetworkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    // A page that redirected (to the login form) is not the scanner: keep the last good copy.
    if (response.ok && !response.redirected) cache.put(request, response.clone());
    return response;
  } catch (err) {
    const found = (await cache.match(request, { ignoreVary: true })) || (await cache.match(request, { ignoreSearch: true, ignoreVary: true }));
    if (found) return found;
    throw err;
  }
}

// The page that registered this worker was loaded before the worker ran: it asks for its own
// address to be kept, so it opens again without the network.
self.addEventListener("message", (event) => {
  const url = event.data && event.data.keep;
  if (typeof url !== "string" || !url.startsWith(self.registration.scope)) return;
  event.waitUntil(
    caches.open(CACHE).then(async (cache) => {
      const response = await fetch(url, { credentials: "same-origin" });
      if (response.ok && !response.redirected) await cache.put(url, response);
    })
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(fromCacheFirst(request));
  } else if (request.mode === "navigate" && request.url.startsWith(self.registration.scope)) {
    event.respondWith(fromNetworkFirst(request));
  }
});
