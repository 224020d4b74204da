// Public planning map: on the offline base map (base-map.js: districts and streets), zones, parcels and
// buildings as vector tiles (OGC API - Tiles), wards, permits and businesses from the OGC API Features (by
// visible box); click a point for its planning information and the PDF sheet.
(function () {
  "use strict";
  var container = document.getElementById("plan-map");
  if (!container || typeof maplibregl === "undefined") { return; }
  var lang = container.dataset.lang || "vi";
  var panel = document.getElementById("plan-info");
  var codes = JSON.parse(container.dataset.codes || "[]"), palette = JSON.parse(container.dataset.colours || "[]");
  var colours = ["match", ["get", "land_use_code"]];
  codes.forEach(function (code, i) { colours.push(code, palette[i]); });
  colours.push("#dddddd");  // the legend on the page is drawn from the same table
  var empty = { type: "FeatureCollection", features: [] };
  var map = window.SmartCityMap.create(container, { zoom: 14 });
  window.planningMap = map;
  window.SmartCityMap.markDrawn(map, container, ["zones", "permits"]);

  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }

  function items(collection, limit) {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); });
    return fetch("/ogc/collections/" + collection + "/items?f=json&limit=" + limit + "&bbox=" + bbox.join(","))
      .then(function (r) { return r.ok ? r.json() : empty; });
  }

  function refresh() {
    items("construction-permits", 500).then(function (d) { map.getSource("permits").setData(d); });
    items("household-businesses", 500).then(function (d) { map.getSource("businesses").setData(d); });
    container.dataset.ready = "true";
  }

  function tiles(collection, minzoom) {
    return { type: "vector", minzoom: minzoom, maxzoom: 18, tiles: [window.location.origin + "/ogc/collections/" +
      collection + "/tiles/WebMercatorQuad/{z}/{y}/{x}"] };
  }

  function show(query, info) {
    // The panel is written by the server (words, Vietnamese numbers); the map only highlights the parcel.
    fetch("/ban-do-quy-hoach/thong-tin?" + query + "&lang=" + encodeURIComponent(lang))
      .then(function (r) { return r.text(); })
      .then(function (html) { panel.innerHTML = html; });
    var geometry = info && info.parcel ? info.parcel.geometry : null;
    map.getSource("selected").setData(geometry ? { type: "Feature", geometry: geometry, properties: {} } : empty);
  }

  function lookup(query) {
    return fetch("/api/v1/gis/planning?" + query).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (info) { show(query, info); return info; });
  }

  map.on("load", function () {
    ["wards", "selected", "permits", "businesses"].forEach(function (id) {
      map.addSource(id, { type: "geojson", data: empty });
    });
    map.addSource("zones", tiles("planning-zones", 0));
    map.addSource("parcels", tiles("land-parcels", 13));
    map.addSource("buildings", tiles("buildings", 14));
    map.addLayer({ id: "zones", type: "fill", source: "zones", "source-layer": "planning-zones", paint: { "fill-color": colours, "fill-opacity": 0.55 } });
    ["base-street-casing", "base-streets"].forEach(function (id) {  // the streets over the zones, under the rest
      if (map.getLayer(id)) { map.moveLayer(id); }
    });
    map.addLayer({ id: "wards", type: "line", source: "wards", paint: { "line-color": "#0b5394", "line-width": 2, "line-dasharray": [3, 2] } });
    map.addLayer({ id: "parcels", type: "line", source: "parcels", "source-layer": "land-parcels", minzoom: 15, paint: { "line-color": "#555", "line-width": 0.6 } });
    map.addLayer({ id: "buildings", type: "fill", source: "buildings", "source-layer": "buildings", minzoom: 15, layout: { visibility: "none" }, paint: { "fill-color": "#8a6d5a", "fill-opacity": 0.6 } });
    map.addLayer({ id: "permits", type: "line", source: "permits", paint: { "line-color": "#c0392b", "line-width": 2.5 } });
    map.addLayer({ id: "businesses", type: "circle", source: "businesses", layout: { visibility: "none" }, paint: { "circle-color": "#6c3483", "circle-radius": 5, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    map.addLayer({ id: "selected", type: "line", source: "selected", paint: { "line-color": "#d00000", "line-width": 3 } });
    map.on("click", "businesses", function (e) {
      var p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat).setHTML("<strong>" + esc(p.business_name) + "</strong><br>" +
        esc(p.business_lines) + "<br>" + esc(p.address)).addTo(map);
    });
    fetch("/ogc/collections/administrative-units/items?f=json&limit=50").then(function (r) { return r.ok ? r.json() : empty; })
      .then(function (d) { map.getSource("wards").setData(d); });
    refresh();
    map.on("moveend", refresh);
    map.on("click", function (e) { lookup("lon=" + e.lngLat.lng.toFixed(7) + "&lat=" + e.lngLat.lat.toFixed(7)); });
  });

  document.querySelectorAll("[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      box.dataset.layer.split(" ").forEach(function (id) {
        if (map.getLayer(id)) { map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none"); }
      });
    });
  });
  document.getElementById("search").addEventListener("submit", function (e) {
    var form = e.target, parcel = form.parcel.value.trim(), address = form.address.value.trim();
    if (!parcel && !address) { return; }
    e.preventDefault();
    var q = parcel ? "parcel=" + encodeURIComponent(parcel) : "address=" + encodeURIComponent(address);
    lookup(q).then(function (info) {
      if (info) { map.flyTo({ center: [info.lon, info.lat], zoom: 17 }); }
    });
  });
}());
