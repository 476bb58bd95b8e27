"""Citizens' proposals of activities for a collaboration pact: the form (validation in the citizen's language,
what was typed kept, the rate limit), the coordinators' answers in the admin (accepted: an activity; declined: a
public reason), the proposer's email, the public list, and coordinators reaching only their own pact."""

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participation.models import Activity, ActivityProposal, PactPage, PactStatus
from participation.pact_permissions import may_coordinate
from tests.factories import PARK_AREA, EditorFactory, UserFactory, translate

pytestmark = pytest.mark.django_db


def make_pact(parent, slug, title, coordinators=None):
    """A live pact under ``parent`` (Italian) and its English translation: {"it": page, "en": page}."""
    today = timezone.localdate()
    page = PactPage(
        title=title,
        slug=slug,
        purpose="<p>Curare l'area.</p>",
        area=json.dumps(PARK_AREA),
        starts_on=today - timedelta(days=30),
        ends_on=today + timedelta(days=700),
        status=PactStatus.ACTIVE,
        coordinators=coordinators,
    )
    parent.add_child(instance=page)
    page.save_revision().publish()
    english = translate(page, "en", title=f"{title} (en)", slug=f"{slug}-en")
    return {"it": PactPage.objects.get(pk=page.pk), "en": PactPage.objects.get(pk=english.pk)}


def coordinators_group(name):
    group = Group.objects.create(name=name)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    return group


@pytest.fixture(name="pacts")
def pacts_fixture(tree):
    """Two pacts under the process, each with its own coordinators group and one coordinator."""
    found = {}
    for letter in ("a", "b"):
        group = coordinators_group(f"Coordinatori {letter}")
        pact = make_pact(tree["consultation"]["it"], f"patto-{letter}", f"Patto {letter.upper()}", group)
        coordinator = UserFactory(username=f"coordinatore.{letter}", email=f"coord.{letter}@example.org")
        coordinator.groups.add(group)
        found[letter] = {"page": pact, "group": group, "coordinator": coordinator}
    return found


def form_data(**overrides):
    data = {
        "title": "Merenda condivisa",
        "description": "Una merenda sul prato con i vicini.",
        "proposed_date": (timezone.localdate() + timedelta(days=10)).isoformat(),
        "place_name": "Prato dei pilastri",
    }
    data.update(overrides)
    return data


def propose_url(page):
    return page.url + "propose/"


def propose(client, page, **overrides):
    return client.post(propose_url(page), form_data(**overrides))


def include(name, page, user=None):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get(page.url)
    request.user = user or AnonymousUser()
    return BeautifulSoup(
        render_to_string(f"participation/includes/{name}.html", {"page": page}, request), "html.parser"
    )


# --- citizens propose -----------------------------------------------------------------------------


def test_a_citizen_proposes_an_activity_stored_with_language_and_address(client, citizen, pacts):
    page = pacts["a"]["page"]["en"]
    client.force_login(citizen)
    assert client.get(propose_url(page)).status_code == 200
    response = client.post(propose_url(page), form_data(), REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    assert response["Location"].endswith("#proposals")
    proposal = ActivityProposal.objects.get()
    assert proposal.group_id == page.translation_key
    assert (proposal.user, proposal.language, proposal.status) == (citizen, "en", ActivityProposal.PENDING)
    assert proposal.ip_address == "203.0.113.9"
    listed = include("pact_proposals", pacts["a"]["page"]["it"])
    pending = listed.find(id=f"proposal-{proposal.pk}")
    assert "Merenda condivisa" in pending.text and "Giulia" not in listed.text


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"proposed_date": "2020-01-01"}, "proposed_date", "Choose a day after today."),
        ({"proposed_date": "domani"}, "proposed_date", "Enter a valid date."),
        ({"title": "   "}, "title", "This field is required."),
        ({"place_name": ""}, "place_name", "This field is required."),
    ],
)
def test_bad_input_is_refused_keeping_what_was_typed(client, citizen, pacts, overrides, field, message):
    page = pacts["a"]["page"]["en"]
    client.force_login(citizen)
    response = propose(client, page, **overrides)
    assert response.status_code == 400
    soup = BeautifulSoup(response.content, "html.parser")
    summary = soup.find(id="form-errors")
    link = summary.find("a", href=f"#id_{field}")
    assert link is not None and message in link.text
    assert soup.find(id="id_description").text.strip() == form_data()["description"]
    assert not ActivityProposal.objects.exists()


def test_a_date_after_the_pact_ends_is_refused(client, citizen, pacts):
    page = pacts["a"]["page"]["en"]
    client.force_login(citizen)
    late = (page.ends_on + timedelta(days=1)).isoformat()
    response = propose(client, page, proposed_date=late)
    assert response.status_code == 400 and "The pact ends on" in response.content.decode()


def test_errors_are_in_the_citizens_language(client, citizen, pacts):
    client.force_login(citizen)
    response = propose(client, pacts["a"]["page"]["it"], proposed_date="2020-01-01")
    assert response.status_code == 400
    assert 'lang="it"' in response.content.decode()[:400]


def test_anonymous_and_unverified_visitors_cannot_propose(client, pacts):
    page = pacts["a"]["page"]["en"]
    response = client.get(propose_url(page))
    assert response.status_code == 302 and "login" in response["Location"]
    unverified = UserFactory(username="nonverificato", email="nv@example.org", verified=False)
    client.force_login(unverified)
    response = propose(client, page)
    assert response.status_code == 403 and "Confirm your email address" in response.content.decode()
    assert not ActivityProposal.objects.exists()


def test_proposals_are_rate_limited(client, citizen, pacts, settings):
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "proposal": "2/1d/user"}
    client.force_login(citizen)
    page = pacts["a"]["page"]["en"]
    assert propose(client, page).status_code == 302
    assert propose(client, page).status_code == 302
    response = propose(client, page)
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "several activities in a short time" in response.content.decode()
    assert ActivityProposal.objects.count() == 2


# --- coordinators answer ----------------------------------------------------------------------------


def pending_proposal(pact, citizen, language="it"):
    return ActivityProposal.objects.create(
        group=pact["it"].ensure_group(),
        user=citizen,
        title="Cinema all'aperto",
        description="Un film sul prato.",
        language=language,
        proposed_date=timezone.localdate() + timedelta(days=12),
        place_name="Prato dei pilastri",
    )


def refused(response):
    """Wagtail's admin answers a PermissionDenied with a redirect to its dashboard (and a message), and anyone
    without admin access with its login page."""
    if response.status_code == 302:
        return response["Location"] == "/admin/" or response["Location"].startswith("/admin/login/")
    return response.status_code == 403


def accept_url(pact, proposal):
    return reverse("pact_proposal_accept", args=[pact["it"].pk, proposal.pk])


def decline_url(pact, proposal):
    return reverse("pact_proposal_decline", args=[pact["it"].pk, proposal.pk])


def test_an_accepted_proposal_becomes_an_activity_and_the_citizen_is_emailed(
    client, citizen, pacts, django_capture_on_commit_callbacks
):
    pact = pacts["a"]["page"]
    proposal = pending_proposal(pact, citizen, language="en")
    client.force_login(pacts["a"]["coordinator"])
    form = BeautifulSoup(client.get(accept_url(pact, proposal)).content, "html.parser")
    assert form.find(id="id_title")["value"] == "Cinema all'aperto"  # prefilled from the proposal
    assert form.find(id="id_day")["value"] == proposal.proposed_date.isoformat()
    data = {
        "title": "Cinema all'aperto",
        "description": "Un film sul prato.",
        "language": "it",
        "place_name": "Prato dei pilastri",
        "day": proposal.proposed_date.isoformat(),
        "starts": "21:00",
        "ends": "20:00",
        "capacity": "40",
    }
    assert client.post(accept_url(pact, proposal), data).status_code == 400  # ends before it starts
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(accept_url(pact, proposal), {**data, "ends": "23:00"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    activity = Activity.objects.get()
    assert proposal.status == ActivityProposal.ACCEPTED and proposal.activity == activity
    assert proposal.decided_by == pacts["a"]["coordinator"]
    assert activity.group_id == pact["it"].translation_key and activity.capacity == 40
    assert timezone.localtime(activity.starts_at).hour == 21
    (message,) = mail.outbox
    assert message.to == [citizen.email] and "accepted" in message.subject  # the language they proposed in
    listed = include("pact_proposals", pact["en"])
    assert listed.find(id=f"proposal-{proposal.pk}").find("a") is not None
    # Answered: a second answer is refused.
    client.post(decline_url(pact, proposal), {"reason": "No"})
    proposal.refresh_from_db()
    assert proposal.status == ActivityProposal.ACCEPTED


def test_a_declined_proposal_shows_its_public_reason(client, citizen, pacts, django_capture_on_commit_callbacks):
    pact = pacts["a"]["page"]
    proposal = pending_proposal(pact, citizen, language="it")
    client.force_login(pacts["a"]["coordinator"])
    response = client.post(decline_url(pact, proposal), {"reason": "  "})
    assert response.status_code == 400  # the reason is required
    with django_capture_on_commit_callbacks(execute=True):
        client.post(decline_url(pact, proposal), {"reason": "Il regolamento del parco non lo permette."})
    proposal.refresh_from_db()
    assert proposal.status == ActivityProposal.DECLINED and not Activity.objects.exists()
    listed = include("pact_proposals", pact["en"])
    assert "Il regolamento del parco non lo permette." in listed.find(id=f"proposal-{proposal.pk}").text
    (message,) = mail.outbox  # in Italian, the language of the proposal
    assert message.to == [citizen.email]
    assert "Il regolamento del parco non lo permette." in message.body


def test_a_coordinator_reaches_only_their_own_pact(client, citizen, pacts):
    a, b = pacts["a"], pacts["b"]
    proposal_b = pending_proposal(b["page"], citizen)
    client.force_login(a["coordinator"])
    assert may_coordinate(a["coordinator"], a["page"]["en"].translation_key)
    assert not may_coordinate(a["coordinator"], b["page"]["it"].translation_key)
    # Refused: Wagtail's admin turns the 403 into a redirect to its dashboard with a "permission denied" message.
    for response in (
        client.get(accept_url(b["page"], proposal_b)),
        client.post(decline_url(b["page"], proposal_b), {"reason": "x"}),
    ):
        assert refused(response)
    # Pact A's address with pact B's proposal: not found.
    mixed = reverse("pact_proposal_accept", args=[a["page"]["it"].pk, proposal_b.pk])
    assert client.get(mixed, follow=True).status_code == 404
    desk = client.get(reverse("pact_coordination")).content.decode()
    assert "Patto A" in desk and "Patto B" not in desk
    proposal_b.refresh_from_db()
    assert proposal_b.status == ActivityProposal.PENDING


def test_editors_coordinate_every_pact_and_citizens_none(client, citizen, pacts):
    editor = EditorFactory()
    assert may_coordinate(editor, pacts["b"]["page"]["it"].translation_key)
    assert not may_coordinate(citizen, pacts["a"]["page"]["it"].translation_key)
    client.force_login(citizen)
    proposal = pending_proposal(pacts["a"]["page"], citizen)
    assert refused(client.get(accept_url(pacts["a"]["page"], proposal)))


def test_the_public_list_costs_one_query(citizen, pacts):
    pact = pacts["a"]["page"]
    for _number in range(5):
        pending_proposal(pact, citizen)
    include("pact_proposals", pact["it"])
    with CaptureQueriesContext(connection) as queries:
        include("pact_proposals", pact["it"])
    assert len(queries) <= 2
