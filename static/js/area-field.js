/* The idea map's area in the Wagtail admin (participation/panels.py AreaWidget): a Leaflet map with
   Leaflet.draw beside the GeoJSON text field. Drawing or editing the polygon writes GeoJSON into the
   field; pasting GeoJSON into the field redraws the map. The text field alone works without it. */
(function () {
  "use strict";

  function start(wrapper) {
    if (wrapper.dataset.started || typeof L === "undefined" || !L.Control.Draw) return;
    wrapper.dataset.started = "1";
    var field = wrapper.querySelector("textarea");
    var node = wrapper.querySelector("[data-area-map]");
    var config = JSON.parse(node.getAttribute("data-area-map"));
    var map = L.map(node).setView(config.centre, config.zoom);
    L.tileLayer(config.tiles, { attribution: config.attribution, maxZoom: config.maxZoom }).addTo(map);
    var drawn = new L.FeatureGroup().addTo(map);

    function load() {
      drawn.clearLayers();
      try {
        var data = JSON.parse(field.value);
        L.geoJSON(data).eachLayer(function (layer) { drawn.addLayer(layer); });
        if (drawn.getLayers().length) map.fitBounds(drawn.getBounds(), { padding: [20, 20] });
      } catch (error) { /* not JSON yet: the server says what is wrong on save */ }
    }

    function save() {
      var layers = drawn.getLayers();
      if (!layers.length) { field.value = ""; return; }
      var geometry = layers[layers.length - 1].toGeoJSON().geometry;
      field.value = JSON.stringify(geometry);
      field.dispatchEvent(new Event("change", { bubbles: true }));
    }

    map.addControl(new L.Control.Draw({
      draw: { polygon: { allowIntersection: false, showArea: false }, polyline: false, rectangle: true,
              circle: false, circlemarker: false, marker: false },
      edit: { featureGroup: drawn },
    }));
    map.on(L.Draw.Event.CREATED, function (event) {
      drawn.clearLayers();  // one area: a new drawing replaces the old one
      drawn.addLayer(event.layer);
      save();
    });
    map.on(L.Draw.Event.EDITED, save);
    map.on(L.Draw.Event.DELETED, save);
    field.addEventListener("input", load);
    load();
  }

  function scan() { document.querySelectorAll("[data-area-field]").forEach(start); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", scan);
  else scan();
  document.addEventListener("w-formset:added", scan);
})();
