"""The site chrome (menu, footer links, contact, language homes) is cached per site and language,
and every change it shows is visible at once: publish, unpublish, title change, move, delete, settings."""

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site

from home.models import SiteLinks
from tests.factories import StandardPageFactory, build_tree, translate

pytestmark = pytest.mark.django_db


@pytest.fixture
def site_tree():
    tree = build_tree(poll=False)
    privacy = StandardPageFactory(parent=tree["home"]["it"], title="Informativa privacy", slug="privacy")
    translate(privacy, title="Privacy notice", slug="privacy")
    SiteLinks.objects.update_or_create(
        site=Site.objects.get(root_page=tree["home"]["it"]),
        defaults={"privacy_page": privacy, "contact_email": "partecipa@comune.torino.it"},
    )
    return tree


def menu(client, url):
    html = BeautifulSoup(client.get(url).content.decode(), "html.parser")
    return [a.get_text(strip=True) for a in html.select("#main-menu .nav-link")], html


def chrome_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [
        q["sql"]
        for q in queries
        if '"home_sitelinks"' in q["sql"] or '"show_in_menus"' in q["sql"] and "wagtailcore_page" in q["sql"]
    ]


def test_the_chrome_is_built_once_then_served_from_the_cache(client, site_tree):
    url = site_tree["consultation"]["it"].url
    client.get(url)
    with CaptureQueriesContext(connection) as warm:
        client.get(url)
    assert not [q for q in warm if '"home_sitelinks"' in q["sql"]]  # footer links and contact: cached
    # The other page of the same language shares it.
    with CaptureQueriesContext(connection) as other:
        client.get(site_tree["index"]["it"].url)
    assert not [q for q in other if '"home_sitelinks"' in q["sql"]]
    items, html = menu(client, site_tree["index"]["en"].url)  # English has its own
    assert items == ["Take part"]
    assert html.select_one("footer a[href='mailto:partecipa@comune.torino.it']")
    assert [a.get_text(strip=True) for a in html.select(".it-footer-small-prints a")][0] == "Privacy notice"


def test_publishing_a_menu_page_shows_it_at_once_and_unpublishing_removes_it(client, site_tree):
    home = site_tree["home"]["it"]
    assert menu(client, home.url)[0] == ["Partecipa"]
    news = StandardPageFactory(parent=home, title="Notizie", slug="notizie", show_in_menus=True, live=False)
    news.save_revision().publish()
    assert menu(client, home.url)[0] == ["Partecipa", "Notizie"]
    Page.objects.get(pk=news.pk).specific.unpublish()
    assert menu(client, home.url)[0] == ["Partecipa"]


def test_a_new_title_or_a_deleted_page_shows_at_once(client, site_tree):
    home = site_tree["home"]["it"]
    index = Page.objects.get(pk=site_tree["index"]["it"].pk).specific
    menu(client, home.url)
    index.title = "Partecipa ora"
    index.save_revision().publish()
    items, html = menu(client, home.url)
    assert items == ["Partecipa ora"]
    assert "Partecipa ora" in [a.get_text(strip=True) for a in html.select(".footer-list a")]
    Page.objects.get(pk=index.pk).delete()
    assert menu(client, home.url)[0] == []


def test_changing_the_footer_links_shows_at_once(client, site_tree):
    home = site_tree["home"]["it"]
    menu(client, home.url)
    links = SiteLinks.objects.get()
    links.contact_email = "nuovo@comune.torino.it"
    links.privacy_page = None
    links.save()
    html = menu(client, home.url)[1]
    assert html.select_one("footer a[href='mailto:nuovo@comune.torino.it']")
    assert not html.select(".it-footer-small-prints a[href$='/privacy/']")


def test_the_language_switcher_falls_back_to_the_cached_home_of_the_other_language(client, site_tree):
    only_italian = StandardPageFactory(parent=site_tree["home"]["it"], title="Solo in italiano", slug="solo")
    html = BeautifulSoup(client.get(only_italian.url).content.decode(), "html.parser")
    english = [a["href"] for a in html.select("a[hreflang='en'], a[lang='en']")]
    assert "/en/" in english


def test_rebuilding_after_invalidation_reads_fresh_data_even_on_a_new_site_root(client):
    tree = build_tree(poll=False)
    assert menu(client, "/it/")[0] == ["Partecipa"]
    tree = build_tree(poll=False)  # the whole tree replaced (deleted and rebuilt)
    assert menu(client, tree["home"]["it"].url)[0] == ["Partecipa"]
