// Home page map: the city boundary and its (approximate) ward areas on the offline base map (base-map.js).
(function () {
  "use strict";
  var container = document.getElementById("map");
  if (!container || typeof maplibregl === "undefined") { return; }
  var t = JSON.parse(container.dataset.i18n || "{}");
  var on = container.dataset.on;
  var palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                 "#ff9da7", "#9c755f", "#bab0ac", "#86bcb6", "#d37295", "#a0cbe8", "#8cd17d"];
  var map = window.SmartCityMap.create(container, { zoom: 10.6 });  // base-map.js
  window.cityMap = map;
  window.SmartCityMap.markDrawn(map, container, ["ward-fill"]);

  function colourExpression(features) {
    var expr = ["match", ["get", "code"]];
    features.forEach(function (f, i) { expr.push(f.properties.code, palette[i % palette.length]); });
    expr.push("#cccccc");
    return expr;
  }

  map.on("load", function () {
    Promise.all([
      fetch("/api/v1/city/wards.geojson?on=" + encodeURIComponent(on)).then(function (r) { return r.json(); }),
      fetch("/api/v1/city/boundary").then(function (r) { return r.json(); })
    ]).then(function (results) {
      var wards = results[0], boundary = results[1];
      map.addSource("wards", { type: "geojson", data: wards });
      map.addSource("boundary", { type: "geojson", data: boundary });
      map.addLayer({ id: "ward-fill", type: "fill", source: "wards",
        paint: { "fill-color": colourExpression(wards.features), "fill-opacity": 0.45 } });
      map.addLayer({ id: "ward-line", type: "line", source: "wards",
        paint: { "line-color": "#ffffff", "line-width": 1.2, "line-dasharray": [2, 1] } });
      map.addLayer({ id: "boundary-line", type: "line", source: "boundary",
        paint: { "line-color": "#0b5394", "line-width": 2.5 } });
      window.SmartCityMap.fitTo(map, boundary, { padding: 20 });
      container.dataset.wardCount = String(wards.features.length);
      container.dataset.ready = "true";
      map.on("click", "ward-fill", function (e) {
        var p = e.features[0].properties;
        new maplibregl.Popup().setLngLat(e.lngLat).setHTML(
          "<strong>" + p.name + "</strong>" +
          (p.area_km2 ? "<br>" + (t.area || "") + ": " + Number(p.area_km2).toLocaleString("vi-VN", { maximumFractionDigits: 1 }) + " km²" : "") +
          "<br><em>" + (t.approximate || "") + "</em>").addTo(map);
      });
      map.on("mouseenter", "ward-fill", function () { map.getCanvas().style.cursor = "pointer"; });
      map.on("mouseleave", "ward-fill", function () { map.getCanvas().style.cursor = ""; });
    }).catch(function (err) {
      container.dataset.error = String(err);
    });
  });
})();
