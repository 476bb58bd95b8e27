/* Idea maps (participation/ideas.py): the map beside the list, the point picker of the form, an idea's
   small map, and the form's live "similar ideas" check. Progressive enhancement only: the list, the
   named places and the coordinate fields work without this script. No inline script or style: the
   configuration comes from the element's data-map attribute (JSON), colours from CSS classes. */
(function () {
  "use strict";

  function text(config, key) {
    return (config.text && config.text[key]) || key;
  }

  function element(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  }

  var icons = {};

  function markerIcon(colour) {
    // One icon per colour, shared by every marker of that colour (an icon holds no marker state).
    colour = colour || "grey";
    if (!icons[colour]) {
      icons[colour] = L.divIcon({
        className: "idea-marker idea-marker--" + colour,
        html: "",
        iconSize: [24, 24], // WCAG 2.2's minimum target size
        iconAnchor: [12, 12],
        popupAnchor: [0, -10],
      });
    }
    return icons[colour];
  }

  function baseMap(node, config) {
    var map = L.map(node, { scrollWheelZoom: false }).setView(config.centre, config.zoom);
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: config.maxZoom }).addTo(map);
    if (config.area) {
      L.geoJSON(config.area, {
        interactive: false,
        style: { color: "#0066cc", weight: 2, fillOpacity: 0.05 },
      }).addTo(map);
    }
    return map;
  }

  function popup(feature, config) {
    var box = element("div", "idea-popup");
    var link = element("a", "fw-bold", feature.properties.title);
    link.href = feature.properties.url;
    box.appendChild(link);
    box.appendChild(element("div", "small", feature.properties.category + " · " + feature.properties.status_label));
    if (feature.properties.reference) {
      // A neighbourhood report: its reference and date instead of supporters and comments.
      box.appendChild(element("div", "small", feature.properties.reference));
      return box;
    }
    box.appendChild(
      element(
        "div",
        "small",
        text(config, "supporters").replace("%(count)s", feature.properties.supporters) +
          " · " +
          text(config, "comments").replace("%(count)s", feature.properties.comments)
      )
    );
    return box;
  }

  // Markers made per task, and the cluster layer's time per chunk (ms): small enough that no task blocks
  // the page for long even on a slow phone (Lighthouse counts a task of 12 ms here as 50 ms there).
  var SLICE = 100;
  var CHUNK_MS = 10;
  var LOAD_WAIT_MS = 3000; // the feed waits for the page's load event at most this long
  var IDLE_WAIT_MS = 1000; // and then for an idle moment at most this long

  function showIdeas(node, map, config) {
    // Thousands of ideas: markers are made in slices between tasks, and the cluster layer adds them in
    // short chunks (chunkInterval), so neither typing nor scrolling waits for the map.
    var clustered = typeof L.markerClusterGroup === "function";
    if (clustered) {
      // Clusters are not tab stops either: with thousands of ideas they overlap, so they cannot all be the
      // 24-pixel targets WCAG 2.2 asks for (Lighthouse's target-size). The map itself still pans and zooms
      // from the keyboard (arrows, + and -), and the list beside it is the equivalent control.
      L.MarkerCluster.mergeOptions({ keyboard: false });
    }
    var layer = clustered
      ? L.markerClusterGroup({
          showCoverageOnHover: false,
          chunkedLoading: true,
          chunkInterval: CHUNK_MS,
          chunkDelay: CHUNK_MS,
        })
      : L.layerGroup();
    var category = node.getAttribute("data-category");
    var status = node.getAttribute("data-status");
    layer.addTo(map);

    function marker(feature) {
      var c = feature.geometry.coordinates;
      var made = L.marker([c[1], c[0]], {
        icon: markerIcon(feature.properties.colour),
        title: feature.properties.title,
        alt: feature.properties.title,
        // Not a tab stop: thousands of them would bury the page for keyboard users, and overlapping
        // markers cannot all be the 24-pixel targets WCAG 2.2 asks for. The list beside the map holds
        // every idea and every action.
        keyboard: false,
      });
      made.bindPopup(function () { return popup(feature, config); });
      return made;
    }

    function makeFrom(features, start, markers) {
      for (var i = start; i < features.length && i < start + SLICE; i++) {
        var feature = features[i];
        if (category && feature.properties.category_key !== category) continue;
        if (status && feature.properties.status !== status) continue;
        markers.push(marker(feature));
      }
      if (start + SLICE < features.length) {
        window.setTimeout(function () { makeFrom(features, start + SLICE, markers); }, 0);
      } else if (clustered) {
        layer.addLayers(markers); // one pass, itself in chunks of CHUNK_MS
      } else {
        markers.forEach(function (one) { layer.addLayer(one); });
      }
    }

    afterLoadAndIdle(function () {
      fetch(config.feed, { headers: { Accept: "application/geo+json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { features: [] }; })
        .then(function (collection) { makeFrom(collection.features, 0, []); })
        .catch(function () { /* the list beside the map holds every idea */ });
    });
  }

  function afterLoadAndIdle(callback) {
    // The feed (thousands of features, hundreds of KB gzipped) is asked for once the page has loaded and
    // the browser is idle (at most LOAD_WAIT_MS after this script runs, should the tiles be slow): the
    // heading, the text and the list first, the markers after. Asked for right after the first frame, on a
    // busy phone its download still began before the largest paint and could hold that up by seconds.
    var called = false;
    function once() {
      if (called) return;
      called = true;
      if (window.requestIdleCallback) window.requestIdleCallback(callback, { timeout: IDLE_WAIT_MS });
      else window.setTimeout(callback, 0);
    }
    if (document.readyState === "complete") {
      once();
    } else {
      window.addEventListener("load", once, { once: true });
      window.setTimeout(once, LOAD_WAIT_MS);
    }
  }

  function picker(node, map, config) {
    var form = node.closest("form");
    var lat = form.querySelector("[name=latitude]");
    var lng = form.querySelector("[name=longitude]");
    var place = form.querySelector("[name=place]");
    var said = document.getElementById("map-picked");
    var marker = null;

    function put(latlng, announce) {
      if (marker) marker.setLatLng(latlng);
      else marker = L.marker(latlng, { icon: markerIcon("blue"), keyboard: false, interactive: false }).addTo(map);
      if (announce && said) {
        said.textContent = text(config, "picked")
          .replace("%(lat)s", latlng.lat.toFixed(6))
          .replace("%(lng)s", latlng.lng.toFixed(6));
      }
    }

    if (lat.value && lng.value && !isNaN(parseFloat(lat.value)) && !isNaN(parseFloat(lng.value))) {
      put(L.latLng(parseFloat(lat.value), parseFloat(lng.value)), false);
    }
    map.on("click", function (event) {
      lat.value = event.latlng.lat.toFixed(6);
      lng.value = event.latlng.lng.toFixed(6);
      if (place) place.value = "";
      put(event.latlng, true);
      form.dispatchEvent(new Event("idea:moved"));
    });
    [lat, lng].forEach(function (input) {
      input.addEventListener("change", function () {
        var a = parseFloat(lat.value), b = parseFloat(lng.value);
        if (!isNaN(a) && !isNaN(b)) put(L.latLng(a, b), false);
        form.dispatchEvent(new Event("idea:moved"));
      });
    });
    if (place) {
      place.addEventListener("change", function () { form.dispatchEvent(new Event("idea:moved")); });
    }
  }

  function similarCheck(form, config) {
    var url = form.getAttribute("data-similar");
    var out = document.getElementById("similar-live");
    if (!url || !out) return;
    var timer = null;
    function run() {
      var title = form.querySelector("[name=title]").value.trim();
      var query = new URLSearchParams({
        latitude: form.querySelector("[name=latitude]").value,
        longitude: form.querySelector("[name=longitude]").value,
        category: form.querySelector("[name=category]").value,
        text: title + " " + form.querySelector("[name=description]").value,
      });
      var place = form.querySelector("[name=place]");
      if (place && place.value && place.selectedOptions.length && !query.get("latitude")) query.set("place", place.value);
      if (title.length < 4) { out.textContent = ""; return; }
      fetch(url + "?" + query.toString(), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { nearby: [], alike: [] }; })
        .then(function (found) {
          out.textContent = "";
          var ideas = found.nearby.concat(found.alike);
          if (!ideas.length) return;
          out.appendChild(element("p", "fw-bold mb-1", text(config, "similar")));
          var list = element("ul", "mb-3");
          ideas.forEach(function (idea) {
            var item = element("li");
            var link = element("a", "", idea.title);
            link.href = idea.url;
            item.appendChild(link);
            item.appendChild(document.createTextNode(" (" + text(config, "supporters").replace("%(count)s", idea.supporters) + ") "));
            var support = element("a", "", text(config, "instead"));
            support.href = idea.url + "#support";
            item.appendChild(support);
            list.appendChild(item);
          });
          out.appendChild(list);
        })
        .catch(function () {});
    }
    function later() { clearTimeout(timer); timer = setTimeout(run, 600); }
    ["title", "description", "category"].forEach(function (name) {
      var input = form.querySelector("[name=" + name + "]");
      if (input) input.addEventListener("input", later);
      if (input) input.addEventListener("change", later);
    });
    form.addEventListener("idea:moved", later);
  }

  function start() {
    if (typeof L === "undefined") return;
    document.querySelectorAll("[data-map]").forEach(function (node) {
      var config;
      try { config = JSON.parse(node.getAttribute("data-map")); } catch (error) { return; }
      node.classList.add("idea-map--live");
      var map = baseMap(node, config);
      if (config.points) {
        // A collaboration pact's area and its activities' places (the page lists the same places as text).
        config.points.forEach(function (point) {
          L.marker([point.lat, point.lng], { icon: markerIcon("green"), keyboard: false, title: point.name }).addTo(map);
        });
      } else if (config.idea) {
        L.marker(config.centre, { icon: markerIcon("blue"), keyboard: false, interactive: false }).addTo(map);
      } else if (node.hasAttribute("data-pick")) {
        picker(node, map, config);
        similarCheck(node.closest("form"), config);
      } else {
        showIdeas(node, map, config);
      }
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
