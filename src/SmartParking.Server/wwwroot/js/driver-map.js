// The driver page's map: Leaflet (loaded on demand from the configured base URL) with OpenStreetMap tiles.
// Failing to load Leaflet is an expected state (offline), not an error: init() resolves "unavailable" and the page
// says so, and nothing here logs to the console.

let map = null;
let layer = null;
let here = null;
const markers = new Map();
const colours = { "occ-ok": "#1a7f37", "occ-low": "#9a5b00", "occ-full": "#b42318", "occ-none": "#5c6670" };

function load(tag, attributes) {
    return new Promise((resolve, reject) => {
        const element = document.createElement(tag);
        for (const [name, value] of Object.entries(attributes)) {
            if (value) element.setAttribute(name, value);
        }
        element.addEventListener("load", () => resolve());
        element.addEventListener("error", () => { element.remove(); reject(new Error(`${tag} did not load`)); });
        document.head.appendChild(element);
    });
}

async function loadLeaflet(options) {
    if (window.L) return;
    const base = options.leafletBaseUrl.endsWith("/") ? options.leafletBaseUrl : options.leafletBaseUrl + "/";
    // crossorigin is needed for the integrity check on another origin.
    await Promise.all([
        load("link", { rel: "stylesheet", href: base + "leaflet.css", integrity: options.cssIntegrity, crossorigin: "anonymous" }),
        load("script", { src: base + "leaflet.js", integrity: options.scriptIntegrity, crossorigin: "anonymous" }),
    ]);
    if (!window.L) throw new Error("Leaflet did not define L");
}

export async function init(element, options) {
    try {
        await loadLeaflet(options);
    } catch {
        return "unavailable";
    }
    map = window.L.map(element, { keyboard: true, zoomControl: true }).setView([options.latitude, options.longitude], 14);
    window.L.tileLayer(options.tileUrl, { attribution: options.attribution, maxZoom: 19 }).addTo(map);
    layer = window.L.layerGroup().addTo(map);
    return "ready";
}

export function show(centre, results, fit) {
    if (!map) return;
    const seen = new Set();
    for (const r of results) {
        seen.add(r.id);
        const style = { radius: 10, color: "#ffffff", weight: 2, fillColor: colours[r.level] ?? colours["occ-none"], fillOpacity: 0.95 };
        let marker = markers.get(r.id);
        if (!marker) {
            marker = window.L.circleMarker([r.latitude, r.longitude], style).addTo(layer);
            markers.set(r.id, marker);
        } else {
            marker.setStyle(style);
        }
        // Text, not only colour: the tooltip and popup say how many spaces are free.
        marker.bindTooltip(r.label);
        marker.bindPopup(r.label);
    }
    for (const [id, marker] of markers) {
        if (!seen.has(id)) { layer.removeLayer(marker); markers.delete(id); }
    }
    if (here) { layer.removeLayer(here); here = null; }
    if (centre) {
        here = window.L.circleMarker([centre.latitude, centre.longitude], { radius: 6, color: "#0b4f8a", weight: 3, fillColor: "#ffffff", fillOpacity: 1 })
            .bindTooltip(centre.name).addTo(layer);
    }
    if (fit) {
        const points = results.map(r => [r.latitude, r.longitude]);
        if (centre) points.push([centre.latitude, centre.longitude]);
        if (points.length > 1) map.fitBounds(points, { padding: [24, 24], maxZoom: 17 });
        else if (points.length === 1) map.setView(points[0], 16);
    }
}

export function focusLot(id) {
    const marker = markers.get(id);
    if (!map || !marker) return;
    map.setView(marker.getLatLng(), Math.max(map.getZoom(), 16));
    marker.openPopup();
}

export function geolocate() {
    return new Promise(resolve => {
        if (!navigator.geolocation) {
            resolve({ ok: false, error: "This browser cannot share its location. Type a place instead." });
            return;
        }
        navigator.geolocation.getCurrentPosition(
            position => resolve({ ok: true, latitude: position.coords.latitude, longitude: position.coords.longitude }),
            failure => resolve({
                ok: false,
                error: failure.code === 1
                    ? "Location access was refused. Allow it in the browser, or type a place instead."
                    : "Your location could not be found. Type a place instead.",
            }),
            { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 });
    });
}
