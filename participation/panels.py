"""The idea map's area in the admin: a GeoJSON text field with a map to draw it on.

wagtailgeowidget picks points only; the area is a polygon, drawn with Leaflet.draw (vendored in
``static/vendor/leaflet.draw/``, loaded from our own static files like Leaflet itself). The text
field stays: an editor may paste GeoJSON from the city's GIS instead of drawing.
"""

import json

from django import forms
from django.conf import settings
from django.utils.functional import cached_property
from django.utils.html import format_html

from consultations.panels import LEAFLET_CSS, LEAFLET_JS


class AreaWidget(forms.Textarea):
    def __init__(self, attrs=None):
        super().__init__(attrs={"rows": 4, "class": "area-field__text", **(attrs or {})})

    @cached_property
    def media(self):
        return forms.Media(
            css={"all": (LEAFLET_CSS, "vendor/leaflet.draw/leaflet.draw.css", "css/area-field.css")},
            js=(LEAFLET_JS, "vendor/leaflet.draw/leaflet.draw.js", "js/area-field.js"),
        )

    def render(self, name, value, attrs=None, renderer=None):
        text = super().render(name, value, attrs, renderer)
        default = settings.GEO_WIDGET_DEFAULT_LOCATION
        config = {
            "centre": [default["lat"], default["lng"]],
            "zoom": 14,
            "tiles": settings.GEO_WIDGET_LEAFLET_TILE_LAYER,
            "attribution": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("attribution", ""),
            "maxZoom": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("maxZoom", 19),
        }
        return format_html(
            '<div class="area-field" data-area-field><div class="area-field__map" data-area-map="{}"></div>{}</div>',
            json.dumps(config),
            text,
        )
