"""The area on a map that a participation page covers: one field definition shared by the idea map (where ideas
may be placed) and the collaboration pact (what the pact looks after), with its validator, its admin panel (draw
the polygon, or paste GeoJSON) and the geometry the pages ask of it, written once."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel

from participation import geometry
from participation.panels import AreaWidget


def validate_area(value):
    try:
        geometry.parse_area(value)
    except geometry.AreaError as error:
        raise ValidationError(
            _("The area is not a usable GeoJSON polygon: %(reason)s. Draw it on the map, or paste GeoJSON."),
            code="invalid_area",
            params={"reason": str(error)},
        ) from None


class MapAreaMixin(models.Model):
    """A page covering an area of the city: the GeoJSON polygon(s), parsed once per page object."""

    area = models.TextField(
        _("area"),
        validators=[validate_area],
        help_text=_("Draw the polygon on the map, or paste GeoJSON (a Polygon in longitude, latitude order)."),
    )

    class Meta:
        abstract = True

    @classmethod
    def area_panel(cls, help_text=None):
        """The area's admin panel (the drawing widget); ``help_text`` says what the area means on this page."""
        return FieldPanel("area", widget=AreaWidget, help_text=help_text)

    @property
    def area_polygons(self):
        polygons = self.__dict__.get("_area_polygons")
        if polygons is None:
            polygons = self.__dict__["_area_polygons"] = geometry.parse_area(self.area)
        return polygons

    def contains(self, lat, lng):
        return geometry.contains(self.area_polygons, lng, lat)
