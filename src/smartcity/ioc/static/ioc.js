// The operations centre's live view: indicator sparklines (uPlot), the map (MapLibre) with its layers and
// time slider on the offline base map (base-map.js), and the live event feed (server-sent events).
// Everything served locally.
(function () {
  "use strict";
  var root = document.getElementById("ioc");
  if (!root) { return; }
  var T = JSON.parse(document.getElementById("ioc-i18n").textContent);
  if (root.dataset.wall === "true") { document.body.classList.add("ioc-wall"); }

  function json(url) { return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }); }
  var zone = root.dataset.zone;  // the city's zone, from its settings (centre.html)
  function timeText(d) {
    return d.toLocaleString("vi-VN", { timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", day: "2-digit", month: "2-digit", year: "numeric" });
  }

  // ---- clock
  var clock = document.getElementById("clock");
  function tick() { clock.textContent = timeText(new Date()); }
  tick(); setInterval(tick, 1000);

  // ---- sparklines (asked for once the map has its layers, so that the map draws first)
  function sparklines() { document.querySelectorAll("[data-spark]").forEach(function (el) {
    json("/api/v1/ioc/indicators/" + encodeURIComponent(el.dataset.spark)).then(function (s) {
      // a running period as the indicator charts draw it (charts.js): a total's is left off, a share's dashed
      var parts = window.IocCharts.split(s.points, s.indicator.accumulates), pts = parts.line;
      el.dataset.running = !parts.running ? "none" : parts.drawn ? "dashed" : "apart";
      if (pts.length < 2 || typeof uPlot === "undefined") { return; }
      var xs = pts.map(function (p) { return Date.parse(p.start) / 1000; });
      var line = window.IocCharts.lineSeries(parts, { width: 1.5, fill: "rgba(31,111,235,.12)", points: { show: false } }, 5);
      var series = [{}].concat(line.series);
      var data = [xs].concat(line.data);
      if (s.indicator.target !== null) { series.push({ stroke: "#2da44e", width: 1, dash: [4, 3], points: { show: false } }); data.push(xs.map(function () { return s.indicator.target; })); }
      new uPlot({ width: el.clientWidth || 180, height: 42, cursor: { show: false }, legend: { show: false },
        axes: [{ show: false }, { show: false }], scales: { x: { time: true } }, series: series }, data, el);
      el.dataset.points = String(pts.length);
    });
  }); }

  // ---- map
  var container = document.getElementById("ioc-map");
  if (typeof maplibregl === "undefined") { sparklines(); return; }
  var map = window.SmartCityMap.create(container, { zoom: 11.2 });  // base-map.js
  window.iocMap = map;
  window.SmartCityMap.markDrawn(map, container, ["devices", "incidents"]);
  var hours = 0, incidentsAll = null, reportsAll = null;
  var paint = {
    devices: function () {
      map.addLayer({ id: "devices", type: "circle", source: "devices", paint: {
        "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 1.6, 15, 5],
        "circle-color": ["match", ["get", "state"], "alarm", "#d1242f", "silent", "#8c959f", "#2da44e"], "circle-opacity": 0.85 } });
    },
    cameras: function () {
      map.addLayer({ id: "cameras", type: "circle", source: "cameras", paint: { "circle-radius": 5, "circle-color": "#8250df", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    },
    reports: function () {
      map.addLayer({ id: "reports", type: "heatmap", source: "reports", paint: {
        "heatmap-radius": 18, "heatmap-opacity": 0.75,
        "heatmap-color": ["interpolate", ["linear"], ["heatmap-density"], 0, "rgba(0,0,0,0)", 0.3, "#fde68a", 0.7, "#f59e0b", 1, "#b91c1c"] } });
    },
    dossiers: function () {
      map.addLayer({ id: "dossiers", type: "fill", source: "dossiers", paint: {
        "fill-color": ["interpolate", ["linear"], ["get", "dossiers"], 0, "#eff6ff", 20, "#93c5fd", 80, "#1d4ed8"], "fill-opacity": 0.55 } }, map.getLayer("devices") ? "devices" : undefined);
    },
    planning: function () {
      map.addLayer({ id: "planning", type: "fill", source: "planning", paint: { "fill-color": "#a371f7", "fill-opacity": 0.18, "fill-outline-color": "#6e40c9" } },
        map.getLayer("devices") ? "devices" : undefined);
    },
    incidents: function () {
      map.addLayer({ id: "incidents-halo", type: "circle", source: "incidents", paint: {
        "circle-radius": ["+", 6, ["*", 3, ["get", "severity"]]], "circle-color": ["step", ["get", "severity"], "#f59e0b", 3, "#ea580c", 4, "#d1242f"], "circle-opacity": 0.25 } });
      map.addLayer({ id: "incidents", type: "circle", source: "incidents", paint: {
        "circle-radius": 6, "circle-color": ["step", ["get", "severity"], "#f59e0b", 3, "#ea580c", 4, "#d1242f"], "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
      map.on("click", "incidents", function (e) {
        var p = e.features[0].properties;
        new maplibregl.Popup().setLngLat(e.lngLat).setHTML("<strong><a href='/can-bo/dieu-hanh/su-co/" + p.code + "'>" + p.title + "</a></strong><br>" +
          p.type + " · " + T.severity + ": " + p.severity_name + "<br>" + T.state + ": " + p.state_name + "<br>" + T.opened + ": " + p.opened_local).addTo(map);
      });
    }
  };

  function filtered(all) {
    if (!all) { return { type: "FeatureCollection", features: [] }; }
    var cut = Date.now() - hours * 3600 * 1000;
    return { type: "FeatureCollection", features: all.features.filter(function (f) {
      var t = Date.parse(f.properties.opened_at || f.properties.submitted_at); return !(t > cut); }) };
  }

  function load(name) {
    var timed = name === "incidents" || name === "reports";
    return json("/api/v1/ioc/map/" + name + (timed ? "?hours=24" : "")).then(function (data) {
      if (name === "incidents") { incidentsAll = data; data = filtered(data); }
      if (name === "reports") { reportsAll = data; data = filtered(data); }
      var source = map.getSource(name);
      if (source) { source.setData(data); } else { map.addSource(name, { type: "geojson", data: data }); paint[name](); }
      container.dataset[name] = String(data.features.length);
    });
  }

  function visible(name, on) {
    ["incidents-halo", name].forEach(function (id) { if (map.getLayer(id)) { map.setLayoutProperty(id, "visibility", on ? "visible" : "none"); } });
  }

  map.on("load", function () {
    json("/api/v1/city/boundary").then(function (b) {
      map.addSource("boundary", { type: "geojson", data: b });
      map.addLayer({ id: "boundary", type: "line", source: "boundary", paint: { "line-color": "#0b5394", "line-width": 2 } });
    });
    var wanted = [];
    document.querySelectorAll("#layers input").forEach(function (box) {
      if (box.checked) { wanted.push(load(box.dataset.layer)); }
      box.addEventListener("change", function () {
        var name = box.dataset.layer;
        if (box.checked && !map.getSource(name)) { load(name); } else { visible(name, box.checked); }
      });
    });
    Promise.all(wanted).then(function () { container.dataset.ready = "true"; }).then(sparklines, sparklines);
  });

  // ---- time slider
  var slider = document.getElementById("hours"), out = document.getElementById("hours-out"), play = document.getElementById("play");
  function applyHours() {
    hours = Number(slider.value);
    out.textContent = hours === 0 ? T.now : "−" + hours + " " + T.hoursAgo;
    if (map.getSource("incidents")) { map.getSource("incidents").setData(filtered(incidentsAll)); }
    if (map.getSource("reports")) { map.getSource("reports").setData(filtered(reportsAll)); }
  }
  slider.addEventListener("input", applyHours);
  play.addEventListener("click", function () {
    var h = 24; slider.value = String(h); applyHours();
    var timer = setInterval(function () { h -= 1; slider.value = String(h); applyHours(); if (h <= 0) { clearInterval(timer); } }, 400);
  });

  // ---- live feed
  var feed = document.getElementById("feed"), status = document.getElementById("live-status");
  var pending = {};
  function later(name, fn) { if (pending[name]) { return; } pending[name] = setTimeout(function () { pending[name] = null; fn(); }, 1500); }
  function describe(name, d) {
    var label = T.events[name] || T.newEvent;  // never an event's code
    var what = d.title || d.headline || d.code || d.device_id || d.rule_name || "";
    if (name === "ioc.IncidentStateChanged") { what = d.code + ": " + (T.states[d.to_state] || [d.to_state])[0]; }
    if (name === "ioc.AlertStageChanged") { what = d.reason; }
    if (name === "ioc.IndicatorComputed") { what = T.indicators[d.code] || ""; }  // its name, never its code
    return label + (what ? " — " + what : "");
  }
  function show(name, d) {
    var empty = document.getElementById("feed-empty");
    if (empty) { empty.remove(); }
    var li = document.createElement("li");
    li.className = "ev ev-" + name.split(".")[0] + (d.severity >= 4 ? " severe" : "");
    var when = document.createElement("time"); when.textContent = timeText(new Date());
    li.appendChild(when); li.appendChild(document.createTextNode(" " + describe(name, d)));
    feed.insertBefore(li, feed.firstChild);
    while (feed.children.length > 60) { feed.removeChild(feed.lastChild); }
    feed.dataset.count = String(Number(feed.dataset.count || 0) + 1);
  }
  if (window.EventSource) {
    var source = new EventSource("/ioc/stream");
    source.onopen = function () { status.classList.add("on"); feed.dataset.connected = "true"; };
    source.onerror = function () { status.classList.remove("on"); };
    Object.keys(T.events).forEach(function (name) {
      source.addEventListener(name, function (e) {
        var d = JSON.parse(e.data);
        show(name, d);
        if (name.indexOf("ioc.Incident") === 0) { later("incidents", function () { load("incidents"); }); }
        if (name.indexOf("iot.Alarm") === 0 && map.getSource("devices")) { later("devices", function () { load("devices"); }); }
        if (name.indexOf("feedback.") === 0 && map.getSource("reports")) { later("reports", function () { load("reports"); }); }
      });
    });
  }
})();
