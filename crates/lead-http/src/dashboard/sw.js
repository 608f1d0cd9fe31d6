// The dashboard's service worker (scope /app/): shows the push messages the server sends to
// this device — even with no dashboard tab open — and, on a click, brings the record up in an
// open dashboard tab or in a new one. It caches nothing: the dashboard is always live.
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

self.addEventListener("push", (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch (error) {
    message = { body: event.data ? event.data.text() : "" };
  }
  const title = message.title || "CRM";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: message.body || "",
      tag: message.tag || undefined,
      lang: "de",
      icon: "/app/icon-192.png",
      badge: "/app/icon-192.png",
      data: { url: message.url || "/app/orders" },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  // Only a page of this dashboard: the message names a path, never another site.
  const target = new URL(event.notification.data && event.notification.data.url || "/app/orders", self.location.origin);
  const url = target.origin === self.location.origin && target.pathname.startsWith("/app/") ? target.href : "/app/orders";
  event.waitUntil(
    (async () => {
      const tabs = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const tab = tabs.find((client) => new URL(client.url).pathname.startsWith("/app/"));
      if (tab) {
        await tab.focus();
        return tab.navigate(url).catch(() => self.clients.openWindow(url));
      }
      return self.clients.openWindow(url);
    })(),
  );
});
