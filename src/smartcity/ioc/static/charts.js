// Indicator charts (uPlot, served locally): the series over a year with the target as a dashed line.
(function () {
  "use strict";
  document.querySelectorAll(".chart[data-code]").forEach(function (el) {
    fetch("/api/v1/ioc/indicators/" + encodeURIComponent(el.dataset.code) + "?frequency=" + (el.dataset.frequency || "monthly"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var pts = s.points.filter(function (p) { return p.value !== null; });
        if (!pts.length || typeof uPlot === "undefined") { el.textContent = "—"; return; }
        var xs = pts.map(function (p) { return Date.parse(p.start) / 1000; });
        var series = [{}, { label: s.indicator.name_vi, stroke: "#1f6feb", width: 2 }];
        var data = [xs, pts.map(function (p) { return p.value; })];
        if (el.dataset.target !== "") { series.push({ label: "Mục tiêu", stroke: "#2da44e", dash: [6, 4] }); data.push(xs.map(function () { return Number(el.dataset.target); })); }
        new uPlot({ width: el.clientWidth || 520, height: 240, series: series, scales: { x: { time: true } } }, data, el);
        el.dataset.points = String(pts.length);
      });
  });
})();
