// Indicator charts (uPlot, served locally): the series over a year with the target as a dashed line.
(function () {
  "use strict";
  function month(seconds) { var d = new Date(seconds * 1000); return (d.getMonth() + 1) + "/" + d.getFullYear(); }
  document.querySelectorAll(".chart[data-code]").forEach(function (el) {
    fetch("/api/v1/ioc/indicators/" + encodeURIComponent(el.dataset.code) + "?frequency=" + (el.dataset.frequency || "monthly"), { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        var pts = s.points.filter(function (p) { return p.value !== null; });
        if (!pts.length || typeof uPlot === "undefined") { el.textContent = "—"; return; }
        var xs = pts.map(function (p) { return Date.parse(p.start) / 1000; });
        var lang = document.documentElement.lang === "en";
        var series = [{ label: lang ? "Month" : "Tháng", value: function (u, v) { return v === null ? "—" : month(v); } },
          { label: lang ? s.indicator.name_en : s.indicator.name_vi, stroke: "#1f6feb", width: 2 }];
        var data = [xs, pts.map(function (p) { return p.value; })];
        if (el.dataset.target !== "") { series.push({ label: lang ? "Target" : "Mục tiêu", stroke: "#2da44e", dash: [6, 4] }); data.push(xs.map(function () { return Number(el.dataset.target); })); }
        new uPlot({ width: el.clientWidth || 520, height: 240, series: series, scales: { x: { time: true } },
          axes: [{ values: function (u, vals) { return vals.map(month); } }, {}] }, data, el);
        el.dataset.points = String(pts.length);
      });
  });
})();
