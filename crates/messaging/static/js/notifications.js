// The notification bell in the top bar (progressive enhancement: without this file the bell is a
// link to /notifications). Shows the unread count, kept live by `notification` frames from the
// gateway, and opens a dropdown with the latest unread notifications, each openable or markable
// as read, and "mark all as read". Also opens the page's realtime connection.

import { api, connect, localTimes, on } from "./realtime.js";

const SHOWN = 10;

const bell = document.querySelector("[data-bell]");
if (bell) init(bell);
connect();
// The notifications page's times, in the reader's time zone.
const page = document.querySelector("[data-notification-list]");
if (page) localTimes(page);

function init(bell) {
  const toggle = bell.querySelector("[data-bell-toggle]");
  const count = bell.querySelector("[data-bell-count]");
  const status = bell.querySelector("[data-bell-status]");
  let unread = 0;
  let items = [];
  let loaded = false;

  const panel = document.createElement("div");
  panel.className = "bell-panel";
  panel.id = "bell-panel";
  panel.hidden = true;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Notifications");
  bell.append(panel);
  toggle.setAttribute("aria-controls", panel.id);
  toggle.setAttribute("aria-expanded", "false");
  toggle.setAttribute("aria-haspopup", "dialog");

  function setOpen(open) {
    panel.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    if (open) {
      render();
      refresh();
      panel.querySelector("a, button")?.focus();
    }
  }

  toggle.addEventListener("click", (event) => {
    event.preventDefault();
    setOpen(panel.hidden);
  });
  document.addEventListener("click", (event) => {
    if (!panel.hidden && !bell.contains(event.target)) setOpen(false);
  });
  bell.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      setOpen(false);
      toggle.focus();
    }
  });

  async function refresh() {
    try {
      const data = await api("GET", `/api/v1/notifications?unread=true&limit=${SHOWN}`);
      unread = data.unread_count;
      items = data.items;
      loaded = true;
      render();
    } catch {
      // Signed out, or offline: the bell stays a plain link.
    }
  }

  async function markRead(id) {
    await api("POST", `/api/v1/notifications/${id}/read`);
    if (items.some((n) => n.id === id)) unread = Math.max(0, unread - 1);
    items = items.filter((n) => n.id !== id);
    render();
  }

  async function markAll() {
    await api("POST", "/api/v1/notifications/read-all");
    unread = 0;
    items = [];
    render();
    status.textContent = "All notifications marked as read.";
  }

  function render() {
    count.hidden = unread === 0;
    count.textContent = unread > 99 ? "99+" : String(unread);
    toggle.setAttribute("aria-label", unread ? `Notifications (${unread} unread)` : "Notifications");
    if (panel.hidden) return;
    panel.replaceChildren();

    const head = document.createElement("div");
    head.className = "bell-panel-head";
    const title = document.createElement("h2");
    title.textContent = "Notifications";
    head.append(title);
    if (unread > 0) {
      const all = document.createElement("button");
      all.type = "button";
      all.className = "link-button small";
      all.textContent = "Mark all as read";
      all.dataset.bellReadAll = "";
      all.addEventListener("click", () => markAll().catch(() => {}));
      head.append(all);
    }
    panel.append(head);

    if (!loaded) {
      const p = document.createElement("p");
      p.className = "bell-empty";
      p.textContent = "Loading…";
      panel.append(p);
    } else if (items.length === 0) {
      const p = document.createElement("p");
      p.className = "bell-empty";
      p.textContent = "You are all caught up.";
      panel.append(p);
    } else {
      const list = document.createElement("ul");
      list.className = "bell-list";
      for (const n of items) list.append(item(n));
      panel.append(list);
    }

    const foot = document.createElement("div");
    foot.className = "bell-foot";
    const all = document.createElement("a");
    all.href = "/notifications";
    all.textContent = "See all";
    const settings = document.createElement("a");
    settings.href = "/settings/notifications";
    settings.textContent = "Settings";
    foot.append(all, settings);
    panel.append(foot);
  }

  function item(n) {
    const li = document.createElement("li");
    li.className = "bell-item";
    li.dataset.notificationId = n.id;
    const link = document.createElement("a");
    // Only links on this site are followed (`//x` and `/\x` would leave it).
    const local = n.link && n.link.startsWith("/") && !n.link.startsWith("//") && !n.link.includes("\\");
    link.href = local ? n.link : "/notifications";
    const t = document.createElement("span");
    t.className = "bell-title";
    t.textContent = n.title;
    link.append(t);
    if (n.body) {
      const b = document.createElement("span");
      b.className = "bell-body";
      b.textContent = n.body.length > 140 ? `${n.body.slice(0, 140)}…` : n.body;
      link.append(b);
    }
    link.addEventListener("click", async (event) => {
      event.preventDefault();
      try {
        await markRead(n.id);
      } finally {
        window.location.assign(link.href);
      }
    });
    const done = document.createElement("button");
    done.type = "button";
    done.className = "icon-button";
    done.textContent = "✓";
    done.title = "Mark as read";
    done.setAttribute("aria-label", `Mark “${n.title}” as read`);
    done.addEventListener("click", () => markRead(n.id).catch(() => {}));
    li.append(link, done);
    return li;
  }

  on("notification", (frame) => {
    const n = frame.notification;
    if (!n || n.read || items.some((i) => i.id === n.id)) return;
    unread += 1;
    items = [n, ...items].slice(0, SHOWN);
    render();
    status.textContent = `New notification: ${n.title}`;
  });
  // Whatever arrived while the connection was down.
  on("reconnected", refresh);

  refresh();
}
