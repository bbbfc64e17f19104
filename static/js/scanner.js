// The door scanner: hardware scanner input, camera decoding (native BarcodeDetector, else the
// vendored jsQR), the full-screen answer, sound and vibration, undo, live count. Every scan goes to
// the JSON endpoint with a nonce, so a retry after a network hiccup is never a second entry.
(() => {
  "use strict";
  const root = document.getElementById("scanner");
  if (!root) return;

  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const storageKey = "rollcall.checkin." + root.dataset.eventId;
  const supervisor = root.dataset.supervisor === "1";
  const withId = (template, id) => template.replace("/0/", "/" + id + "/");
  const scanInput = $("scan-input");
  const answerBox = $("answer");
  const setup = $("setup");
  // The page's words (in its language), from the JSON data block the template writes.
  const texts = JSON.parse($("scanner-texts").textContent);
  const say = (key, values) => texts[key].replace(/\{(\w+)\}/g, (match, name) => (values && name in values ? values[name] : match));

  // --- this device's copy of its list, for when the network is gone (door-offline.js) ----------

  const door = window.RollcallDoor && window.crypto && window.crypto.subtle && window.indexedDB
    ? window.RollcallDoor.create({
        eventId: root.dataset.eventId,
        csrf: csrf,
        urls: { list: root.dataset.offlineListUrl, changes: root.dataset.offlineChangesUrl, scans: root.dataset.offlineScansUrl },
        onChange: showDoorState,
      })
    : null;

  function showDoorState(state) {
    const banner = $("offline-banner");
    banner.hidden = !state.offline && !state.queued;
    banner.classList.toggle("online", !state.offline);
    root.dataset.offline = state.offline ? "1" : "0";
    root.dataset.copy = state.hasCopy ? "1" : "0";
    $("offline-state").textContent = state.offline ? say("offline") : "";
    $("offline-copy").textContent = state.offline && state.syncedAt ? say("copy_from", { time: clock(state.syncedAt) }) : "";
    $("offline-queued").textContent = state.queued ? say("queued", { count: state.queued }) : "";
    $("offline-queued").dataset.count = state.queued;
  }

  if ("serviceWorker" in navigator && root.dataset.serviceWorkerUrl) {
    navigator.serviceWorker
      .register(root.dataset.serviceWorkerUrl)
      .then(() => navigator.serviceWorker.ready)
      .then((registration) => registration.active && registration.active.postMessage({ keep: window.location.href }))
      .catch(() => {});
  }

  // --- this device's list and gate --------------------------------------------------------------

  let settings = readSettings();

  function readSettings() {
    try {
      return JSON.parse(window.localStorage.getItem(storageKey)) || null;
    } catch (err) {
      return null;
    }
  }

  function listOption(id) {
    return Array.from($("setup-list").options).find((o) => o.value === String(id));
  }

  function applySettings() {
    const option = listOption(settings.list);
    $("settings-list").value = settings.list;
    $("settings-gate").value = settings.gate || "";
    $("current-list").textContent = option ? option.textContent : "";
    $("current-gate").textContent = (settings.gate || say("no_gate")) + (settings.mode === "exit" ? " · " + say("exits") : "");
    refreshStats();
    if (door) door.use(settings.list);
    document.body.dispatchEvent(new CustomEvent("checkin:scanned", { bubbles: true }));
  }

  function openSetup() {
    $("setup-list").value = settings ? settings.list : root.dataset.defaultList;
    $("setup-gate").value = settings ? settings.gate : "";
    $("setup-mode").value = settings && settings.mode ? settings.mode : "entry";
    showModeField();
    setup.showModal();
  }

  function showModeField() {
    const option = listOption($("setup-list").value);
    const exits = option && option.dataset.allowExit === "1";
    $("setup-mode-field").hidden = !exits;
    if (!exits) $("setup-mode").value = "entry";
  }

  $("setup-list").addEventListener("change", showModeField);
  $("setup-open").addEventListener("click", openSetup);
  setup.addEventListener("close", () => {
    if (setup.returnValue !== "save") return;
    settings = { list: $("setup-list").value, gate: $("setup-gate").value.trim(), mode: $("setup-mode").value };
    try {
      window.localStorage.setItem(storageKey, JSON.stringify(settings));
    } catch (err) {
      /* private mode: the choice lasts for this page only */
    }
    applySettings();
    scanInput.focus();
  });

  // --- sending a scan ---------------------------------------------------------------------------

  let current = null; // the request and answer on screen

  function nonce() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  function scan(secret, extra) {
    secret = (secret || "").trim();
    if (!secret || !settings) {
      if (!settings) openSetup();
      return;
    }
    const body = Object.assign(
      { secret: secret, list: Number(settings.list), gate: settings.gate || "", nonce: nonce(), kind: settings.mode || "entry" },
      extra || {}
    );
    send(body, 0);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrf },
      body: body ? JSON.stringify(body) : "{}",
    });
  }

  // Without the network an entry is answered from this device's copy and queued with its nonce;
  // a request that did reach the server before the network went is answered once all the same.
  const offlineCapable = (body) => door && body.kind === "entry" && !body.force_reason;

  async function answerOffline(body) {
    const data = await door.answer(body.secret, body.gate, body.nonce, texts.answers).catch(() => null);
    if (!data) {
      showProblem(say("no_copy"));
      return;
    }
    showAnswer(data, body);
  }

  async function send(body, attempt) {
    if (offlineCapable(body) && door.isOffline()) return answerOffline(body);
    if (body.kind === "exit" && !navigator.onLine) return showProblem(say("offline_exit"));
    let response;
    try {
      response = await post(root.dataset.scanUrl, body);
    } catch (err) {
      if (offlineCapable(body)) return answerOffline(body);
      // Same nonce on every retry: the server answers a repeat with the first answer.
      if (attempt < 3) {
        window.setTimeout(() => send(body, attempt + 1), 300 * (attempt + 1));
        return;
      }
      showProblem(say("no_connection"));
      return;
    }
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      showProblem(data && data.error ? data.error.message : say("scan_failed", { status: response.status }));
      return;
    }
    if (door && data.result === "ok" && data.kind === "entry" && !data.replayed) {
      door.noteAdmitted(body.secret, body.gate, data.checkin ? data.checkin.at : new Date().toISOString()).catch(() => {});
    }
    showAnswer(data, body);
  }

  // --- the answer -------------------------------------------------------------------------------

  let hideTimer = null;
  const FORCEABLE = ["unpaid", "canceled", "unapproved", "already_checked_in", "product", "not_yet", "expired", "blocked"];

  // A time as the recent-scans list writes it: the event's time zone, 24 hours, the page's language.
  const clockFormat = new Intl.DateTimeFormat(document.documentElement.lang || "en", {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", timeZone: root.dataset.timezone || "UTC",
  });
  function clock(iso) {
    return iso ? clockFormat.format(new Date(iso)) : "";
  }

  function showAnswer(data, body) {
    current = { data: data, body: body };
    const person = data.registrant;
    answerBox.className = "answer answer-" + data.colour;
    answerBox.dataset.result = data.result;
    answerBox.dataset.reason = data.reason || "";
    answerBox.dataset.offline = data.offline ? "1" : "0";
    $("answer-title").textContent = data.result === "ok" && data.kind === "entry" ? say("ok", { message: data.message }) : data.message;
    $("answer-name").textContent = person ? person.name : "";
    $("answer-product").textContent = person ? [person.product, person.order_code ? say("order", { code: person.order_code }) : ""].filter(Boolean).join(" · ") : "";
    let previous = "";
    if (data.previous && data.previous.at) {
      const when = { time: clock(data.previous.at), gate: data.previous.gate };
      previous = data.previous.gate ? say("checked_in_at_gate", when) : say("checked_in_at", when);
    }
    $("answer-previous").textContent = previous;
    $("answer-notes").replaceChildren(
      ...data.needs_attention.map((note) => Object.assign(document.createElement("li"), { textContent: note }))
    );
    const answers = [];
    for (const item of person ? person.answers : []) {
      answers.push(Object.assign(document.createElement("dt"), { textContent: item.label }));
      answers.push(Object.assign(document.createElement("dd"), { textContent: item.value }));
    }
    $("answer-answers").replaceChildren(...answers);

    const admitted = data.result === "ok" && data.kind === "entry" && data.checkin;
    $("answer-undo").hidden = !admitted;
    $("answer-badge").hidden = !(admitted && person);
    if (admitted && person) $("answer-badge").href = withId(root.dataset.badgeUrl, person.id);
    if (supervisor) {
      $("answer-mark-paid").hidden = !(data.reason === "unpaid" && person);
      $("answer-mark-paid-amount").textContent = person ? "(" + say("collect", { amount: person.order_total_text }) + ")" : "";
      $("force-form").hidden = !(data.result === "error" && person && FORCEABLE.includes(data.reason));
      $("force-reason").value = "";
    }
    answerBox.hidden = false;
    feedback(data.colour);
    if (admitted) {
      $("undo-last").hidden = false;
      $("undo-last").dataset.checkin = data.checkin.id;
    }
    window.clearTimeout(hideTimer);
    if (data.colour === "green") hideTimer = window.setTimeout(hideAnswer, 2500);
    refreshStats();
    document.body.dispatchEvent(new CustomEvent("checkin:scanned", { bubbles: true }));
  }

  function showProblem(message) {
    showAnswer(
      { result: "error", reason: "", kind: "entry", colour: "red", message: message, needs_attention: [], registrant: null },
      null
    );
  }

  function hideAnswer() {
    window.clearTimeout(hideTimer);
    answerBox.hidden = true;
    scanInput.focus();
  }

  $("answer-close").addEventListener("click", hideAnswer);
  answerBox.addEventListener("click", (e) => {
    if (e.target === answerBox) hideAnswer();
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !answerBox.hidden) hideAnswer();
  });

  // --- sound and vibration ----------------------------------------------------------------------

  let audio = null;

  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) audio = new Context();
    if (audio && audio.state === "suspended") audio.resume();
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });

  function feedback(colour) {
    const tones = colour === "green" ? [[880, 0, 0.12]] : colour === "amber" ? [[520, 0, 0.15], [660, 0.2, 0.15]] : [[220, 0, 0.2], [220, 0.3, 0.2]];
    if (audio && audio.state === "running") {
      for (const [frequency, at, length] of tones) {
        const oscillator = audio.createOscillator();
        const gain = audio.createGain();
        oscillator.type = "square";
        oscillator.frequency.value = frequency;
        gain.gain.value = 0.08;
        oscillator.connect(gain).connect(audio.destination);
        oscillator.start(audio.currentTime + at);
        oscillator.stop(audio.currentTime + at + length);
      }
    }
    if (navigator.vibrate) navigator.vibrate(colour === "green" ? 80 : [200, 100, 200]);
  }

  // --- hardware scanners (keyboard mode) and manual typing --------------------------------------

  scanInput.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    e.preventDefault();
    const value = scanInput.value;
    scanInput.value = "";
    scan(value);
  });

  // A scanner's burst that starts while nothing has focus (the set-up dialog has just closed, a
  // click on the page) goes to the scan field from its first character: the field takes focus as
  // the key goes down, before the character lands. Shortcuts and the set-up dialog are left alone.
  document.addEventListener(
    "keydown",
    (e) => {
      if (setup.open || e.ctrlKey || e.metaKey || e.altKey) return;
      const active = document.activeElement;
      if (!active || active === document.body) scanInput.focus({ preventScroll: true });
    },
    true
  );

  // Keep the scan field focused, unless someone is using another field or the set-up dialog.
  function refocus() {
    if (setup.open) return;
    const active = document.activeElement;
    if (active && active !== document.body && active !== scanInput && active.matches("input, select, textarea")) return;
    if (active !== scanInput) scanInput.focus({ preventScroll: true });
  }
  window.setInterval(refocus, 700);
  document.addEventListener("click", () => window.setTimeout(refocus, 0));

  // --- camera -----------------------------------------------------------------------------------

  const video = $("camera-video");
  const canvas = $("camera-canvas");
  let stream = null;
  let detector = null;
  let pausedUntil = 0;
  let lastCode = "";
  let lastSeen = 0;

  function cameraStatus(text) {
    $("camera-status").textContent = text;
  }

  async function startCamera() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraStatus(say("camera_needs_https"));
      return;
    }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    } catch (err) {
      cameraStatus(say("camera_unavailable", { error: err.message }));
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play().catch(() => {});
    detector = null;
    if ("BarcodeDetector" in window) {
      try {
        const formats = await window.BarcodeDetector.getSupportedFormats();
        if (formats.includes("qr_code")) detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      } catch (err) {
        detector = null;
      }
    }
    cameraStatus(detector ? say("camera_on") : say("camera_on_builtin"));
    $("camera-toggle").textContent = say("stop_camera");
    root.dataset.camera = detector ? "native" : "jsqr";
    tick();
  }

  function stopCamera() {
    if (stream) stream.getTracks().forEach((track) => track.stop());
    stream = null;
    video.hidden = true;
    $("camera-toggle").textContent = say("start_camera");
    cameraStatus("");
  }

  async function decode() {
    if (detector) {
      try {
        const found = await detector.detect(video);
        return found.length ? found[0].rawValue : null;
      } catch (err) {
        detector = null; // fall back to the bundled decoder
      }
    }
    if (typeof window.jsQR !== "function" || !video.videoWidth) return null;
    const scale = Math.min(1, 640 / Math.max(video.videoWidth, video.videoHeight));
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    const context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const result = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
    return result && result.data ? result.data : null;
  }

  async function tick() {
    if (!stream) return;
    const now = Date.now();
    if (now >= pausedUntil && video.readyState >= 2) {
      const code = await decode();
      if (code) {
        // A ticket held in front of the lens is one scan, not one per frame.
        const sameTicket = code === lastCode && Date.now() - lastSeen < 2000;
        lastCode = code;
        lastSeen = Date.now();
        if (!sameTicket) {
          pausedUntil = Date.now() + 800;
          scan(code);
        }
      }
    }
    window.setTimeout(tick, 100);
  }

  $("camera-toggle").addEventListener("click", () => (stream ? stopCamera() : startCamera()));

  // --- undo, force, pay at the door, search results ---------------------------------------------

  async function undo(checkinId) {
    const response = await post(withId(root.dataset.undoUrl, checkinId)).catch(() => null);
    const data = response ? await response.json().catch(() => null) : null;
    if (!response || !response.ok) {
      showProblem(data && data.error ? data.error.message : say("undo_failed"));
      return;
    }
    if ($("undo-last").dataset.checkin === String(checkinId)) $("undo-last").hidden = true;
    hideAnswer();
    refreshStats();
    document.body.dispatchEvent(new CustomEvent("checkin:scanned", { bubbles: true }));
  }

  $("undo-last").addEventListener("click", () => undo($("undo-last").dataset.checkin));
  $("answer-undo").addEventListener("click", () => current && current.data.checkin && undo(current.data.checkin.id));

  if (supervisor) {
    $("force-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const reason = $("force-reason").value.trim();
      if (!reason || !current || !current.body) return;
      scan(current.body.secret, { force_reason: reason });
    });
    $("answer-mark-paid").addEventListener("click", async () => {
      if (!current || !current.data.registrant) return;
      const response = await post(withId(root.dataset.markPaidUrl, current.data.registrant.id)).catch(() => null);
      const data = response ? await response.json().catch(() => null) : null;
      if (!response || !response.ok) {
        showProblem(data && data.error ? data.error.message : say("mark_paid_failed"));
        return;
      }
      scan(current.body.secret);
    });
  }

  document.addEventListener("click", (e) => {
    const checkIn = e.target.closest("[data-checkin-secret]");
    if (checkIn) scan(checkIn.dataset.checkinSecret);
    const undoButton = e.target.closest("[data-undo-checkin]");
    if (undoButton) undo(undoButton.dataset.undoCheckin);
  });

  // --- live count -------------------------------------------------------------------------------

  async function refreshStats() {
    if (!settings || document.hidden) return;
    const url = root.dataset.statsUrl + "?list=" + encodeURIComponent(settings.list);
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).catch(() => null);
    if (!response || !response.ok) return;
    const numbers = await response.json();
    $("count-in").textContent = numbers.checked_in;
    $("count-expected").textContent = numbers.expected;
    $("count-inside").hidden = numbers.inside === null;
    $("count-inside-n").textContent = numbers.inside === null ? "" : numbers.inside;
    $("count-gates").replaceChildren(
      ...numbers.gates.map((g) =>
        Object.assign(document.createElement("li"), { textContent: (g.gate || say("no_gate")) + ": " + g.entries })
      )
    );
  }
  window.setInterval(refreshStats, 5000);

  // --- start ------------------------------------------------------------------------------------

  if (settings && listOption(settings.list)) {
    applySettings();
  } else {
    settings = null;
    openSetup();
  }
  scanInput.focus();
})();
