// Waste collection overview: containers (colour by fill), depots and the planned routes on a map.
(function () {
  "use strict";
  var box = document.getElementById("waste-map");
  if (!box || typeof maplibregl === "undefined") { return; }
  var data = JSON.parse(document.getElementById("waste-features").textContent);
  var style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef2f6" } }] };
  var map = new maplibregl.Map({ container: box, style: style, center: [106.66, 10.98], zoom: 13, attributionControl: { compact: true } });
  map.on("load", function () {
    map.addSource("waste", { type: "geojson", data: data });
    map.addLayer({ id: "routes", type: "line", source: "waste", filter: ["==", ["get", "kind"], "route"], paint: { "line-color": ["get", "colour"], "line-width": 3 } });
    map.addLayer({ id: "containers", type: "circle", source: "waste", filter: ["==", ["get", "kind"], "container"], paint: { "circle-radius": 6, "circle-stroke-width": 1, "circle-stroke-color": "#333", "circle-color": ["get", "colour"] } });
    map.addLayer({ id: "depots", type: "circle", source: "waste", filter: ["==", ["get", "kind"], "depot"], paint: { "circle-radius": 8, "circle-color": "#000" } });
    var b = new maplibregl.LngLatBounds();
    data.features.forEach(function (f) { if (f.geometry.type === "Point") { b.extend(f.geometry.coordinates); } });
    if (!b.isEmpty()) { map.fitBounds(b, { padding: 30, maxZoom: 15, animate: false }); }
    box.dataset.ready = "true";
  });
})();
