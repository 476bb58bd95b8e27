"""The privacy page lists the site's cookies from the one list the browser test checks (civic_site/cookies.py,
tests/browser/test_cookies.py): criterion C.SI.3.1 of the national model, in both languages."""

import pytest
from bs4 import BeautifulSoup

from civic_site.cookies import names

pytestmark = pytest.mark.django_db


def test_the_demo_privacy_page_lists_every_cookie_in_both_languages(client, site_tree):
    from home.models import SiteLinks

    links = SiteLinks.objects.select_related("privacy_page").first()
    privacy = links.privacy_page
    assert privacy is not None
    for page in (privacy, *privacy.get_translations()):
        html = BeautifulSoup(client.get(page.url).content, "html.parser")
        table = html.select_one(".cookie-table")
        assert table is not None and table.caption.get_text(strip=True), page.url
        listed = {cell.get_text(strip=True) for cell in table.select("tbody th")}
        assert listed == names(), page.url
        assert all(row.select("td")[0].get_text(strip=True) for row in table.select("tbody tr"))
