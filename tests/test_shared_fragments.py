"""Parts of a page the same for every visitor (civic_site/templatetags/shared_fragments.py): rendered once for
logged-in citizens too, and dropped the moment what they show changes, or when the clock changes a status."""

from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core.cache import cache
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import timezone

from civic_site import pagecache
from tests.factories import IdeaFactory, IdeaMapPageFactory


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}  # logged-in renders only


def main_part(client, page):
    response = client.get(page.url)
    assert response.status_code == 200
    html = BeautifulSoup(response.content, "html.parser")
    # The main column (the shared part, then the follow section with its CSRF token) and the facts beside it.
    for token in html.select('[name="csrfmiddlewaretoken"]'):
        token.decompose()
    return html.select_one(".consultation-status-line").parent.decode()


def fragment_keys():
    return [key for key in cache._cache if ":fragment:" in key]


def render(template, request, **context):
    return Template("{% load shared_fragments %}" + template).render(Context({"request": request, **context}))


def test_the_process_page_s_shared_parts_are_rendered_once_for_every_citizen(client, tree, citizen, marco):
    process = tree["consultation"]["it"]
    client.force_login(citizen)
    first = main_part(client, process)
    assert len(fragment_keys()) == 2  # the main column and the facts beside it
    client.force_login(marco)
    assert main_part(client, process) == first
    assert len(fragment_keys()) == 2


def ideas_line(client, process):
    html = BeautifulSoup(main_part(client, process), "html.parser")
    [line] = [p.get_text(" ", strip=True) for p in html.select("p.small") if "Idee per stato:" in p.get_text()]
    return line


def test_a_new_idea_on_a_map_of_the_process_shows_at_once_in_its_counts(client, tree, citizen):
    process = tree["consultation"]["it"]
    idea_map = IdeaMapPageFactory(parent=process)
    IdeaFactory(page=idea_map)
    client.force_login(citizen)
    assert ideas_line(client, process).endswith(" 1")
    IdeaFactory(page=idea_map)  # its save drops the map's and the process's stored parts
    assert ideas_line(client, process).endswith(" 2")


def test_a_renamed_participation_page_shows_at_once(client, tree, citizen):
    client.force_login(citizen)
    poll = tree["poll"]["it"]
    assert poll.title in main_part(client, tree["consultation"]["it"])
    poll.title = "Come vorresti il prato?"
    poll.save_revision().publish()
    assert "Come vorresti il prato?" in main_part(client, tree["consultation"]["it"])


def test_a_fragment_is_kept_no_longer_than_until_the_next_scheduled_change(client, tree, citizen):
    soon = timezone.now() + timedelta(seconds=90)
    IdeaMapPageFactory(parent=tree["consultation"]["it"], opens_at=soon, closes_at=soon + timedelta(days=3))
    client.force_login(citizen)
    main_part(client, tree["consultation"]["it"])
    assert fragment_keys()
    for key in fragment_keys():
        assert cache._expire_info[key] <= soon.timestamp() + 1


def test_a_fragment_is_kept_apart_by_language_host_parts_and_group(rf: RequestFactory, tree):
    request = rf.get("/", HTTP_HOST="127.0.0.1")
    template = '{% shared_fragment "t" part groups=key %}{{ value }}{% endshared_fragment %}'
    key = tree["poll"]["it"].translation_key
    assert render(template, request, part=1, key=key, value="a") == "a"
    assert render(template, request, part=1, key=key, value="b") == "a"  # kept
    assert render(template, request, part=2, key=key, value="b") == "b"  # another part
    assert render(template, rf.get("/", HTTP_HOST="localhost"), part=1, key=key, value="c") == "c"  # another host
    pagecache.bump(pagecache.group_tag(key))
    assert render(template, request, part=1, key=key, value="d") == "d"  # the group changed
    pagecache.bump(pagecache.CONTENT)
    assert render(template, request, part=1, key=key, value="e") == "e"  # the content changed


def test_previews_and_debug_render_afresh(db, rf: RequestFactory, settings):
    template = '{% shared_fragment "t" %}{{ value }}{% endshared_fragment %}'
    request = rf.get("/")
    assert render(template, request, value="a") == "a"
    request.is_preview = True
    assert render(template, request, value="b") == "b"
    settings.DEBUG = True
    assert render(template, rf.get("/"), value="c") == "c"
    settings.DEBUG = False
    assert render(template, rf.get("/"), value="d") == "a"
