// Staff device list (/can-bo/thiet-bi): every device the list's filter matches (not only the listed page) on
// the offline base map (base-map.js), coloured by type (red when in alarm); a click opens the device. The
// points come from the map's own address (data-src, GeoJSON).
(function () {
  "use strict";
  var box = document.getElementById("iot-map");
  if (!box || !box.dataset.src || typeof maplibregl === "undefined") { return; }
  var colours = JSON.parse(box.dataset.colours || "{}");
  var byType = ["match", ["get", "type"]];
  Object.keys(colours).forEach(function (type) { byType.push(type, colours[type]); });
  byType.push(box.dataset.otherColour || "#546e7a");
  var map = window.SmartCityMap.create(box, { zoom: 12 });
  window.iotMap = map;
  window.SmartCityMap.markDrawn(map, box, ["devices"]);
  var points = fetch(box.dataset.src, { credentials: "same-origin", headers: { Accept: "application/geo+json" } })
    .then(function (response) { return response.ok ? response.json() : Promise.reject(response.status); });
  map.on("load", function () {
    points.then(function (data) {
      map.addSource("devices", { type: "geojson", data: data });
      map.addLayer({ id: "devices", type: "circle", source: "devices", paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 11, 3, 16, 6],
        "circle-stroke-width": 1, "circle-stroke-color": "#fff",
        "circle-color": ["case", ["get", "alarm"], box.dataset.alarmColour || "#d93025", byType] } });
      window.SmartCityMap.fitTo(map, data, { maxZoom: 16 });
      map.on("click", "devices", function (e) {
        window.location = "/can-bo/thiet-bi/" + encodeURIComponent(e.features[0].properties.id);
      });
      map.on("mouseenter", "devices", function () { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", "devices", function () { map.getCanvas().style.cursor = ""; });
      box.dataset.count = String(data.features.length);
      box.dataset.ready = "true";
    }, function () { box.dataset.ready = "failed"; });
  });
}());
