// The driver app's service worker: shows SmartParking's push messages ({title, body, url}) and opens the message's
// page when the notification is clicked. Only pages of this site are opened.

self.addEventListener("push", event => {
    let message = {};
    try {
        message = event.data ? event.data.json() : {};
    } catch {
        message = { body: event.data ? event.data.text() : "" };
    }
    event.waitUntil(self.registration.showNotification(message.title || "SmartParking", {
        body: message.body || "",
        data: { url: message.url || "/" },
    }));
});

self.addEventListener("notificationclick", event => {
    event.notification.close();
    const target = new URL(event.notification.data?.url || "/", self.location.origin);
    const url = target.origin === self.location.origin ? target.href : self.location.origin + "/";
    event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(windows => {
        const open = windows.find(w => w.url === url);
        return open ? open.focus() : self.clients.openWindow(url);
    }));
});
