// Cameras overview: traffic and security cameras on the offline base map (base-map.js), coloured by kind (the
// colour comes with each camera from the view, which also gives the legend); a click opens the camera.
(function () {
  "use strict";
  var box = document.getElementById("camera-map");
  if (!box || typeof maplibregl === "undefined") { return; }
  var data = JSON.parse(document.getElementById("camera-points").textContent);
  var map = window.SmartCityMap.create(box, { zoom: 13 });
  window.SmartCityMap.markDrawn(map, box, ["cameras"]);
  map.on("load", function () {
    map.addSource("cameras", { type: "geojson", data: data });
    map.addLayer({ id: "cameras", type: "circle", source: "cameras", paint: { "circle-radius": 7, "circle-stroke-width": 1, "circle-stroke-color": "#fff", "circle-color": ["get", "colour"] } });
    window.SmartCityMap.fitTo(map, data, { padding: 40, maxZoom: 15 });
    map.on("click", "cameras", function (e) { window.location = "/can-bo/camera/" + encodeURIComponent(e.features[0].properties.id); });
    box.dataset.ready = "true";
  });
})();
