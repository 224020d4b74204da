// Street lighting overview: the lights on the offline base map (base-map.js), coloured by state (the colour comes
// with each light from the view, which also gives the legend); a click opens the light's group.
(function () {
  "use strict";
  var box = document.getElementById("lighting-map");
  if (!box || typeof maplibregl === "undefined") { return; }
  var data = JSON.parse(document.getElementById("lighting-points").textContent);
  var map = window.SmartCityMap.create(box, { zoom: 13 });
  window.SmartCityMap.markDrawn(map, box, ["lights"]);
  map.on("load", function () {
    map.addSource("lights", { type: "geojson", data: data });
    map.addLayer({ id: "lights", type: "circle", source: "lights", paint: { "circle-radius": 5, "circle-stroke-width": 1, "circle-stroke-color": "#333", "circle-color": ["get", "colour"] } });
    window.SmartCityMap.fitTo(map, data, { maxZoom: 16 });
    map.on("click", "lights", function (e) { window.location = "/can-bo/chieu-sang/nhom/" + encodeURIComponent(e.features[0].properties.group); });
    box.dataset.ready = "true";
  });
})();
