// MS5 Andon push service worker: shows the notification and opens the board on click.
self.addEventListener("push", (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = { title: "Andon", body: event.data && event.data.text() }; }
  event.waitUntil(self.registration.showNotification(data.title || "Andon", {
    body: data.body || "", tag: data.tag, renotify: true, requireInteraction: !!data.sound, data: { url: data.url || "/" },
  }));
});
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(clients.openWindow(event.notification.data.url));
});
