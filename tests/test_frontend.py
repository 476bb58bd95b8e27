"""The light front end: what every page loads (two stylesheets, three preloaded fonts, one small deferred
script, no Leaflet), our Bootstrap Italia build (its version, no inserted styles), and responsive images.

Lighthouse itself runs in the benchmarks, not here; these tests keep what it measured from slipping back.
"""

import json
import re
from pathlib import Path

import pytest
import wagtail_factories
from bs4 import BeautifulSoup
from django.conf import settings
from django.contrib.staticfiles import finders

from consultations.models import ConsultationPage
from home.models import HomePage
from tests.factories import feature

ROOT = Path(settings.BASE_DIR)
SITE_SCRIPT = "js/bootstrap-italia-site.min.js"
BOOTSTRAP_ITALIA_CSS = "vendor/bootstrap-italia/css/bootstrap-italia.min.css"


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content.decode(), "html.parser")


def static_text(path):
    found = finders.find(path)
    assert found, path
    return Path(found).read_text(encoding="utf-8")


# --- our Bootstrap Italia build ------------------------------------------------------------------


def test_the_build_sets_the_version_the_css_and_the_lockfile_declare():
    """Italian public-site checkers read window.BOOTSTRAP_ITALIA_VERSION (our build sets it with Bootstrap
    Italia's own init module) and the CSS's --bootstrap-italia-version: both, and the package the build
    was made from, name one release. Upgrading the CSS without rebuilding the script fails here."""
    script = static_text(SITE_SCRIPT)
    assert "window.BOOTSTRAP_ITALIA_VERSION=" in script
    css = static_text(BOOTSTRAP_ITALIA_CSS)
    (css_version,) = set(re.findall(r"--bootstrap-italia-version:\s*['\"]([\d.]+)['\"]", css))
    package = json.loads((ROOT / "frontend" / "package.json").read_text())
    lock = json.loads((ROOT / "frontend" / "package-lock.json").read_text())
    assert package["devDependencies"]["bootstrap-italia"] == css_version
    assert lock["packages"]["node_modules/bootstrap-italia"]["version"] == css_version
    assert f'"{css_version}"' in script


def test_the_build_holds_the_components_the_templates_use():
    """Every `data-bs-toggle` in the templates names a component the build contains (a template that starts
    using a dropdown or an accordion must add it to frontend/src/ and rebuild)."""
    toggles = set()
    for template in (ROOT / "templates").rglob("*.html"):
        toggles |= set(re.findall(r'data-bs-toggle="([a-z-]+)"', template.read_text(encoding="utf-8")))
    assert toggles == {"navbarcollapsible"}
    script = static_text(SITE_SCRIPT)
    for name in toggles:
        assert f'"{name}"' in script or f"'{name}'" in script, name


def test_the_build_inserts_no_style_element():
    """The full bundle's video.js inserted three <style> elements the CSP had to allow by hash; our build
    has no video.js, so style-src is 'self' alone."""
    script = static_text(SITE_SCRIPT)
    assert not re.search(r"createElement\(\s*['\"]style['\"]\s*\)", script)
    assert "vjs-" not in script
    assert settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]["style-src"] == ["'self'"]


# --- what a page loads ---------------------------------------------------------------------------


@pytest.fixture
def pages(tree):
    """The factories' tree with a hero image on the home page and the process, the process featured."""
    image = wagtail_factories.ImageFactory(title="Parco Dora", file__width=640, file__height=360)
    HomePage.objects.filter(pk__in=[page.pk for page in tree["home"].values()]).update(image=image, image_alt="")
    ConsultationPage.objects.filter(pk__in=[page.pk for page in tree["consultation"].values()]).update(image=image)
    feature(tree["home"], [tree["consultation"]])
    return tree


def test_every_page_loads_two_stylesheets_two_fonts_and_two_deferred_scripts(client, pages):
    """Bootstrap Italia's components, and the page clarity question's few lines (static/js/feedback.js, under
    every page): both deferred, nothing waits for them."""
    for kind in ("home", "index", "consultation", "poll"):
        for code in ("it", "en"):
            html = soup(client.get(pages[kind][code].url))
            stylesheets = [link["href"] for link in html.select("link[rel=stylesheet]")]
            assert [Path(href).name for href in stylesheets] == ["bootstrap-italia.min.css", "site.css"], stylesheets
            scripts = html.find_all("script")
            assert sorted(Path(script["src"]).name for script in scripts) == [
                "bootstrap-italia-site.min.js",
                "feedback.js",
            ]
            assert all(script.has_attr("defer") for script in scripts)
            assert "leaflet" not in str(html.head).lower() + "".join(s["src"] for s in scripts).lower()
            fonts = html.select("link[rel=preload][as=font]")
            assert [Path(font["href"]).name.rsplit("-", 1)[-1] for font in fonts] == [
                "regular.woff2",
                "600.woff2",
                "700.woff2",
            ]
            for font in fonts:
                assert font["type"] == "font/woff2"
                assert font.has_attr("crossorigin")  # fonts are fetched in CORS mode: without it, twice


def test_preloaded_fonts_are_the_ones_site_css_declares(client, pages):
    """A preload that no @font-face uses is a wasted download (and a console warning)."""
    css = static_text("css/site.css")
    for font in soup(client.get(pages["home"]["it"].url)).select("link[rel=preload][as=font]"):
        path = font["href"].removeprefix(settings.STATIC_URL)
        assert finders.find(path), path
        assert f'url("../{path}")' in css, path


def test_the_hero_is_fetched_first_and_the_cards_lazily(client, pages):
    """WebP renditions in several widths (srcset, sizes) with width and height (no layout shift); the hero,
    the largest paint, with high priority and never lazy; the cards below it lazily."""
    html = soup(client.get(pages["home"]["it"].url))
    hero = html.select_one(".it-hero-wrapper img")
    assert hero["fetchpriority"] == "high"
    assert not hero.has_attr("loading")
    assert hero["src"].endswith(".webp")
    assert hero["sizes"] == "100vw"
    assert len(hero["srcset"].split(",")) == 4
    assert all(candidate.split()[0].endswith(".webp") for candidate in hero["srcset"].split(","))
    assert int(hero["width"]) * 9 == int(hero["height"]) * 16

    card = html.select_one(".card img")
    assert card["loading"] == "lazy"
    assert not card.has_attr("fetchpriority")
    assert card["width"] and card["height"] and card["sizes"]
    assert len(card["srcset"].split(",")) == 2


def test_the_process_page_hero_too(client, pages):
    hero = soup(client.get(pages["consultation"]["en"].url)).select_one(".it-hero-wrapper img")
    assert hero["fetchpriority"] == "high"
    assert not hero.has_attr("loading")
