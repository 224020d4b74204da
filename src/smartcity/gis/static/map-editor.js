// Staff map editor: the chosen layer as vector tiles; a click opens the feature under it in the form;
// a selected point can be dragged to a new position (fills the longitude and latitude fields).
(function () {
  "use strict";
  var picker = document.getElementById("layer-select");
  if (picker) { picker.addEventListener("change", function () { picker.form.submit(); }); }
  var container = document.getElementById("edit-map");
  if (!container || typeof maplibregl === "undefined") { return; }
  var slug = container.dataset.layer;
  var feature = container.dataset.feature ? JSON.parse(container.dataset.feature) : null;
  var map = window.SmartCityMap.create(container, { zoom: 14 });
  window.editorMap = map;
  window.SmartCityMap.markDrawn(map, container, ["fill", "line", "point"]);

  function bounds(geometry) {
    var b = new maplibregl.LngLatBounds();
    (function walk(c) { if (typeof c[0] === "number") { b.extend(c); } else { c.forEach(walk); } }(geometry.coordinates));
    return b;
  }

  map.on("load", function () {
    if (slug && container.dataset.published === "true") {
      map.addSource("layer", { type: "vector", minzoom: 0, maxzoom: 18, tiles: [window.location.origin +
        "/ogc/collections/" + slug + "/tiles/WebMercatorQuad/{z}/{y}/{x}"] });
      map.addLayer({ id: "fill", type: "fill", source: "layer", "source-layer": slug, filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "fill-color": "#6fa8dc", "fill-opacity": 0.25 } });
      map.addLayer({ id: "line", type: "line", source: "layer", "source-layer": slug, paint: { "line-color": "#1c4587", "line-width": 1 } });
      map.addLayer({ id: "point", type: "circle", source: "layer", "source-layer": slug, filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 4, "circle-color": "#1c4587" } });
    }
    if (feature) {
      map.addSource("selected", { type: "geojson", data: { type: "Feature", geometry: feature, properties: {} } });
      map.addLayer({ id: "selected", type: "line", source: "selected", paint: { "line-color": "#d00000", "line-width": 3 } });
      var box = bounds(feature);
      map.jumpTo({ center: box.getCenter(), zoom: feature.type === "Point" ? 18 : 17 });
      if (feature.type === "Point") {
        var marker = new maplibregl.Marker({ draggable: true, color: "#d00000" }).setLngLat(feature.coordinates).addTo(map);
        marker.on("dragend", function () {
          var p = marker.getLngLat();
          document.getElementById("lon").value = p.lng.toFixed(7);
          document.getElementById("lat").value = p.lat.toFixed(7);
        });
        window.editorMarker = marker;
      }
    }
    map.on("click", function (e) {
      if (!map.getLayer("fill")) { return; }
      var hits = map.queryRenderedFeatures(e.point, { layers: ["fill", "line", "point"] });
      if (hits.length && hits[0].properties.fid) {
        window.location.search = "?layer=" + encodeURIComponent(slug) + "&id=" + encodeURIComponent(hits[0].properties.fid);
      }
    });
    container.dataset.ready = "true";
  });
}());
