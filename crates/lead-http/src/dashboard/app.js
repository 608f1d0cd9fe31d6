// The dashboard's only script: the live bell. New notifications arrive over Server-Sent
// Events; the count goes up, the newest appear in the bell's list, and a list on the page
// that shows leads (inbox, tickets, notifications) is refreshed in place — no reload.
"use strict";

(function () {
  const button = document.getElementById("bell-button");
  const panel = document.getElementById("bell-panel");
  const count = document.getElementById("bell-count");
  const list = document.getElementById("bell-list");
  if (!button || !panel || !count || !list) return;

  button.addEventListener("click", () => {
    const open = panel.hidden;
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && !panel.hidden) {
      panel.hidden = true;
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });

  async function refreshLiveList() {
    const live = document.querySelector("[data-live]");
    if (!live) return;
    const response = await fetch(location.href, { credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector(`[data-live="${live.dataset.live}"]`);
    if (fresh) live.replaceWith(fresh);
  }

  const events = new EventSource("/app/notifications/stream");
  events.addEventListener("notification", (event) => {
    const note = JSON.parse(event.data);
    if (!note.read) {
      const unread = Number(count.dataset.count || "0") + 1;
      count.dataset.count = String(unread);
      count.textContent = String(unread);
    }
    const item = document.createElement("li");
    item.className = note.read ? "" : "unread";
    item.textContent = note.text; // text, never HTML
    list.prepend(item);
    while (list.children.length > 8) list.lastElementChild.remove();
    refreshLiveList();
  });
})();
