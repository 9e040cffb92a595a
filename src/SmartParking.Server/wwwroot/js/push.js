// Web Push on this device for the "My parking" page: the service worker, the browser's permission and its push
// subscription. Each function answers { state, endpoint, p256dh, auth } with state "on", "off", "blocked" or
// "unsupported"; the page keeps the server's copy of the subscription in step.

const scope = "/";

function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

function describe(subscription) {
    if (!subscription) return { state: Notification.permission === "denied" ? "blocked" : "off" };
    const json = subscription.toJSON();
    return { state: "on", endpoint: json.endpoint, p256dh: json.keys?.p256dh, auth: json.keys?.auth };
}

function fromBase64Url(text) {
    const base64 = text.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(text.length / 4) * 4, "=");
    return Uint8Array.from(atob(base64), c => c.charCodeAt(0));
}

async function currentSubscription() {
    const registration = await navigator.serviceWorker.getRegistration(scope);
    return registration ? await registration.pushManager.getSubscription() : null;
}

export async function state() {
    if (!supported()) return { state: "unsupported" };
    return describe(await currentSubscription());
}

export async function subscribe(publicKey) {
    if (!supported()) return { state: "unsupported" };
    await navigator.serviceWorker.register("/sw.js", { scope });
    const permission = await Notification.requestPermission();
    if (permission !== "granted") return { state: permission === "denied" ? "blocked" : "off" };
    const registration = await navigator.serviceWorker.ready;
    const existing = await registration.pushManager.getSubscription();
    if (existing) return describe(existing);
    return describe(await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(publicKey) }));
}

/** Unsubscribes this browser; answers the endpoint it had, for the server to forget. */
export async function unsubscribe() {
    if (!supported()) return null;
    const subscription = await currentSubscription();
    if (!subscription) return null;
    const endpoint = subscription.endpoint;
    await subscription.unsubscribe();
    return endpoint;
}
