// Public investment maps: works as areas, lines and photo points on the offline base map (base-map.js), coloured
// by phase with the colours the view gives (data-phase-colours, also its legend); a click shows the work or photo.
(function () {
  var el = document.getElementById("inv-map");
  if (!el || typeof maplibregl === "undefined") { return; }
  var words = JSON.parse(document.getElementById("inv-map-words").textContent);
  var phases = JSON.parse(el.dataset.phaseColours || "{}");
  var colour = ["match", ["get", "phase"]];
  Object.keys(phases).forEach(function (phase) { colour.push(phase, phases[phase]); });
  colour.push(phases.completed || "#868e96");  // a phase the view does not name
  var map = window.SmartCityMap.create(el, { zoom: 12 });
  window.SmartCityMap.markDrawn(map, el, ["works-fill", "works-line", "works-photos"]);
  map.on("load", function () {
    fetch(el.dataset.source).then(function (r) { return r.json(); }).then(function (data) {
      map.addSource("works", { type: "geojson", data: data });
      map.addLayer({ id: "works-fill", type: "fill", source: "works", filter: ["==", "$type", "Polygon"],
        paint: { "fill-color": colour, "fill-opacity": 0.6 } });
      map.addLayer({ id: "works-line", type: "line", source: "works", filter: ["!=", "$type", "Point"],
        paint: { "line-color": colour, "line-width": 4 } });
      map.addLayer({ id: "works-photos", type: "circle", source: "works", filter: ["==", "$type", "Point"],
        paint: { "circle-color": el.dataset.photoColour, "circle-radius": 6, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
      map.on("click", "works-photos", function (e) {
        var p = e.features[0].properties, d = document.createElement("div"), img = document.createElement("img");
        img.src = p.thumb_url; img.alt = p.caption; img.width = 160;
        d.appendChild(img); d.appendChild(document.createElement("br"));
        d.appendChild(document.createTextNode(p.taken_on_text + (p.caption ? " — " + p.caption : "")));
        new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(d).addTo(map);
      });
      window.SmartCityMap.fitTo(map, data, { maxZoom: 15 });
      el.dataset.ready = "true";
      ["works-fill", "works-line"].forEach(function (id) {
        map.on("click", id, function (e) {
          var p = e.features[0].properties, d = document.createElement("div");
          d.innerHTML = "<strong></strong><br><span></span>";
          d.querySelector("strong").textContent = p.name;
          d.querySelector("span").textContent = (words.phases[p.phase] || p.phase_name) + (p.expected_end_text ? " — " + words.expectedEnd + " " + p.expected_end_text : "");
          new maplibregl.Popup().setLngLat(e.lngLat).setDOMContent(d).addTo(map);
        });
      });
    });
  });
})();
