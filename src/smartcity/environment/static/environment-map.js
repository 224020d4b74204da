// Environment overview: air-quality stations and water-level gauges on the offline base map (base-map.js), each
// with its colour from the view (VN_AQI band, gauge state), which also gives the legend; a click opens the station.
(function () {
  "use strict";
  var box = document.getElementById("env-map");
  if (!box || typeof maplibregl === "undefined") { return; }
  var data = JSON.parse(document.getElementById("env-points").textContent);
  var map = window.SmartCityMap.create(box, { zoom: 12 });
  window.SmartCityMap.markDrawn(map, box, ["stations"]);
  map.on("load", function () {
    map.addSource("stations", { type: "geojson", data: data });
    map.addLayer({ id: "stations", type: "circle", source: "stations", paint: {
      "circle-radius": ["match", ["get", "kind"], "air", 11, 7], "circle-stroke-width": 2, "circle-stroke-color": "#333",
      "circle-color": ["get", "colour"] } });
    window.SmartCityMap.fitTo(map, data, { padding: 40, maxZoom: 15 });
    map.on("click", "stations", function (e) { window.location = "/moi-truong/tram/" + encodeURIComponent(e.features[0].properties.id); });
    box.dataset.ready = "true";
  });
})();
