// IoT device page: refresh the latest values every five seconds from the device's state API.
(function () {
  "use strict";
  var table = document.getElementById("latest");
  if (!table || !window.fetch) { return; }
  var format = new Intl.DateTimeFormat("en-GB", {
    timeZone: table.dataset.zone, hourCycle: "h23", day: "2-digit", month: "2-digit", year: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit"
  });
  function local(iso) {  // the server's dd/mm/yyyy hh:mm:ss, in the city's zone
    var p = {};
    format.formatToParts(new Date(iso)).forEach(function (x) { p[x.type] = x.value; });
    return p.day + "/" + p.month + "/" + p.year + " " + p.hour + ":" + p.minute + ":" + p.second;
  }
  var numbers = new Intl.NumberFormat(document.documentElement.lang === "en" ? "en-US" : "vi-VN",
    { maximumFractionDigits: 3 });
  function shown(row, value) {  // as the server writes it: words for codes, numbers the page's way with a unit
    var words = JSON.parse(row.dataset.words || "{}");
    if (Object.prototype.hasOwnProperty.call(words, String(value))) { return words[String(value)]; }
    if (typeof value === "number") { return numbers.format(value) + (row.dataset.unit ? " " + row.dataset.unit : ""); }
    if (typeof value === "string" && /^\d{4}-\d\d-\d\dT/.test(value)) { return local(value).slice(0, 16); }
    return String(value);
  }
  function refresh() {
    fetch("/api/v1/iot/devices/" + encodeURIComponent(table.dataset.device) + "/state", { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) { return; }
        Object.keys(s.values).forEach(function (k) {
          var row = table.querySelector('tr[data-key="' + k + '"]');
          if (row) {
            row.querySelector(".v").textContent = shown(row, s.values[k]);
            row.querySelector(".t").textContent = local(s.observed_at[k]);
          }
        });
        table.dataset.refreshed = "true";
      });
  }
  setInterval(refresh, 5000);
})();
