// IoT device list: the devices on a map (colour by type, red when in alarm); a click opens the device.
(function () {
  "use strict";
  var box = document.getElementById("iot-map");
  if (!box || typeof maplibregl === "undefined") { return; }
  var data = JSON.parse(document.getElementById("device-points").textContent);
  var style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef2f6" } }] };
  var map = new maplibregl.Map({ container: box, style: style, center: [106.66, 10.98], zoom: 12, attributionControl: { compact: true } });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.on("load", function () {
    map.addSource("devices", { type: "geojson", data: data });
    map.addLayer({ id: "devices", type: "circle", source: "devices", paint: {
      "circle-radius": 5, "circle-stroke-width": 1, "circle-stroke-color": "#fff",
      "circle-color": ["case", ["get", "alarm"], "#d93025", ["match", ["get", "type"],
        "streetlight", "#f2b01e", "streetlight_cabinet", "#8e6c00", "waste_container", "#2e7d32",
        "traffic_flow", "#1565c0", "air_quality", "#6a1b9a", "#546e7a"]] } });
    if (data.features.length) {
      var b = new maplibregl.LngLatBounds();
      data.features.forEach(function (f) { b.extend(f.geometry.coordinates); });
      map.fitBounds(b, { padding: 30, maxZoom: 16, animate: false });
    }
    map.on("click", "devices", function (e) { window.location = "/can-bo/thiet-bi/" + encodeURIComponent(e.features[0].properties.id); });
    box.dataset.ready = "true";
    box.dataset.count = String(data.features.length);
  });
})();
