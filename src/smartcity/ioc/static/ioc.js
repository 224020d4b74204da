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
        // Built as text nodes: a title an operator typed is shown as written, never read as markup.
        var box = document.createElement("div"), strong = document.createElement("strong"), link = document.createElement("a");
        link.href = "/can-bo/dieu-hanh/su-co/" + encodeURIComponent(p.code);
        link.textContent = p.title;
        strong.appendChild(link);
        box.appendChild(strong);
        [p.type + " · " + T.severity + ": " + p.severity_name, T.state + ": " + p.state_name, T.opened + ": " + p.opened_local].forEach(function (line) {
          box.appendChild(document.createElement("br"));
          box.appendChild(document.createTextNode(line));
        });
        new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(box).addTo(map);
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
      window.SmartCityMap.fitTo(map, b);  // the whole city in view, whatever the map's size (a wall screen, a laptop)
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
  // What each event says after its label: words only (a place, a description, a reason), never a device's
  // id, a unit's code or a raw enum value; an incident's or a report's code is public, staff see it everywhere.
  var lang = document.documentElement.lang === "en" ? "en" : "vi";
  function num(x, digits) { return Number(x).toLocaleString(lang, { maximumFractionDigits: digits || 0 }); }
  function fill(text, parts) { return text.replace(/\{(\w+)\}/g, function (m, k) { return k in parts ? parts[k] : m; }); }
  function joined(parts, glue) { return parts.filter(function (p) { return p; }).join(glue); }
  function onStreet(street, text) { return street ? street + ": " + text : text; }
  function dayText(iso) { var p = String(iso).split("-"); return p.length === 3 ? p[2] + "/" + p[1] + "/" + p[0] : ""; }
  var W = T.words, WHAT = {
    "ioc.IncidentEventMerged": function (d) { return d.code; },
    "ioc.IncidentStateChanged": function (d) { return d.code + ": " + (T.states[d.to_state] || [""])[0]; },
    "ioc.AlertStageChanged": function (d) { return d.reason; },
    "ioc.CapAlertPublished": function (d) { return (lang === "en" && d.headline_en) || d.headline || ""; },
    "ioc.IndicatorComputed": function (d) { return T.indicators[d.code] || ""; },  // its name, never its code
    "iot.AlarmRaised": function (d) { return d.message || d.rule_name; },  // the rule's sentence, not the device
    "iot.AlarmCleared": function () { return ""; },
    "iot.AlarmAcknowledged": function () { return ""; },
    "ioc.PlaybookNotificationDue": function (d) { return joined([d.code, d.subject], ": "); },
    "ioc.OperationsReportReady": function (d) {
      var month = String(d.period).split("-").reverse().join("/");
      return d.kind === "monthly" ? fill(W.monthlyReport, { month: month }) : fill(W.dailyReport, { day: dayText(d.period) });
    },
    "feedback.ReportSubmitted": function (d) { return d.code; },
    "feedback.UrgentReportFlagged": function (d) { return d.code; },
    "lighting.GroupSwitched": function (d) {
      var lights = fill(d.level > 0 ? W.lightsOn : W.lightsOff, { lights: num(d.lights), level: num(d.level) });
      return lights + (d.reason ? " (" + d.reason + ")" : "");
    },
    "lighting.FaultDetected": function (d) { return joined([T.lightFaults[d.fault], d.description], ": "); },
    "lighting.TicketClosed": function (d) { return d.resolution; },
    "waste.ContainerAlarmRaised": function (d) { return joined([T.wasteAlarms[d.kind], d.message], ": "); },
    "waste.CollectionPlanned": function (d) {
      var plan = fill(W.plan, { day: dayText(d.day), containers: num(d.containers), routes: num(d.routes), km: num(d.distance_km, 1) });
      return joined([plan, d.unserved > 0 && fill(W.unserved, { count: num(d.unserved) })], ", ");
    },
    "waste.ContainerEmptied": function (d) { return d.weight_kg == null ? "" : num(d.weight_kg, 1) + " kg"; },
    "cameras.CameraEventReported": function (d) {
      var what = T.cameraKinds[d.kind];
      return what && d.camera_name ? fill(W.at, { what: what, place: d.camera_name }) : what || d.camera_name || "";
    },
    "cameras.CameraEventAcknowledged": function () { return ""; },
    "environment.AirQualityDegraded": function (d) {
      var band = T.aqiBands[d.band];
      return joined([d.station_name, "VN_AQI " + num(d.aqi) + (band ? " (" + band + ")" : "")], ": ");
    },
    "environment.WaterRising": function (d) { return onStreet(d.street, fill(W.water, { level: num(d.level_cm) })); },
    "environment.StreetFlooded": function (d) { return onStreet(d.street, fill(W.water, { level: num(d.level_cm) })); },
    "environment.FloodReceded": function (d) { return onStreet(d.street, fill(W.peak, { level: num(d.peak_cm) })); }
  };
  // The map layers an event changes (once loaded): incidents (a camera's event opens or joins one), device
  // states (IoT alarms), reports. No layer shows lighting tickets, waste alarms or flood events.
  var RELOADS = [["ioc.Incident", "incidents"], ["cameras.CameraEventReported", "incidents"], ["iot.Alarm", "devices"],
    ["feedback.", "reports"]];
  function reloads(name) {
    return RELOADS.filter(function (r) { return name.indexOf(r[0]) === 0; }).map(function (r) { return r[1]; });
  }
  function describe(name, d) {
    var label = T.events[name] || T.newEvent;  // never an event's code
    var what = WHAT[name] ? WHAT[name](d) : d.title || d.headline || "";
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
        show(name, JSON.parse(e.data));
        reloads(name).forEach(function (layer) {
          if (map.getSource(layer)) { later(layer, function () { load(layer); }); }
        });
      });
    });
  }
})();
