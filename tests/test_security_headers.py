"""Content-Security-Policy and Permissions-Policy on responses (the browser check is in
tests/browser/test_content_security_policy.py)."""

import pytest
from django.conf import settings

from civic_site.middleware import permissions_policy


def directives(header):
    """{"script-src": ["'self'"], ...} from a Content-Security-Policy header."""
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def test_public_pages_get_the_strict_policy(client, tree):
    for kind in ("home", "index", "consultation", "poll"):
        for code in ("it", "en"):
            response = client.get(tree[kind][code].url)
            assert response.status_code == 200
            policy = directives(response["Content-Security-Policy"])
            assert policy["default-src"] == ["'self'"]
            assert policy["script-src"] == ["'self'"]
            # No hashes either: our Bootstrap Italia build inserts no <style> (tests/test_frontend.py).
            assert policy["style-src"] == ["'self'"]
            assert policy["object-src"] == ["'none'"]
            assert policy["base-uri"] == ["'self'"]
            assert policy["form-action"] == ["'self'"]
            assert policy["frame-ancestors"] == ["'none'"]
            assert "'unsafe-inline'" not in response["Content-Security-Policy"]
            assert "'unsafe-eval'" not in response["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["/it/accounts/login/", "/en/accounts/signup/", "/it/search/?q=parco", "/healthz"])
def test_other_public_views_get_it_too(client, db, url):
    response = client.get(url)
    assert response.status_code == 200
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert directives(response["Content-Security-Policy"])["script-src"] == ["'self'"]


def test_map_tiles_host_comes_from_the_tile_layer_setting(client, tree):
    assert settings.GEO_WIDGET_LEAFLET_TILE_LAYER.startswith(settings.MAP_TILE_ORIGIN + "/")
    assert settings.MAP_TILE_ORIGIN == "https://tile.openstreetmap.org"
    policy = directives(client.get(tree["home"]["it"].url)["Content-Security-Policy"])
    assert policy["img-src"] == ["'self'", "data:", "https://tile.openstreetmap.org"]


def test_origin_of_a_tile_template_with_a_subdomain_placeholder():
    from civic_site.settings.base import origin_of

    assert origin_of("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert origin_of("https://tiles.example.org:8443/a/{z}/{x}/{y}.png?key=1") == "https://tiles.example.org:8443"


def test_the_admin_gets_its_own_looser_policy(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/admin/")
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert "https://tile.openstreetmap.org" in policy["img-src"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'self'"]


def test_permissions_policy_header(client, tree):
    response = client.get(tree["home"]["en"].url)
    assert response["Permissions-Policy"] == "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"
    assert client.get("/healthz")["Permissions-Policy"] == response["Permissions-Policy"]


def test_permissions_policy_quotes_origins():
    assert permissions_policy({"geolocation": ["self", "https://maps.example.org"], "camera": []}) == (
        'geolocation=(self "https://maps.example.org"), camera=()'
    )


def test_a_tile_layer_the_policy_does_not_allow_is_reported(settings):
    from civic_site.checks import check_map_tiles_allowed

    assert check_map_tiles_allowed() == []
    settings.GEO_WIDGET_LEAFLET_TILE_LAYER = "https://tiles.example.org/{z}/{x}/{y}.png"
    warnings = check_map_tiles_allowed()
    assert [warning.id for warning in warnings] == ["civic_site.W001", "civic_site.W001"]
    assert "https://tiles.example.org" in warnings[0].msg


def test_page_previews_get_the_admin_policy(tree):
    """Wagtail renders a preview through the middleware with a made-up request for the page's public
    URL; with the public frame-ancestors 'none' the admin's preview panel stayed empty."""
    response = tree["poll"]["en"].specific.make_preview_request()
    assert response.status_code == 200
    policy = directives(response["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
