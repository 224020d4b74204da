// Staff device list (/can-bo/thiet-bi): the listed devices on the offline base map (base-map.js), coloured by
// type (red when in alarm); a click opens the device. The points come in <script type="application/json">.
(function () {
  "use strict";
  var box = document.getElementById("iot-map");
  var points = document.getElementById("device-points");
  if (!box || !points || typeof maplibregl === "undefined") { return; }
  var data = JSON.parse(points.textContent);
  var colours = JSON.parse(box.dataset.colours || "{}");
  var byType = ["match", ["get", "type"]];
  Object.keys(colours).forEach(function (type) { byType.push(type, colours[type]); });
  byType.push(box.dataset.otherColour || "#546e7a");
  var map = window.SmartCityMap.create(box, { center: [106.66, 10.98], zoom: 12 });
  window.iotMap = map;
  window.SmartCityMap.markDrawn(map, box, ["devices"]);
  map.on("load", function () {
    map.addSource("devices", { type: "geojson", data: data });
    map.addLayer({ id: "devices", type: "circle", source: "devices", paint: {
      "circle-radius": 5, "circle-stroke-width": 1, "circle-stroke-color": "#fff",
      "circle-color": ["case", ["get", "alarm"], box.dataset.alarmColour || "#d93025", byType] } });
    if (data.features.length) {
      var b = new maplibregl.LngLatBounds();
      data.features.forEach(function (f) { b.extend(f.geometry.coordinates); });
      map.fitBounds(b, { padding: 30, maxZoom: 16, animate: false });
    }
    map.on("click", "devices", function (e) { window.location = "/can-bo/thiet-bi/" + encodeURIComponent(e.features[0].properties.id); });
    box.dataset.ready = "true";
    box.dataset.count = String(data.features.length);
  });
}());
