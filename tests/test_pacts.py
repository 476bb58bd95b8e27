"""Collaboration pacts (participation/pacts.py): volunteers join and leave, activities fill up and keep a waiting
list, calendars parse, reminders go once, coordinators act on their own pact only, the page stays within its
query budget and its cached copy follows every write."""

from datetime import date, timedelta
from decimal import Decimal
from unittest import mock

import icalendar
import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import registry
from participation import pact_permissions, pact_reports, pacts
from participation.models.pacts import Activity, ActivitySignup, PactMembership
from tests.factories import AdminFactory, UserFactory
from tests.pact_factories import ActivityFactory, build_pact, coordinators_group, make_resident


@pytest.fixture
def pact(tree):
    return build_pact(tree["consultation"])


@pytest.fixture
def resident(citizen):
    return make_resident(citizen)


def activity_for(pact, **fields):
    return ActivityFactory(group_id=pact["it"].translation_key, **fields)


def url(pact, tail="", code="it"):
    return pact[code].url + tail


def run_on_commit(django_capture_on_commit_callbacks, function, *args, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return function(*args, **kwargs)


# --- volunteers ---------------------------------------------------------------------------------------------


def test_a_verified_resident_joins_once_and_leaves(client, pact, resident):
    client.force_login(resident)
    response = client.post(url(pact, "join/"), {"accept": "on"})
    assert response.status_code == 302
    assert PactMembership.objects.filter(user=resident, group=pact["it"].translation_key).count() == 1
    client.post(url(pact, "join/", "en"), {"accept": "on", "show_name": "on"})  # the other language: the same pact
    membership = PactMembership.objects.get(user=resident)
    assert membership.show_name is True
    with pytest.raises(IntegrityError), transaction.atomic():
        PactMembership.objects.create(group=membership.group, user=resident)
    assert client.post(url(pact, "leave/")).status_code == 302
    assert not PactMembership.objects.filter(user=resident).exists()


def test_joining_needs_accepting_the_commitments(client, pact, resident):
    client.force_login(resident)
    response = client.post(url(pact, "join/"), {"show_name": "on"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="join-errors"' in html and 'href="#id_accept"' in html and 'aria-invalid="true"' in html
    assert not PactMembership.objects.exists()


def test_an_unverified_citizen_is_shown_the_way_to_verify_and_refused(client, pact, citizen):
    client.force_login(citizen)
    page = client.get(url(pact)).content.decode()
    assert "/accounts/verify/?next=" in page and 'name="accept"' not in page
    assert client.post(url(pact, "join/"), {"accept": "on"}).status_code == 400
    assert not PactMembership.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(pact):
    response = Client().post(url(pact, "join/"), {"accept": "on"})
    assert response.status_code == 302 and "login" in response["Location"]


def test_the_page_counts_volunteers_and_names_only_those_who_chose(pact, resident):
    hidden = make_resident(UserFactory(display_name="Nascosta N."))
    pacts.join(pact["it"], resident, show_name=True)
    pacts.join(pact["it"], hidden, show_name=False)
    html = Client().get(url(pact, code="en")).content.decode()
    assert "2 volunteers" in html and "Giulia R." in html and "Nascosta N." not in html
    assert "Comitato Parco Dora" in html and "The City of Turin" in html
    assert 'data-map="' in html and "<script>" not in html  # the map's configuration, no inline script
    # The process page lists its pact among its pages.
    process = Client().get(pact["en"].get_parent().url)
    assert process.status_code == 200 and pact["en"].title in process.content.decode()


# --- places and the waiting list ----------------------------------------------------------------------------


def test_a_full_activity_puts_citizens_on_the_waiting_list_and_a_cancellation_moves_it(
    pact, django_capture_on_commit_callbacks
):
    activity = activity_for(pact, capacity=2)
    people = [UserFactory() for _ in range(4)]
    statuses = [pacts.sign_up(activity, person).status for person in people]
    assert statuses == ["confirmed", "confirmed", "waiting", "waiting"]
    with pytest.raises(pacts.PactRejected):
        pacts.sign_up(activity, people[0])  # once each
    mail.outbox.clear()
    promoted = run_on_commit(django_capture_on_commit_callbacks, pacts.cancel, activity, people[0])
    assert promoted.user == people[2]
    assert dict(ActivitySignup.objects.values_list("user", "status")) == {
        people[1].pk: "confirmed",
        people[2].pk: "confirmed",
        people[3].pk: "waiting",
    }
    assert [message.to for message in mail.outbox] == [[people[2].email]]
    assert activity.title in mail.outbox[0].subject
    # Leaving the waiting list moves nobody.
    assert run_on_commit(django_capture_on_commit_callbacks, pacts.cancel, activity, people[3]) is None


def test_more_places_given_in_the_admin_go_to_those_waiting(pact, django_capture_on_commit_callbacks):
    activity = activity_for(pact, capacity=1)
    people = [UserFactory() for _ in range(3)]
    for person in people:
        pacts.sign_up(activity, person)
    mail.outbox.clear()
    activity.capacity = 2
    run_on_commit(django_capture_on_commit_callbacks, activity.save)
    assert ActivitySignup.objects.get(user=people[1]).status == "confirmed"
    assert ActivitySignup.objects.get(user=people[2]).status == "waiting"
    assert [message.to for message in mail.outbox] == [[people[1].email]]


def test_no_sign_up_for_a_cancelled_or_past_activity_nor_without_a_confirmed_email(pact, citizen):
    with pytest.raises(pacts.PactRejected):
        pacts.sign_up(activity_for(pact, status=Activity.CANCELLED), citizen)
    with pytest.raises(pacts.PactRejected):
        pacts.sign_up(activity_for(pact, starts_at=timezone.now() - timedelta(hours=1)), citizen)
    with pytest.raises(pacts.PactRejected):
        pacts.sign_up(activity_for(pact), UserFactory(verified=False))


def test_signing_up_and_cancelling_through_the_page(client, pact, citizen):
    activity = activity_for(pact, capacity=1)
    client.force_login(citizen)
    detail = url(pact, f"activities/{activity.pk}/")
    assert client.get(detail).status_code == 200
    assert client.post(detail + "signup/", {"action": "signup"}).status_code == 302
    assert ActivitySignup.objects.get(user=citizen).status == "confirmed"
    again = client.post(detail + "signup/", {"action": "signup"})
    assert again.status_code == 400 and 'id="signup-errors"' in again.content.decode()
    assert client.post(detail + "signup/", {"action": "cancel"}).status_code == 302
    assert not ActivitySignup.objects.exists()
    assert client.get(url(pact, "activities/999999/")).status_code == 404


def test_sign_ups_are_rate_limited(pact, settings):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "signup": "2/1h/user"}
    citizen = UserFactory()
    pacts.sign_up(activity_for(pact), citizen)
    pacts.sign_up(activity_for(pact), citizen)
    with pytest.raises(pacts.PactRejected) as refused:
        pacts.sign_up(activity_for(pact), citizen)
    assert refused.value.status == 429


def test_a_deleted_account_gives_its_place_to_the_first_waiting(pact, django_capture_on_commit_callbacks):
    activity = activity_for(pact, capacity=1)
    leaving, waiting = UserFactory(), UserFactory()
    pacts.sign_up(activity, leaving)
    pacts.sign_up(activity, waiting)
    exported = registry.export(leaving)["pacts"]["records"]
    assert exported[0]["activity"] == activity.title and exported[0]["status"] == "confirmed"
    run_on_commit(django_capture_on_commit_callbacks, registry.anonymise, leaving)
    leaving.delete()
    assert ActivitySignup.objects.get().user == waiting and ActivitySignup.objects.get().status == "confirmed"


def test_a_deleted_volunteer_leaves_the_names_shown_at_once_cached_pages_too(
    pact, django_capture_on_commit_callbacks, settings
):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "signup": ""}
    staying, leaving = make_resident(UserFactory(first_name="Rita")), make_resident(UserFactory(first_name="Ugo"))
    for person in (staying, leaving):
        run_on_commit(django_capture_on_commit_callbacks, pacts.join, pact["it"], person, show_name=True)
    names = (staying.public_name, leaving.public_name)
    signed_in = Client()
    signed_in.force_login(staying)
    for client in (Client(), signed_in):  # the anonymous copy and the cached list of names
        html = client.get(url(pact, code="en")).content.decode()
        assert all(name in html for name in names) and "2 volunteers" in html
    run_on_commit(django_capture_on_commit_callbacks, registry.anonymise, leaving)
    leaving.delete()
    for client in (Client(), signed_in):
        html = client.get(url(pact, code="en")).content.decode()
        assert names[0] in html and names[1] not in html and "1 volunteer" in html


def test_a_volunteer_s_new_public_name_shows_at_once(pact, django_capture_on_commit_callbacks, settings):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "signup": ""}
    volunteer = make_resident(UserFactory(display_name="Rita B."))
    run_on_commit(django_capture_on_commit_callbacks, pacts.join, pact["it"], volunteer, show_name=True)
    signed_in = Client()
    signed_in.force_login(make_resident(UserFactory()))
    for client in (Client(), signed_in):  # the anonymous copy and the cached list of names
        assert "Rita B." in client.get(url(pact, code="en")).content.decode()
    volunteer.display_name = "Rita Bianchi"
    run_on_commit(django_capture_on_commit_callbacks, volunteer.save, update_fields=["display_name"])
    for client in (Client(), signed_in):
        html = client.get(url(pact, code="en")).content.decode()
        assert "Rita Bianchi" in html and "Rita B." not in html


# --- calendars ----------------------------------------------------------------------------------------------


def parsed(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def test_an_activity_ics_and_the_pact_feed_are_valid_icalendar_in_rome_time(pact):
    first = activity_for(pact, title="Semina")
    activity_for(pact, title="Raccolta", latitude=None, longitude=None)
    calendar = parsed(Client().get(url(pact, f"activities/{first.pk}.ics")))
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    event = events[0]
    assert str(event["SUMMARY"]) == "Semina"
    assert event["DTSTART"].params["TZID"] == "Europe/Rome"
    assert event.decoded("DTSTART") == first.starts_at.replace(microsecond=0)
    assert str(event["UID"]) == f"pact-activity-{first.pk}@testserver"
    assert event["GEO"].latitude == pytest.approx(45.088)
    assert str(event["URL"]).endswith(f"/activities/{first.pk}/")
    assert "Guanti" in str(event["DESCRIPTION"]) and str(event["LOCATION"]) == "Prato dei pilastri"
    assert [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")] == ["Europe/Rome"]
    feed = parsed(Client().get(url(pact, "calendar.ics", "en")))
    assert sorted(str(event["SUMMARY"]) for event in feed.walk("VEVENT")) == ["Raccolta", "Semina"]
    # The UID stays the same in every download.
    again = parsed(Client().get(url(pact, "calendar.ics")))
    assert {str(e["UID"]) for e in again.walk("VEVENT")} == {str(e["UID"]) for e in feed.walk("VEVENT")}


def test_the_pact_calendar_is_one_cached_feed_for_everyone_with_its_etag_and_follows_every_change(
    pact, citizen, django_assert_max_num_queries
):
    activity_for(pact, title="Semina")
    address = url(pact, "calendar.ics")
    first = Client().get(address)
    assert first.status_code == 200 and first["Content-Disposition"] == 'inline; filename="calendar.ics"'
    signed_in = Client()
    signed_in.force_login(citizen)
    signed_in.get(address)  # the session, read once
    with django_assert_max_num_queries(3):  # session, user and the page: the calendar itself from the cache
        again = signed_in.get(address)
    assert again.content == first.content and again["ETag"] == first["ETag"]
    assert Client().get(address, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    zipped = Client().get(address, HTTP_ACCEPT_ENCODING="gzip")
    assert zipped["Content-Encoding"] == "gzip" and zipped["ETag"] != first["ETag"]
    assert Client().get(address, HTTP_IF_NONE_MATCH=zipped["ETag"]).status_code == 304

    later = activity_for(pact, title="Raccolta")  # published in the admin: in the feed at once
    changed = parsed(Client().get(address, HTTP_IF_NONE_MATCH=first["ETag"]))
    assert sorted(str(event["SUMMARY"]) for event in changed.walk("VEVENT")) == ["Raccolta", "Semina"]
    later.status = Activity.CANCELLED
    later.save()
    cancelled = parsed(Client().get(address))
    assert {str(e["SUMMARY"]): str(e["STATUS"]) for e in cancelled.walk("VEVENT")}["Raccolta"] == "CANCELLED"
    one = Client().get(url(pact, f"activities/{later.pk}.ics"))
    assert Client().get(url(pact, f"activities/{later.pk}.ics"), HTTP_IF_NONE_MATCH=one["ETag"]).status_code == 304


# --- reminders ----------------------------------------------------------------------------------------------


def test_reminders_go_the_day_before_to_confirmed_sign_ups_once(pact, django_capture_on_commit_callbacks):
    tomorrow = activity_for(pact, starts_at=timezone.now() + timedelta(hours=20), capacity=1)
    later = activity_for(pact, starts_at=timezone.now() + timedelta(days=3))
    confirmed, waiting = UserFactory(), UserFactory()
    pacts.sign_up(tomorrow, confirmed)
    pacts.sign_up(tomorrow, waiting)
    pacts.sign_up(later, waiting)
    mail.outbox.clear()
    run_on_commit(django_capture_on_commit_callbacks, call_command, "send_notifications", verbosity=0)
    assert [message.to for message in mail.outbox] == [[confirmed.email]]
    assert tomorrow.title in mail.outbox[0].subject and "Prato dei pilastri" in mail.outbox[0].body
    run_on_commit(django_capture_on_commit_callbacks, call_command, "send_notifications", verbosity=0)
    assert len(mail.outbox) == 1
    assert Activity.objects.get(pk=tomorrow.pk).reminder_sent_at is not None
    assert Activity.objects.get(pk=later.pk).reminder_sent_at is None


def test_a_reminder_is_written_in_the_language_of_the_sign_up(pact, django_capture_on_commit_callbacks):
    from django.utils import translation

    activity = activity_for(pact, starts_at=timezone.now() + timedelta(hours=5))
    with translation.override("en"):
        pacts.sign_up(activity, UserFactory())
    mail.outbox.clear()
    run_on_commit(django_capture_on_commit_callbacks, pacts.send_reminders)
    assert mail.outbox[0].subject.startswith("Tomorrow")
    assert "/en/" in mail.outbox[0].body


# --- coordinators -------------------------------------------------------------------------------------------


@pytest.fixture
def two_pacts(tree):
    first = build_pact(tree["consultation"], coordinators=coordinators_group("Coordinatori A"))
    second = build_pact(tree["consultation"], coordinators=coordinators_group("Coordinatori B"))
    return first, second


def coordinator_of(pact):
    from django.contrib.auth.models import Permission

    group = pact["it"].coordinators
    group.permissions.add(Permission.objects.get(codename="access_admin"))
    user = UserFactory()
    user.groups.add(group)
    return user


def test_a_coordinator_manages_the_activities_of_their_pact_only(client, two_pacts):
    mine, theirs = two_pacts
    own, other = activity_for(mine, title="Nostra"), activity_for(theirs, title="Altrui")
    client.force_login(coordinator_of(mine))
    listing = client.get(reverse("pact_activities:index"))
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Nostra" in html and "Altrui" not in html
    assert client.get(reverse("pact_activities:edit", args=[own.pk])).status_code == 200
    # Another pact's activity: the admin's refusal (PermissionDenied: back to the dashboard with a message).
    for response in (
        client.get(reverse("pact_activities:edit", args=[other.pk])),
        client.post(reverse("pact_activities:edit", args=[other.pk]), {"title": "Presa"}),
        client.post(reverse("pact_activities:delete", args=[other.pk])),
    ):
        assert response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    assert Activity.objects.get(pk=other.pk).title == "Altrui"
    assert Activity.objects.filter(pk=other.pk).exists()
    # Creating for the other pact is refused by the form's choices.
    start = timezone.localtime() + timedelta(days=5)
    data = {
        "group": str(theirs["it"].translation_key),
        "title": "Intrusa",
        "language": "it",
        "description": "x",
        "starts_at": start.strftime("%Y-%m-%d %H:%M"),
        "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M"),
        "status": "scheduled",
        "place_name": "Qui",
    }
    assert client.post(reverse("pact_activities:add"), data).status_code == 200  # the form again, with its error
    assert not Activity.objects.filter(title="Intrusa").exists()
    data["group"] = str(mine["it"].translation_key)
    assert client.post(reverse("pact_activities:add"), data).status_code == 302
    assert Activity.objects.get(title="Intrusa").created_by is not None


def test_a_citizen_without_a_group_has_no_activities_admin(client, two_pacts):
    assert not pact_permissions.may_coordinate(UserFactory(), two_pacts[0]["it"].translation_key)
    admin = AdminFactory()
    assert pact_permissions.may_coordinate(admin, two_pacts[1]["it"].translation_key)


# --- queries and the page cache -----------------------------------------------------------------------------


def plan_signed_up(pact, how_many, also=None):
    """``how_many`` more upcoming activities, each with a new citizen signed up (and ``also``, if given)."""
    for _ in range(how_many):
        activity = activity_for(pact)
        pacts.sign_up(activity, UserFactory())
        if also is not None:
            pacts.sign_up(activity, also)


def counted(client, address):
    """Queries of a render once the site chrome, the route and Wagtail's per-process caches are warm."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return len(queries.captured_queries)


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_pact_page_stays_within_its_query_budget_as_activities_grow(client, pact, resident, logged_in, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "signup": ""}
    if logged_in:
        client.force_login(resident)
        pacts.join(pact["it"], resident, show_name=True)

    def load(count):
        plan_signed_up(pact, count, resident if logged_in else None)
        activity_for(pact, starts_at=timezone.now() - timedelta(days=3))  # a past one
        return counted(client, url(pact))

    small = load(5)
    large = load(45)
    assert small <= 15 and large == small


@pytest.mark.parametrize("logged_in", [False, True])
def test_an_activity_page_stays_within_its_query_budget(client, pact, resident, logged_in, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    activity = activity_for(pact)
    if logged_in:
        client.force_login(resident)
        pacts.sign_up(activity, resident)
    assert counted(client, url(pact, f"activities/{activity.pk}/")) <= 15


def test_the_pact_page_shows_the_next_activities_and_links_to_all_of_them(client, pact, resident, settings):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "signup": ""}
    soon = timezone.now() + timedelta(days=1)
    planned = [activity_for(pact, title=f"Attività {n:02d}", starts_at=soon + timedelta(days=n)) for n in range(25)]
    activity_for(pact, title="Passata", starts_at=timezone.now() - timedelta(days=3))
    pacts.sign_up(planned[21], resident)
    page = BeautifulSoup(client.get(url(pact, code="en")).content, "html.parser")
    shown = [a.get_text(strip=True) for a in page.select(".pact-activities .card-title a")]
    assert shown == [f"Attività {n:02d}" for n in range(pacts.UPCOMING_SHOWN)]
    more = page.find("a", string="All the upcoming activities (25)")
    assert more["href"] == url(pact, "activities/", "en")

    client.force_login(resident)
    first = BeautifulSoup(client.get(more["href"]).content, "html.parser")
    assert first.title.get_text().startswith(f"Upcoming activities — {pact['en'].title}")
    titles = [a.get_text(strip=True) for a in first.select(".pact-activities h2.card-title a")]  # h1, then h2s
    assert titles == [f"Attività {n:02d}" for n in range(pacts.ACTIVITIES_PER_PAGE)]
    assert "25 activities planned, soonest first." in first.get_text()
    second = BeautifulSoup(client.get(more["href"] + "?page=2").content, "html.parser")
    cards = second.select(".pact-activities .card")
    assert [c.select_one(".card-title a").get_text(strip=True) for c in cards] == [
        f"Attività {n:02d}" for n in range(20, 25)
    ]
    assert "you are signed up" in cards[1].get_text() and "Passata" not in second.get_text()
    assert second.select_one('a[rel="prev"]')["href"] == "?page=1"
    # Anything else than a page number: the first or the last page, never an error.
    assert client.get(more["href"] + "?page=x").status_code == 200
    assert "Attività 24" in client.get(more["href"] + "?page=99").content.decode()

    Activity.objects.filter(group=pact["it"].translation_key).exclude(title="Passata").delete()
    empty = client.get(url(pact, "activities/", "it")).content.decode()
    assert "Ancora nessuna attività in programma." in empty


@pytest.mark.parametrize("logged_in", [False, True])
def test_the_list_of_activities_stays_within_its_query_budget(client, pact, resident, logged_in, settings):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "signup": ""}
    if logged_in:
        client.force_login(resident)

    def load(how_many):
        plan_signed_up(pact, how_many, resident if logged_in else None)
        return counted(client, url(pact, "activities/?page=2"))

    small = load(25)
    assert small <= 15 and load(40) == small


def test_the_cached_anonymous_page_follows_sign_ups_and_admin_changes(pact, django_capture_on_commit_callbacks):
    visitor = Client()
    activity = activity_for(pact, capacity=3)
    first = visitor.get(url(pact, code="en"))
    assert first["X-Page-Cache"] == "miss" and "3 places left" in first.content.decode()
    assert visitor.get(url(pact, code="en"))["X-Page-Cache"] == "hit"
    run_on_commit(django_capture_on_commit_callbacks, pacts.sign_up, activity, UserFactory())
    fresh = visitor.get(url(pact, code="en"))
    assert fresh["X-Page-Cache"] == "miss" and "2 places left" in fresh.content.decode()
    Activity.objects.filter(pk=activity.pk).update(capacity=3)  # no signal: still cached
    assert visitor.get(url(pact, code="en"))["X-Page-Cache"] == "hit"
    activity.refresh_from_db()
    activity.title = "Nuovo titolo"
    run_on_commit(django_capture_on_commit_callbacks, activity.save)  # as the admin saves it
    assert "Nuovo titolo" in visitor.get(url(pact, code="en")).content.decode()
    resident = make_resident(UserFactory())
    run_on_commit(django_capture_on_commit_callbacks, pacts.join, pact["it"], resident)
    assert "1 volunteer" in visitor.get(url(pact, code="en")).content.decode()


def queries_of(client, address):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_a_logged_in_pact_page_reads_activities_signatories_and_log_from_the_cache(client, pact, resident, settings):
    """The lists of activities (until the pact's participation changes or one of them ends), the signatories
    (until the content changes) and the rendered log: only the page and the citizen's own state are asked."""
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    plan_signed_up(pact, 3, resident)
    activity_for(pact, starts_at=timezone.now() - timedelta(days=3))
    client.force_login(resident)
    asked = queries_of(client, url(pact))
    tables = ('participation_activity"', "participation_pactsignatory", "participation_activityreport")
    assert not [sql for sql in asked for table in tables if f'FROM "{table}' in sql], "\n".join(asked)
    assert len(asked) <= 7, "\n".join(asked)


def test_the_pact_page_follows_sign_ups_new_activities_and_the_clock_for_a_citizen(
    client, pact, resident, settings, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    client.force_login(resident)
    soon = timezone.now() + timedelta(hours=2)
    first = activity_for(pact, title="Prima", capacity=3, starts_at=soon - timedelta(hours=1), ends_at=soon)
    activity_for(pact, title="Seconda", starts_at=soon + timedelta(days=1))
    page = client.get(url(pact, code="en")).content.decode()
    assert "3 places left" in page and "Prima" in page
    run_on_commit(django_capture_on_commit_callbacks, pacts.sign_up, first, UserFactory())
    assert "2 places left" in client.get(url(pact, code="en")).content.decode()
    run_on_commit(django_capture_on_commit_callbacks, activity_for, pact, title="Terza")
    assert "Terza" in client.get(url(pact, code="en")).content.decode()
    # Once "Prima" has ended it moves to the past activities, although nothing was written.
    later = soon + timedelta(minutes=1)
    with mock.patch("participation.pacts.timezone.now", return_value=later):
        html = BeautifulSoup(client.get(url(pact, code="en")).content, "html.parser")
    assert [a.get_text(strip=True) for a in html.select(".pact-activities .card-title a")] == ["Seconda", "Terza"]
    assert "Prima" in html.find("h2", string="Past activities").find_next("ul").get_text()


def test_a_new_signatory_and_a_new_activity_report_show_at_once(
    client, pact, resident, settings, django_capture_on_commit_callbacks
):
    from participation.models.pacts import PactSignatory

    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    client.force_login(resident)
    held = activity_for(pact, title="Pulizia del prato", starts_at=timezone.now() - timedelta(days=2))
    assert "Legambiente Torino" not in client.get(url(pact)).content.decode()
    page = pact["it"]
    page.signatories.add(PactSignatory(name="Legambiente Torino", locale=page.locale))
    page.save_revision().publish()
    html = client.get(url(pact)).content.decode()
    assert "Legambiente Torino" in html
    assert "Pulizia del prato" not in BeautifulSoup(html, "html.parser").select_one("#log").get_text()
    data = {"text": "Raccolti sei sacchi.", "participants": 8, "hours": Decimal("16")}
    run_on_commit(django_capture_on_commit_callbacks, pact_reports.save_report, held, data, resident)
    log = BeautifulSoup(client.get(url(pact)).content, "html.parser").select_one("#log")
    assert "Pulizia del prato" in log.get_text() and "Raccolti sei sacchi." in log.get_text()


@pytest.mark.parametrize("status", ["proposed", "signed", "active"])
def test_the_status_badge_says_the_status_and_its_colour_differs_per_status(client, tree, status):
    pact = build_pact(tree["consultation"], status=status)
    badge = BeautifulSoup(client.get(url(pact, code="en")).content, "html.parser").select_one(".status-badge")
    assert f"pact-status--{status}" in badge["class"] and "bg-dark" not in badge["class"]
    assert badge.get_text(" ", strip=True) == f"Status: {status.capitalize()}"
    css = (settings.BASE_DIR / "static/css/site.css").read_text()
    assert f".pact-status--{status} {{" in css


def test_a_pact_past_its_end_date_reads_expired(client, tree):
    pact = build_pact(tree["consultation"], status="active", ends_on=date.today() - timedelta(days=1))
    badge = BeautifulSoup(client.get(url(pact, code="en")).content, "html.parser").select_one(".status-badge")
    assert "pact-status--expired" in badge["class"] and badge.get_text(" ", strip=True) == "Status: Expired"
