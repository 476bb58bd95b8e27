"""Criterion C.SI.3.1: only technical cookies, all ours, none from another domain.

Visits every page type of the seeded demo logged out, then logged in (the accessibility test's lists), and
fails on any cookie not in the documented list (civic_site/cookies.py, shown on the privacy page) or set
for another domain than the site's.
"""

from urllib.parse import urlsplit

import pytest

from civic_site.cookies import names as documented_names
from tests.browser.test_accessibility import log_in, pages_to_scan, signed_in_pages_to_scan

pytestmark = pytest.mark.browser


def undocumented(cookies, host):
    """The cookies not in the documented list, or not for the site's own host."""
    documented = documented_names()
    return [
        f"{cookie['name']} ({cookie['domain']})"
        for cookie in cookies
        if cookie["name"] not in documented or cookie["domain"].lstrip(".") != host
    ]


def test_only_documented_first_party_cookies(demo_site, page):
    host = urlsplit(demo_site.url).hostname
    seen = {}
    for url in pages_to_scan():
        response = page.goto(demo_site.url + url)
        assert response is not None and response.status < 400, url
        for cookie in page.context.cookies():
            seen.setdefault(cookie["name"], url)
        assert undocumented(page.context.cookies(), host) == [], url
    # Logged out, reading pages sets no cookie at all (no session until someone signs in or posts a form).
    assert set(seen) <= {"csrftoken"}, seen

    log_in(page, demo_site.url)
    for url in signed_in_pages_to_scan():
        response = page.goto(demo_site.url + url)
        assert response is not None and response.status < 400, url
        assert undocumented(page.context.cookies(), host) == [], url
    names = {cookie["name"] for cookie in page.context.cookies()}
    assert "sessionid" in names
