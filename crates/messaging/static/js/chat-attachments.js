// Attachments in the composer: files uploaded to the files API with a progress bar.

import { csrfToken } from "./realtime.js";
import { el, formatSize } from "./chat-dom.js";

// ---------------------------------------------------------------------------------------------
// Attachments: a file input and drop (or paste) on the composer; each file is uploaded at once
// with its progress shown, and sent with the message as `attachments: [ids]`.

export function attachments(composer) {
  const box = composer.querySelector("[data-files]");
  const picker = composer.querySelector("[data-attach]");
  const input = composer.querySelector("[data-file-input]");
  const uploads = new Set();
  if (!box || !picker || !input) return { busy: () => false, ids: () => [], clear() {} };
  picker.hidden = false;

  function upload(file) {
    const remove = el("button", { type: "button", title: "Remove", "aria-label": `Remove ${file.name}`, text: "×" });
    const bar = el("progress", { class: "meter", max: 100, value: 0, "aria-label": `Uploading ${file.name}` });
    const note = el("span", { class: "muted", text: "0%" });
    const chip = el("div", { class: "upload", "data-upload": true },
      el("div", { class: "upload-head" }, el("span", { class: "upload-name", title: file.name, text: file.name }), remove), bar, note);
    const item = { chip, id: null, done: false, xhr: new XMLHttpRequest() };
    uploads.add(item);
    box.hidden = false;
    box.append(chip);
    remove.addEventListener("click", () => {
      item.xhr.abort();
      uploads.delete(item);
      chip.remove();
      box.hidden = uploads.size === 0;
    });
    const xhr = item.xhr;
    xhr.open("POST", "/api/v1/files");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken());
    xhr.setRequestHeader("Accept", "application/json");
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (event) => {
      if (!event.lengthComputable) return;
      const pct = Math.round((event.loaded / event.total) * 100);
      bar.value = pct;
      note.textContent = `${pct}%`;
    });
    const fail = (text) => {
      item.done = true;
      bar.remove();
      note.className = "upload-error";
      note.textContent = text;
      chip.dataset.failed = "";
    };
    xhr.addEventListener("load", () => {
      const res = xhr.response;
      if (xhr.status === 201 && res && res.status === "success") {
        item.id = res.data.id;
        item.done = true;
        bar.value = 100;
        note.textContent = `${formatSize(res.data.size)} · ready`;
        chip.dataset.fileId = res.data.id;
      } else {
        fail((res && res.error && res.error.message) || `Upload failed (${xhr.status}).`);
      }
    });
    xhr.addEventListener("error", () => fail("Upload failed: check your connection."));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  }

  input.addEventListener("change", () => {
    for (const f of input.files) upload(f);
    input.value = "";
  });
  composer.addEventListener("dragover", (event) => {
    if (![...(event.dataTransfer?.types || [])].includes("Files")) return;
    event.preventDefault();
    composer.classList.add("dragging");
  });
  composer.addEventListener("dragleave", () => composer.classList.remove("dragging"));
  composer.addEventListener("drop", (event) => {
    composer.classList.remove("dragging");
    if (!event.dataTransfer?.files?.length) return;
    event.preventDefault();
    for (const f of event.dataTransfer.files) upload(f);
  });
  composer.addEventListener("paste", (event) => {
    const pasted = event.clipboardData?.files;
    if (pasted && pasted.length) {
      event.preventDefault();
      for (const f of pasted) upload(f);
    }
  });

  return {
    busy: () => [...uploads].some((u) => !u.done),
    ids: () => [...uploads].filter((u) => u.id).map((u) => u.id),
    clear() {
      for (const u of uploads) u.chip.remove();
      uploads.clear();
      box.hidden = true;
    },
  };
}
