/* Nearest-hospital finder: map, "use my location" and map clicks on top of the plain form.

   Without this script the form still works (GET submit, list rendered by the server). With it,
   searches go to the JSON endpoint and the list and markers are redrawn in place. Settings and
   translated words come from the json_script block "hospital-map-config" (no inline scripts). */
(function () {
  "use strict";

  var configElement = document.getElementById("hospital-map-config");
  var form = document.getElementById("nearest-form");
  if (!configElement || !form) return;
  var config = JSON.parse(configElement.textContent);
  var text = config.text;
  var statusLine = document.getElementById("search-status");
  var resultsSection = document.getElementById("nearest-results");
  var latInput = form.elements.lat;
  var lonInput = form.elements.lon;
  var countInput = form.elements.k;
  var lang = document.documentElement.lang || "en";
  var kmFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  document.querySelectorAll(".js-only").forEach(function (element) { element.hidden = false; });

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  function setStatus(message) { statusLine.textContent = message || ""; }

  // --- the map (optional: the list works when Leaflet or the tiles are missing) ---------------
  var map = null;
  var markers = null;
  if (window.L) {
    map = L.map("hospital-map", { worldCopyJump: true }).setView([0, 20], 2);
    L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution }).addTo(map);
    markers = L.layerGroup().addTo(map);
    map.on("click", function (event) {
      var point = event.latlng.wrap();
      search(point.lat, point.lng);
    });
  } else {
    document.getElementById("hospital-map").hidden = true;
  }

  // Longitude moved by whole turns to lie within 180 degrees of the origin, so that a hospital
  // across the antimeridian is drawn next to the search point rather than on the far side.
  function nearLongitude(lon, originLon) {
    while (lon - originLon > 180) lon -= 360;
    while (lon - originLon < -180) lon += 360;
    return lon;
  }

  function drawMarkers(origin, results) {
    if (!map) return;
    markers.clearLayers();
    if (!origin) return;
    var bounds = [[origin.lat, origin.lon]];
    L.circleMarker([origin.lat, origin.lon], { radius: 8, color: "#b42318", weight: 3 })
      .bindTooltip(text.you).addTo(markers);
    results.forEach(function (hospital) {
      var position = [hospital.latitude, nearLongitude(hospital.longitude, origin.lon)];
      var popup = document.createElement("div");
      var name = document.createElement("strong");
      name.textContent = hospital.name;
      popup.appendChild(name);
      popup.appendChild(document.createElement("br"));
      popup.appendChild(document.createTextNode(format(text.km_away, { km: kmFormat.format(hospital.distance_km) })));
      L.marker(position, { title: hospital.name, alt: hospital.name }).bindPopup(popup).addTo(markers);
      bounds.push(position);
    });
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 13 });
  }

  // --- the list ----------------------------------------------------------------------------------
  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content) node.textContent = content;
    return node;
  }

  function drawList(origin, results) {
    resultsSection.replaceChildren();
    var heading = element("h2", null, format(text.heading, { lat: origin.lat.toFixed(4), lon: origin.lon.toFixed(4) }));
    heading.id = "results-heading";
    resultsSection.appendChild(heading);
    if (!results.length) {
      resultsSection.appendChild(element("p", null, text.none));
      return;
    }
    var list = element("ol", "hospital-list");
    list.id = "hospital-list";
    results.forEach(function (hospital) {
      var item = element("li", "card hospital-item");
      item.appendChild(element("h3", null, hospital.name));
      var distance = element("p", "hospital-distance", format(text.km_away, { km: kmFormat.format(hospital.distance_km) }));
      if (hospital.type) {
        distance.appendChild(document.createTextNode(" · "));
        distance.appendChild(element("span", "muted", hospital.type));
      }
      item.appendChild(distance);
      var where = [hospital.address, hospital.place].filter(Boolean).join(", ");
      if (where) item.appendChild(element("p", null, where));
      var actions = element("p", "hospital-actions");
      hospital.phones.forEach(function (phone) {
        var call = element("a", "btn btn-small btn-secondary", text.call + " " + phone.text);
        call.href = phone.href;
        actions.appendChild(call);
        actions.appendChild(document.createTextNode(" "));
      });
      if (!hospital.phones.length) actions.appendChild(element("span", "muted", text.no_phone));
      var directions = element("a", "btn btn-small btn-primary", text.directions);
      directions.href = hospital.directions_url;
      directions.target = "_blank";
      directions.rel = "noopener noreferrer";
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(directions);
      item.appendChild(actions);
      list.appendChild(item);
    });
    resultsSection.appendChild(list);
  }

  // --- searching ---------------------------------------------------------------------------------
  function search(lat, lon) {
    latInput.value = lat.toFixed(5);
    lonInput.value = lon.toFixed(5);
    var params = new URLSearchParams({ lat: latInput.value, lon: lonInput.value });
    if (countInput && countInput.value) params.set("k", countInput.value);
    setStatus(text.searching);
    fetch(config.endpoint + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) {
        setStatus("");
        drawList(data.origin, data.results);
        drawMarkers(data.origin, data.results);
        history.replaceState(null, "", "?" + params.toString());
      })
      .catch(function () {
        // Let the server render the form with its field errors.
        setStatus(text.failed);
        form.submit();
      });
  }

  form.addEventListener("submit", function (event) {
    var lat = parseFloat(latInput.value);
    var lon = parseFloat(lonInput.value);
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
    event.preventDefault();
    search(lat, lon);
  });

  var locateButton = document.getElementById("use-location");
  if (!("geolocation" in navigator)) {
    locateButton.parentElement.hidden = true;
  }
  locateButton.addEventListener("click", function () {
    setStatus(text.locating);
    navigator.geolocation.getCurrentPosition(
      function (position) { search(position.coords.latitude, position.coords.longitude); },
      function (error) { setStatus(error.code === error.PERMISSION_DENIED ? text.denied : text.unavailable); },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  });

  drawMarkers(config.origin, config.results);
})();
