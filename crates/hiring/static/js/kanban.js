// Pipeline kanban: drag-and-drop of cards between stages (progressive enhancement over the move form).
//
// Every card carries its own move form (a stage select and a Move button): that form is the
// no-JS path, and this module posts the very same form with fetch (CSRF token included), asking
// for JSON, so the rules stay the server's. A card moves at once and goes back where it was if
// the server refuses. Keyboard: focus a card, then ← / → (or [ / ]) move it to the previous or
// next stage, ↑ / ↓ go to the card above or below; every result is announced in #kanban-status.

const board = document.querySelector("[data-kanban]");
if (board) init(board);

function init(board) {
  const status = document.getElementById("kanban-status");
  const columns = () => [...board.querySelectorAll("[data-column]")];
  const columnOf = (card) => card.closest("[data-column]");
  const listOf = (column) => column.querySelector("[data-dropzone]");
  const formOf = (card) => card.querySelector("form[data-move-form]");

  function announce(message) {
    if (!status) return;
    // Clear first so the same words twice are read twice.
    status.textContent = "";
    window.setTimeout(() => { status.textContent = message; }, 50);
  }

  function toast(message) {
    const box = document.querySelector(".toasts");
    if (!box) return;
    const t = document.createElement("div");
    t.className = "toast toast-error";
    t.setAttribute("role", "alert");
    const text = document.createElement("span");
    text.textContent = message;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.dataset.dismiss = "";
    close.setAttribute("aria-label", "Dismiss");
    close.textContent = "×";
    t.append(text, close);
    box.append(t);
  }

  function updateCounts() {
    for (const column of columns()) {
      const count = column.querySelector("[data-count]");
      if (count) count.textContent = String(column.querySelectorAll("[data-card]").length);
    }
  }

  async function move(card, to, { focus = false } = {}) {
    const form = formOf(card);
    const from = columnOf(card);
    if (!form || !to || to === from || card.getAttribute("aria-busy") === "true") return;
    const select = form.querySelector("select[name=stage_id]");
    const name = card.dataset.name || "The application";
    const fromList = listOf(from);
    const next = card.nextElementSibling;
    const before = card.dataset.stageId;

    listOf(to).prepend(card);
    card.setAttribute("aria-busy", "true");
    card.classList.add("is-moving");
    updateCounts();
    if (focus) card.focus();
    select.value = to.dataset.stageId;
    try {
      const res = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      let body = null;
      try { body = await res.json(); } catch { body = null; }
      if (!res.ok) {
        const reason = body?.error?.message
          || (res.status === 403 ? "this page has expired, reload it and try again" : `the server answered ${res.status}`);
        throw new Error(reason);
      }
      card.dataset.stageId = to.dataset.stageId;
      const days = card.querySelector("[data-days]");
      if (days) days.textContent = "0 days in stage";
      announce(`${name} moved to ${to.dataset.stageName}.`);
    } catch (err) {
      select.value = before;
      fromList.insertBefore(card, next && next.parentElement === fromList ? next : null);
      updateCounts();
      if (focus) card.focus();
      const message = `${name} could not be moved: ${err.message}`;
      announce(message);
      toast(message);
    } finally {
      card.removeAttribute("aria-busy");
      card.classList.remove("is-moving");
    }
  }

  // The move forms themselves: move in place instead of reloading the board.
  board.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-move-form]");
    const card = form?.closest("[data-card]");
    if (!card) return;
    const value = form.querySelector("select[name=stage_id]")?.value;
    const to = columns().find((c) => c.dataset.stageId === value);
    if (!to) return; // Not a column of this board: let the form post normally.
    event.preventDefault();
    if (to === columnOf(card)) {
      announce(`${card.dataset.name} is already in ${to.dataset.stageName}.`);
      return;
    }
    move(card, to, { focus: true });
  });

  // Drag and drop.
  for (const card of board.querySelectorAll("[data-card]")) {
    if (formOf(card)) card.draggable = true;
  }
  let dragged = null;
  const clearTargets = () => {
    for (const c of board.querySelectorAll(".is-target")) c.classList.remove("is-target");
  };
  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest?.("[data-card]");
    if (!card || !card.draggable) return;
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.appId);
    card.classList.add("is-dragging");
  });
  board.addEventListener("dragend", () => {
    dragged?.classList.remove("is-dragging");
    dragged = null;
    clearTargets();
  });
  board.addEventListener("dragover", (event) => {
    const column = event.target.closest?.("[data-column]");
    if (!dragged || !column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    if (!column.classList.contains("is-target")) {
      clearTargets();
      column.classList.add("is-target");
    }
  });
  board.addEventListener("dragleave", (event) => {
    const column = event.target.closest?.("[data-column]");
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("is-target");
  });
  board.addEventListener("drop", (event) => {
    const column = event.target.closest?.("[data-column]");
    if (!dragged || !column) return;
    event.preventDefault();
    const card = dragged;
    clearTargets();
    move(card, column);
  });

  // Keyboard.
  board.addEventListener("keydown", (event) => {
    const card = event.target.closest?.("[data-card]");
    if (!card || event.target !== card || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key === "ArrowUp" || event.key === "ArrowDown") {
      const cards = [...listOf(columnOf(card)).querySelectorAll("[data-card]")];
      const other = cards[cards.indexOf(card) + (event.key === "ArrowUp" ? -1 : 1)];
      if (other) {
        event.preventDefault();
        other.focus();
      }
      return;
    }
    let step = 0;
    if (event.key === "ArrowLeft" || event.key === "[") step = -1;
    else if (event.key === "ArrowRight" || event.key === "]") step = 1;
    else return;
    if (!formOf(card)) return;
    event.preventDefault();
    const all = columns();
    const to = all[all.indexOf(columnOf(card)) + step];
    if (!to) {
      announce(step < 0 ? `${card.dataset.name} is in the first stage.` : `${card.dataset.name} is in the last stage.`);
      return;
    }
    move(card, to, { focus: true });
  });
}
