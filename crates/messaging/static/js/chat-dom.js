// Small DOM and text helpers shared by the chat modules.

import { ApiError, csrfToken } from "./realtime.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false || v == null) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("data-") || k.startsWith("aria-") || ["role", "title", "href", "type", "name", "value", "form", "datetime", "id", "for", "rel", "target", "alt", "src", "loading", "method", "action", "download"].includes(k)) {
      node.setAttribute(k, v === true ? "" : String(v));
    } else {
      node[k] = v;
    }
  }
  for (const c of children) if (c != null) node.append(c);
  return node;
}

export function csrfInput() {
  return el("input", { type: "hidden", name: "csrf_token", value: csrfToken() });
}

export function plain(text, max) {
  const flat = (text || "").split(/\s+/).filter(Boolean).join(" ");
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

export function errorText(err) {
  if (err instanceof ApiError) {
    const field = err.fields && err.fields[0];
    if (field && field.message) return `${err.message.replace(/\.$/, "")}: ${field.field} ${field.message}.`;
    return err.message;
  }
  return "Something went wrong. Try again.";
}

export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
