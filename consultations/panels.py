"""wagtailgeowidget's Leaflet map panel, loading Leaflet from our own static files.

The upstream ``LeafletField`` widget puts ``https://unpkg.com/leaflet@1.9.4/dist/leaflet.{css,js}``
in its media; the site must make no third-party requests besides map tiles, so this subclass serves
the same Leaflet release from ``static/vendor/leaflet/`` (see its README).
"""

from django import forms
from django.utils.functional import cached_property
from wagtailgeowidget import panels as geo_panels
from wagtailgeowidget import widgets as geo_widgets

LEAFLET_CSS = "vendor/leaflet/leaflet.css"
LEAFLET_JS = "vendor/leaflet/leaflet.js"


class LocalLeafletField(geo_widgets.LeafletField):
    """The map picker widget with Leaflet from our static files (same markup and options upstream uses).

    Telepath finds upstream's ``LeafletFieldAdapter`` for it through the class hierarchy.
    """

    @cached_property
    def media(self):
        return forms.Media(
            css={"all": (LEAFLET_CSS, "wagtailgeowidget/css/leaflet-field.css")},
            js=(LEAFLET_JS, "wagtailgeowidget/js/leaflet-field.js", "wagtailgeowidget/js/leaflet-field-controller.js"),
        )


class LeafletPanel(geo_panels.LeafletPanel):
    """``LeafletPanel("location", zoom_field="zoom")`` with :class:`LocalLeafletField` as its widget."""

    def widget_overrides(self):
        field = self.model._meta.get_field(self.field_name)
        return {
            self.field_name: LocalLeafletField(
                address_field=self.address_field,
                zoom_field=self.zoom_field,
                hide_latlng=self.hide_latlng,
                zoom=self.zoom,
                srid=getattr(field, "srid", 4326),
                id_prefix="id_",
            )
        }
