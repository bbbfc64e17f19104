// The offline door: this device's copy of its check-in list (keyed hashes of the ticket secrets,
// names, products, states, the list's rules) in IndexedDB, kept current every few seconds; the
// answers it gives from that copy when the network is gone; and the queue of scans made offline,
// uploaded in order when the network is back (the server replays them through the same rules,
// each with its nonce, so an upload sent twice changes nothing). docs/offline-door.md.
(() => {
  "use strict";

  const DB_NAME = "rollcall-door";
  const SYNC_EVERY = 3000;
  const UPLOAD_BATCH = 200;
  const enc = new TextEncoder();

  // --- IndexedDB, as promises -------------------------------------------------------------------

  let dbPromise = null;

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          const db = request.result;
          db.createObjectStore("lists", { keyPath: "id" });
          db.createObjectStore("tickets", { keyPath: ["list", "hash"] });
          db.createObjectStore("queue", { keyPath: "seq", autoIncrement: true });
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  function done(request) {
    return new Promise((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function tx(stores, mode, work) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction(stores, mode);
      let result;
      Promise.resolve(work(t)).then((value) => (result = value), reject);
      t.oncomplete = () => resolve(result);
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error);
    });
  }

  const listRange = (listId) => IDBKeyRange.bound([listId, ""], [listId, "\uffff"]);

  // --- bytes ------------------------------------------------------------------------------------

  function b64urlDecode(text) {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }

  function b64urlEncode(bytes) {
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function base32Decode(text) {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const out = [];
    let bits = 0;
    let value = 0;
    for (const char of text) {
      const index = alphabet.indexOf(char);
      if (index < 0) return null;
      value = (value << 5) | index;
      bits += 5;
      if (bits >= 8) {
        out.push((value >>> (bits - 8)) & 0xff);
        bits -= 8;
      }
    }
    return Uint8Array.from(out);
  }

  const normalize = (text) => (text || "").replace(/\s+/g, "").toUpperCase();

  // --- keys -------------------------------------------------------------------------------------

  const hmacKeys = new Map();
  const signingKeys = new Map();

  async function hashFor(list, secret) {
    if (!hmacKeys.has(list.key)) {
      const key = crypto.subtle.importKey("raw", b64urlDecode(list.key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      hmacKeys.set(list.key, key);
    }
    const mac = await crypto.subtle.sign("HMAC", await hmacKeys.get(list.key), enc.encode(secret));
    return b64urlEncode(new Uint8Array(mac).slice(0, 16));
  }

  // A signed secret (orders/signed_secrets.py): base32 of version, event id, product id, 10 random
  // bytes, then the Ed25519 signature over those 19 bytes. Checked with WebCrypto's Ed25519.
  const SIGNED_LENGTH = 133;

  async function verifySigned(list, secret) {
    if (!list.signing_key || secret.length !== SIGNED_LENGTH) return null;
    const data = base32Decode(secret);
    if (!data || data.length < 83 || data[0] !== 1) return null;
    try {
      if (!signingKeys.has(list.signing_key)) {
        signingKeys.set(list.signing_key, crypto.subtle.importKey("raw", b64urlDecode(list.signing_key), { name: "Ed25519" }, false, ["verify"]));
      }
      const ok = await crypto.subtle.verify({ name: "Ed25519" }, await signingKeys.get(list.signing_key), data.slice(19, 83), data.slice(0, 19));
      if (!ok) return null;
    } catch (err) {
      return null; // a browser without Ed25519: signed tickets it has not seen are unknown offline
    }
    const view = new DataView(data.buffer, 0, 19);
    return { eventId: view.getUint32(1), productId: view.getUint32(5) };
  }

  // --- the device -------------------------------------------------------------------------------

  function deviceId() {
    const key = "rollcall.door.device";
    let id = null;
    try {
      id = window.localStorage.getItem(key);
      if (!id) {
        id = "door-" + crypto.randomUUID().slice(0, 18);
        window.localStorage.setItem(key, id);
      }
    } catch (err) {
      id = id || "door-" + crypto.randomUUID().slice(0, 18);
    }
    return id;
  }

  // --- the door's own copy ----------------------------------------------------------------------

  function create(options) {
    const { eventId, urls, csrf, onChange } = options;
    const device = deviceId();
    const withList = (template, id) => template.replace("/0/", "/" + id + "/");
    let listId = null;
    let list = null; // the stored list: rules, key, products, cursor, synced_at
    let queued = 0;
    let syncing = false;
    let offline = !navigator.onLine;
    const downloaded = new Set(); // lists downloaded whole since this page opened

    function state() {
      return { offline: offline, queued: queued, syncedAt: list ? list.synced_at : null, hasCopy: !!list, device: device };
    }

    function changed() {
      if (onChange) onChange(state());
    }

    async function getJson(url) {
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }

    function ticketRows(id, tickets) {
      return tickets.map((t) => Object.assign({ list: id }, t));
    }

    async function storeSnapshot(id, data) {
      const stored = {
        id: id,
        event_id: data.event_id,
        key: data.key,
        signing_key: data.signing_key,
        rules: data.list,
        products: Object.fromEntries(data.products.map((p) => [p.id, p])),
        cursor: data.cursor,
        synced_at: new Date().toISOString(),
      };
      await tx(["lists", "tickets"], "readwrite", (t) => {
        const tickets = t.objectStore("tickets");
        tickets.delete(listRange(id));
        for (const row of ticketRows(id, data.tickets)) tickets.put(row);
        t.objectStore("lists").put(stored);
      });
      return stored;
    }

    async function storeChanges(stored, data) {
      const next = Object.assign({}, stored, { rules: data.list, cursor: data.cursor, synced_at: new Date().toISOString() });
      await tx(["lists", "tickets"], "readwrite", (t) => {
        const tickets = t.objectStore("tickets");
        for (const row of ticketRows(stored.id, data.tickets)) tickets.put(row);
        t.objectStore("lists").put(next);
      });
      return next;
    }

    async function countQueue() {
      queued = await tx(["queue"], "readonly", (t) => done(t.objectStore("queue").count()));
    }

    // Scans made offline, oldest first, in batches; each batch removed once the server answered.
    async function upload() {
      for (;;) {
        const batch = await tx(["queue"], "readonly", (t) => done(t.objectStore("queue").getAll(null, UPLOAD_BATCH)));
        if (!batch.length) return;
        for (const id of new Set(batch.map((s) => s.list))) {
          const scans = batch.filter((s) => s.list === id);
          const response = await fetch(withList(urls.scans, id), {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
            body: JSON.stringify({
              device: device,
              scans: scans.map((s) => ({ secret: s.secret, nonce: s.nonce, device_time: s.device_time, verdict: s.verdict, gate: s.gate })),
            }),
          });
          // Not taken (no network, signed out, the list gone): the scans stay queued and counted,
          // never dropped; the next round tries again.
          if (!response.ok) throw new Error("HTTP " + response.status);
          await tx(["queue"], "readwrite", (t) => {
            const store = t.objectStore("queue");
            for (const scan of scans) store.delete(scan.seq);
          });
        }
        await countQueue();
        changed();
      }
    }

    async function sync() {
      if (syncing || listId === null) return;
      syncing = true;
      const id = listId;
      try {
        await upload();
        // The queue is empty now: the server's copy includes every admission this device made.
        const stored = await tx(["lists"], "readonly", (t) => done(t.objectStore("lists").get(id)));
        let next;
        if (!stored || !downloaded.has(id)) {
          next = await storeSnapshot(id, await getJson(withList(urls.list, id)));
          downloaded.add(id);
        } else {
          const since = encodeURIComponent(stored.cursor);
          next = await storeChanges(stored, await getJson(withList(urls.changes, id) + "?since=" + since));
        }
        if (id === listId) list = next;
        offline = false;
      } catch (err) {
        offline = true;
      } finally {
        syncing = false;
        changed();
      }
    }

    async function use(id) {
      listId = Number(id);
      // What this device kept before (a reload without the network): answer from it at once.
      const stored = await tx(["lists"], "readonly", (t) => done(t.objectStore("lists").get(listId)));
      list = stored || null;
      await countQueue();
      changed();
      sync();
    }

    // --- answering from the copy, in the order of the server's rules (checkin/service.py) --------

    function alreadyIn(rules, ticket) {
      if (!ticket.entries) return false;
      if (rules.multi_entry) return false;
      return ticket.inside || !rules.allow_exit;
    }

    function ticketFailure(rules, products, ticket, now) {
      const product = products[ticket.product_id];
      if (product && !product.admits_entry) return "product";
      if (!rules.all_products && !(rules.product_ids || []).includes(ticket.product_id)) return "product";
      if (rules.starts_at && now < new Date(rules.starts_at)) return "not_yet";
      if (rules.ends_at && now > new Date(rules.ends_at)) return "expired";
      if (ticket.blocked) return "blocked";
      return null;
    }

    async function decide(secret, now) {
      const hash = await hashFor(list, secret);
      let ticket = await tx(["tickets"], "readonly", (t) => done(t.objectStore("tickets").get([list.id, hash])));
      if (!ticket) {
        const signed = await verifySigned(list, secret);
        if (!signed) return { reason: "invalid", ticket: null, hash: hash };
        if (signed.eventId !== list.event_id) return { reason: "wrong_event", ticket: null, hash: hash };
        // Sold after the last update: known only by its signature until the server says more.
        ticket = { list: list.id, hash: hash, id: null, name: "", product_id: signed.productId, state: "valid", blocked: false, entries: 0, inside: false, last_entry_at: null, last_gate: "" };
      }
      const rules = list.rules;
      let failure = ticket.state !== "valid" ? ticket.state : null;
      if (!failure) {
        const later = ticketFailure(rules, list.products, ticket, now);
        if (later) failure = alreadyIn(rules, ticket) ? "already_checked_in" : later;
        else if (alreadyIn(rules, ticket)) failure = "already_checked_in";
      }
      return { reason: failure, ticket: ticket, hash: hash };
    }

    // Answer a scan from the copy and queue it; the answer has the shape of the server's. One at a
    // time: two quick scans of one ticket must see each other's admission.
    let answering = Promise.resolve();

    function answer(scanned, gate, nonce, texts) {
      const next = answering.then(() => answerNow(scanned, gate, nonce, texts));
      answering = next.catch(() => null);
      return next;
    }

    async function answerNow(scanned, gate, nonce, texts) {
      if (!list) return null;
      const secret = normalize(scanned).slice(0, 500); // longer is no ticket; the upload takes 500
      const now = new Date();
      const verdict = await decide(secret, now);
      const ticket = verdict.ticket;
      const ok = !verdict.reason;
      const previous = verdict.reason === "already_checked_in" && ticket.last_entry_at ? { at: ticket.last_entry_at, gate: ticket.last_gate || "" } : null;
      await tx(["tickets", "queue"], "readwrite", (t) => {
        if (ok) {
          ticket.entries = (ticket.entries || 0) + 1;
          ticket.inside = true;
          ticket.last_entry_at = now.toISOString();
          ticket.last_gate = gate || "";
          t.objectStore("tickets").put(ticket);
        }
        t.objectStore("queue").add({ list: list.id, secret: secret, nonce: nonce, device_time: now.toISOString(), verdict: ok ? "ok" : "error", gate: gate || "" });
      });
      queued += 1;
      changed();
      const product = ticket ? list.products[ticket.product_id] : null;
      return {
        result: ok ? "ok" : "error",
        reason: verdict.reason,
        kind: "entry",
        colour: ok ? "green" : "red",
        message: texts[ok ? "entry" : verdict.reason],
        needs_attention: [],
        replayed: false,
        offline: true,
        checkin: null,
        previous: previous,
        registrant: ticket && verdict.reason !== "invalid" && verdict.reason !== "wrong_event"
          ? { id: ticket.id, name: ticket.name, product: product ? product.name : "", order_code: "", answers: [] }
          : null,
      };
    }

    // An entry the server admitted while online: the copy says so at once, not only at the next
    // round of changes, so a network gone in between cannot admit the ticket again here.
    async function noteAdmitted(scanned, gate, at) {
      if (!list) return;
      const hash = await hashFor(list, normalize(scanned));
      await tx(["tickets"], "readwrite", async (t) => {
        const store = t.objectStore("tickets");
        const ticket = await done(store.get([list.id, hash]));
        if (!ticket) return;
        ticket.entries = (ticket.entries || 0) + 1;
        ticket.inside = true;
        ticket.last_entry_at = at;
        ticket.last_gate = gate || "";
        store.put(ticket);
      });
    }

    window.addEventListener("online", () => {
      offline = false;
      sync();
    });
    window.addEventListener("offline", () => {
      offline = true;
      changed();
    });
    window.setInterval(() => {
      if (!document.hidden) sync();
    }, SYNC_EVERY);

    return { use: use, sync: sync, answer: answer, noteAdmitted: noteAdmitted, state: state, isOffline: () => offline || !navigator.onLine };
  }

  window.RollcallDoor = { create: create };
})();
