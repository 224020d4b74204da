// Public planning map: zones, parcels and buildings as vector tiles (OGC API - Tiles), streets and wards
// from the OGC API Features (by visible box); click a point for its planning information and the PDF sheet.
(function () {
  "use strict";
  var container = document.getElementById("plan-map");
  if (!container || typeof maplibregl === "undefined") { return; }
  var t = window.SMARTCITY_PLAN_I18N || {};
  var panel = document.getElementById("plan-info");
  var colours = ["match", ["get", "land_use_code"], "ODT", "#f4c27a", "TMD", "#e86f6f", "DGD", "#f2e46b",
    "DYT", "#8fb3e8", "DKV", "#8fd18c", "TSC", "#c9a0dc", "SKC", "#b0a08c", "CLN", "#cfe8b0", "#dddddd"];
  var empty = { type: "FeatureCollection", features: [] };
  var style = container.dataset.styleUrl || { version: 8, sources: {}, layers: [
    { id: "background", type: "background", paint: { "background-color": "#eef2f6" } }] };
  var map = new maplibregl.Map({ container: container, style: style, center: [106.665, 11.02], zoom: 14 });
  window.planningMap = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");

  function esc(s) { var d = document.createElement("div"); d.textContent = s == null ? "" : String(s); return d.innerHTML; }

  function items(collection, limit) {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); });
    return fetch("/ogc/collections/" + collection + "/items?f=json&limit=" + limit + "&bbox=" + bbox.join(","))
      .then(function (r) { return r.ok ? r.json() : empty; });
  }

  function refresh() {
    items("streets", 1000).then(function (d) { map.getSource("streets").setData(d); });
    container.dataset.ready = "true";
  }

  function tiles(collection, minzoom) {
    return { type: "vector", minzoom: minzoom, maxzoom: 18, tiles: [window.location.origin + "/ogc/collections/" +
      collection + "/tiles/WebMercatorQuad/{z}/{y}/{x}"] };
  }

  function show(info) {
    if (!info || (!info.parcel && !info.zones.length)) { panel.innerHTML = "<p>" + esc(t.none) + "</p>"; return; }
    var html = info.synthetic ? "<p><span class='badge'>" + esc(t.synthetic) + "</span></p>" : "";
    html += "<dl id='planning-result'>";
    if (info.parcel) {
      html += "<dt>" + esc(t.parcel) + "</dt><dd>" + esc(t.sheet) + " " + esc(info.parcel.map_sheet) + ", " +
        esc(t.number) + " " + esc(info.parcel.parcel_number) + " — " + esc(info.parcel.area_m2) + " m², " +
        esc(info.parcel.land_use_code) + "</dd>";
    }
    info.zones.forEach(function (z) {
      html += "<dt>" + esc(t.zone) + " " + esc(z.zone_code) + "</dt><dd>" + esc(z.land_use_code) + " — " +
        esc(z.land_use_name) + "<br>" + esc(t.floors) + " " + esc(z.max_floors) + ", " + esc(t.coverage) + " " +
        esc(z.max_coverage_pct) + "%<br><span class='muted'>" + esc(z.plan_name) + "</span></dd>";
    });
    if (info.ward_of_record) { html += "<dt>" + esc(t.wardRecord) + "</dt><dd>" + esc(info.ward_of_record.name) + "</dd>"; }
    if (info.ward_today) { html += "<dt>" + esc(t.wardToday) + "</dt><dd>" + esc(info.ward_today.name) + "</dd>"; }
    html += "</dl>";
    var q = info.parcel ? "parcel=" + encodeURIComponent(info.parcel.key) : "lon=" + info.lon + "&lat=" + info.lat;
    html += "<p><a class='btn' id='sheet-link' href='/api/v1/gis/planning/sheet.pdf?" + q + "'>" + esc(t.pdf) + "</a></p>";
    panel.innerHTML = html;
    if (info.parcel) { map.getSource("selected").setData({ type: "Feature", geometry: info.parcel.geometry, properties: {} }); }
  }

  function lookup(query) {
    return fetch("/api/v1/gis/planning?" + query).then(function (r) { return r.ok ? r.json() : null; }).then(show);
  }

  map.on("load", function () {
    ["streets", "wards", "selected"].forEach(function (id) {
      map.addSource(id, { type: "geojson", data: empty });
    });
    map.addSource("zones", tiles("planning-zones", 0));
    map.addSource("parcels", tiles("land-parcels", 13));
    map.addSource("buildings", tiles("buildings", 14));
    map.addLayer({ id: "zones", type: "fill", source: "zones", "source-layer": "planning-zones", paint: { "fill-color": colours, "fill-opacity": 0.55 } });
    map.addLayer({ id: "wards", type: "line", source: "wards", paint: { "line-color": "#0b5394", "line-width": 2, "line-dasharray": [3, 2] } });
    map.addLayer({ id: "parcels", type: "line", source: "parcels", "source-layer": "land-parcels", minzoom: 15, paint: { "line-color": "#555", "line-width": 0.6 } });
    map.addLayer({ id: "buildings", type: "fill", source: "buildings", "source-layer": "buildings", minzoom: 15, layout: { visibility: "none" }, paint: { "fill-color": "#8a6d5a", "fill-opacity": 0.6 } });
    map.addLayer({ id: "streets", type: "line", source: "streets", paint: { "line-color": "#ffffff", "line-width": 4 } });
    map.addLayer({ id: "selected", type: "line", source: "selected", paint: { "line-color": "#d00000", "line-width": 3 } });
    fetch("/ogc/collections/administrative-units/items?f=json&limit=50").then(function (r) { return r.ok ? r.json() : empty; })
      .then(function (d) { map.getSource("wards").setData(d); });
    refresh();
    map.on("moveend", refresh);
    map.on("click", function (e) { lookup("lon=" + e.lngLat.lng.toFixed(7) + "&lat=" + e.lngLat.lat.toFixed(7)); });
  });

  document.querySelectorAll("[data-layer]").forEach(function (box) {
    box.addEventListener("change", function () {
      if (map.getLayer(box.dataset.layer)) {
        map.setLayoutProperty(box.dataset.layer, "visibility", box.checked ? "visible" : "none");
      }
    });
  });
  document.getElementById("search").addEventListener("submit", function (e) {
    var form = e.target, parcel = form.parcel.value.trim(), address = form.address.value.trim();
    if (!parcel && !address) { return; }
    e.preventDefault();
    var q = parcel ? "parcel=" + encodeURIComponent(parcel) : "address=" + encodeURIComponent(address);
    fetch("/api/v1/gis/planning?" + q).then(function (r) { return r.ok ? r.json() : null; }).then(function (info) {
      show(info);
      if (info) { map.flyTo({ center: [info.lon, info.lat], zoom: 17 }); }
    });
  });
}());
