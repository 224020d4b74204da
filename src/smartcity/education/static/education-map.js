// Education department page: the public schools on the offline base map (base-map.js) with the wards' lines;
// size by students, colour by fee rate (the colour comes with each school from the view, which gives the legend).
(function () {
  var el = document.getElementById("edu-map");
  if (!el || typeof maplibregl === "undefined") { return; }
  var data = JSON.parse(document.getElementById("schools-data").textContent);
  var words = JSON.parse(document.getElementById("edu-map-words").textContent);
  var map = window.SmartCityMap.create(el, { zoom: 11.3 });
  window.SmartCityMap.markDrawn(map, el, ["schools"]);
  map.on("load", function () {
    fetch("/api/v1/city/wards.geojson").then(function (r) { return r.ok ? r.json() : null; }).then(function (wards) {
      if (!wards) { return; }
      map.addSource("wards", { type: "geojson", data: wards });
      map.addLayer({ id: "wards-line", type: "line", source: "wards", paint: { "line-color": el.dataset.wardColour, "line-width": 1 } }, "schools");
    });
    map.addSource("schools", { type: "geojson", data: data });
    map.addLayer({ id: "schools", type: "circle", source: "schools", paint: {
      "circle-radius": ["interpolate", ["linear"], ["sqrt", ["get", "students"]], 0, 3, 50, 16],
      "circle-color": ["get", "colour"],
      "circle-opacity": 0.8, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    window.SmartCityMap.fitTo(map, data, { padding: 40, maxZoom: 14 });
    map.on("click", "schools", function (e) {
      var p = e.features[0].properties, d = document.createElement("div");
      d.innerHTML = "<strong></strong><br><span></span><br><span></span>";
      var spans = d.querySelectorAll("span");
      d.querySelector("strong").textContent = p.name;
      spans[0].textContent = p.level_name + " · " + p.ward_name;
      spans[1].textContent = p.students_text + " " + words.students + " · " + words.fee + " " + p.fee_rate_text;
      new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(d).addTo(map);
    });
    map.on("mouseenter", "schools", function () { map.getCanvas().style.cursor = "pointer"; });
    map.on("mouseleave", "schools", function () { map.getCanvas().style.cursor = ""; });
    el.dataset.ready = String(data.features.length);
  });
})();
