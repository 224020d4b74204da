// Feedback pages: the public map of reports, and the pin picker with nearby-duplicate suggestions.
(function () {
  "use strict";
  var strings = document.getElementById("feedback-i18n");
  var t = strings ? JSON.parse(strings.textContent) : {};

  function makeMap(container) {
    return window.SmartCityMap.create(container, { zoom: 10.6 });  // base-map.js
  }

  function addBoundary(map) {
    return fetch("/api/v1/city/boundary").then(function (r) { return r.json(); }).then(function (boundary) {
      map.addSource("boundary", { type: "geojson", data: boundary });
      map.addLayer({ id: "boundary-line", type: "line", source: "boundary", paint: { "line-color": "#0b5394", "line-width": 2 } });
      window.SmartCityMap.fitTo(map, boundary, { padding: 20 });
    });
  }

  function escapeHtml(text) {
    var div = document.createElement("div"); div.textContent = text == null ? "" : String(text); return div.innerHTML;
  }

  function reportsMap(container) {
    var map = makeMap(container);
    window.feedbackMap = map;
    window.SmartCityMap.markDrawn(map, container, ["reports"]);
    var reports = fetch("/api/v1/feedback/reports.geojson?" + (container.dataset.query || ""))
      .then(function (r) { return r.json(); });  // asked for at once, beside the map's own loading
    map.on("load", function () {
      Promise.all([addBoundary(map).catch(function () { /* the reports still show without it */ }), reports])
      .then(function (loaded) {
        var data = loaded[1];
        map.addSource("reports", { type: "geojson", data: data });
        // the page's drawing of the reports: those still being handled above the done ones (feedback/views.py)
        var style = document.getElementById("feedback-report-layer");
        var layer = style ? JSON.parse(style.textContent) : {};
        map.addLayer({ id: "reports", type: "circle", source: "reports", layout: layer.layout || {}, paint: layer.paint || {
          "circle-radius": 6, "circle-stroke-width": 1.5, "circle-stroke-color": "#ffffff",
          "circle-color": ["match", ["get", "open311_status"], "open", "#e8710a", "#2e8b57"] } });
        container.dataset.reportCount = String(data.features.length);
        container.dataset.ready = "true";
        map.on("click", "reports", function (e) {
          var p = e.features[0].properties;
          new maplibregl.Popup().setLngLat(e.lngLat).setHTML(
            "<strong>" + escapeHtml((t.categories || {})[p.category_code] || p.category_name) + "</strong><br>" + escapeHtml(p.description) +
            "<br><em>" + escapeHtml(p.open311_status === "open" ? t.open : t.closed) + "</em><br>" +
            "<a href=\"/phan-anh/" + encodeURIComponent(p.code) + "\">" + escapeHtml(t.view) + "</a>").addTo(map);
        });
        map.on("mouseenter", "reports", function () { map.getCanvas().style.cursor = "pointer"; });
        map.on("mouseleave", "reports", function () { map.getCanvas().style.cursor = ""; });
      }).catch(function (err) { container.dataset.error = String(err); });
    });
  }

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  function showNearby(container, box) {
    var category = document.getElementById("category_code");
    var lat = document.getElementById("lat"), lon = document.getElementById("lon");
    if (!category || !category.value || !lat.value || !lon.value) { box.innerHTML = ""; return; }
    var query = "category=" + encodeURIComponent(category.value) + "&lat=" + encodeURIComponent(lat.value) +
      "&lon=" + encodeURIComponent(lon.value) + "&radius_m=" + (container.dataset.radius || 50) +
      "&days=" + (container.dataset.days || 7);
    fetch("/api/v1/feedback/nearby?" + query).then(function (r) { return r.ok ? r.json() : []; }).then(function (hits) {
      box.dataset.count = String(hits.length);
      if (!hits.length) { box.innerHTML = "<p class=\"muted\">" + escapeHtml(t.none) + "</p>"; return; }
      box.innerHTML = "<p><strong>" + escapeHtml(t.nearbyTitle) + "</strong></p>" + hits.map(function (h) {
        return "<div class=\"hit\"><a href=\"/phan-anh/" + encodeURIComponent(h.code) + "\">" + escapeHtml(h.code) +
          "</a> — " + escapeHtml(h.description) + " (" + Math.round(h.distance_m) + " " + escapeHtml(t.metres) + ") " +
          "<button type=\"button\" class=\"btn btn-outline join\" data-code=\"" + escapeHtml(h.code) + "\">" +
          escapeHtml(t.join) + "</button></div>";
      }).join("");
      Array.prototype.forEach.call(box.querySelectorAll("button.join"), function (button) {
        button.addEventListener("click", function () {
          fetch("/api/v1/feedback/reports/" + encodeURIComponent(button.dataset.code) + "/join", {
            method: "POST", headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
            body: "{}", credentials: "same-origin"
          }).then(function (r) { if (r.ok) { button.textContent = t.joined; button.disabled = true; } });
        });
      });
    });
  }

  function pickMap(container) {
    var map = makeMap(container);
    window.feedbackPickMap = map;
    var lat = document.getElementById("lat"), lon = document.getElementById("lon");
    var box = document.getElementById("nearby");
    window.SmartCityMap.pickPoint(map, lon, lat, function () { showNearby(container, box); });
    map.on("load", function () {
      addBoundary(map).catch(function () {}).then(function () { container.dataset.ready = "true"; });
    });
    [lat, lon, document.getElementById("category_code")].forEach(function (input) {
      if (input) { input.addEventListener("change", function () { showNearby(container, box); }); }
    });
  }

  if (typeof maplibregl === "undefined") { return; }
  var reports = document.getElementById("fb-map");
  if (reports) { reportsMap(reports); }
  var pick = document.getElementById("fb-pick");
  if (pick) { pickMap(pick); }
})();
