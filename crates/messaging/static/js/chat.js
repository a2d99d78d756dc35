// The live conversation (progressive enhancement over the messages pages, which work without
// it): new messages as they are posted, older ones on scrolling up, a composer that sends with
// Enter (Shift+Enter for a new line) and says when you type, "X is typing…", reactions, replies,
// edits and deletes in place, reading marks (and "Seen" in direct messages), presence dots,
// unread badges in the sidebar, attachments uploaded with a progress bar, and catching up after
// the connection comes back.
//
// Messages are built with the same markup as the server's template; only `body_html` (escaped
// and rendered by the server) goes in as HTML, everything else as text.

import {
  api, connect, isConnected, localTimes, notify, on, send, timeLabel,
} from "./realtime.js";
import { attachments } from "./chat-attachments.js";
import { csrfInput, el, errorText, formatSize, plain } from "./chat-dom.js";
import { clearBadge, presence, sidebar } from "./chat-sidebar.js";

const EMOJIS = ["👍", "❤️", "😂", "🎉", "😮", "😢", "👀", "✅"];
/** Typing is sent at most this often while it lasts (the server forwards at most every 2 s). */
const TYPING_EVERY_MS = 2000;
const NEAR_BOTTOM_PX = 80;

const root = document.querySelector("[data-chat]");
const anyChatPage = root || document.querySelector("[data-chat-home]");
if (anyChatPage) {
  localTimes(document);
  const convo = root ? conversation(root) : null;
  sidebar(convo, root?.dataset.me);
  presence();
  connect();
}

// ---------------------------------------------------------------------------------------------
// The open conversation.

function conversation(root) {
  const me = root.dataset.me;
  const direct = root.dataset.kind === "direct";
  const otherId = root.dataset.otherId || null;
  const member = root.dataset.member === "true";
  const manages = root.dataset.manages === "true";
  const path = root.dataset.path;
  let roomId = root.dataset.roomId || null;
  let atLatest = root.dataset.atLatest === "true";
  let nextBefore = root.dataset.nextBefore || null;
  let otherRead = root.dataset.otherRead || null;
  let lastMarked = null;
  let loadingOlder = false;

  const list = root.querySelector("[data-messages]");
  const scroller = root.querySelector("[data-chat-scroll]");
  const announce = root.querySelector("[data-announce]");
  const typingLine = root.querySelector("[data-typing]");
  const composer = root.querySelector("[data-composer]");
  const names = new Map([[me, "You"]]);
  if (otherId) names.set(otherId, root.dataset.otherName || "");
  for (const li of list.querySelectorAll(".msg")) {
    const a = li.querySelector(".msg-author");
    if (li.dataset.authorId && a && li.dataset.authorId !== me) names.set(li.dataset.authorId, a.textContent.trim());
  }

  const nearBottom = () => Math.abs(scroller.scrollTop) < NEAR_BOTTOM_PX;
  const toBottom = () => { scroller.scrollTop = 0; };
  const byId = (id) => list.querySelector(`.msg[data-id="${id}"]`);
  const lastLi = () => list.lastElementChild;

  // ---- rendering ----

  function quoteOf(id) {
    const li = byId(id);
    if (!li) return null;
    const body = li.querySelector("[data-body]");
    return {
      id,
      author: li.querySelector(".msg-author")?.textContent.trim() || "",
      text: body ? plain(body.textContent, 120) : "",
      deleted: li.classList.contains("msg-deleted"),
      onPage: true,
    };
  }

  function quoteNode(q) {
    const inner = [el("span", { class: "msg-quote-author", text: q.author }), " ",
      q.deleted ? el("em", { text: "deleted message" }) : el("span", { class: "msg-quote-text", text: q.text })];
    return el("blockquote", { class: "msg-quote small" },
      ...(q.onPage ? [el("a", { href: `#m-${q.id}` }, ...inner)] : inner));
  }

  async function fillQuote(li, replyTo) {
    try {
      const m = await api("GET", `/api/v1/chat/messages/${replyTo}`);
      if (!li.isConnected || li.querySelector(".msg-quote")) return;
      const q = { id: m.id, author: m.author ? m.author.display_name : "Deleted user", text: plain(m.body, 120), deleted: m.deleted, onPage: false };
      li.querySelector(".msg-head").after(quoteNode(q));
    } catch {
      // Not readable any more: no quote.
    }
  }

  function reactionsForm(m) {
    const form = el("form", { class: "msg-reactions", id: `react-${m.id}`, method: "post", action: `/messages/m/${m.id}/react`, "data-reactions": true },
      csrfInput(), el("input", { type: "hidden", name: "back", value: path }));
    for (const r of m.reactions || []) {
      const mine = r.user_ids.includes(me);
      const who = r.user_ids.map((u) => names.get(u) || "someone").join(", ");
      form.append(el("button", {
        type: "submit", name: "emoji", value: r.emoji, class: `reaction${mine ? " reaction-mine" : ""}`,
        "aria-pressed": String(mine), title: who, "aria-label": `${r.emoji} ${r.count}: ${who}`, disabled: !member,
      }, el("span", { "aria-hidden": "true", text: r.emoji }), " ", el("span", { class: "reaction-count", "aria-hidden": "true", text: String(r.count) })));
    }
    return form;
  }

  function render(m) {
    const mine = !!(m.author && m.author.id === me);
    if (m.author && !mine) names.set(m.author.id, m.author.display_name);
    const live = !m.deleted && member;
    const classes = ["msg"];
    if (mine) classes.push("msg-mine");
    if (m.deleted) classes.push("msg-deleted");
    if ((m.mentions || []).includes(me)) classes.push("msg-mention");
    const li = el("li", { class: classes.join(" "), id: `m-${m.id}`, "data-id": m.id, "data-author-id": m.author ? m.author.id : "" });

    const author = m.author
      ? el("a", { href: `/u/${m.author.username}`, text: m.author.display_name })
      : document.createTextNode("Deleted user");
    const head = el("div", { class: "msg-head" },
      el("span", { class: "msg-author" }, author), " ",
      el("time", { class: "msg-time muted small", datetime: m.created_at, text: timeLabel(m.created_at) }));
    if (m.is_edited && !m.deleted) {
      head.append(" ", el("a", {
        class: "msg-edited muted small", href: `/messages/messages/${m.id}/edits`, title: "See the earlier versions", text: "(edited)",
      }));
    }
    li.append(head);

    if (m.reply_to) {
      const q = quoteOf(m.reply_to);
      if (q) li.append(quoteNode(q));
      else fillQuote(li, m.reply_to);
    }
    if (m.deleted) {
      li.append(el("p", { class: "msg-body msg-tombstone muted" }, el("em", { text: "This message was deleted." })));
    } else {
      const body = el("div", { class: "msg-body word-break", "data-body": true });
      body.innerHTML = m.body_html; // Escaped and rendered by the server.
      li.append(body);
      const files = attachmentsNode(m.attachments);
      if (files) li.append(files);
      if ((m.reactions || []).length || live) li.append(reactionsForm(m));
    }
    if (m.reply_count > 0) li.append(threadLink(m.id, m.reply_count));
    if (live) {
      const picker = el("details", { class: "reaction-picker" },
        el("summary", { title: "Add a reaction" }, el("span", { "aria-hidden": "true", text: "☺+" }), el("span", { class: "visually-hidden", text: "Add a reaction" })),
        el("div", { class: "reaction-menu" }, ...EMOJIS.map((e) => el("button", { type: "submit", form: `react-${m.id}`, name: "emoji", value: e, "aria-label": `React with ${e}`, text: e }))));
      const actions = el("div", { class: "msg-actions small" }, picker,
        el("a", { href: `${path}?reply_to=${m.id}#composer`, "data-reply-to": m.id, text: "Reply" }));
      if (mine) actions.append(el("a", { href: `${path}?edit=${m.id}#m-${m.id}`, "data-edit": m.id, text: "Edit" }));
      if (mine || manages) {
        actions.append(el("form", { method: "post", action: `/messages/m/${m.id}/delete`, "data-delete": true, "data-confirm": "Delete this message? Everyone will see that it was deleted." },
          csrfInput(), el("input", { type: "hidden", name: "back", value: path }),
          el("button", { type: "submit", class: "link-button", text: "Delete" })));
      }
      li.append(actions);
    }
    return li;
  }

  function threadLink(id, count) {
    return el("p", { class: "msg-thread small" },
      el("a", { href: `/messages/messages/${id}/thread`, "data-thread": id, text: `${count} ${count === 1 ? "reply" : "replies"}` }));
  }

  // A new reply raises its parent's count, when the parent is on screen.
  function countReply(parentId) {
    const parent = byId(parentId);
    if (!parent) return;
    const link = parent.querySelector("[data-thread]");
    const count = (link ? parseInt(link.textContent, 10) || 0 : 0) + 1;
    const fresh = threadLink(parentId, count);
    if (link) link.closest(".msg-thread").replaceWith(fresh);
    else {
      const actions = parent.querySelector(".msg-actions");
      if (actions) actions.before(fresh);
      else parent.append(fresh);
    }
  }

  function attachmentsNode(files) {
    if (!files || !files.length) return null;
    const ul = el("ul", { class: "msg-attachments" });
    for (const f of files) {
      if ((f.content_type || "").startsWith("image/")) {
        ul.append(el("li", {}, el("a", { href: f.url, target: "_blank", rel: "noopener" },
          el("img", { src: f.url, alt: f.name, loading: "lazy" }))));
      } else {
        ul.append(el("li", {}, el("a", { class: "attachment-file", href: f.url, target: "_blank", rel: "noopener" },
          el("span", { "aria-hidden": "true", text: "📄" }), el("span", { text: f.name }),
          el("span", { class: "muted small", text: formatSize(f.size || 0) }))));
      }
    }
    return ul;
  }

  /** Inserts or replaces a message, in id order (ids are time-ordered). */
  function put(m, { fresh = false } = {}) {
    const old = byId(m.id);
    const li = render(m);
    if (old) {
      // Keep what belongs to the place in the conversation, not to the message.
      const divider = old.querySelector("[data-unread-divider]");
      if (divider) li.prepend(divider);
      if (old.classList.contains("msg-highlight")) li.classList.add("msg-highlight");
      old.replaceWith(li);
    } else {
      let after = null;
      for (const other of list.children) {
        if (other.dataset.id > m.id) {
          after = other;
          break;
        }
      }
      list.insertBefore(li, after);
      if (fresh) li.classList.add("msg-new");
    }
    root.querySelector("[data-empty]")?.remove();
    return li;
  }

  function updateSeen() {
    if (!direct) return;
    for (const s of list.querySelectorAll("[data-seen]")) s.remove();
    const mine = [...list.querySelectorAll(`.msg[data-author-id="${me}"]`)].pop();
    if (mine && otherRead && mine.dataset.id <= otherRead) {
      mine.append(el("p", { class: "msg-seen small muted", "data-seen": true, text: "Seen" }));
    }
  }

  // ---- receiving ----

  function owns(frame) {
    if (roomId) return frame.room_id === roomId;
    // A direct conversation before its first message: the other person's first message names it.
    return direct && frame.type === "new_direct_message" && frame.message?.author?.id === otherId;
  }

  function adoptRoom(id) {
    if (roomId || !id) return;
    roomId = id;
    root.dataset.roomId = id;
    send({ type: "join_room", room_id: id }).catch(() => {});
  }

  function arrived(frame) {
    if (!owns(frame)) return;
    adoptRoom(frame.room_id);
    const m = frame.message;
    if (!atLatest) {
      showJump();
      return;
    }
    const stick = nearBottom();
    const existed = !!byId(m.id);
    put(m, { fresh: !existed });
    if (!existed && m.reply_to) countReply(m.reply_to);
    const mine = m.author && m.author.id === me;
    if (!existed && !mine) {
      announce.textContent = `${m.author ? m.author.display_name : "Someone"}: ${plain(m.body, 200)}`;
      stopTyping(m.author && m.author.id);
    }
    if (stick || mine) toBottom();
    else if (!existed) showJump();
    updateSeen();
    markRead();
  }

  let jump = null;
  function showJump() {
    if (jump) {
      jump.hidden = false;
      return;
    }
    jump = el("button", { type: "button", class: "button small primary chat-jump", text: "New messages ↓" });
    jump.addEventListener("click", () => {
      if (!atLatest) window.location.assign(path);
      toBottom();
      jump.hidden = true;
    });
    scroller.after(jump);
  }
  scroller.addEventListener("scroll", () => {
    if (jump && nearBottom() && atLatest) jump.hidden = true;
    if (nearBottom()) markRead();
  }, { passive: true });

  on("new_message", arrived);
  on("new_direct_message", arrived);
  on("message_updated", (frame) => {
    if (frame.room_id === roomId && byId(frame.message.id)) {
      put(frame.message);
      updateSeen();
    }
  });
  on("reaction_updated", (frame) => {
    const li = frame.room_id === roomId && byId(frame.message_id);
    if (!li) return;
    const form = li.querySelector("[data-reactions]");
    if (form) form.replaceWith(reactionsForm({ id: frame.message_id, reactions: frame.reactions }));
  });
  on("room_updated", (frame) => {
    // A rename or a new topic by a moderator: update the header without a reload.
    if (direct || frame.room_id !== roomId) return;
    const title = document.getElementById("chat-title");
    if (title && frame.name) {
      const last = title.lastChild;
      if (last && last.nodeType === Node.TEXT_NODE) last.textContent = ` ${frame.name}\n`;
      else title.append(document.createTextNode(` ${frame.name}`));
    }
    let topic = document.querySelector(".chat-topic");
    if (frame.topic) {
      if (!topic && title) {
        topic = document.createElement("p");
        topic.className = "chat-topic muted small word-break";
        title.after(topic);
      }
      if (topic) topic.textContent = frame.topic;
    } else if (topic) {
      topic.remove();
    }
  });
  on("read_receipt", (frame) => {
    if (direct && frame.room_id === roomId && frame.user_id === otherId) {
      if (!otherRead || frame.last_read_message_id > otherRead) otherRead = frame.last_read_message_id;
      updateSeen();
    }
  });

  // ---- typing ----

  const typists = new Map();
  function showTyping() {
    const who = [...typists.values()].map((t) => t.name);
    typingLine.textContent = who.length === 0 ? ""
      : who.length === 1 ? `${who[0]} is typing…`
        : who.length === 2 ? `${who[0]} and ${who[1]} are typing…`
          : "Several people are typing…";
  }
  function stopTyping(userId) {
    const t = typists.get(userId);
    if (!t) return;
    window.clearTimeout(t.timer);
    typists.delete(userId);
    showTyping();
  }
  on("user_typing", (frame) => {
    if (frame.room_id !== roomId || !frame.user || frame.user.id === me) return;
    stopTyping(frame.user.id);
    if (frame.is_typing === false) return;
    const timer = window.setTimeout(() => stopTyping(frame.user.id), frame.expires_in_ms || 6000);
    typists.set(frame.user.id, { name: frame.user.display_name, timer });
    showTyping();
  });

  // ---- reading ----

  let markTimer = 0;
  /** Moves the read marker to the newest message once the reader can see it. */
  function markRead(force = false) {
    if (!member || !roomId || !atLatest) return;
    if (!force && (document.visibilityState !== "visible" || !nearBottom())) return;
    window.clearTimeout(markTimer);
    markTimer = window.setTimeout(async () => {
      const newest = lastLi()?.dataset.id;
      if (!newest || (lastMarked && newest <= lastMarked)) return;
      lastMarked = newest;
      try {
        if (isConnected()) await send({ type: "mark_read", room_id: roomId, message_id: newest });
        else await api("POST", `/api/v1/chat/rooms/${roomId}/read`, { message_id: newest });
        root.querySelector("[data-mark-read]")?.remove();
        clearBadge(roomId, otherId);
      } catch {
        lastMarked = null;
      }
    }, 250);
  }
  document.addEventListener("visibilitychange", () => markRead());
  root.querySelector("[data-mark-read]")?.addEventListener("submit", (event) => {
    event.preventDefault();
    markRead(true);
  });

  // ---- older messages (infinite scroll up) ----

  async function loadOlder() {
    if (loadingOlder || !nextBefore || !roomId) return;
    loadingOlder = true;
    const wrap = root.querySelector("[data-older-wrap]");
    try {
      const page = await api("GET", `/api/v1/chat/rooms/${roomId}/messages?before=${nextBefore}&limit=50`);
      // Newest first: each goes above the ones already shown.
      for (const m of page.items) put(m);
      localTimes(list);
      nextBefore = page.next_before || null;
      if (!nextBefore && wrap) {
        wrap.replaceWith(el("p", { class: "chat-start muted small", "data-start": true, text: "This is the start of the conversation." }));
      }
      updateSeen();
    } catch (err) {
      if (wrap) wrap.title = errorText(err);
    } finally {
      loadingOlder = false;
    }
  }
  const olderWrap = root.querySelector("[data-older-wrap]");
  if (olderWrap) {
    olderWrap.querySelector("[data-older]")?.addEventListener("click", (event) => {
      event.preventDefault();
      loadOlder();
    });
    if ("IntersectionObserver" in window) {
      const seen = new IntersectionObserver((entries) => {
        if (entries.some((e) => e.isIntersecting)) loadOlder().then(() => {
          // Still in view (a short page): keep going.
          const w = root.querySelector("[data-older-wrap]");
          if (w && w.getBoundingClientRect().bottom > scroller.getBoundingClientRect().top) loadOlder();
        });
      }, { root: scroller, rootMargin: "200px 0px 0px 0px" });
      seen.observe(olderWrap);
    }
  }

  // ---- catching up after the connection comes back ----

  async function catchUp() {
    if (!roomId || !atLatest) return;
    try {
      let after = lastLi()?.dataset.id;
      for (let round = 0; round < 20; round++) {
        const q = after ? `after=${after}&limit=100` : "limit=50";
        const page = await api("GET", `/api/v1/chat/rooms/${roomId}/messages?${q}`);
        for (const m of page.items) put(m);
        if (!after || !page.next_after) break;
        after = page.items[0]?.id;
        if (!after) break;
      }
      localTimes(list);
      updateSeen();
      markRead();
    } catch {
      // The next reconnection tries again.
    }
  }
  on("ready", () => {
    if (roomId) send({ type: "join_room", room_id: roomId }).catch(() => {});
  });
  on("reconnected", catchUp);
  on("resync", catchUp);

  // ---- acting on messages ----

  async function act(frame, rest) {
    if (isConnected()) return (await send(frame)).message;
    return rest();
  }

  function startReply(id) {
    const box = composer?.querySelector("[data-reply]");
    const q = quoteOf(id);
    if (!box || !q) return false;
    box.querySelector("[data-reply-author]").textContent = q.author;
    box.querySelector("[data-reply-text]").textContent = q.text;
    box.querySelector("[data-reply-input]").value = id;
    box.hidden = false;
    composer.querySelector("[data-composer-body]").focus();
    return true;
  }
  function endReply() {
    const box = composer?.querySelector("[data-reply]");
    if (!box) return;
    box.hidden = true;
    box.querySelector("[data-reply-input]").value = "";
  }

  async function startEdit(li) {
    if (li.querySelector("[data-inline-edit]")) return;
    const body = li.querySelector("[data-body]");
    if (!body) return;
    let current;
    try {
      current = await api("GET", `/api/v1/chat/messages/${li.dataset.id}`);
    } catch (err) {
      window.alert(errorText(err));
      return;
    }
    const area = el("textarea", { rows: 3, "aria-label": "Edit your message" });
    area.value = current.body;
    const error = el("p", { class: "field-error", role: "alert", hidden: true });
    const save = el("button", { type: "submit", class: "primary small", text: "Save" });
    const cancel = el("button", { type: "button", class: "secondary small", text: "Cancel" });
    const form = el("form", { class: "msg-edit", "data-inline-edit": true }, area, error,
      el("div", { class: "form-actions" }, save, cancel, el("span", { class: "muted small", text: "Enter to save · Esc to cancel" })));
    const close = () => {
      form.remove();
      body.hidden = false;
    };
    cancel.addEventListener("click", close);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.preventDefault();
        close();
        li.querySelector("[data-edit]")?.focus();
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      save.disabled = true;
      try {
        const m = await act({ type: "edit_message", message_id: li.dataset.id, body: area.value },
          () => api("PATCH", `/api/v1/chat/messages/${li.dataset.id}`, { body: area.value }));
        put(m);
        localTimes(list);
        updateSeen();
      } catch (err) {
        error.textContent = errorText(err);
        error.hidden = false;
        save.disabled = false;
      }
    });
    body.hidden = true;
    body.after(form);
    area.focus();
    area.setSelectionRange(area.value.length, area.value.length);
  }

  root.addEventListener("click", (event) => {
    const reply = event.target.closest("[data-reply-to]");
    if (reply && startReply(reply.dataset.replyTo)) {
      event.preventDefault();
      return;
    }
    if (event.target.closest("[data-reply-cancel]")) {
      event.preventDefault();
      endReply();
      return;
    }
    const edit = event.target.closest("[data-edit]");
    if (edit) {
      event.preventDefault();
      startEdit(edit.closest(".msg"));
    }
  });

  // Delete and reactions: the same forms, sent over the socket. Listening while the event goes
  // down (capture) lets this ask the confirmation itself and keep app.js from asking again.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !root.contains(form)) return;
    const li = form.closest(".msg");
    if (!li || !(form.matches("[data-delete]") || form.matches("[data-reactions]"))) return;
    event.preventDefault();
    event.stopPropagation();
    const id = li.dataset.id;
    if (form.matches("[data-delete]")) {
      if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) return;
      try {
        put(await act({ type: "delete_message", message_id: id }, () => api("DELETE", `/api/v1/chat/messages/${id}`)));
        localTimes(list);
        updateSeen();
      } catch (err) {
        window.alert(errorText(err));
      }
    } else {
      const emoji = event.submitter?.value;
      if (!emoji) return;
      li.querySelector(".reaction-picker[open]")?.removeAttribute("open");
      const pressed = [...form.querySelectorAll(".reaction")]
        .some((b) => b.value === emoji && b.getAttribute("aria-pressed") === "true");
      try {
        const m = await act({ type: pressed ? "remove_reaction" : "add_reaction", message_id: id, emoji },
          () => pressed
            ? api("DELETE", `/api/v1/chat/messages/${id}/reactions/${encodeURIComponent(emoji)}`)
            : api("POST", `/api/v1/chat/messages/${id}/reactions`, { emoji }));
        const fresh = form.isConnected ? form : li.querySelector("[data-reactions]");
        if (m && fresh) fresh.replaceWith(reactionsForm(m));
      } catch (err) {
        window.alert(errorText(err));
      }
    }
  }, true);

  if (composer) composerControls();

  function composerControls() {
    const body = composer.querySelector("[data-composer-body]");
    const submit = composer.querySelector("button[type=submit]");
    const files = attachments(composer);
    composer.querySelector("[data-js-hint]").hidden = false;
    let typingSince = 0;
    let error = null;

    const grow = () => {
      body.style.height = "auto";
      body.style.height = `${Math.min(body.scrollHeight + 2, 192)}px`;
    };
    const typing = (isTyping) => {
      if (!roomId) return;
      const now = Date.now();
      if (isTyping) {
        if (now - typingSince < TYPING_EVERY_MS) return;
        typingSince = now;
        notify({ type: "typing", room_id: roomId, is_typing: true });
      } else if (typingSince) {
        typingSince = 0;
        notify({ type: "typing", room_id: roomId, is_typing: false });
      }
    };
    let notice = null;
    const showNotice = (iso) => {
      if (!notice) {
        notice = el("p", { class: "small", role: "status", "data-scheduled-notice": true });
        composer.querySelector(".composer-row").after(notice);
      }
      notice.replaceChildren(`Scheduled for ${new Date(iso).toLocaleString()}. `,
        el("a", { href: "/messages/scheduled", text: "Scheduled messages" }));
    };
    const showError = (text) => {
      if (!error) {
        error = el("p", { class: "field-error", role: "alert", "data-composer-error": true });
        composer.querySelector(".composer-row").after(error);
      }
      error.textContent = text;
      error.hidden = !text;
    };

    // "Send later": the picker holds the browser's local time, so say so, and send the offset
    // the server needs to turn it into UTC (without JavaScript it is read as UTC).
    const sendAt = composer.querySelector("[data-send-at]");
    const tzOffset = composer.querySelector("[data-tz-offset]");
    const sendAtLabel = composer.querySelector("[data-send-at-label]");
    const syncOffset = () => {
      if (!sendAt || !tzOffset) return;
      const at = sendAt.value ? new Date(sendAt.value) : new Date();
      tzOffset.value = String(Number.isNaN(at.getTime()) ? new Date().getTimezoneOffset() : at.getTimezoneOffset());
    };
    if (sendAtLabel) sendAtLabel.textContent = "Send at (your local time)";
    syncOffset();
    sendAt?.addEventListener("change", syncOffset);

    body.addEventListener("input", () => {
      grow();
      typing(body.value.trim() !== "");
    });
    body.addEventListener("blur", () => typing(false));
    body.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        composer.requestSubmit();
      } else if (event.key === "Escape") {
        endReply();
      }
    });

    composer.addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = body.value.trim();
      if (files.busy()) {
        showError("Wait until the files are uploaded.");
        return;
      }
      const ids = files.ids();
      if (!text && !ids.length) {
        body.focus();
        return;
      }
      const replyTo = composer.querySelector("[data-reply-input]")?.value || undefined;
      const payload = { body: body.value };
      if (replyTo) payload.reply_to = replyTo;
      if (ids.length) payload.attachments = ids;
      submit.disabled = true;
      showError("");
      if (sendAt && sendAt.value) {
        // Scheduled: through the API (sockets only send now); the page says when it goes.
        const at = new Date(sendAt.value);
        if (Number.isNaN(at.getTime())) {
          showError("Choose a date and time to send it at.");
          submit.disabled = false;
          return;
        }
        payload.send_at = at.toISOString();
        try {
          const s = await api("POST", direct
            ? `/api/v1/chat/direct/${otherId}/messages`
            : `/api/v1/chat/rooms/${roomId}/messages`, payload);
          body.value = "";
          sendAt.value = "";
          grow();
          endReply();
          files.clear();
          showNotice(s.send_at);
        } catch (err) {
          showError(errorText(err));
        } finally {
          submit.disabled = false;
          body.focus();
        }
        return;
      }
      try {
        const frame = direct
          ? { type: "send_direct_message", to: otherId, ...payload }
          : { type: "send_message", room_id: roomId, ...payload };
        const m = await act(frame, () => api("POST", direct
          ? `/api/v1/chat/direct/${otherId}/messages`
          : `/api/v1/chat/rooms/${roomId}/messages`, payload));
        typing(false);
        body.value = "";
        grow();
        endReply();
        files.clear();
        adoptRoom(m.room_id);
        if (atLatest) {
          put(m, { fresh: true });
          localTimes(list);
          toBottom();
          updateSeen();
          lastMarked = m.id;
        } else {
          window.location.assign(`${path}#m-${m.id}`);
        }
      } catch (err) {
        showError(errorText(err));
      } finally {
        submit.disabled = false;
        body.focus();
      }
    });
  }

  // ---- start ----

  updateSeen();
  markRead();
  return { owns };
}
