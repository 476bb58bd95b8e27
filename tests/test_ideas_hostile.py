"""Hostile input on the idea map (issue 13's fuzz suite, for the page type of issue 14): any text, any
coordinates (out of range, NaN, infinities, huge, not numbers), any category and place ids (another map's
included), any idea ids and query strings. Never a 500, never stored markup shown as markup, never half
an idea."""

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from hypothesis import event, given
from hypothesis import strategies as st

from participation.models import Idea, IdeaMapPage, IdeaSupport
from tests.factories import IdeaFactory, IdeaMapPageFactory, UserFactory
from tests.strategies import hostile_field, hostile_number, hostile_text
from tests.test_hostile_input import FUZZ, assert_no_injected_markup, squeeze

pytestmark = pytest.mark.django_db

COORDINATES = st.one_of(
    st.sampled_from(["45.0880", "7.6650", "nan", "NaN", "inf", "-inf", "1e309", "-91", "181", "", " ", "4,5", "0x2d"]),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    hostile_number(),
)


@pytest.fixture(scope="module")
def maps(module_tree, django_db_blocker):
    """Two maps under the tree's process: citizens post on ``ours``; ``other``'s categories and places are
    forgeries here. One idea on each."""
    with django_db_blocker.unblock():
        process = module_tree["consultation"]["it"]
        ours = IdeaMapPageFactory(parent=process)
        other = IdeaMapPageFactory(parent=process)
        return {
            "ours": ours.pk,
            "other": other.pk,
            "idea": IdeaFactory(page=ours).pk,
            "other_idea": IdeaFactory(page=other).pk,
        }


@pytest.fixture
def signed_in(db, maps):
    client = Client()
    client.force_login(UserFactory(username="fuzzer"))
    return client


def ids(page):
    return [str(pk) for pk in page.categories.values_list("pk", flat=True)] + [
        str(pk) for pk in page.places.values_list("pk", flat=True)
    ]


@FUZZ
@given(
    title=hostile_text(max_size=140),
    description=hostile_text(),
    latitude=hostile_field(COORDINATES),
    longitude=hostile_field(COORDINATES),
    choice=st.data(),
    confirm=st.sampled_from(["1", "", "0", "yes"]),
)
def test_any_idea_form_is_a_whole_idea_or_nothing(
    signed_in, maps, title, description, latitude, longitude, choice, confirm
):
    from django.core.cache import cache

    cache.clear()  # rate-limit counters
    ours, other = IdeaMapPage.objects.get(pk=maps["ours"]), IdeaMapPage.objects.get(pk=maps["other"])
    pool = ids(ours) + ids(other) + ["", "0", "-1", "99999999999999999999", "<script>"]
    data = {
        "title": title,
        "description": description,
        "latitude": latitude,
        "longitude": longitude,
        "category": choice.draw(hostile_field(st.sampled_from(pool))),
        "place": choice.draw(hostile_field(st.sampled_from(pool))),
        "confirm": confirm,
    }
    before = Idea.objects.count()
    response = signed_in.post(ours.url + "new/", data)
    assert response.status_code < 500
    page = BeautifulSoup(response.content.decode(), "html.parser")
    assert_no_injected_markup(page)
    if response.status_code == 302:
        event("stored")
        idea = Idea.objects.latest("pk")
        assert Idea.objects.count() == before + 1
        assert idea.group_id == ours.translation_key
        assert ours.contains(idea.latitude, idea.longitude)
        assert idea.category_key in {category.translation_key for category in ours.categories.all()}
        shown = signed_in.get(response["Location"])
        assert_no_injected_markup(shown.content.decode())
        heading = BeautifulSoup(shown.content.decode(), "html.parser").h1
        assert squeeze(heading.get_text()) == squeeze(idea.title)
    else:
        event(f"refused {response.status_code}")
        assert Idea.objects.count() == before


@FUZZ
@given(idea_id=hostile_number(), action=st.sampled_from(["support", "withdraw", "", "<b>"]), query=hostile_text())
def test_any_idea_address_or_support_answers_without_an_error(signed_in, maps, idea_id, action, query):
    ours = IdeaMapPage.objects.get(pk=maps["ours"])
    before = IdeaSupport.objects.count()
    for url in (f"{ours.url}{idea_id}/", f"{ours.url}{idea_id}/support/"):
        response = signed_in.post(url, {"support": action}) if url.endswith("support/") else signed_in.get(url)
        assert response.status_code < 500
    # Forged ids never add a support to an idea of another map.
    assert not IdeaSupport.objects.filter(idea_id=maps["other_idea"]).exists()
    assert IdeaSupport.objects.count() <= before + 1
    for params in ({"category": query, "status": query, "page": query}, {"latitude": query, "text": query}):
        assert signed_in.get(ours.url, params).status_code < 500
        assert signed_in.get(ours.url + "similar/", params).status_code < 500
        assert Client().get(ours.url + "ideas.geojson", params).status_code < 500


def test_a_support_through_another_maps_address_is_refused(signed_in, maps):
    ours = IdeaMapPage.objects.get(pk=maps["ours"])
    response = signed_in.post(f"{ours.url}{maps['other_idea']}/support/")
    assert response.status_code == 404
    assert not IdeaSupport.objects.exists()


def test_control_characters_in_the_similar_check_are_no_error(signed_in, maps):
    """Found by the fuzz run on PostgreSQL, which refuses NUL in a query (its trigram search)."""
    ours = IdeaMapPage.objects.get(pk=maps["ours"])
    for text in ("\x00", "panchine\x00ombra", "\x01\x1f alberi"):
        assert signed_in.get(ours.url + "similar/", {"text": text}).status_code == 200
