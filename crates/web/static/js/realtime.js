// The page's one connection to the realtime gateway (GET /api/v1/ws, authenticated by the
// session cookie), shared by every script of the page through this module; the JSON API helper
// that sends the CSRF token; and times in the reader's time zone.
//
// Frames are JSON objects {type, ...}. `send(frame)` adds a `ref` and resolves with the server's
// `ack` (or `pong`), or rejects with its `error` frame as an ApiError. `on(type, fn)` listens to
// server frames, and to "ready", "reconnected" (ready again after the connection was lost: time
// to catch up), "down" and "status". The connection comes back by itself with exponential
// backoff and jitter (at most ~30 s between attempts); while it is down a "Reconnecting…"
// banner says so. <html data-realtime="connecting|open|down"> shows the state (for tests too).

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") || "";

/** The page's CSRF token (the `vt_csrf` cookie is HttpOnly; the layout puts it in a meta tag). */
export function csrfToken() {
  return csrf;
}

/** A refused request or frame: HTTP status (0 for a socket frame), stable code, message, fields. */
export class ApiError extends Error {
  constructor(status, code, message, fields = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.fields = fields;
  }
}

/** Calls the JSON API with the session cookie; resolves with `data`, rejects with an ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const init = { method, headers, credentials: "same-origin" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrf;
  let res;
  try {
    res = await fetch(path, init);
  } catch {
    throw new ApiError(0, "NETWORK", "You seem to be offline. Try again in a moment.");
  }
  if (res.status === 204) return null;
  let json = null;
  try {
    json = await res.json();
  } catch {
    // Not JSON: handled below.
  }
  if (!res.ok || !json || json.status !== "success") {
    const e = (json && json.error) || {};
    throw new ApiError(res.status, e.code || `HTTP_${res.status}`,
      e.message || `The request failed (${res.status}).`, e.details || []);
  }
  return json.data;
}

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

/** "14:05" today, "21 Nov 14:05" otherwise, in the reader's time zone. */
export function timeLabel(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  const time = d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  const now = new Date();
  if (sameDay(d, now)) return time;
  const opts = { day: "numeric", month: "short" };
  if (d.getFullYear() !== now.getFullYear()) opts.year = "numeric";
  return `${d.toLocaleDateString([], opts)} ${time}`;
}

/** Rewrites the server's UTC times (`<time datetime>`) under `scope` in the reader's zone. */
export function localTimes(scope) {
  for (const t of scope.querySelectorAll("time[datetime]")) {
    const label = timeLabel(t.getAttribute("datetime"));
    if (label) {
      t.textContent = label;
      t.title = new Date(t.getAttribute("datetime")).toLocaleString();
    }
  }
}

const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
const ACK_TIMEOUT_MS = 15000;
/** With nothing heard for this long, ask; with no answer soon after, the connection is dead. */
const QUIET_MS = 25000;
const PONG_WAIT_MS = 10000;

const listeners = new Map();
const pending = new Map();
let socket = null;
let started = false;
let open = false;
let everReady = false;
let leaving = false;
let attempt = 0;
let retryTimer = 0;
let watchTimer = 0;
let lastHeard = 0;
let seq = 0;
let banner = null;
let lastReady = null;

/** Listens to `type`; returns a function that stops listening. A "ready" listener added while
 * the connection is already up is called at once with the last `ready` frame, so scripts that
 * start after the connection need not race it. */
export function on(type, fn) {
  if (!listeners.has(type)) listeners.set(type, new Set());
  listeners.get(type).add(fn);
  if (type === "ready" && open && lastReady) {
    const frame = lastReady;
    queueMicrotask(() => fn(frame));
  }
  return () => listeners.get(type)?.delete(fn);
}

function emit(type, payload) {
  for (const fn of listeners.get(type) || []) {
    try {
      fn(payload);
    } catch (err) {
      console.error(`realtime: a "${type}" listener failed`, err);
    }
  }
}

export function isConnected() {
  return open && socket !== null && socket.readyState === WebSocket.OPEN;
}

/** Sends a frame and waits for its ack; rejects at once when the connection is down. */
export function send(frame) {
  if (!isConnected()) {
    return Promise.reject(new ApiError(0, "OFFLINE", "Not connected"));
  }
  const ref = `c${++seq}`;
  return new Promise((resolve, reject) => {
    const timer = window.setTimeout(() => {
      pending.delete(ref);
      reject(new ApiError(0, "TIMEOUT", "The server did not answer in time."));
    }, ACK_TIMEOUT_MS);
    pending.set(ref, { resolve, reject, timer });
    try {
      socket.send(JSON.stringify({ ...frame, ref }));
    } catch {
      window.clearTimeout(timer);
      pending.delete(ref);
      reject(new ApiError(0, "OFFLINE", "Not connected"));
    }
  });
}

/** Sends a frame nobody waits for (typing). */
export function notify(frame) {
  if (!isConnected()) return;
  try {
    socket.send(JSON.stringify(frame));
  } catch {
    // The close handler deals with a broken socket.
  }
}

/** Opens the connection (once per page; later calls do nothing). */
export function connect() {
  if (started) return;
  started = true;
  window.addEventListener("pagehide", () => {
    leaving = true;
    if (socket) socket.close(1000, "page closed");
  });
  window.addEventListener("pageshow", (event) => {
    // Back from the back-forward cache: the old socket is gone.
    if (event.persisted) {
      leaving = false;
      retryNow();
    }
  });
  window.addEventListener("online", retryNow);
  // The browser knows before the socket does: an open socket would hang until the ping gives up.
  window.addEventListener("offline", () => {
    if (socket) lost(null);
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible" && !socket) retryNow();
  });
  openSocket();
}

function setState(state) {
  document.documentElement.dataset.realtime = state;
  emit("status", state);
}

function openSocket() {
  window.clearTimeout(retryTimer);
  setState("connecting");
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  let ws;
  try {
    ws = new WebSocket(`${scheme}//${location.host}/api/v1/ws`);
  } catch {
    lost(null);
    return;
  }
  socket = ws;
  ws.addEventListener("message", (event) => {
    if (socket !== ws) return;
    lastHeard = Date.now();
    let frame;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return;
    }
    receive(frame);
  });
  ws.addEventListener("close", (event) => {
    if (socket === ws) lost(event.code);
  });
}

function receive(frame) {
  if (frame.type === "ready") {
    attempt = 0;
    open = true;
    const again = everReady;
    everReady = true;
    lastReady = frame;
    setState("open");
    showBanner(false);
    watch();
    emit("ready", frame);
    if (again) emit("reconnected", frame);
    return;
  }
  const ref = frame.ref == null ? null : String(frame.ref);
  if (ref && pending.has(ref) && ["ack", "pong", "error"].includes(frame.type)) {
    const p = pending.get(ref);
    pending.delete(ref);
    window.clearTimeout(p.timer);
    if (frame.type === "error") {
      p.reject(new ApiError(0, frame.code, frame.message, frame.fields || []));
    } else {
      p.resolve(frame);
    }
    return;
  }
  emit(frame.type, frame);
}

/** The connection is gone (closed, refused or silent): fail what waits, and try again later. */
function lost(code) {
  const ws = socket;
  socket = null;
  open = false;
  window.clearInterval(watchTimer);
  for (const [, p] of pending) {
    window.clearTimeout(p.timer);
    p.reject(new ApiError(0, "OFFLINE", "The connection was lost."));
  }
  pending.clear();
  if (ws && ws.readyState !== WebSocket.CLOSED) {
    try {
      ws.close();
    } catch {
      // Already closing.
    }
  }
  if (leaving) return;
  setState("down");
  showBanner(true);
  emit("down", { code });
  schedule();
}

function schedule() {
  const cap = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** attempt);
  attempt += 1;
  // Full jitter in the upper half, so many clients that lost one server do not return together.
  const delay = cap / 2 + Math.random() * (cap / 2);
  window.clearTimeout(retryTimer);
  retryTimer = window.setTimeout(openSocket, delay);
}

function retryNow() {
  if (socket || leaving) return;
  attempt = 0;
  openSocket();
}

/** Pings a quiet connection and drops it when even the ping goes unanswered. */
function watch() {
  window.clearInterval(watchTimer);
  lastHeard = Date.now();
  watchTimer = window.setInterval(() => {
    if (!isConnected() || Date.now() - lastHeard < QUIET_MS) return;
    const ws = socket;
    send({ type: "ping" }).catch(() => {});
    window.setTimeout(() => {
      if (socket === ws && Date.now() - lastHeard >= QUIET_MS + PONG_WAIT_MS) lost(null);
    }, PONG_WAIT_MS);
  }, 5000);
}

function showBanner(show) {
  if (!show) {
    if (banner) banner.hidden = true;
    return;
  }
  if (!banner) {
    banner = document.createElement("div");
    banner.className = "realtime-banner";
    banner.setAttribute("role", "status");
    banner.dataset.realtimeBanner = "";
    const text = document.createElement("span");
    text.textContent = "Reconnecting…";
    const retry = document.createElement("button");
    retry.type = "button";
    retry.textContent = "Try now";
    retry.addEventListener("click", retryNow);
    banner.append(text, retry);
    document.body.append(banner);
  }
  banner.hidden = false;
}
