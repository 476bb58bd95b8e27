"""Who may take part (participation.core.eligibility): the editor's rule on each page type that counts something
(a poll, a budget's ballots, an idea's supports), checked on the server before anything is written, shown in plain
words with the way to verify, and applied to the counts (public tallies and the staff's Results view), which
follow an account's verification at once."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from django import forms
from django.db.models import Q
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.residents import check_character, identity_hash, unverify, verify
from participation.budgets import BallotRejected, budget_results, change_basket, checkout
from participation.core.eligibility import (
    EligibilityFormMixin,
    counted_votes_q,
    latest_birth_date,
    may_be_counted,
    problem_of,
)
from participation.ideas import IdeaRejected, set_support
from participation.models import Ballot, BudgetPage, Idea, IdeaMapPage, IdeaSupport, PollPage, PollVote
from participation.polls import VoteRejected, cast_vote, tally
from tests.factories import IdeaFactory, IdeaMapPageFactory, ResultsFactory, UserFactory, build_budget, district
from tests.factories import project_category as category
from tests.test_results_admin import in_english

pytestmark = pytest.mark.django_db

RULE = "Open to verified residents of Turin aged 16 or over living in postcodes 10152, 10153."
NOT_VERIFIED = (
    "Only verified residents of Turin can vote here. Verify your account: it takes a minute with SPID or CIE."
)
KINDS = ["poll", "budget", "idea"]


@pytest.fixture(autouse=True)
def english_wording(settings):
    """These tests read the rules' wording in English on the Italian pages: without the project's catalogue, its
    strings stay in English (tests/test_i18n.py checks that every one has its Italian)."""
    settings.LOCALE_PATHS = []


def resident(user, number, *, birth_date=date(1980, 1, 1), postcode="10152"):
    """Verify ``user`` as the person with codice fiscale number ``number`` (each citizen their own), running the
    listeners a commit would run."""
    first15 = f"RSSMRA80A01L2{number:02d}"
    verify(
        user,
        identity=identity_hash(first15 + check_character(first15)),
        method="desk",
        birth_date=birth_date,
        postcode=postcode,
    )


def years_before(day, years):
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return date(day.year - years, 2, 28)


def set_rule(page, who="resident", minimum_age=16, postcodes="10152, 10153"):
    """The rule on every translation of ``page`` (it is synchronised); the page re-read."""
    type(page).objects.filter(translation_key=page.translation_key).update(
        who_may_take_part=who, minimum_age=minimum_age, postcodes=postcodes
    )
    return type(page).objects.get(pk=page.pk)


@pytest.fixture
def pages(tree):
    """{"poll", "budget", "project", "idea map", "idea"}: an open poll, budget and idea map (one idea)."""
    theatre = category("Teatro", "Theatre")
    budget = build_budget(
        tree["consultation"], [{"cost": Decimal("10000"), "category": theatre, "district": district(6)}]
    )
    ideas_map = IdeaMapPageFactory(parent=tree["consultation"]["it"], revision=True)
    return {
        "poll": tree["poll"]["it"],
        "budget": budget["it"],
        "project": budget["projects"]["it"][0],
        "idea map": IdeaMapPage.objects.get(pk=ideas_map.pk),
        "idea": IdeaFactory(page=ideas_map),
    }


def take_part(pages, kind, user):
    """``user`` votes on the poll, casts a ballot, or supports the idea, through the service functions."""
    if kind == "poll":
        poll = PollPage.objects.get(pk=pages["poll"].pk)
        cast_vote(poll=poll, user=user, option_ids=[poll.options.first().pk])
    elif kind == "budget":
        budget = BudgetPage.objects.get(pk=pages["budget"].pk)
        change_basket(budget=budget, user=user, project_id=pages["project"].pk, add=True)
        checkout(budget=budget, user=user)
    else:
        set_support(idea=pages["idea"], user=user, support=True, page=IdeaMapPage.objects.get(pk=pages["idea map"].pk))


def post(client, pages, kind):
    """The citizen's form, posted straight to the server (as a script would, past any disabled button)."""
    if kind == "poll":
        poll = pages["poll"]
        return client.post(poll.url + "vote/", {"options": [poll.options.first().pk]})
    if kind == "budget":
        return client.post(pages["budget"].url + "basket/", {"project": pages["project"].pk})
    return client.post(f"{pages['idea map'].url}{pages['idea'].pk}/support/", follow=True)


def written(kind):
    return {
        "poll": PollVote.objects.count(),
        "budget": Ballot.objects.count(),
        "idea": IdeaSupport.objects.count(),
    }[kind]


def counted(pages, kind):
    """What the public counts say: the poll's voters, the budget's ballots, the idea's supporters."""
    if kind == "poll":
        return tally(PollPage.objects.get(pk=pages["poll"].pk))[1]
    if kind == "budget":
        return budget_results(BudgetPage.objects.get(pk=pages["budget"].pk))["ballots"]
    return Idea.objects.get(pk=pages["idea"].pk).support_count


def with_rule(pages, kind, **rule):
    """Set the rule on the page ``kind`` counts on; for an idea map, by publishing it (as the admin does)."""
    if kind == "idea":
        page = IdeaMapPage.objects.get(pk=pages["idea map"].pk)
        page.who_may_take_part = rule.get("who", "resident")
        page.minimum_age = rule.get("minimum_age", 16)
        page.postcodes = rule.get("postcodes", "10152, 10153")
        page.save_revision().publish()
        pages["idea map"] = IdeaMapPage.objects.get(pk=page.pk)
        return pages["idea map"]
    key = "poll" if kind == "poll" else "budget"
    pages[key] = set_rule(pages[key], **rule)
    return pages[key]


ERRORS = {"poll": VoteRejected, "budget": BallotRejected, "idea": IdeaRejected}


# --- the rule, per page type -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_email_rule_is_unchanged(pages, kind, citizen):
    take_part(pages, kind, citizen)  # a confirmed email, no verification: as before
    assert counted(pages, kind) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_resident_rule_refuses_an_unverified_citizen_on_the_server_and_writes_nothing(client, pages, kind, citizen):
    with_rule(pages, kind)
    client.force_login(citizen)
    response = post(client, pages, kind)
    assert NOT_VERIFIED in response.content.decode()
    assert written(kind) == 0
    with pytest.raises(ERRORS[kind], match="Only verified residents"):
        take_part(pages, kind, citizen)
    assert written(kind) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_the_resident_rule_accepts_a_verified_resident(pages, kind, citizen, django_capture_on_commit_callbacks):
    with_rule(pages, kind)
    with django_capture_on_commit_callbacks(execute=True):
        resident(citizen, 1)
    take_part(pages, kind, citizen)
    assert counted(pages, kind) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_the_minimum_age_is_measured_on_the_last_day_of_voting(pages, kind, django_capture_on_commit_callbacks):
    page = with_rule(pages, kind, postcodes="")
    last_day = page.age_measured_on  # the factories' windows close at a time of day, not at midnight
    assert last_day == timezone.localtime(page.closes_at).date()
    seventeen, fifteen, sixteen_that_day, sixteen_next_day, unknown = (UserFactory() for _ in range(5))
    with django_capture_on_commit_callbacks(execute=True):
        resident(seventeen, 1, birth_date=years_before(last_day, 17))
        resident(fifteen, 2, birth_date=years_before(last_day, 15))
        resident(sixteen_that_day, 3, birth_date=years_before(last_day, 16))
        resident(sixteen_next_day, 4, birth_date=years_before(last_day + timedelta(days=1), 16))
        resident(unknown, 5, birth_date=None)
    take_part(pages, kind, seventeen)
    take_part(pages, kind, sixteen_that_day)
    with pytest.raises(ERRORS[kind], match="aged 16 or over on"):
        take_part(pages, kind, fifteen)
    with pytest.raises(ERRORS[kind], match="aged 16 or over on"):
        take_part(pages, kind, sixteen_next_day)
    with pytest.raises(ERRORS[kind], match="city desk"):
        take_part(pages, kind, unknown)
    assert counted(pages, kind) == 2


@pytest.mark.parametrize("kind", KINDS)
def test_postcodes(pages, kind, django_capture_on_commit_callbacks):
    with_rule(pages, kind, minimum_age=None)
    inside, outside, unknown = UserFactory(), UserFactory(), UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        resident(inside, 1, postcode="10153")
        resident(outside, 2, postcode="10121")
        resident(unknown, 3, postcode="")
    take_part(pages, kind, inside)
    with pytest.raises(ERRORS[kind], match="Only residents of postcodes 10152, 10153 can vote here.$"):
        take_part(pages, kind, outside)
    with pytest.raises(ERRORS[kind], match="does not say where you live"):
        take_part(pages, kind, unknown)
    assert counted(pages, kind) == 1


def test_the_rule_is_read_from_the_rules_page_for_every_translation(tree, citizen):
    poll = set_rule(tree["poll"]["it"])
    english = PollPage.objects.get(pk=tree["poll"]["en"].pk)
    assert english.rules.pk == poll.pk and english.rules.requires_residents
    with pytest.raises(VoteRejected, match="Only verified residents"):
        cast_vote(poll=english, user=citizen, option_ids=[english.options.first().pk])


# --- what the pages show -----------------------------------------------------------------------------


def page_url(pages, kind):
    return {
        "poll": pages["poll"].url,
        "budget": pages["budget"].url,
        "idea": f"{pages['idea map'].url}{pages['idea'].pk}/",
    }[kind]


ANCHORS = {"poll": "#vote", "budget": "#basket", "idea": "#support"}


@pytest.mark.parametrize("kind", KINDS)
def test_the_page_says_who_may_take_part_and_how_to_verify(client, pages, kind, citizen):
    with_rule(pages, kind)
    client.force_login(citizen)
    url = page_url(pages, kind)
    soup = BeautifulSoup(client.get(url).content, "html.parser")
    assert RULE in soup.select_one("#who-may-take-part").get_text()
    assert NOT_VERIFIED in soup.select_one("#eligibility-problem").get_text()
    link = soup.select_one("#verify-link")
    assert link["href"] == reverse("accounts_verify") + "?next=" + quote(url + ANCHORS[kind], safe="/")
    assert Client().get(link["href"]).status_code == 302  # to the login page: the placeholder is for citizens


@pytest.mark.parametrize("kind", KINDS)
def test_a_verified_resident_sees_the_rule_and_the_form(
    client, pages, kind, citizen, django_capture_on_commit_callbacks
):
    with_rule(pages, kind)
    with django_capture_on_commit_callbacks(execute=True):
        resident(citizen, 1)
    client.force_login(citizen)
    soup = BeautifulSoup(client.get(page_url(pages, kind)).content, "html.parser")
    assert RULE in soup.select_one("#who-may-take-part").get_text()
    assert not soup.select("#eligibility-problem")
    if kind == "poll":
        assert soup.select_one("#vote button[type=submit]")
    elif kind == "budget":
        assert soup.select_one(f"form[action$='basket/'] input[value='{pages['project'].pk}']")
    else:
        assert soup.select_one("#support form button[type=submit]")


def test_the_email_rule_is_said_too_and_the_map_says_who_may_support(client, pages):
    soup = BeautifulSoup(client.get(pages["poll"].url).content, "html.parser")
    assert (
        "Open to everyone with an account and a confirmed email address."
        in soup.select_one("#who-may-take-part").get_text()
    )
    with_rule(pages, "idea")
    soup = BeautifulSoup(client.get(pages["idea map"].url).content, "html.parser")
    assert "Who may support ideas:" in soup.select_one("#who-may-take-part").get_text()
    assert RULE in soup.select_one("#who-may-take-part").get_text()


@pytest.mark.parametrize("kind", KINDS)
def test_the_anonymous_cached_page_carries_no_per_user_content(pages, kind, citizen):
    with_rule(pages, kind)
    url = page_url(pages, kind)
    signed_in = Client()
    signed_in.force_login(citizen)
    assert "eligibility-problem" in signed_in.get(url).content.decode()
    visitor = Client()
    first = visitor.get(url)
    again = Client().get(url)
    assert again["X-Page-Cache"] == "hit"
    for response in (first, again):
        html = response.content.decode()
        assert RULE in html
        assert "eligibility-problem" not in html and "verify-link" not in html and "accounts/verify" not in html
    assert "eligibility-problem" in signed_in.get(url).content.decode()  # never the anonymous copy


# --- the counts --------------------------------------------------------------------------------------


def results_view(pages, kind):
    staff = Client()
    staff.force_login(in_english(ResultsFactory()))
    page = {"poll": pages["poll"], "budget": pages["budget"], "idea": pages["idea map"]}[kind]
    response = staff.get(reverse("participation_results", args=[page.pk]))
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def results_note(pages, kind):
    note = results_view(pages, kind).select_one(".results-tally__note")
    return note.get_text() if note else None


def headline_figures(pages, kind):
    """The Results view's headline figures about votes: {label: number}."""
    figures = {
        dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True)
        for dt in results_view(pages, kind).select("#results-figures dt")
    }
    return {
        label: number
        for label, number in figures.items()
        if label in {"Voters", "Supports", "Ballots"} or "counted" in label
    }


@pytest.mark.parametrize("kind", KINDS)
def test_votes_of_unverified_accounts_stop_counting_under_the_resident_rule_and_count_once_verified(
    pages, kind, citizen, marco, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resident(marco, 2)
    take_part(pages, kind, citizen)  # under the email rule: counted
    take_part(pages, kind, marco)
    assert counted(pages, kind) == 2
    assert results_note(pages, kind) is None  # the email rule leaves nothing out
    headline = {"poll": "Voters", "idea": "Supports", "budget": "Ballots"}[kind]
    assert headline_figures(pages, kind) == {headline: "2"}

    with_rule(pages, kind)
    assert counted(pages, kind) == 1  # the unverified account's vote is kept, not counted
    assert written(kind) == 2
    note = results_note(pages, kind)
    assert note.startswith("1 vote from an account that is not a verified resident (or outside the age or postcode")
    assert "was not counted" in note
    # The headline figures count as the tallies do (a budget's ballots always did; the note says the rest).
    expected = {headline: "1"} if kind == "budget" else {headline: "1", "Not counted (who may take part)": "1"}
    assert headline_figures(pages, kind) == expected

    with django_capture_on_commit_callbacks(execute=True):
        resident(citizen, 1)  # verified later: the kept vote counts at once (the cached counts are dropped)
    assert counted(pages, kind) == 2
    assert results_note(pages, kind).startswith("0 votes")

    with django_capture_on_commit_callbacks(execute=True):
        unverify(citizen)
    assert counted(pages, kind) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_votes_of_deleted_accounts_are_not_counted_under_the_resident_rule(
    pages, kind, citizen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        resident(citizen, 1)
    take_part(pages, kind, citizen)
    with_rule(pages, kind)
    assert counted(pages, kind) == 1
    with django_capture_on_commit_callbacks(execute=True):
        citizen.delete()  # the vote stays, detached: whether it was a resident's can no longer be checked
    assert counted(pages, kind) == 0
    assert "Of these, 1 is from a deleted account" in results_note(pages, kind)


def test_paper_ballots_always_count(pages):
    budget = set_rule(pages["budget"])
    paper = Ballot.objects.create(
        group=budget.ensure_group(), channel=Ballot.PAPER, checked_out_at=timezone.now(), receipt="CARTA-1"
    )
    paper.projects.create(project_key=pages["project"].translation_key)
    assert budget_results(budget)["ballots"] == 1


def test_the_python_rule_and_the_sql_rule_agree(pages, django_capture_on_commit_callbacks):
    """problem_of (the refusal, the page) and counted_votes_q (the counts) are one rule written twice."""
    poll = pages["poll"]
    citizens = [UserFactory() for _ in range(7)]
    for user in citizens:
        cast_vote(poll=PollPage.objects.get(pk=poll.pk), user=user, option_ids=[poll.options.first().pk])
    last_day = set_rule(poll).age_measured_on
    with django_capture_on_commit_callbacks(execute=True):
        for number, (birth, postcode) in enumerate(
            [
                (date(1990, 5, 5), "10152"),
                (years_before(last_day, 16), "10153"),
                (years_before(last_day, 16) + timedelta(days=1), "10153"),
                (None, "10152"),
                (date(1990, 5, 5), ""),
                (date(1990, 5, 5), "10100"),
            ],
            start=1,
        ):
            resident(citizens[number], number, birth_date=birth, postcode=postcode)
    poll = PollPage.objects.get(pk=poll.pk)
    in_sql = set(
        PollVote.objects.filter(group=poll.group_key).filter(counted_votes_q(poll)).values_list("user", flat=True)
    )
    in_python = {user.pk for user in citizens if may_be_counted(poll, type(user).objects.get(pk=user.pk))}
    assert in_sql == in_python == {citizens[1].pk, citizens[2].pk}


def test_the_email_rule_adds_no_condition_and_no_query(pages, citizen, django_assert_num_queries):
    poll = PollPage.objects.get(pk=pages["poll"].pk)
    assert counted_votes_q(poll) == Q()
    with django_assert_num_queries(0):
        assert may_be_counted(poll, citizen)


def test_the_latest_birth_date_on_29_february():
    class Rules:
        minimum_age = 17
        age_measured_on = date(2028, 2, 29)

    assert latest_birth_date(Rules) == date(2011, 2, 28)
    Rules.minimum_age = 16
    assert latest_birth_date(Rules) == date(2012, 2, 29)
    Rules.minimum_age = None
    assert latest_birth_date(Rules) is None


def test_problem_codes():
    class Rules:
        requires_residents = True
        minimum_age = 16
        age_measured_on = date(2026, 6, 30)
        postcode_list = ["10152"]

    class Verification:
        birth_date = date(2000, 1, 1)
        postcode = "10152"

    assert problem_of(Rules, None) == "unverified"
    assert problem_of(Rules, Verification) is None
    Verification.postcode = "10153"
    assert problem_of(Rules, Verification) == "elsewhere"
    Verification.birth_date = None
    assert problem_of(Rules, Verification) == "no_birth_date"


def test_the_admin_form_checks_and_tidies_the_postcodes():
    class Form(EligibilityFormMixin, forms.Form):
        postcodes = forms.CharField(required=False)

    form = Form({"postcodes": " 10152 10153;10152,"})
    assert form.is_valid() and form.cleaned_data["postcodes"] == "10152, 10153"
    form = Form({"postcodes": "10152, 1015"})
    assert not form.is_valid()
    assert "“1015” is not a postcode" in form.errors["postcodes"][0]


# --- queries -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["poll", "budget", "idea map", "idea"])
def test_a_verified_residents_pages_keep_to_the_query_budget(
    client, pages, kind, citizen, settings, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    for each in ("poll", "budget", "idea"):
        with_rule(pages, each)
    with django_capture_on_commit_callbacks(execute=True):
        resident(citizen, 1)
    client.force_login(citizen)
    url = page_url(pages, kind) if kind != "idea map" else pages["idea map"].url
    client.get(url)  # warm: the site chrome, the route
    with django_assert_max_num_queries(15):
        assert client.get(url).status_code == 200
