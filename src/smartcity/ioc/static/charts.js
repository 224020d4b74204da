// Indicator charts (uPlot, served locally): an indicator's series over a year against its target (dashed
// green), with a legend under the chart written the page's way (1.234,5 and "tháng 11/2026" in Vietnamese,
// 1,234.5 and "Nov 2026" in English, the indicator's unit in words).
//
// A period still running (the API's point.running) is never drawn as a solid point of the line:
// - an indicator that accumulates (a total over the period, indicator.accumulates) has only its value so
//   far, which would read as a collapse: the line ends at the last complete period and the legend states
//   the value so far, saying it is not drawn;
// - a share, an average or a state is whole at any time: its running period stays on the line, reached by
//   a dashed segment to a hollow point, and the legend says "so far".
// The same rule draws the centre's sparklines (ioc.js, through window.IocCharts.split).
(function () {
  "use strict";
  var node = document.getElementById("chart-words");
  // The page always writes chart-words (the zone from the city's settings); without it, the browser's zone.
  var W = node ? JSON.parse(node.textContent) : { lang: "vi", units: {} };
  var en = W.lang === "en";
  var BLUE = "#1f6feb", GREEN = "#2da44e";
  var numbers = new Intl.NumberFormat(en ? "en-US" : "vi-VN", { maximumFractionDigits: 1 });
  var ticks = new Intl.NumberFormat(en ? "en-US" : "vi-VN", { maximumFractionDigits: 2 });

  // The points with a value, the line's and the running one: see the rule above.
  function split(points, accumulates) {
    var known = points.filter(function (p) { return p.value !== null; });
    var last = known.length ? known[known.length - 1] : null;
    var running = last && last.running ? last : null;
    return {
      line: running && accumulates ? known.slice(0, -1) : known,
      running: running,
      drawn: Boolean(running) && !accumulates,
    };
  }

  // The line's series: solid over complete periods, and when the running period is drawn, a dashed segment
  // from the last complete point to a hollow one. Returns uPlot series and their data (after the x values).
  function lineSeries(parts, style, pointSize) {
    var ys = parts.line.map(function (p) { return p.running ? null : p.value; });
    var series = [Object.assign({ stroke: BLUE, width: 2 }, style)];
    var data = [ys];
    if (parts.drawn) {
      var n = parts.line.length;
      series.push(Object.assign({ stroke: BLUE, width: 2 }, style, {
        dash: [5, 4], fill: undefined,
        points: { show: false, size: pointSize || 8, width: 2, stroke: BLUE, fill: "#fff", filter: function () { return [n - 1]; } },
      }));
      data.push(parts.line.map(function (p, i) { return i >= n - 2 ? p.value : null; }));
    }
    return { series: series, data: data };
  }

  function zoned(seconds, options) {
    var out = {};
    new Intl.DateTimeFormat("en-US", Object.assign({ timeZone: W.zone, hourCycle: "h23" }, options))
      .formatToParts(new Date(seconds * 1000)).forEach(function (p) { out[p.type] = p.value; });
    return out;
  }
  function pad(text) { return ("0" + text).slice(-2); }

  // A period as people read it: "tháng 11/2026" / "Nov 2026", "05/12/2026" / "5 Dec 2026", hours with "14:00".
  function periodText(seconds, frequency) {
    if (frequency === "monthly") {
      var m = zoned(seconds, { month: en ? "short" : "numeric", year: "numeric" });
      return en ? m.month + " " + m.year : "tháng " + m.month + "/" + m.year;
    }
    var d = zoned(seconds, { day: "numeric", month: en ? "short" : "numeric", year: "numeric", hour: "numeric", minute: "2-digit" });
    var day = en ? d.day + " " + d.month + " " + d.year : pad(d.day) + "/" + pad(d.month) + "/" + d.year;
    return frequency === "hourly" ? day + ", " + pad(d.hour) + ":" + d.minute : day;
  }
  function axisText(seconds, frequency) {
    if (frequency !== "monthly") { return periodText(seconds, frequency); }
    var m = zoned(seconds, { month: en ? "short" : "numeric", year: "numeric" });
    return en ? m.month + " " + m.year : m.month + "/" + m.year;
  }
  function valueText(value, unit) {
    var word = Object.prototype.hasOwnProperty.call(W.units, unit) ? W.units[unit] : unit;
    var text = numbers.format(value);
    return word === "%" ? text + "%" : word ? text + " " + word : text;
  }
  function capital(text) { return text.charAt(0).toUpperCase() + text.slice(1); }
  function seconds(point) { return Date.parse(point.start) / 1000; }

  function draw(el, s) {
    var frequency = s.frequency, indicator = s.indicator;
    var parts = split(s.points, indicator.accumulates);
    var target = el.dataset.target === "" || el.dataset.target === undefined ? null : Number(el.dataset.target);
    el.dataset.running = !parts.running ? "none" : parts.drawn ? "dashed" : "apart";
    var legend = document.createElement("div");
    legend.className = "chart-legend";
    el.insertAdjacentElement("afterend", legend);
    var current = document.createElement("p"), note = document.createElement("p");
    current.className = "chart-current";
    current.setAttribute("aria-live", "polite");
    note.className = "chart-note muted";
    legend.append(current, note);

    function label(point) {
      var text = periodText(seconds(point), frequency);
      return point.running ? text + ", " + W.soFar : text;
    }
    if (parts.running) {
      var so = capital(label(parts.running));
      note.textContent = parts.drawn
        ? W.dashed + ": " + label(parts.running) + " — " + W.notOver + "."
        : so + ": " + valueText(parts.running.value, indicator.unit) + ". " + W.notDrawn + ".";
    } else {
      note.hidden = true;
    }
    function show(i) {  // the period under the cursor, or the latest one on the chart
      var point = parts.line[i === null || i === undefined ? parts.line.length - 1 : i];
      var text = capital(label(point)) + ": " + valueText(point.value, indicator.unit);
      current.textContent = target === null ? text : text + " · " + W.target + ": " + valueText(target, indicator.unit);
    }

    el.dataset.points = String(parts.line.length);
    if (!parts.line.length || typeof uPlot === "undefined") {
      el.textContent = W.noData;
      current.hidden = true;
      return;
    }
    var xs = parts.line.map(seconds);
    var line = lineSeries(parts, { points: { fill: BLUE, size: 6 } });  // complete: filled; running: hollow
    var series = [{}].concat(line.series), data = [xs].concat(line.data);
    if (target !== null) {
      series.push({ stroke: GREEN, width: 1.5, dash: [6, 4], points: { show: false } });
      data.push(xs.map(function () { return target; }));
    }
    // half a period on each side, so that the first and last labels fit; as many labels as fit, ending
    // with the latest period
    var half = (xs.length > 1 ? (xs[xs.length - 1] - xs[0]) / (xs.length - 1) : 86400) / 2;
    new uPlot({
      width: el.clientWidth || 520, height: 240, series: series, legend: { show: false },
      scales: {
        x: { time: false, range: function (u, min, max) { return [min - half, max + half]; } },
        // A total over the period is drawn from zero, so that a month of 110 does not look like half of 150.
        y: indicator.accumulates ? { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } } : {},
      },
      axes: [
        { splits: function (u) {
            var room = Math.max(1, Math.floor(u.bbox.width / (window.devicePixelRatio || 1) / (en ? 72 : 60)));
            var step = Math.ceil(xs.length / room);
            return xs.filter(function (x, i) { return (xs.length - 1 - i) % step === 0; });
          },
          values: function (u, vals) { return vals.map(function (v) { return axisText(v, frequency); }); } },
        { values: function (u, vals) { return vals.map(function (v) { return ticks.format(v); }); } },
      ],
      hooks: { setCursor: [function (u) { show(u.cursor.idx); }] },
    }, data, el);
    show(null);
  }

  window.IocCharts = { split: split, lineSeries: lineSeries };

  // Twelve complete months before the running one: the API's default year would leave eleven.
  function yearBefore() {
    var d = new Date();
    return new Date(Date.UTC(d.getUTCFullYear() - 1, d.getUTCMonth() - 1, 1)).toISOString();
  }

  document.querySelectorAll(".chart[data-code]").forEach(function (el) {
    var frequency = el.dataset.frequency || "monthly";
    var since = frequency === "monthly" ? "&start=" + encodeURIComponent(yearBefore()) : "";
    fetch("/api/v1/ioc/indicators/" + encodeURIComponent(el.dataset.code) + "?frequency=" + frequency + since, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) { draw(el, s); });
  });
})();
