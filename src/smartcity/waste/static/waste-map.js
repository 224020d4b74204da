// Waste collection overview: containers (colour by fill), depots and the planned routes on the offline base map
// (base-map.js); every feature comes with its colour from the view, which also gives the legend.
(function () {
  "use strict";
  var box = document.getElementById("waste-map");
  if (!box || typeof maplibregl === "undefined") { return; }
  var data = JSON.parse(document.getElementById("waste-features").textContent);
  var map = window.SmartCityMap.create(box, { zoom: 13 });
  window.SmartCityMap.markDrawn(map, box, ["containers", "depots", "routes"]);
  map.on("load", function () {
    map.addSource("waste", { type: "geojson", data: data });
    map.addLayer({ id: "routes", type: "line", source: "waste", filter: ["==", ["get", "kind"], "route"], paint: { "line-color": ["get", "colour"], "line-width": 3 } });
    map.addLayer({ id: "containers", type: "circle", source: "waste", filter: ["==", ["get", "kind"], "container"], paint: { "circle-radius": 6, "circle-stroke-width": 1, "circle-stroke-color": "#333", "circle-color": ["get", "colour"] } });
    map.addLayer({ id: "depots", type: "circle", source: "waste", filter: ["==", ["get", "kind"], "depot"], paint: { "circle-radius": 8, "circle-color": ["get", "colour"] } });
    window.SmartCityMap.fitTo(map, data, { maxZoom: 15 });
    box.dataset.ready = "true";
  });
})();
