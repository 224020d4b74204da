// The incidents page: the place of an incident opened by hand, picked on a map (base-map.js) that is drawn
// when the form is first opened (a map drawn inside a closed <details> would have no size).
(function () {
  "use strict";
  var form = document.getElementById("mo-su-co");
  var container = document.getElementById("incident-pick");
  if (!form || !container || typeof maplibregl === "undefined") { return; }
  var lon = form.querySelector("input[name=lon]"), lat = form.querySelector("input[name=lat]");

  function draw() {
    if (container.dataset.drawn) { return; }
    container.dataset.drawn = "true";
    var map = window.SmartCityMap.create(container, { zoom: 11.5 });
    window.incidentPickMap = map;
    window.SmartCityMap.pickPoint(map, lon, lat);
    map.on("load", function () { container.dataset.ready = "true"; });
  }

  if (form.open) { draw(); }
  form.addEventListener("toggle", function () { if (form.open) { draw(); } });
}());
