// Shared by every map page: the offline base map (real district boundaries and the city's streets layer,
// from /api/v1/gis/base-map.geojson, never a tile server on the internet unless a style URL is configured),
// and the marker `data-map-drawn` (ms since navigation start) set when the page's own layers have drawn.
(function () {
  "use strict";
  var BASE_URL = "/api/v1/gis/base-map.geojson";
  var kind = ["get", "kind"];

  function attributionLine(container) {
    var scope = container.closest("[data-map-scope]") || document;
    return scope.querySelector(".map-attribution");
  }

  function attributionOf(container) {
    var line = attributionLine(container);
    return line ? line.textContent.trim() : "";
  }

  function style(container) {
    if (container.dataset.styleUrl) { return container.dataset.styleUrl; }  // an online base map, if configured
    return { version: 8, sources: { base: { type: "geojson", data: window.location.origin + BASE_URL,
      attribution: attributionOf(container) } }, layers: [
      { id: "base-background", type: "background", paint: { "background-color": "#e8edf2" } },
      { id: "base-districts", type: "fill", source: "base", filter: ["==", kind, "district"], paint: { "fill-color": "#f1efe8" } },
      { id: "base-city", type: "fill", source: "base", filter: ["==", kind, "city"], paint: { "fill-color": "#fbfaf6" } },
      { id: "base-district-lines", type: "line", source: "base", filter: ["==", kind, "district"], paint: { "line-color": "#9aa5b1", "line-width": 1, "line-dasharray": [4, 2] } },
      { id: "base-street-casing", type: "line", source: "base", filter: ["==", kind, "street"], minzoom: 13,
        paint: { "line-color": "#c3c8cf", "line-width": ["interpolate", ["linear"], ["zoom"], 13, 2.5, 18, 14] } },
      { id: "base-streets", type: "line", source: "base", filter: ["==", kind, "street"],
        paint: { "line-color": ["step", ["zoom"], "#c3c8cf", 13, "#ffffff"], "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.4, 13, 1.5, 18, 11] } },
      { id: "base-city-line", type: "line", source: "base", filter: ["==", kind, "city"], paint: { "line-color": "#0b5394", "line-width": 2 } }
    ] };
  }

  // MapLibre's own control titles (its defaults are English), for pages in Vietnamese.
  var VIETNAMESE_CONTROLS = {
    "AttributionControl.ToggleAttribution": "Hiện/ẩn nguồn dữ liệu",
    "AttributionControl.MapFeedback": "Góp ý về bản đồ",
    "CooperativeGesturesHandler.WindowsHelpText": "Giữ Ctrl và cuộn để phóng to, thu nhỏ bản đồ",
    "CooperativeGesturesHandler.MacHelpText": "Giữ ⌘ và cuộn để phóng to, thu nhỏ bản đồ",
    "CooperativeGesturesHandler.MobileHelpText": "Dùng hai ngón tay để di chuyển bản đồ",
    "FullscreenControl.Enter": "Xem toàn màn hình",
    "FullscreenControl.Exit": "Thoát toàn màn hình",
    "GeolocateControl.FindMyLocation": "Tìm vị trí của tôi",
    "GeolocateControl.LocationNotAvailable": "Không xác định được vị trí",
    "LogoControl.Title": "Biểu trưng MapLibre",
    "Map.Title": "Bản đồ",
    "NavigationControl.ResetBearing": "Kéo để xoay bản đồ, bấm để quay về hướng bắc",
    "NavigationControl.ZoomIn": "Phóng to",
    "NavigationControl.ZoomOut": "Thu nhỏ"
  };

  // Where the city's maps open (the page's <meta name="map-centre">, from the city pack); a page fits its
  // own data once loaded.
  function cityCentre() {
    var meta = document.querySelector('meta[name="map-centre"]');
    var parts = meta ? meta.content.split(",").map(Number) : [];
    return parts.length === 2 && parts.every(isFinite) ? parts : [0, 0];
  }

  // The sources are credited in the line under the map (the legend), outside the canvas; on the map itself
  // they sit folded behind MapLibre's "i" button, so they never cover the map's lower edge. MapLibre opens
  // a compact attribution when its text first arrives and folds it on the first drag: fold it at once.
  function foldAttribution(map, container) {
    function fold() {
      var control = container.querySelector(".maplibregl-ctrl-attrib.maplibregl-compact");
      if (!control) { return; }
      map.off("sourcedata", fold);
      control.classList.remove("maplibregl-compact-show");
    }
    map.on("sourcedata", fold);
  }

  function create(container, options) {
    var settings = { container: container, style: style(container), attributionControl: { compact: true },
      center: cityCentre() };
    if ((document.documentElement.lang || "vi").slice(0, 2) === "vi") { settings.locale = VIETNAMESE_CONTROLS; }
    Object.keys(options || {}).forEach(function (key) { settings[key] = options[key]; });
    var map = new maplibregl.Map(settings);
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
    foldAttribution(map, container);
    return map;
  }

  // Fit the map to GeoJSON (a collection or one feature): every coordinate of every geometry, without an
  // animation; nothing to fit leaves the view where it opened.
  function fitTo(map, geojson, options) {
    var bounds = new maplibregl.LngLatBounds();
    function walk(c) { if (typeof c[0] === "number") { bounds.extend(c); } else { c.forEach(walk); } }
    (geojson.features || [geojson]).forEach(function (f) { if (f.geometry) { walk(f.geometry.coordinates); } });
    if (!bounds.isEmpty()) { map.fitBounds(bounds, Object.assign({ padding: 30, animate: false }, options)); }
  }

  function markDrawn(map, container, layers) {
    function done() {
      var present = layers.filter(function (id) { return map.getLayer(id); });
      if (!present.length) { return; }
      map.off("idle", done);
      container.dataset.mapFeatures = String(map.queryRenderedFeatures({ layers: present }).length);
      container.dataset.mapDrawn = String(Math.round(performance.now()));
    }
    map.on("idle", done);
  }

  // A map to pick one place on: a click moves the pin and fills the longitude and latitude inputs (six
  // decimals, about 10 cm) and calls `onPick`; a place already typed shows as the pin once the map loads.
  function pickPoint(map, lon, lat, onPick) {
    var marker = new maplibregl.Marker({ color: "#c0392b" });
    map.on("load", function () {
      if (lat.value && lon.value) { marker.setLngLat([Number(lon.value), Number(lat.value)]).addTo(map); }
    });
    map.on("click", function (e) {
      lat.value = e.lngLat.lat.toFixed(6);
      lon.value = e.lngLat.lng.toFixed(6);
      marker.setLngLat(e.lngLat).addTo(map);
      if (onPick) { onPick(e.lngLat); }
    });
  }

  window.SmartCityMap = { style: style, create: create, fitTo: fitTo, markDrawn: markDrawn, pickPoint: pickPoint };
}());
