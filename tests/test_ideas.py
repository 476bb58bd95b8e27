"""Ideas on a map: the area, the three ways to place an idea, photos, similar ideas, supports, the City's
answers, moderation, merges, the GeoJSON feed, both languages and flat query counts."""

import io
import json
import math
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from participation import geometry
from participation.ideas import IdeaRejected, merge, set_support, similar_ideas
from participation.models import Idea, IdeaMapPage, IdeaStatus, IdeaSupport
from tests.factories import PARK_AREA, IdeaFactory, IdeaMapPageFactory, UserFactory, translate

pytestmark = pytest.mark.django_db

INSIDE = (45.0880, 7.6650)
IN_THE_NOTCH = (45.0900, 7.6740)  # inside the bounding box, outside the concave side
FAR_AWAY = (45.0703, 7.6869)  # piazza Castello


@pytest.fixture
def ideas_map(tree):
    """{"it": map, "en": its translation} under the Parco Dora process of the factories' tree."""
    italian = IdeaMapPageFactory(parent=tree["consultation"]["it"], revision=True)
    english = translate(
        italian,
        "en",
        title="Your ideas",
        slug="your-ideas",
        categories=["Green", "Play", "Sport"],
        places=["Via Livorno entrance", "Strippaggio pillars"],
    )
    return {"it": IdeaMapPage.objects.get(pk=italian.pk), "en": IdeaMapPage.objects.get(pk=english.pk)}


def categories(page):
    return list(page.categories.order_by("sort_order"))


def form_data(page, **overrides):
    data = {
        "title": "Alberi sotto i pilastri",
        "description": "Servono alberi a chioma larga e panchine all'ombra.",
        "category": categories(page)[0].pk,
        "latitude": INSIDE[0],
        "longitude": INSIDE[1],
        "confirm": "1",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


# --- the area ----------------------------------------------------------------------------------------


def test_points_inside_on_the_border_and_in_the_concave_notch():
    area = geometry.parse_area(json.dumps(PARK_AREA))
    assert geometry.contains(area, INSIDE[1], INSIDE[0])
    assert not geometry.contains(area, IN_THE_NOTCH[1], IN_THE_NOTCH[0])
    assert not geometry.contains(area, FAR_AWAY[1], FAR_AWAY[0])
    assert geometry.contains(area, 7.6600, 45.0900)  # on the west side
    assert geometry.contains(area, 7.6700, 45.0900)  # the notch's tip
    assert geometry.contains(area, 7.6730, 45.0895)  # on the notch's lower edge
    assert not geometry.contains(area, 7.6599, 45.0900)


def test_areas_with_holes_and_in_other_wrappings():
    outer = [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]
    hole = [[4, 4], [6, 4], [6, 6], [4, 6], [4, 4]]
    area = geometry.parse_area(
        json.dumps({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [outer, hole]}})
    )
    assert geometry.contains(area, 2, 2)
    assert not geometry.contains(area, 5, 5)
    assert geometry.contains(area, 4, 5)  # the hole's border belongs to the area


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not json",
        '{"type": "Point", "coordinates": [7.6, 45.0]}',
        '{"type": "Polygon", "coordinates": [[[7.6, 45.0], [7.7, 45.0], [7.6, 45.0]]]}',
        '{"type": "Polygon", "coordinates": [[[7.6, 45.0], [7.7, 45.0], [7.7, 45.1], [7.6, 45.1]]]}',
        '{"type": "Polygon", "coordinates": [[[7.6, 95.0], [7.7, 45.0], [7.7, 45.1], [7.6, 95.0]]]}',
        '{"type": "Polygon", "coordinates": [[[NaN, 45.0], [7.7, 45.0], [7.7, 45.1], [NaN, 45.0]]]}',
        '{"type": "Polygon", "coordinates": [[["a", 45.0], [7.7, 45.0], [7.7, 45.1], ["a", 45.0]]]}',
    ],
)
def test_unusable_areas_are_refused(text):
    with pytest.raises(geometry.AreaError):
        geometry.parse_area(text)


def test_distances_and_the_box_around_a_point():
    lat, lng = INSIDE
    north_49 = lat + math.degrees(49 / geometry.EARTH_RADIUS_M)
    assert 48.9 < geometry.distance_m(lat, lng, north_49, lng) < 49.1
    south, north, west, east = geometry.box_around(lat, lng, 50)
    assert south < lat < north and west < lng < east
    assert geometry.distance_m(lat, lng, lat, east) == pytest.approx(50, abs=0.1)


# --- placing an idea -------------------------------------------------------------------------------


def test_a_citizen_places_an_idea_by_clicking_or_typing_coordinates(client, citizen, ideas_map):
    client.force_login(citizen)
    response = client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"]))
    idea = Idea.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{ideas_map['it'].url}{idea.pk}/"
    assert (idea.latitude, idea.longitude) == INSIDE
    assert idea.group_id == ideas_map["it"].translation_key and idea.language == "it"
    assert idea.is_approved and idea.status == IdeaStatus.SUBMITTED
    page = soup(client.get(response["Location"]))
    assert page.h1.get_text() == "Alberi sotto i pilastri"


def test_a_citizen_without_a_mouse_chooses_a_named_place(client, citizen, ideas_map):
    client.force_login(citizen)
    place = ideas_map["it"].places.order_by("sort_order")[1]
    client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"], latitude=None, longitude=None, place=place.pk))
    idea = Idea.objects.get()
    assert (idea.latitude, idea.longitude) == (place.latitude, place.longitude)
    assert idea.place_key == place.translation_key


@pytest.mark.parametrize(
    ("position", "message"),
    [
        (IN_THE_NOTCH, "outside the area"),
        (FAR_AWAY, "outside the area"),
        ((None, None), "Say where"),
        ((45.0880, None), "Say where"),
        (("nan", "nan"), "Enter a number"),
        ((95, 7.66), "less than or equal to 90"),
    ],
)
def test_a_point_outside_or_missing_is_refused_keeping_what_was_typed(client, citizen, ideas_map, position, message):
    client.force_login(citizen)
    with_language = {"HTTP_ACCEPT_LANGUAGE": "en"}
    response = client.post(
        ideas_map["en"].url + "new/",
        form_data(ideas_map["en"], latitude=position[0], longitude=position[1], title="Benches <b>please</b>"),
        **with_language,
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    page = soup(response)
    assert page.find("input", {"name": "title"})["value"] == "Benches <b>please</b>"
    assert "<b>please</b>" not in response.content.decode()
    assert not Idea.objects.exists()


def test_errors_are_in_the_citizens_language(client, citizen, ideas_map):
    client.force_login(citizen)
    response = client.post(
        ideas_map["it"].url + "new/", form_data(ideas_map["it"], latitude=IN_THE_NOTCH[0], longitude=IN_THE_NOTCH[1])
    )
    assert "fuori dall'area" in soup(response).get_text()


def test_too_long_texts_and_unknown_categories_are_refused(client, citizen, ideas_map):
    client.force_login(citizen)
    response = client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"], title="x" * 121))
    assert response.status_code == 400
    response = client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"], description="y" * 2001))
    assert response.status_code == 400
    response = client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"], category=999999))
    assert response.status_code == 400
    assert not Idea.objects.exists()


def test_anonymous_and_unverified_visitors_cannot_add_ideas(client, ideas_map):
    response = client.get(ideas_map["it"].url + "new/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(UserFactory(verified=False))
    response = client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"]))
    assert response.status_code == 403 and "Conferma il tuo indirizzo email" in soup(response).get_text()
    assert not Idea.objects.exists()


def test_a_closed_map_takes_no_new_ideas(client, citizen, tree):
    closed = IdeaMapPageFactory(parent=tree["consultation"]["it"], closed=True)
    client.force_login(citizen)
    response = client.post(closed.url + "new/", form_data(closed))
    assert response.status_code == 403
    assert "over" in response.content.decode() or "terminato" in response.content.decode()
    assert not Idea.objects.exists()


def test_ideas_are_rate_limited_per_citizen(client, citizen, ideas_map, settings):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "idea": "2/1h/user"}
    client.force_login(citizen)
    for number in range(2):
        assert (
            client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"], title=f"Idea {number}")).status_code
            == 302
        )
    response = client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"], title="Terza"))
    assert response.status_code == 429 and "Retry-After" in response
    assert soup(response).find("input", {"name": "title"})["value"] == "Terza"
    assert Idea.objects.count() == 2


def test_moderated_maps_show_ideas_only_once_approved(client, citizen, marco, ideas_map):
    IdeaMapPage.objects.filter(translation_key=ideas_map["it"].translation_key).update(moderate_first=True)
    client.force_login(citizen)
    client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"]))
    idea = Idea.objects.get()
    assert not idea.is_approved
    assert client.get(f"{ideas_map['it'].url}{idea.pk}/").status_code == 200  # its author sees it, marked
    other = Client()
    other.force_login(marco)
    assert other.get(f"{ideas_map['it'].url}{idea.pk}/").status_code == 404
    assert idea.title not in other.get(ideas_map["it"].url).content.decode()


# --- photos ---------------------------------------------------------------------------------------


def jpeg_with_gps():
    image = Image.new("RGB", (64, 48), (30, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    gps = {1: "N", 2: (45.0, 5.0, 16.0), 3: "E", 4: (7.0, 40.0, 5.0)}
    exif[0x8825] = gps
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(name, content, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type=content_type)


def test_a_photo_is_stored_without_its_location_or_camera_data(client, citizen, ideas_map):
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the upload has GPS data
    client.force_login(citizen)
    data = form_data(ideas_map["it"], photo=upload("parco.jpg", original, "image/jpeg"))
    response = client.post(ideas_map["it"].url + "new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    idea = Idea.objects.get()
    with idea.photo.file.open("rb") as stored:
        content = stored.read()
    image = Image.open(io.BytesIO(content))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert b"CameraMaker" not in content and b"GPS" not in content
    page = client.get(f"{ideas_map['it'].url}{idea.pk}/")
    assert 'srcset="' in page.content.decode()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("script.jpg", b"<script>alert(1)</script>", "not an image"),
        ("picture.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "not an image"),
    ],
)
def test_files_that_are_not_photos_are_refused(client, citizen, ideas_map, name, content, message):
    client.force_login(citizen)
    response = client.post(
        ideas_map["en"].url + "new/",
        form_data(ideas_map["en"], photo=upload(name, content, "image/jpeg")),
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert "JPEG, PNG or WebP" in response.content.decode()
    assert not Idea.objects.exists()


def test_a_photo_over_8_mb_is_refused(client, citizen, ideas_map):
    client.force_login(citizen)
    big = jpeg_with_gps() + b"\0" * (8 * 1024 * 1024)
    response = client.post(
        ideas_map["en"].url + "new/", form_data(ideas_map["en"], photo=upload("big.jpg", big, "image/jpeg"))
    )
    assert response.status_code == 400
    assert "8 MB" in response.content.decode()


# --- similar ideas ----------------------------------------------------------------------------------


def metres_north(lat, metres):
    return lat + math.degrees(metres / geometry.EARTH_RADIUS_M)


def test_ideas_of_the_category_within_50_metres_are_shown_before_posting(client, citizen, ideas_map):
    page = ideas_map["it"]
    green, play = categories(page)[:2]
    near = IdeaFactory(page=page, title="Panchine", latitude=metres_north(INSIDE[0], 49), longitude=INSIDE[1])
    IdeaFactory(page=page, title="Lontana", latitude=metres_north(INSIDE[0], 52), longitude=INSIDE[1])
    IdeaFactory(
        page=page, title="Altra categoria", category_key=play.translation_key, latitude=INSIDE[0], longitude=INSIDE[1]
    )
    nearby, _alike = similar_ideas(page, lat=INSIDE[0], lng=INSIDE[1], category_key=green.translation_key)
    assert [idea.title for idea in nearby] == ["Panchine"]

    client.force_login(citizen)
    response = client.post(page.url + "new/", form_data(page, confirm=None, title="Fontanella", description="Acqua"))
    assert response.status_code == 200
    similar = soup(response).find(id="similar")
    assert "Panchine" in similar.get_text() and "Lontana" not in similar.get_text()
    assert similar.find("a", href=f"{page.url}{near.pk}/#support")
    assert Idea.objects.count() == 3  # nothing saved yet: the citizen chooses
    assert soup(response).find("input", {"name": "title"})["value"] == "Fontanella"
    response = client.post(page.url + "new/", form_data(page, title="Fontanella", description="Acqua"))
    assert response.status_code == 302 and Idea.objects.count() == 4


def test_ideas_with_similar_words_anywhere_on_the_map(ideas_map):
    page = ideas_map["it"]
    IdeaFactory(
        page=page, title="Più alberi sotto i pilastri", description="Ombra d'estate", latitude=45.0940, longitude=7.6610
    )
    IdeaFactory(page=page, title="Campo da basket", description="Con le luci", latitude=45.0940, longitude=7.6610)
    _nearby, alike = similar_ideas(page, text="Alberi e ombra ai pilastri")
    assert [idea.title for idea in alike] == ["Più alberi sotto i pilastri"]
    _nearby, alike = similar_ideas(page, text="Trees for shade")
    assert alike == [] or all("basket" not in idea.title for idea in alike)


def test_the_live_check_answers_json_without_saving(client, citizen, ideas_map):
    page = ideas_map["it"]
    IdeaFactory(page=page, title="Panchine all'ombra")
    client.force_login(citizen)
    response = client.get(
        page.url + "similar/",
        {"latitude": INSIDE[0], "longitude": INSIDE[1], "category": categories(page)[0].pk, "text": "panchine"},
    )
    found = response.json()
    assert [row["title"] for row in found["nearby"]] == ["Panchine all'ombra"]
    assert client.get(page.url + "similar/", {"latitude": "nan", "longitude": "x"}).status_code == 200


# --- supports ---------------------------------------------------------------------------------------


def test_a_citizen_supports_an_idea_once_and_can_withdraw(client, citizen, ideas_map):
    idea = IdeaFactory(page=ideas_map["it"])
    client.force_login(citizen)
    url = f"{ideas_map['en'].url}{idea.pk}/"
    for _ in range(2):
        assert client.post(url + "support/").status_code == 302
    idea.refresh_from_db()
    assert idea.support_count == 1 and IdeaSupport.objects.count() == 1
    assert "Withdraw my support" in client.get(url).content.decode()
    client.post(url + "support/", {"support": "withdraw"})
    idea.refresh_from_db()
    assert idea.support_count == 0 and not IdeaSupport.objects.exists()


def reschedule(pages, **dates):
    """New dates on every translation, saved as a publication saves them (which drops what is cached)."""
    for page in pages:
        for name, value in dates.items():
            setattr(page, name, value)
        page.save()


def test_supports_are_taken_and_withdrawn_only_while_the_map_is_open(client, citizen, marco, ideas_map):
    idea = IdeaFactory(page=ideas_map["it"])
    set_support(idea=idea, user=marco, support=True)
    pages = IdeaMapPage.objects.filter(translation_key=idea.group_id)
    reschedule(pages, closes_at=timezone.now() - timedelta(minutes=1))
    client.force_login(citizen)
    url = f"{ideas_map['en'].url}{idea.pk}/"
    response = client.post(url + "support/", follow=True)
    assert "Supports closed on" in response.content.decode()
    with pytest.raises(IdeaRejected, match="Supports closed"):
        set_support(idea=idea, user=marco, support=False)
    idea.refresh_from_db()
    assert idea.support_count == 1 and IdeaSupport.objects.get().user == marco
    page = soup(client.get(url))
    assert not page.select("#support form") and "the counts are final" in page.select_one("#support").get_text()
    reschedule(pages, opens_at=timezone.now() + timedelta(days=1), closes_at=timezone.now() + timedelta(days=2))
    with pytest.raises(IdeaRejected, match="Ideas can be supported from"):
        set_support(idea=idea, user=citizen, support=True)


def test_supports_need_a_login_and_a_post(client, ideas_map):
    idea = IdeaFactory(page=ideas_map["it"])
    url = f"{ideas_map['it'].url}{idea.pk}/support/"
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    assert not IdeaSupport.objects.exists()


def test_the_database_refuses_a_second_support(citizen, ideas_map):
    from django.db import IntegrityError, transaction

    idea = IdeaFactory(page=ideas_map["it"])
    IdeaSupport.objects.create(idea=idea, user=citizen)
    with pytest.raises(IntegrityError), transaction.atomic():
        IdeaSupport.objects.create(idea=idea, user=citizen)


def test_supports_are_rate_limited(citizen, ideas_map, settings):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "support": "1/10m/user"}
    idea = IdeaFactory(page=ideas_map["it"])
    set_support(idea=idea, user=citizen, support=True)
    with pytest.raises(IdeaRejected) as refusal:
        set_support(idea=idea, user=citizen, support=False)
    assert refusal.value.limited


# --- the City's answers, moderation, merges ---------------------------------------------------------------


def edit_in_admin(client, idea, **fields):
    from django.urls import reverse

    url = reverse("wagtailsnippets_participation_idea:edit", args=[idea.pk])
    data = {
        "status": idea.status,
        "answer": idea.answer,
        "answer_en": idea.answer_en,
        "answered_by": idea.answered_by,
        "is_approved": "on" if idea.is_approved else "",
        "merged_into": idea.merged_into_id or "",
    }
    if idea.is_hidden:
        data["is_hidden"] = "on"
    data.update(fields)
    return client.post(url, {key: value for key, value in data.items() if value != ""})


def test_a_moderator_answers_an_idea_and_its_author_is_emailed_in_their_language(
    client, ideas_map, django_capture_on_commit_callbacks
):
    from tests.factories import ModeratorFactory

    author = UserFactory(email="autore@example.org")
    idea = IdeaFactory(page=ideas_map["it"], user=author, language="en", title="Benches")
    client.force_login(ModeratorFactory())
    response = edit_in_admin(client, idea, status="feasible")
    assert response.status_code == 200 and "Scrivi la risposta pubblica" in soup(response).get_text()
    with django_capture_on_commit_callbacks(execute=True):
        response = edit_in_admin(
            client,
            idea,
            status="feasible",
            answer="Fattibile: le panchine sono nel progetto.",
            answer_en="Feasible: the benches are in the design.",
            answered_by="Verde Pubblico",
        )
    assert response.status_code == 302
    idea.refresh_from_db()
    assert idea.status == "feasible" and idea.answered_at is not None
    [message] = mail.outbox
    assert message.to == ["autore@example.org"]
    assert "Feasible: the benches are in the design." in message.body and "Verde Pubblico" in message.body
    page = Client().get(f"{ideas_map['en'].url}{idea.pk}/").content.decode()
    assert "Feasible: the benches are in the design." in page and "Verde Pubblico" in page
    assert "autore@example.org" not in page
    italian = Client().get(f"{ideas_map['it'].url}{idea.pk}/").content.decode()
    assert "Fattibile: le panchine sono nel progetto." in italian


def test_citizens_cannot_reach_the_ideas_admin(client, citizen, ideas_map):
    from django.urls import reverse

    idea = IdeaFactory(page=ideas_map["it"])
    client.force_login(citizen)
    response = client.get(reverse("wagtailsnippets_participation_idea:edit", args=[idea.pk]))
    assert response.status_code in (302, 403)


def test_hidden_ideas_vanish_from_page_list_detail_and_feed(ideas_map):
    page = ideas_map["it"]
    shown = IdeaFactory(page=page, title="Visibile")
    hidden = IdeaFactory(page=page, title="Nascosta")
    anonymous = Client()
    anonymous.get(page.url)  # a cached copy, which hiding must drop
    hidden.is_hidden = True
    hidden.save()
    listing = anonymous.get(page.url).content.decode()
    assert "Visibile" in listing and "Nascosta" not in listing
    assert anonymous.get(f"{page.url}{hidden.pk}/").status_code == 404
    feed = anonymous.get(page.url + "ideas.geojson").json()
    assert [feature["id"] for feature in feed["features"]] == [shown.pk]
    assert Idea.objects.filter(pk=hidden.pk).exists()  # still in the database


def test_merging_moves_supporters_once_and_the_duplicate_leads_to_the_original(client, ideas_map):
    page = ideas_map["it"]
    original, duplicate = IdeaFactory(page=page, title="Originale"), IdeaFactory(page=page, title="Doppione")
    both, only_duplicate, only_original = UserFactory(), UserFactory(), UserFactory()
    for user, idea in ((both, original), (both, duplicate), (only_duplicate, duplicate), (only_original, original)):
        set_support(idea=idea, user=user, support=True)
    merge(duplicate, original)
    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert original.support_count == 3 and duplicate.support_count == 0
    assert set(IdeaSupport.objects.filter(idea=original).values_list("user", flat=True)) == {
        both.pk,
        only_duplicate.pk,
        only_original.pk,
    }
    response = client.get(f"{page.url}{duplicate.pk}/")
    assert response.status_code == 301 and response["Location"] == f"{page.url}{original.pk}/"
    assert "Doppione" not in client.get(page.url).content.decode()


def test_a_merge_through_the_admin(client, ideas_map):
    from tests.factories import ModeratorFactory

    page = ideas_map["it"]
    original, duplicate = IdeaFactory(page=page), IdeaFactory(page=page)
    set_support(idea=duplicate, user=UserFactory(), support=True)
    client.force_login(ModeratorFactory())
    assert edit_in_admin(client, duplicate, merged_into=duplicate.pk).status_code == 200  # not into itself
    assert edit_in_admin(client, duplicate, merged_into=original.pk).status_code == 302
    original.refresh_from_db()
    assert original.support_count == 1


# --- the page, both languages, the feed --------------------------------------------------------------


def test_the_map_page_lists_the_same_ideas_in_both_languages(ideas_map):
    idea = IdeaFactory(page=ideas_map["it"], title="Alberi")
    italian = soup(Client().get(ideas_map["it"].url))
    english = soup(Client().get(ideas_map["en"].url))
    for page, category in ((italian, "Verde"), (english, "Green")):
        card = page.find(id=f"idea-{idea.pk}")
        assert "Alberi" in card.get_text() and category in card.get_text()
    assert english.find(id="idea-map")["data-map"]
    config = json.loads(english.find(id="idea-map")["data-map"])
    assert config["feed"] == ideas_map["en"].url + "ideas.geojson" and config["area"] == PARK_AREA


def test_the_list_filters_by_category_and_status(ideas_map):
    page = ideas_map["it"]
    green, play = categories(page)[:2]
    IdeaFactory(page=page, title="Verde uno")
    IdeaFactory(page=page, title="Gioco uno", category_key=play.translation_key, status="feasible")
    by_category = Client().get(page.url, {"category": str(play.translation_key)}).content.decode()
    assert "Gioco uno" in by_category and "Verde uno" not in by_category
    by_status = Client().get(page.url, {"status": "feasible"}).content.decode()
    assert "Gioco uno" in by_status and "Verde uno" not in by_status
    assert Client().get(page.url, {"status": "<script>", "category": "x", "page": "-1"}).status_code == 200


def test_the_feed_is_rfc_7946_with_an_etag(ideas_map):
    page = ideas_map["en"]
    idea = IdeaFactory(page=ideas_map["it"], title="Alberi", status="feasible")
    response = Client().get(page.url + "ideas.geojson")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    feed = response.json()
    assert feed["type"] == "FeatureCollection"
    [feature] = feed["features"]
    assert feature["type"] == "Feature" and feature["id"] == idea.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [idea.longitude, idea.latitude]}
    properties = feature["properties"]
    assert properties["category"] == "Green" and properties["status"] == "feasible"
    assert properties["status_label"] == "Feasible" and properties["supporters"] == 0
    assert properties["url"] == f"{page.url}{idea.pk}/"
    again = Client().get(page.url + "ideas.geojson", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    set_support(idea=idea, user=UserFactory(), support=True)
    changed = Client().get(page.url + "ideas.geojson", HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200 and changed.json()["features"][0]["properties"]["supporters"] == 1


def test_a_new_idea_shows_at_once_to_anonymous_visitors(client, citizen, ideas_map):
    page = ideas_map["en"]
    visitor = Client()
    assert visitor.get(page.url)["X-Page-Cache"] == "miss"
    assert visitor.get(page.url)["X-Page-Cache"] == "hit"
    client.force_login(citizen)
    client.post(ideas_map["it"].url + "new/", form_data(ideas_map["it"], title="Nuova idea"))
    response = visitor.get(page.url)
    assert "Nuova idea" in response.content.decode()


def test_the_process_page_counts_its_maps_ideas_by_status_and_follows_changes(tree, ideas_map):
    process = tree["consultation"]["en"]
    idea = IdeaFactory(page=ideas_map["it"], status="feasible")
    IdeaFactory(page=ideas_map["it"])
    visitor = Client()
    text = soup(visitor.get(process.url)).get_text(" ", strip=True)
    assert "Ideas by status: Submitted 1 · Feasible 1" in text
    idea.is_hidden = True
    idea.save()  # in the admin: the process page's stored copy goes too
    text = soup(visitor.get(process.url)).get_text(" ", strip=True)
    assert "Ideas by status: Submitted 1" in text and "Feasible 1" not in text


def count_queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_query_counts_stay_flat_from_a_few_ideas_to_many(citizen, ideas_map, settings):
    from tests.test_query_budget import BUDGET

    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    page = ideas_map["it"]
    signed_in = Client()
    signed_in.force_login(citizen)
    first = IdeaFactory(page=page)
    set_support(idea=first, user=citizen, support=True)
    urls = [page.url, f"{page.url}{first.pk}/", page.url + "ideas.geojson", page.url + "new/"]
    few = {
        url: (count_queries(Client(), url) if "new" not in url else 0, count_queries(signed_in, url)) for url in urls
    }
    Idea.objects.bulk_create(
        [
            Idea(
                group_id=page.translation_key,
                title=f"Idea {number}",
                description="Testo",
                category_key=first.category_key,
                latitude=45.0860 + number * 1e-6,
                longitude=7.6650,
                language="it",
            )
            for number in range(200)
        ]
    )
    for url in urls:
        many = (count_queries(Client(), url) if "new" not in url else 0, count_queries(signed_in, url))
        assert many == few[url], url
        assert max(many) <= BUDGET, (url, many)


# --- the editor's side ---------------------------------------------------------------------------------


def new_map_form(phase_obj, area, location="SRID=4326;POINT(7.6650 45.0880)"):
    from django.utils import timezone

    opens_at = timezone.localtime(timezone.now())
    data = {
        "title": "Idee per il parco",
        "slug": "idee-per-il-parco",
        "intro": "",
        "location": location,
        "zoom": "16",
        "area": area,
        "phase_key": str(phase_obj.translation_key) if phase_obj else "",
        "opens_at": f"{opens_at:%Y-%m-%d %H:%M}",
        "closes_at": f"{opens_at + timedelta(days=5):%Y-%m-%d %H:%M}",
        "categories-TOTAL_FORMS": "1",
        "categories-INITIAL_FORMS": "0",
        "categories-MIN_NUM_FORMS": "1",
        "categories-MAX_NUM_FORMS": "12",
        "categories-0-name": "Verde",
        "categories-0-colour": "green",
        "categories-0-icon": "it-map-marker",
        "categories-0-ORDER": "1",
        "categories-0-DELETE": "",
        "categories-0-id": "",
        "places-TOTAL_FORMS": "0",
        "places-INITIAL_FORMS": "0",
        "places-MIN_NUM_FORMS": "0",
        "places-MAX_NUM_FORMS": "1000",
    }
    return data


def test_an_editor_draws_or_pastes_the_area_and_the_admin_checks_it(client, tree):
    from django.urls import reverse

    from tests.factories import EditorFactory

    process = tree["consultation"]["it"]
    phase = next(p for p in process.phases.all() if not p.is_results and p.contains(timezone_today()))
    client.force_login(EditorFactory())
    url = reverse("wagtailadmin_pages:add", args=("participation", "ideamappage", process.pk))
    form = client.get(url).content.decode()
    assert "data-area-map" in form and "vendor/leaflet.draw/leaflet.draw.js" in form and "js/area-field.js" in form
    refused = client.post(url, new_map_form(phase, '{"type": "Point", "coordinates": [7.6, 45.0]}'))
    assert refused.status_code == 200 and not IdeaMapPage.objects.filter(slug="idee-per-il-parco").exists()
    outside = client.post(url, new_map_form(phase, json.dumps(PARK_AREA), location="SRID=4326;POINT(7.6869 45.0703)"))
    assert outside.status_code == 200 and not IdeaMapPage.objects.filter(slug="idee-per-il-parco").exists()
    created = client.post(url, new_map_form(phase, json.dumps(PARK_AREA)))
    assert created.status_code == 302
    page = IdeaMapPage.objects.get(slug="idee-per-il-parco")
    assert page.contains(*INSIDE) and [c.name for c in page.categories.all()] == ["Verde"]
    assert page.phase_key == phase.translation_key


def timezone_today():
    from django.utils import timezone

    return timezone.localdate()


def test_every_feed_validates_against_the_published_schema(ideas_map):
    from pathlib import Path

    import jsonschema

    schema = json.loads(
        (Path(__file__).resolve().parent.parent / "participation/schemas/ideas.geojson.schema.json").read_text()
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    IdeaFactory(page=ideas_map["it"], title='Titolo con "virgolette" e <tag>', status="included")
    IdeaFactory(page=ideas_map["it"], latitude=45.0951 - 0.0001, longitude=7.6601)
    for page in ideas_map.values():
        feed = Client().get(page.url + "ideas.geojson").json()
        validator.validate(feed)
        assert len(feed["features"]) == 2
    empty = IdeaMapPageFactory(parent=ideas_map["it"].get_parent())
    validator.validate(Client().get(empty.url + "ideas.geojson").json())


def test_the_feed_is_compressed_once_and_kept_out_of_the_page_cache(ideas_map):
    import gzip

    page = ideas_map["it"]
    for number in range(30):
        IdeaFactory(page=page, title=f"Alberi e panchine {number}")
    url = page.url + "ideas.geojson"
    plain = Client().get(url)
    assert "Content-Encoding" not in plain and "X-Page-Cache" not in plain
    packed = Client().get(url, HTTP_ACCEPT_ENCODING="gzip, deflate")
    assert packed["Content-Encoding"] == "gzip" and packed["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.content) == plain.content
    assert packed["ETag"] != plain["ETag"]
    for etag in (plain["ETag"], packed["ETag"]):
        assert Client().get(url, HTTP_IF_NONE_MATCH=etag, HTTP_ACCEPT_ENCODING="gzip").status_code == 304
    IdeaFactory(page=page, title="Una in più")
    fresh = Client().get(url, HTTP_IF_NONE_MATCH=packed["ETag"], HTTP_ACCEPT_ENCODING="gzip")
    assert fresh.status_code == 200 and len(json.loads(gzip.decompress(fresh.content))["features"]) == 31


def test_the_list_pages_through_every_published_idea_by_support(ideas_map):
    page = ideas_map["en"]
    ideas = [IdeaFactory(page=ideas_map["it"], title=f"Idea {number:02d}") for number in range(33)]
    Idea.objects.filter(pk=ideas[5].pk).update(support_count=9)
    hidden = ideas[0]
    hidden.is_hidden = True
    hidden.save()
    first = soup(Client().get(page.url))
    second = soup(Client().get(page.url, {"page": 2}))
    shown = [item["id"] for item in first.select(".idea-list > li") + second.select(".idea-list > li")]
    assert shown[0] == f"idea-{ideas[5].pk}" and len(shown) == 32 == len(set(shown))
    assert f"idea-{hidden.pk}" not in shown
    assert len(soup(Client().get(page.url, {"page": 3})).select(".idea-list > li")) == 2  # past the end: the last page
