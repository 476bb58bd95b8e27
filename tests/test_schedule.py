"""One schedule per process: a poll belongs to one phase and its window lies inside it; status in one place."""

from datetime import date, datetime, timedelta
from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from consultations.models import STATUS_RULES, ConsultationPage, status_for
from participation.models import ParticipationComment, PollPage, PollVote
from tests.factories import AdminFactory, ConsultationPageFactory, PollPageFactory, build_tree, new_poll_form, phase

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


def local(day, hour):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour))


@pytest.fixture
def process():
    """A process with an ideas phase (open now), a vote phase (next month) and a results phase."""
    tree = build_tree(poll=False)
    page = ConsultationPageFactory(
        parent=tree["index"]["it"],
        slug="scelta",
        phases=[phase("Idee", -10, 5), phase("Voto", 6, 30), phase("Risultati", 31, 60, is_results=True)],
    )
    return ConsultationPage.objects.get(pk=page.pk)


def poll_form(page, phase_obj, opens_at, closes_at):
    return {**new_poll_form(phase_obj, opens_at, closes_at), "action-publish": "action-publish"}


def add_poll(client, parent, data):
    return client.post(reverse("wagtailadmin_pages:add", args=["participation", "pollpage", parent.pk]), data)


def test_the_admin_offers_the_process_phases_and_refuses_a_window_outside_the_chosen_one(client, process):
    client.force_login(AdminFactory())
    ideas, vote, _results = process.phases.all()
    form = client.get(reverse("wagtailadmin_pages:add", args=["participation", "pollpage", process.pk]))
    offered = [o.get_text() for o in BeautifulSoup(form.content, "html.parser").select("select[name=phase_key] option")]
    assert any(text.startswith("Idee") for text in offered) and any(text.startswith("Voto") for text in offered)
    assert not any(text.startswith("Risultati") for text in offered)  # results phases hold no vote

    # Closes a day after the vote phase ends: refused, and the message gives the phase and its dates.
    response = add_poll(client, process, poll_form(process, vote, local(vote.start, 9), local(vote.end + DAY, 10)))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Voto" in body and ("inside the phase" in body or "all&#x27;interno della fase" in body)
    assert vote.end.strftime("%Y") in body
    assert not PollPage.objects.exists()

    # Starts in the ideas phase but is filed under the vote phase: refused.
    response = add_poll(client, process, poll_form(process, vote, local(ideas.start, 9), local(vote.end, 18)))
    assert response.status_code == 200 and not PollPage.objects.exists()

    # No phase chosen: refused with a clear message.
    response = add_poll(client, process, poll_form(process, None, local(vote.start, 9), local(vote.end, 18)))
    assert response.status_code == 200 and not PollPage.objects.exists()

    # The whole last day is part of the phase: until midnight at the end of the last day is fine.
    response = add_poll(client, process, poll_form(process, vote, local(vote.start, 0), local(vote.end + DAY, 0)))
    assert response.status_code == 302
    poll = PollPage.objects.get()
    assert poll.phase_key == vote.translation_key and poll.live


def test_moving_a_phase_away_from_its_poll_is_refused(client, process):
    client.force_login(AdminFactory())
    ideas, vote, results = process.phases.all()
    PollPageFactory(
        parent=process,
        title="Orario",
        phase_key=vote.translation_key,
        opens_at=local(vote.start, 9),
        closes_at=local(vote.end, 18),
    )
    edit = reverse("wagtailadmin_pages:edit", args=[process.pk])

    def form(changes=None, delete=None):
        data = {
            "title": process.title,
            "slug": process.slug,
            "summary": process.summary,
            "image_alt": "",
            "organiser": process.organiser,
            "contact_email": process.contact_email,
            "location": "",
            "zoom": "",
            "data_licence": process.data_licence,
            "body-count": "0",
            "phases-TOTAL_FORMS": "3",
            "phases-INITIAL_FORMS": "3",
            "phases-MIN_NUM_FORMS": "0",
            "phases-MAX_NUM_FORMS": "1000",
            "action-publish": "action-publish",
        }
        for index, item in enumerate((ideas, vote, results)):
            values = {"name": item.name, "start": item.start, "end": item.end, "is_results": item.is_results}
            values.update((changes or {}).get(index, {}))
            data.update(
                {
                    f"phases-{index}-id": str(item.pk),
                    f"phases-{index}-ORDER": str(index + 1),
                    f"phases-{index}-DELETE": "1" if index == delete else "",
                    f"phases-{index}-name": values["name"],
                    f"phases-{index}-start": f"{values['start']:%Y-%m-%d}",
                    f"phases-{index}-end": f"{values['end']:%Y-%m-%d}",
                    f"phases-{index}-description": "",
                }
            )
            if values["is_results"]:
                data[f"phases-{index}-is_results"] = "on"
        return data

    shortened = client.post(edit, form({1: {"end": vote.end - 2 * DAY}}))
    assert shortened.status_code == 200
    body = shortened.content.decode()
    assert "“Orario” is open from" in body or "“Orario” è aperta" in body
    removed = client.post(edit, form(delete=1))
    assert removed.status_code == 200
    body = removed.content.decode()
    assert "“Orario” belongs to this phase" in body or "“Orario” appartiene a questa fase" in body
    assert ConsultationPage.objects.get(pk=process.pk).phases.count() == 3
    assert ConsultationPage.objects.get(pk=process.pk).phases.all()[1].end == vote.end

    longer = client.post(edit, form({1: {"end": vote.end + 2 * DAY}, 2: {"start": results.start + 2 * DAY}}))
    assert longer.status_code == 302  # still contains the poll: fine


def test_the_process_page_lists_each_poll_under_its_phase(client, process):
    ideas, vote, _results = process.phases.all()
    PollPageFactory(
        parent=process,
        title="Orario del parco",
        phase_key=ideas.translation_key,
        opens_at=local(ideas.start, 9),
        closes_at=local(ideas.end, 18),
    )
    html = BeautifulSoup(client.get(process.url).content, "html.parser")
    steps = html.select("ol.consultation-timeline > li")
    assert "Orario del parco" in steps[0].get_text()
    assert steps[0].select_one("a")["href"].endswith("/orario-del-parco/") or steps[0].select_one("a[href]")
    assert "Orario del parco" not in steps[1].get_text()
    # Its window in words, with the date as Italians write it (lower-case month and weekday).
    line = steps[0].select_one(".consultation-phase__pages").get_text(" ", strip=True)
    assert "aperta fino a" in line
    assert f"{ideas.end.day} " in line and line == line.lower().replace("orario del parco", "Orario del parco")
    assert steps[0].get("aria-current") == "step"


def test_python_and_sql_status_agree_on_every_day_around_every_boundary():
    tree = build_tree(poll=False)
    start, split, end, results = date(2026, 3, 1), date(2026, 3, 5), date(2026, 3, 10), date(2026, 3, 20)
    page = ConsultationPageFactory(
        parent=tree["index"]["it"],
        phases=[
            phase("A", start, split),
            phase("B", split + DAY, end),
            phase("Esiti", results, date(2026, 4, 30), is_results=True),
        ],
    )
    seen = set()
    day = start - 3 * DAY
    while day <= date(2026, 5, 3):
        python = status_for(start, end, results, day)
        assert page.get_status(day) == python, day
        assert ConsultationPage.objects.filter(pk=page.pk).with_status(day).get().computed_status == python, day
        seen.add(python)
        day += DAY
    assert seen == {rule.value for _bound, _lookup, rule in STATUS_RULES}


def test_seed_demo_moves_the_demo_with_the_calendar_and_keeps_it_consistent(monkeypatch):
    call_command("seed_demo", stdout=StringIO())
    assert "(0 objects created)" in _seed()  # idempotent on the same day

    later = timezone.now() + timedelta(days=100)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "(0 objects created)" not in _seed()
    assert "(0 objects created)" in _seed()  # and idempotent again on that day

    today = timezone.localdate()
    for poll in PollPage.objects.all():
        process = ConsultationPage.objects.get(pk=poll.get_parent().pk)
        own = next(p for p in process.phases.all() if p.translation_key == poll.phase_key)
        assert own.start <= timezone.localtime(poll.opens_at).date() and poll.closes_at <= local(own.end + DAY, 0)
    assert any(poll.is_open for poll in PollPage.objects.all())  # the demo always shows an open poll
    parco = ConsultationPage.objects.filter(locale__language_code="it").order_by("path").first()
    assert parco.get_status(today) == "open"
    assert parco.get_current_phase(today).translation_key == PollPage.objects.first().phase_key
    # The process that is over stays over, its poll closed, its votes and comments dated in its new window.
    garden = ConsultationPage.objects.filter(locale__language_code="it").order_by("path").last()
    assert garden.get_status(today) == "results"
    closed = PollPage.objects.child_of(garden).get()
    assert closed.has_closed
    votes = PollVote.objects.filter(group=closed.translation_key)
    assert votes.count() == 44
    assert all(closed.opens_at <= vote.created_at == vote.updated_at < closed.closes_at for vote in votes)
    comments = ParticipationComment.objects.filter(group=closed.translation_key)
    assert comments and all(closed.opens_at <= comment.submit_date < closed.closes_at for comment in comments)


def _seed():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()
