// The chat sidebar and presence: unread badges for conversations that are not open, and the
// online dots of contacts.

import { on } from "./realtime.js";

// ---------------------------------------------------------------------------------------------
// Presence dots: contacts online (from `ready`) and changes (`presence`).

export function presence() {
  const online = new Set();
  const paint = () => {
    for (const dot of document.querySelectorAll("[data-presence]")) {
      const on = online.has(dot.dataset.presence);
      dot.hidden = !on;
      dot.title = on ? "Online" : "";
    }
  };
  on("ready", (frame) => {
    online.clear();
    for (const id of frame.online || []) online.add(id);
    paint();
  });
  on("presence", (frame) => {
    if (frame.status === "online") online.add(frame.user_id);
    else online.delete(frame.user_id);
    paint();
  });
}

// ---------------------------------------------------------------------------------------------
// Sidebar: unread badges for the conversations that are not open.

export function sidebar(convo, myId) {
  const bump = (link) => {
    const badge = link?.querySelector("[data-unread]");
    const count = badge?.querySelector("[data-unread-count]");
    if (!badge || !count) return;
    count.textContent = String((parseInt(count.textContent, 10) || 0) + 1);
    badge.hidden = false;
  };
  let me = myId;
  on("ready", (frame) => {
    me = frame.user?.id || me;
  });
  const onNew = (frame) => {
    const m = frame.message;
    if (!m || (convo && convo.owns(frame))) return;
    if (m.author && m.author.id === me) return;
    if (frame.type === "new_direct_message") {
      bump(m.author && document.querySelector(`[data-side-direct="${m.author.id}"]`));
    } else {
      bump(document.querySelector(`[data-side-room="${frame.room_id}"]`));
    }
  };
  on("new_message", onNew);
  on("new_direct_message", onNew);
}

/** Clears the sidebar badge of the open conversation. */
export function clearBadge(roomId, otherId) {
  const link = otherId
    ? document.querySelector(`[data-side-direct="${otherId}"]`)
    : document.querySelector(`[data-side-room="${roomId}"]`);
  const badge = link?.querySelector("[data-unread]");
  if (badge) {
    badge.hidden = true;
    const c = badge.querySelector("[data-unread-count]");
    if (c) c.textContent = "0";
  }
}
