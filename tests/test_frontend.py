"""The light front end: our Bootstrap Italia build (its version, its components, no inserted styles).

Lighthouse itself runs in the benchmarks, not here; these tests keep what it measured from slipping back.
"""

import json
import re
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(settings.BASE_DIR)
SITE_SCRIPT = "js/bootstrap-italia-site.min.js"
BOOTSTRAP_ITALIA_CSS = "vendor/bootstrap-italia/css/bootstrap-italia.min.css"


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
