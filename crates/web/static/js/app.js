// Progressive enhancement only: every page works without this file.

// Theme toggle: switch at once and remember it in the cookie the server reads.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-theme-toggle]");
  if (!button) return;
  event.preventDefault();
  const root = document.documentElement;
  const current = root.dataset.theme === "system"
    ? (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light")
    : root.dataset.theme;
  const next = current === "dark" ? "light" : "dark";
  root.dataset.theme = next;
  document.cookie = `vt_theme=${next}; Path=/; Max-Age=31536000; SameSite=Lax`;
  button.value = next === "dark" ? "light" : "dark";
  button.setAttribute("aria-label", `Switch to ${button.value} theme`);
});

// Dismissible toasts.
document.addEventListener("click", (event) => {
  const close = event.target.closest("[data-dismiss]");
  if (close) close.parentElement.remove();
});

// Confirmation before destructive actions: <form data-confirm="Really?">.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// Close the account menu when focus or a click leaves it, and on Escape.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  document.querySelectorAll("details.menu[open]").forEach((d) => {
    d.open = false;
    d.querySelector("summary")?.focus();
  });
});
document.addEventListener("click", (event) => {
  document.querySelectorAll("details.menu[open]").forEach((d) => {
    if (!d.contains(event.target)) d.open = false;
  });
});
