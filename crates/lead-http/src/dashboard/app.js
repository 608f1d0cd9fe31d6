// The dashboard's script: the live bell, the service worker, and push on this device.
// New notifications arrive over Server-Sent Events; the count goes up, the newest appear in
// the bell's list, and a list on the page that shows leads (inbox, tickets, notifications) is
// refreshed in place — no reload. The service worker (sw.js) shows push messages even when no
// dashboard tab is open; the settings page turns them on for this device.
"use strict";

// The service worker, on every page of the dashboard: it must be there for a push to show.
const worker = "serviceWorker" in navigator
  ? navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" })
  : Promise.reject(new Error("no service worker"));
worker.catch(() => {});

// The settings page: „Push auf diesem Gerät aktivieren“.
(function () {
  const button = document.getElementById("push-enable");
  const status = document.getElementById("push-status");
  if (!button || !status) return;
  const say = (text) => { status.textContent = text; };
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("Dieser Browser unterstützt keine Push-Benachrichtigungen (auf dem iPhone: erst zum Home-Bildschirm hinzufügen).");
    return;
  }
  const key = button.dataset.key;
  if (!key) {
    say("Push-Benachrichtigungen sind auf diesem Server nicht eingerichtet.");
    return;
  }
  button.hidden = false;
  const fromBase64Url = (text) => {
    const padded = (text + "===".slice((text.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  };
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      // The browser asks for permission only now, on this click.
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        say("Sie haben Benachrichtigungen für diese Seite nicht erlaubt; ändern Sie das in den Einstellungen des Browsers.");
        return;
      }
      const registration = await worker.then(() => navigator.serviceWorker.ready);
      const subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: fromBase64Url(key),
      });
      const json = subscription.toJSON();
      const form = new URLSearchParams({
        csrf: button.dataset.csrf,
        endpoint: json.endpoint,
        p256dh: json.keys.p256dh,
        auth: json.keys.auth,
      });
      const response = await fetch("/app/settings/push", { method: "POST", body: form, credentials: "same-origin" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      location.reload();
    } catch (error) {
      say(`Push konnte nicht aktiviert werden: ${error.message}`);
    } finally {
      button.disabled = false;
    }
  });
})();

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

  // A stream the server ends (too old, a stop) is reopened by the browser itself, after the
  // last event it saw. One refused outright (503: too many streams open) is not: tried again
  // here, a little later each time.
  let delay = 5000;
  function listen() {
    const events = new EventSource("/app/notifications/stream");
    events.addEventListener("notification", (event) => {
      delay = 5000;
      show(event);
    });
    events.addEventListener("error", () => {
      if (events.readyState !== EventSource.CLOSED) return;
      setTimeout(listen, delay + Math.random() * delay);
      delay = Math.min(delay * 2, 120000);
    });
  }
  listen();

  function show(event) {
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
  }
})();
