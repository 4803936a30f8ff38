/* Nearest-hospital finder: place suggestions, map, "use my location" and map clicks on top of
   the plain form.

   Without this script the form still works (GET submit, place resolved and list rendered by the
   server). With it, the search box suggests places as you type, searches go to the JSON
   endpoint, and the list and markers are redrawn in place. When the map's tiles cannot load
   (offline, blocked), a note says so and the list and markers keep working. Settings and
   translated words come from the json_script block "hospital-map-config" (no inline scripts). */
(function () {
  "use strict";

  var configElement = document.getElementById("hospital-map-config");
  var form = document.getElementById("nearest-form");
  if (!configElement || !form) return;
  var config = JSON.parse(configElement.textContent);
  var text = config.text;
  var statusLine = document.getElementById("search-status");
  // Polite status lines a screen reader reads as they change: the place box's suggestions and a
  // marker's popup, both of which appear without taking the focus.
  var suggestionsSaid = document.getElementById("place-suggestions-said");
  var mapSaid = document.getElementById("map-said");
  var resultsSection = document.getElementById("nearest-results");
  var mapNote = document.getElementById("map-note");
  var skipToResults = document.getElementById("skip-to-results");
  var placeInput = form.elements.place;
  var latInput = form.elements.lat;
  var lonInput = form.elements.lon;
  var countInput = form.elements.k;
  var allTypesInput = form.elements.all_types;
  var lang = document.documentElement.lang || "en";
  var kmFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  document.querySelectorAll(".js-only").forEach(function (element) { element.hidden = false; });

  function say(line, message) {
    if (line) line.textContent = message || "";
  }

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_, key) { return values[key]; });
  }

  // `reveal`: the line is scrolled into view. It sits at the foot of the form, below the fold on
  // a short window or a phone, where "Searching…" or "Location permission was refused" after a
  // press of a button above went unseen.
  function setStatus(message, reveal) {
    statusLine.textContent = message || "";
    if (message && reveal) statusLine.scrollIntoView({ block: "nearest" });
  }
  statusLine.style.scrollMarginBottom = "1rem"; // off the window's edge when scrolled to

  // Some browsers cannot tell their location (old ones; others outside HTTPS): the "Use my
  // location" button stays hidden there, and no message may tell the user to press it.
  var canLocate = "geolocation" in navigator;

  function showMapNote() { if (mapNote) mapNote.hidden = false; }

  // --- the map (optional: the list works when Leaflet or the tiles are missing) ---------------
  var map = null;
  var markers = null;
  if (window.L) {
    // On a touch screen one finger scrolls the page and two move and zoom the map: the map
    // fills most of a phone's screen, and a one-finger swipe over it panned the map, so the page
    // could not be scrolled past it. Decided per press, by its pointer type, not once per page by
    // the device: a laptop with a touch screen has a mouse too (its main pointer, "fine"), and a
    // finger swiping there to scroll the page moved the map. A touch turns Leaflet's dragging off
    // before Leaflet sees it (pointerdown comes before touchstart; the listener is the capture
    // phase's), a mouse or pen turns it back on. The container keeps "touch-action: pan-x pan-y"
    // (hospitals.css) whatever dragging's class says, so that the browser scrolls under one
    // finger; Leaflet's pinch handler (touchZoom) moves the map with the two fingers' midpoint.
    map = L.map("hospital-map", {
      worldCopyJump: true, zoomControl: false, dragging: true, touchZoom: true
    }).setView([0, 20], 2);
    var mapBox = map.getContainer();
    mapBox.addEventListener("pointerdown", function (event) {
      if (event.pointerType === "touch") map.dragging.disable();
      else map.dragging.enable();
    }, true);
    // One finger that moves on the map is told, over the map, to use two (the caption under
    // the map says it too). Hidden from screen readers: it answers a swipe, not a reading.
    var twoFingersHint = document.createElement("p");
    twoFingersHint.className = "map-touch-hint";
    twoFingersHint.textContent = text.two_fingers;
    twoFingersHint.setAttribute("aria-hidden", "true");
    twoFingersHint.hidden = true;
    mapBox.appendChild(twoFingersHint);
    var hintTimer = null;
    var oneFingerFrom = null;
    function hideHint() { twoFingersHint.hidden = true; }
    mapBox.addEventListener("touchstart", function (event) {
      var touch = event.touches[0];
      oneFingerFrom = event.touches.length === 1 ? { x: touch.clientX, y: touch.clientY } : null;
      if (event.touches.length > 1) hideHint();
    }, { passive: true });
    mapBox.addEventListener("touchmove", function (event) {
      if (!oneFingerFrom || event.touches.length !== 1) return;
      var touch = event.touches[0];
      // A tap searches from that point: only a finger that moved is a swipe.
      if (Math.abs(touch.clientX - oneFingerFrom.x) + Math.abs(touch.clientY - oneFingerFrom.y) < 10) return;
      oneFingerFrom = null;
      twoFingersHint.hidden = false;
      clearTimeout(hintTimer);
      hintTimer = setTimeout(hideHint, 2000);
    }, { passive: true });
    // Leaflet's own zoom control, with the button titles in the page's language.
    L.control.zoom({ zoomInTitle: text.zoom_in, zoomOutTitle: text.zoom_out }).addTo(map);
    // Leaflet's credit link, described in the page's language (its own title is English).
    var credit = document.createElement("a");
    credit.href = "https://leafletjs.com";
    credit.title = text.leaflet;
    credit.textContent = "Leaflet";
    map.attributionControl.setPrefix(credit.outerHTML);
    if (config.tiles) {
      var tiles = L.tileLayer(config.tiles, { maxZoom: 19, attribution: config.attribution });
      // One failed tile is enough to say so: offline, every tile fails.
      tiles.on("tileerror", showMapNote);
      tiles.addTo(map);
    }
    markers = L.layerGroup().addTo(map);
    map.on("click", function (event) {
      var point = event.latlng.wrap();
      placeInput.value = "";
      searchCoordinates(point.lat, point.lng, { fromMap: true });
    });
  } else {
    document.getElementById("hospital-map").hidden = true;
    showMapNote();
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
    // The link past the markers is there while there are markers to skip.
    if (skipToResults) skipToResults.hidden = !(origin && results && results.length);
    if (!origin) return;
    var bounds = [[origin.lat, origin.lon]];
    var searchPoint = L.circleMarker([origin.lat, origin.lon], { radius: 8, color: "#b42318", weight: 3 })
      .bindTooltip(text.you).addTo(markers);
    // The tooltip's focus listeners make Chrome put this SVG path in the tab order, with no name,
    // between the map and the hospitals' markers. The point is the search's own, said in the
    // results heading: no tab stop; hovered, it still says what it is.
    if (searchPoint.getElement()) searchPoint.getElement().setAttribute("tabindex", "-1");
    results.forEach(function (hospital) {
      var position = [hospital.latitude, nearLongitude(hospital.longitude, origin.lon)];
      var popup = document.createElement("div");
      var name = document.createElement("strong");
      name.textContent = hospital.name;
      popup.appendChild(name);
      popup.appendChild(document.createElement("br"));
      var away = format(text.km_away, { km: kmFormat.format(hospital.distance_km) });
      popup.appendChild(document.createTextNode(away));
      // Named by its alt only: a title of the same words made it a description too, said twice.
      L.marker(position, { alt: hospital.name }).bindPopup(popup).addTo(markers)
        .on("popupopen", function () { say(mapSaid, hospital.name + ", " + away); })
        .on("popupclose", function () { say(mapSaid, ""); });
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

  // `here`: the search point is the browser's location, said in words; its coordinates follow.
  function drawList(data, here) {
    var results = data.results;
    resultsSection.replaceChildren();
    var heading = element("h2", null, here ? text.heading_here : format(text.heading, { place: data.origin.label }));
    heading.id = "results-heading";
    resultsSection.appendChild(heading);
    if (here) {
      var point = element("p", "muted small", data.origin.lat.toFixed(4) + ", " + data.origin.lon.toFixed(4));
      point.id = "results-coordinates";
      resultsSection.appendChild(point);
    }
    var coverage = element("p", "coverage coverage-" + data.coverage, data.message);
    if (data.coverage !== "ok") coverage.className += " alert " + (data.coverage === "none" ? "alert-error" : "alert-warning");
    coverage.id = "coverage-message";
    coverage.dataset.coverage = data.coverage;
    if (data.listed_here) resultsSection.appendChild(drawListedHere(data.listed_here));
    resultsSection.appendChild(coverage);
    if (!results.length) return;
    var list = element("ol", "hospital-list");
    list.id = "hospital-list";
    results.forEach(function (hospital) {
      var item = element("li", "card hospital-item");
      item.appendChild(element("h3", null, hospital.name));
      var distance = element("p", "hospital-distance", format(text.km_away, { km: kmFormat.format(hospital.distance_km) }));
      distance.appendChild(document.createTextNode(" · "));
      var kind = hospital.category_label;
      if (hospital.category === "unknown" && hospital.type) kind += " (" + hospital.type + ")";
      distance.appendChild(element("span", "hospital-type", kind));
      item.appendChild(distance);
      var where = [hospital.address, hospital.place].filter(Boolean).join(", ");
      if (where) item.appendChild(element("p", null, where));
      if (hospital.warnings.length) {
        var warning = element("div", "hospital-warning");
        var title = element("p");
        title.appendChild(element("strong", null, text.doubtful));
        warning.appendChild(title);
        var reasons = element("ul");
        hospital.warnings.forEach(function (reason) { reasons.appendChild(element("li", null, reason)); });
        warning.appendChild(reasons);
        item.appendChild(warning);
      }
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
      directions.setAttribute("aria-label", format(text.directions_to, { name: hospital.name }));
      directions.rel = "noopener noreferrer";
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(directions);
      item.appendChild(actions);
      list.appendChild(item);
    });
    resultsSection.appendChild(list);
  }

  // The searched town's own hospitals whose map position is doubtful, as the page lists them
  // (nearest.html's #listed-here): apart, without a distance or a route, which would follow it.
  function drawListedHere(listed) {
    var section = element("section", "listed-here");
    section.id = "listed-here";
    section.setAttribute("aria-labelledby", "listed-here-heading");
    var heading = element("p", "coverage alert alert-warning");
    heading.id = "listed-here-heading";
    heading.appendChild(element("strong", null, listed.heading));
    section.appendChild(heading);
    var list = element("ul", "hospital-list");
    listed.hospitals.forEach(function (hospital) {
      var item = element("li", "card hospital-item");
      item.appendChild(element("h3", null, hospital.name));
      var warning = element("div", "hospital-warning");
      var note = element("p");
      note.appendChild(element("strong", null, hospital.note));
      warning.appendChild(note);
      if (hospital.warnings.length) {
        var reasons = element("ul");
        hospital.warnings.forEach(function (reason) { reasons.appendChild(element("li", null, reason)); });
        warning.appendChild(reasons);
      }
      item.appendChild(warning);
      var kind = hospital.category_label;
      if (hospital.category === "unknown" && hospital.type) kind += " (" + hospital.type + ")";
      var kindLine = element("p");
      kindLine.appendChild(element("span", "hospital-type", kind));
      item.appendChild(kindLine);
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
      item.appendChild(actions);
      list.appendChild(item);
    });
    section.appendChild(list);
    return section;
  }

  // --- searching ---------------------------------------------------------------------------------
  // `suggestions` (optional): {lead, places: [{label, detail, url}]}, links that run a search
  // for a place of a close name ("Did you mean: Bandung, Indonesia").
  function showPlaceError(message, suggestions) {
    ["place-error", "place-did-you-mean"].forEach(function (id) {
      var existing = document.getElementById(id);
      if (existing) existing.remove();
    });
    // The server's own error list, from a search without this script (or a shared link).
    placeInput.closest(".place-field").querySelectorAll(".errorlist").forEach(function (list) { list.remove(); });
    if (!message) {
      placeInput.removeAttribute("aria-invalid");
      placeInput.removeAttribute("aria-describedby");
      return;
    }
    var error = element("p", "field-error", message);
    error.id = "place-error";
    // Announced as it appears: the field's description alone is read only when the field is
    // focused again, and the status line was just cleared.
    error.setAttribute("role", "alert");
    placeInput.setAttribute("aria-invalid", "true");
    placeInput.setAttribute("aria-describedby", "place-error");
    placeInput.closest(".place-field").appendChild(error);
    if (suggestions && suggestions.places && suggestions.places.length) {
      var line = element("p", "place-did-you-mean", suggestions.lead + " ");
      line.id = "place-did-you-mean";
      suggestions.places.forEach(function (place, i) {
        var link = element("a", "", place.label + (place.detail ? " (" + place.detail + ")" : ""));
        link.href = place.url;
        if (i) line.appendChild(document.createTextNode(", "));
        line.appendChild(link);
      });
      placeInput.closest(".place-field").appendChild(line);
      placeInput.setAttribute("aria-describedby", "place-error place-did-you-mean");
    }
  }

  // The results and their heading, brought into view with the focus on the heading: the list
  // lies below the form and the map (below the fold on a phone), where nothing showed that a
  // search had run, and a screen reader or keyboard user lands on the results, not on the map.
  function showResults() {
    var heading = document.getElementById("results-heading");
    heading.tabIndex = -1;
    heading.scrollIntoView({ block: "start" });
    heading.focus({ preventScroll: true });
  }

  // "Skip to the results" puts the focus on the results' heading, as a search does: a jump to
  // the #fragment alone scrolls but moves no focus, and a screen reader stays on the link.
  if (skipToResults) {
    skipToResults.addEventListener("click", function (event) {
      if (!document.getElementById("results-heading")) return;
      event.preventDefault();
      showResults();
    });
  }

  // `fromMap`: the search point was clicked on the map. The page and the focus stay where they
  // are: the user is looking at the map, whose markers change.
  function run(params, fromMap) {
    if (countInput && countInput.value) params.set("k", countInput.value);
    if (allTypesInput && allTypesInput.checked) params.set("all_types", "on");
    setStatus(text.searching, !fromMap);
    cancelSuggestions();
    fetch(config.endpoint + "?" + params.toString(), { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      })
      .then(function (answer) {
        if (!answer.ok) {
          setStatus("");
          if (answer.data.errors && answer.data.errors.place) {
            var message = canLocate ? answer.data.message : answer.data.message_without_location_button || answer.data.message;
            showPlaceError(message, answer.data.suggestions);
            // The last search's list and markers would read as this one's answer ("Nearest
            // open hospitals to Surabaya" under "We could not find “Sekupang”"): gone, as on the
            // server's page for a place not found.
            resultsSection.replaceChildren();
            drawMarkers(null);
            return;
          }
          throw new Error(answer.data.message);
        }
        var data = answer.data;
        setStatus("");
        showPlaceError("");
        latInput.value = data.origin.lat.toFixed(5);
        lonInput.value = data.origin.lon.toFixed(5);
        chosen = data.origin;
        var here = params.get("here") === "1";
        drawList(data, here);
        drawMarkers(data.origin, data.results);
        if (!fromMap) {
          showResults();
        } else {
          // The focus stays on the map: the new heading is said in one line.
          var said = document.getElementById("results-said");
          var heading = document.getElementById("results-heading");
          if (said && heading) said.textContent = heading.textContent.trim();
        }
        // A shared or reloaded link is a search from those coordinates, not "your location".
        params.delete("here");
        history.replaceState(null, "", "?" + params.toString());
      })
      .catch(function () {
        // Let the server render the form with its field errors.
        setStatus(text.failed);
        form.submit();
      });
  }

  // `how.here`: the coordinates are the browser's location ("Use my location"); `how.fromMap`:
  // they were clicked on the map.
  function searchCoordinates(lat, lon, how) {
    how = how || {};
    latInput.value = lat.toFixed(5);
    lonInput.value = lon.toFixed(5);
    var params = new URLSearchParams({ lat: latInput.value, lon: lonInput.value });
    if (how.here) params.set("here", "1");
    run(params, how.fromMap);
  }

  // Two towns may share a label ("Depok, Indonesia"): a chosen suggestion, or the place the
  // page was opened with, travels with its coordinates so that the server searches that one.
  var chosen = config.origin;

  function placeParams(place) {
    var params = new URLSearchParams({ place: place });
    if (chosen && chosen.label === place) {
      params.set("lat", chosen.lat);
      params.set("lon", chosen.lon);
    }
    return params;
  }

  form.addEventListener("submit", function (event) {
    var place = placeInput.value.trim();
    if (place) {
      event.preventDefault();
      run(placeParams(place));
      return;
    }
    var lat = parseFloat(latInput.value);
    var lon = parseFloat(lonInput.value);
    if (!isFinite(lat) || !isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return;
    event.preventDefault();
    searchCoordinates(lat, lon);
  });

  // --- suggestions as you type (an ARIA combobox over a list of options) ------------------------
  var suggestionList = document.getElementById("place-suggestions");
  var suggestions = [];
  var active = -1;
  var pending = null;
  var lastQuery = "";
  placeInput.setAttribute("role", "combobox");
  placeInput.setAttribute("aria-autocomplete", "list");
  placeInput.setAttribute("aria-controls", "place-suggestions");
  placeInput.setAttribute("aria-expanded", "false");

  function closeSuggestions() {
    suggestionList.hidden = true;
    suggestionList.replaceChildren();
    placeInput.setAttribute("aria-expanded", "false");
    placeInput.removeAttribute("aria-activedescendant");
    suggestions = [];
    active = -1;
    say(suggestionsSaid, "");
  }

  // A search or leaving the box also drops suggestions still on their way.
  function cancelSuggestions() {
    if (pending) clearTimeout(pending);
    pending = null;
    lastQuery = null;
    closeSuggestions();
  }

  function choose(index) {
    var place = suggestions[index];
    if (!place) return;
    placeInput.value = place.label;
    closeSuggestions();
    chosen = place;
    run(placeParams(place.label));
  }

  function highlight(index) {
    var options = suggestionList.children;
    if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
    active = index;
    if (active >= 0 && options[active]) {
      options[active].setAttribute("aria-selected", "true");
      placeInput.setAttribute("aria-activedescendant", options[active].id);
      options[active].scrollIntoView({ block: "nearest" });
    } else {
      placeInput.removeAttribute("aria-activedescendant");
    }
  }

  function showSuggestions(places) {
    closeSuggestions();
    suggestions = places;
    if (!places.length) {
      say(suggestionsSaid, text.no_suggestions);
      return;
    }
    say(suggestionsSaid, format(places.length === 1 ? text.suggestions_one : text.suggestions_many,
                                { count: places.length }));
    places.forEach(function (place, index) {
      var option = element("li", "place-option", place.label);
      // Towns that share a label ("Depok, Indonesia") each come with words that tell them apart.
      if (place.detail) {
        option.appendChild(document.createTextNode(" "));
        option.appendChild(element("span", "place-detail", "(" + place.detail + ")"));
      }
      option.id = "place-option-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", "false");
      // mousedown, not click: the input must not lose focus (and close the list) first.
      option.addEventListener("mousedown", function (event) { event.preventDefault(); choose(index); });
      suggestionList.appendChild(option);
    });
    suggestionList.hidden = false;
    placeInput.setAttribute("aria-expanded", "true");
  }

  placeInput.addEventListener("input", function () {
    var query = placeInput.value.trim();
    showPlaceError("");
    if (pending) clearTimeout(pending);
    if (query.length < 2) { closeSuggestions(); return; }
    pending = setTimeout(function () {
      lastQuery = query;
      fetch(config.places + "?" + new URLSearchParams({ q: query }).toString(), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { places: [] }; })
        .then(function (data) {
          // An answer to an older query (typing went on) is dropped.
          if (data.query === lastQuery && placeInput.value.trim() === lastQuery) showSuggestions(data.places);
        })
        .catch(closeSuggestions);
    }, 150);
  });

  placeInput.addEventListener("keydown", function (event) {
    if (suggestionList.hidden) return;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      highlight((active + 1) % suggestions.length);
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      highlight(active <= 0 ? suggestions.length - 1 : active - 1);
    } else if (event.key === "Enter" && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      closeSuggestions();
    }
  });
  placeInput.addEventListener("blur", cancelSuggestions);

  // --- the browser's location --------------------------------------------------------------------
  var locateButton = document.getElementById("use-location");
  if (!canLocate) {
    locateButton.parentElement.hidden = true;
    document.getElementById("use-location-note").hidden = true;
    // The server's message for a place not found (a shared link, a reload): its variant that
    // names no button, as without this script.
    document.querySelectorAll(".miss-with-location-button").forEach(function (span) { span.hidden = true; });
    document.querySelectorAll(".miss-without-location-button").forEach(function (span) { span.classList.remove("js-hide"); });
  }
  locateButton.addEventListener("click", function () {
    setStatus(text.locating, true);
    navigator.geolocation.getCurrentPosition(
      function (position) {
        placeInput.value = "";
        searchCoordinates(position.coords.latitude, position.coords.longitude, { here: true });
      },
      function (error) { setStatus(error.code === error.PERMISSION_DENIED ? text.denied : text.unavailable, true); },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  });

  drawMarkers(config.origin, config.results);
})();
