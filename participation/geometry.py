"""Plain-coordinate geometry for idea maps: GeoJSON areas, point-in-polygon and distances.

Areas are stored as GeoJSON (RFC 7946: ``[longitude, latitude]`` pairs, WGS 84) in a text field,
with no GeoDjango: one polygon (or a MultiPolygon) of a few dozen vertices, tested in Python.
A point on the border counts as inside (a citizen who clicks on the fence is in the park).
"""

import json
import math

EARTH_RADIUS_M = 6_371_008.8
# A point this close to the border (in degrees, about 1 cm) is on it: clicks are never that precise.
ON_BORDER = 1e-7
MAX_VERTICES = 2000


class AreaError(ValueError):
    """The text is not an area this site can use; the message says why (translatable by the caller)."""


def _ring(coordinates):
    if not isinstance(coordinates, list) or len(coordinates) < 4:
        raise AreaError("a ring needs at least four positions (the first repeated at the end)")
    ring = []
    for position in coordinates:
        if (
            not isinstance(position, list | tuple)
            or len(position) < 2
            or not all(isinstance(value, int | float) and not isinstance(value, bool) for value in position[:2])
        ):
            raise AreaError("every position is [longitude, latitude]")
        lng, lat = float(position[0]), float(position[1])
        if not (math.isfinite(lng) and math.isfinite(lat)) or not (-180 <= lng <= 180 and -90 <= lat <= 90):
            raise AreaError("a position lies outside the world (longitude −180…180, latitude −90…90)")
        ring.append((lng, lat))
    if ring[0] != ring[-1]:
        raise AreaError("a ring must end where it starts")
    return ring


def parse_area(text):
    """GeoJSON text (a Polygon, a MultiPolygon, or a Feature/FeatureCollection holding one) → a list of
    polygons, each a list of rings (the outer one first, then holes), each a list of (lng, lat)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError) as error:
        raise AreaError("not valid JSON") from error
    if isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features") or []
        if len(features) != 1:
            raise AreaError("a FeatureCollection must hold exactly one feature")
        data = features[0]
    if isinstance(data, dict) and data.get("type") == "Feature":
        data = data.get("geometry")
    if not isinstance(data, dict) or data.get("type") not in ("Polygon", "MultiPolygon"):
        raise AreaError("the area must be a GeoJSON Polygon or MultiPolygon")
    coordinates = data.get("coordinates")
    polygons = [coordinates] if data["type"] == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        raise AreaError("the area has no coordinates")
    parsed = []
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            raise AreaError("a polygon needs an outer ring")
        parsed.append([_ring(ring) for ring in polygon])
    if sum(len(ring) for polygon in parsed for ring in polygon) > MAX_VERTICES:
        raise AreaError(f"the area has more than {MAX_VERTICES} vertices")
    return parsed


def _on_segment(px, py, ax, ay, bx, by):
    cross = (bx - ax) * (py - ay) - (by - ay) * (px - ax)
    length = math.hypot(bx - ax, by - ay)
    if length == 0:
        return math.hypot(px - ax, py - ay) <= ON_BORDER
    if abs(cross) / length > ON_BORDER:
        return False
    dot = (px - ax) * (bx - ax) + (py - ay) * (by - ay)
    return -ON_BORDER * length <= dot <= length * length + ON_BORDER * length


def _in_ring(lng, lat, ring):
    """Ray casting; None when the point is on the ring's border."""
    inside = False
    for (ax, ay), (bx, by) in zip(ring, ring[1:], strict=False):
        if _on_segment(lng, lat, ax, ay, bx, by):
            return None
        if (ay > lat) != (by > lat):
            x = ax + (lat - ay) * (bx - ax) / (by - ay)
            if lng < x:
                inside = not inside
    return inside


def contains(polygons, lng, lat):
    """Whether (lng, lat) lies in the area (its border included, its holes' inside excluded)."""
    for outer, *holes in polygons:
        state = _in_ring(lng, lat, outer)
        if state is None:
            return True
        if not state:
            continue
        in_hole = False
        for hole in holes:
            hole_state = _in_ring(lng, lat, hole)
            if hole_state is None:
                return True  # the hole's border belongs to the area
            if hole_state:
                in_hole = True
                break
        if not in_hole:
            return True
    return False


def bounds(polygons):
    """(south, west, north, east) of the area."""
    lngs = [lng for polygon in polygons for lng, _ in polygon[0]]
    lats = [lat for polygon in polygons for _, lat in polygon[0]]
    return min(lats), min(lngs), max(lats), max(lngs)


def centre(polygons):
    south, west, north, east = bounds(polygons)
    return (south + north) / 2, (west + east) / 2


def distance_m(lat1, lng1, lat2, lng2):
    """Great-circle distance in metres (haversine)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lng2 - lng1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def box_around(lat, lng, metres):
    """(min_lat, max_lat, min_lng, max_lng) of a box holding every point within ``metres``: an indexable
    pre-filter before :func:`distance_m`."""
    dlat = math.degrees(metres / EARTH_RADIUS_M)
    dlng = math.degrees(metres / (EARTH_RADIUS_M * max(math.cos(math.radians(lat)), 1e-6)))
    return lat - dlat, lat + dlat, lng - dlng, lng + dlng
