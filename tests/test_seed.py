"""Smoke tests of the demo site (seed_demo): the only unit tests that stand on the seed."""

from io import StringIO

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from wagtail.images import get_image_model
from wagtail.models import Locale, Page, PageLogEntry, Revision, Site

from consultations.demo import ensure_consultation_details
from consultations.models import ConsultationPage
from home.models import FaqPage, HomePageFeaturedPage, MenuItem, SiteLinks
from participation.models import PollPage, PollVote, PollVoteChoice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("seeded")]


def snapshot():
    return {
        "pages": list(Page.objects.order_by("path").values_list("path", "title", "live", "translation_key")),
        "revisions": Revision.objects.count(),
        "log": PageLogEntry.objects.count(),
        "images": get_image_model().objects.count(),
        "users": list(get_user_model().objects.order_by("pk").values_list("username", "password")),
        "groups": list(Group.objects.values_list("name", "permissions")),
        "featured": HomePageFeaturedPage.objects.count(),
        "sites": list(Site.objects.values_list("hostname", "root_page", "is_default_site")),
        "links": list(SiteLinks.objects.values()),
        "menu": list(MenuItem.objects.order_by("pk").values_list("locale", "sort_order", "label", "page", "url_name")),
        "ballots": list(PollVoteChoice.objects.order_by("pk").values_list("vote__user", "option_key", "rank")),
    }


def test_seed_demo_twice_changes_nothing():
    before = snapshot()  # the module's `seeded` fixture has already run seed_demo once
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert snapshot() == before
    assert "0 objects created" in out.getvalue()
    assert "admin" in out.getvalue()


def test_seed_builds_both_languages(site_tree):
    for kind in ("home", "index"):
        assert set(site_tree[kind]) == {"it", "en"}
        assert site_tree[kind]["it"].translation_key == site_tree[kind]["en"].translation_key
    for italian, english in zip(site_tree["consultations"]["it"], site_tree["consultations"]["en"], strict=True):
        assert italian.translation_key == english.translation_key
        assert italian.title != english.title
        assert italian.body and english.body
    assert len(site_tree["standard"]["it"]) == len(site_tree["standard"]["en"]) == 3
    assert not Page.objects.filter(depth=2, content_type__model="page").exists()  # welcome page removed


def test_seed_builds_the_faq_page_and_the_main_menu_in_both_languages():
    faq = {page.locale.language_code: page for page in FaqPage.objects.live().select_related("locale")}
    assert set(faq) == {"it", "en"} and faq["it"].translation_key == faq["en"].translation_key
    assert SiteLinks.objects.get().faq_page_id == faq["it"].pk
    italian = list(MenuItem.objects.filter(locale__language_code="it").order_by("sort_order"))
    english = list(MenuItem.objects.filter(locale__language_code="en").order_by("sort_order"))
    assert [item.label for item in italian] == ["Partecipa", "Come funziona", "Risultati", "Segnala"]
    assert [item.label for item in english] == ["Take part", "How it works", "Results", "Report"]
    assert [item.translation_key for item in italian] == [item.translation_key for item in english]
    assert italian[1].page_id == faq["it"].pk and english[1].page_id == faq["en"].pk
    assert italian[2].url_name == english[2].url_name == "open_data"


def test_seed_creates_groups_and_verified_citizens():
    from allauth.account.models import EmailAddress

    assert set(Group.objects.values_list("name", flat=True)) >= {"Editors", "Moderators", "Results"}
    citizens = get_user_model().objects.filter(is_staff=False, is_superuser=False)
    assert citizens.count() >= 2
    for citizen in citizens:
        assert EmailAddress.objects.get(user=citizen).verified
        assert citizen.display_name


def test_seed_refuses_when_demo_content_is_disabled(settings):
    settings.ALLOW_DEMO_CONTENT = False
    with pytest.raises(CommandError):
        call_command("seed_demo", stdout=StringIO())


def test_every_demo_page_renders_in_both_languages(client):
    pages = Page.objects.live().filter(depth__gt=1).specific()
    assert pages.count() >= 2 * 8
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        assert BeautifulSoup(response.content.decode(), "html.parser").html["lang"] == page.locale.language_code


def test_every_demo_page_keeps_to_the_query_budget_with_its_images(settings):
    """The factories' pages have no hero images; the demo's do (a hero costs its renditions, one query)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.test_query_budget import BUDGET

    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    visitor, citizen = Client(), Client()
    citizen.force_login(get_user_model().objects.filter(is_staff=False, is_active=True).order_by("pk").first())
    for page in Page.objects.live().filter(depth__gt=1).specific():
        for who, client in (("anonymous", visitor), ("citizen", citizen)):
            client.get(page.url)  # warm the chrome, the route and Wagtail's per-process caches
            with CaptureQueriesContext(connection) as queries:
                assert client.get(page.url).status_code == 200
            sql = [query["sql"][:160] for query in queries]
            assert len(sql) <= BUDGET, f"{page.url}, {who}: {len(sql)} queries\n" + "\n".join(sql)


def test_accessibility_statement_has_feedback_address(client, site_tree):
    for code in ("it", "en"):
        page = next(p for p in site_tree["standard"][code] if "access" in p.slug)
        body = client.get(page.url).content.decode()
        assert "accessibilita@comune.torino.it" in body
        assert "form.agid.gov.it" in body


# --- the demo processes' details (consultations/demo.py) --------------------------------------


@pytest.fixture
def consultations(site_tree):
    """The four demo processes with their details (a no-op once seed_demo applies them itself)."""
    pairs = [
        {"it": italian, "en": english}
        for italian, english in zip(site_tree["consultations"]["it"], site_tree["consultations"]["en"], strict=True)
    ]
    ensure_consultation_details(pairs)
    return [{code: ConsultationPage.objects.get(pk=page.pk) for code, page in pair.items()} for pair in pairs]


def test_demo_details_are_idempotent(consultations):
    revisions = Revision.objects.count()
    assert ensure_consultation_details(consultations) == 0
    assert Revision.objects.count() == revisions


def test_demo_details(consultations):
    italian, english = Locale.objects.get(language_code="it"), Locale.objects.get(language_code="en")
    for pair in consultations:
        it_phases, en_phases = list(pair["it"].phases.all()), list(pair["en"].phases.all())
        assert it_phases and len(it_phases) == len(en_phases)
        for it_phase, en_phase in zip(it_phases, en_phases, strict=True):
            assert it_phase.translation_key == en_phase.translation_key
            assert (it_phase.locale, en_phase.locale) == (italian, english)
            assert (it_phase.start, it_phase.end, it_phase.is_results) == (
                en_phase.start,
                en_phase.end,
                en_phase.is_results,
            )
        for page in pair.values():
            assert page.organiser and page.contact_email and page.topics.exists()
            assert page.point and page.zoom
            # The live page and its latest revision agree.
            latest = page.get_latest_revision()
            assert latest == page.live_revision
            assert [phase.name for phase in latest.as_object().phases.all()] == [
                phase.name for phase in page.phases.all()
            ]
    parco = consultations[0]
    assert parco["it"].current_phase.name == "Scelta della disposizione"
    assert parco["en"].current_phase.name == "Choice of layout"
    assert parco["en"].point == {"lat": 45.0875, "lng": 7.6695}
    # Topics from the vocabulary, shown in each page's language.
    assert {topic.name for topic in parco["it"].get_topic_links()} == {"Spazio verde", "Urbanizzazione"}
    assert {topic.name for topic in parco["en"].get_topic_links()} == {"Green spaces", "Urban development"}
    assert consultations[2]["it"].current_phase.name == "Sempre aperto"
    # Three processes are open; the fourth, the garden's name, is over and its results are published.
    assert [pair[code].status for pair in consultations for code in ("it", "en")] == ["open"] * 6 + ["results"] * 2
    garden = consultations[3]
    assert (garden["it"].slug, garden["en"].slug) == ("nome-giardino-borgo-vittoria", "name-the-borgo-vittoria-garden")
    assert garden["it"].current_phase.name == "Risultati" and garden["en"].current_phase.is_results
    assert garden["it"].point == {"lat": 45.0967, "lng": 7.6752}


def demo_poll(process):
    """{"it": poll, "en": poll} under a demo process (one of site_tree's "consultations" lists' positions)."""
    return {
        code: PollPage.objects.child_of(
            ConsultationPage.objects.filter(locale__language_code=code).order_by("path")[process]
        ).get()
        for code in ("it", "en")
    }


def test_demo_poll_translations_share_options(site_tree):
    poll = demo_poll(0)
    italian, english = (list(poll[code].options.order_by("sort_order")) for code in ("it", "en"))
    assert len(italian) == len(english) == 3
    assert [o.translation_key for o in italian] == [o.translation_key for o in english]
    assert poll["it"].get_parent().pk == site_tree["consultations"]["it"][0].pk
    assert poll["it"].is_open


def test_demo_poll_is_ranked_with_consistent_ballots():
    """The layout poll is a preferential vote; each demo ballot ranks options 1..k, and the Schulze winner
    (the gardens, everyone's second choice) is not the first-preference leader (sports)."""
    from participation.polls import ranked_tally

    poll = demo_poll(0)
    assert poll["it"].ranked and poll["en"].ranked
    votes = PollVote.objects.filter(group=poll["it"].translation_key).prefetch_related("choices")
    assert votes.count() == 10
    option_keys = {option.translation_key for option in poll["it"].options.all()}
    for vote in votes:
        ranks = sorted(choice.rank for choice in vote.choices.all())
        assert ranks == list(range(1, len(ranks) + 1))
        assert {choice.option_key for choice in vote.choices.all()} <= option_keys
    assert not PollVote.objects.filter(user__email__in=["giulia.rossi@example.org", "marco.bianchi@example.org"])
    rows, voters, result = ranked_tally(poll["en"])
    assert voters == 10
    assert [row["count"] for row in rows] == [3, 3, 4]
    labels = {option.translation_key: option.label for option in poll["en"].options.all()}
    assert [[labels[key] for key in tier] for tier in result.ranking] == [
        ["Shared vegetable and flower gardens"],
        ["One large meadow"],
        ["Sports and events"],
    ]


# --- the process that is over: the garden's name, its closed poll and its open data ------------------------


def test_the_process_that_is_over_has_a_closed_poll_with_its_votes_and_results(client, site_tree):
    from participation.models import ParticipationComment
    from participation.polls import tally

    process = {code: site_tree["consultations"][code][3] for code in ("it", "en")}
    poll = demo_poll(3)
    assert poll["it"].translation_key == poll["en"].translation_key
    assert not poll["it"].ranked and poll["it"].max_choices == 1
    italian, english = (list(poll[code].options.order_by("sort_order")) for code in ("it", "en"))
    assert len(italian) == len(english) == 3
    assert [o.translation_key for o in italian] == [o.translation_key for o in english]
    assert [o.label for o in italian] != [o.label for o in english]
    vote_phase = process["it"].phases.all()[1]
    assert poll["it"].phase_key == vote_phase.translation_key
    assert poll["it"].has_closed and not poll["it"].is_open
    assert poll["it"].results_visibility == PollPage.RESULTS_AFTER_CLOSE

    votes = PollVote.objects.filter(group=poll["it"].translation_key)
    assert votes.count() == 44
    assert all(vote.user.email.startswith("votante.demo") for vote in votes.select_related("user"))
    for vote in votes:
        assert poll["it"].opens_at <= vote.created_at == vote.updated_at < poll["it"].closes_at
    assert not PollVoteChoice.objects.filter(vote__in=votes, rank__isnull=False).exists()
    rows, voters = tally(poll["en"])
    assert voters == 44
    assert {row["option"].label: row["count"] for row in rows} == {
        "Ada Gobetti Garden": 10,
        "Rita Levi-Montalcini Garden": 15,
        "Lidia Poët Garden": 19,
    }
    comments = ParticipationComment.objects.filter(group=poll["it"].translation_key)
    assert comments.count() == 3
    assert all(poll["it"].opens_at <= comment.submit_date < poll["it"].closes_at for comment in comments)

    # Anyone sees the final results; nobody can vote or comment any more.
    for code in ("it", "en"):
        body = client.get(poll[code].url).content.decode()
        assert "Lidia Po" in body and "19" in body
        soup = BeautifulSoup(body, "html.parser")
        assert [cell.get_text() for cell in soup.select("#results tbody td:first-of-type")] == ["10", "15", "19"]
        assert not soup.select("#vote button[type=submit]") and not soup.select("form.comment-form")
        assert "Ottima idea il cartello" in body  # the discussion held while the vote was open


def test_the_process_that_is_over_offers_its_open_data(client, site_tree):
    import io
    import zipfile

    for code, listing_url in (("it", "/it/dati/"), ("en", "/en/data/")):
        process = site_tree["consultations"][code][3]
        page = BeautifulSoup(client.get(process.url).content, "html.parser")
        section = page.find("section", attrs={"aria-labelledby": "open-data-heading"})
        zip_url = f"{listing_url}{process.slug}.zip"
        assert section is not None and section.find("a", href=zip_url)
        listing = client.get(listing_url).content.decode()
        assert process.title in listing and zip_url in listing
        for open_process in site_tree["consultations"][code][:3]:
            assert f"{open_process.slug}.zip" not in listing
        response = client.get(zip_url)
        assert response.status_code == 200 and response["Content-Type"] == "application/zip"
        archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
        poll_slug = demo_poll(3)[code].slug
        assert {f"{poll_slug}_tally.csv", f"{poll_slug}_votes.csv", "README.txt"} <= set(archive.namelist())
        votes = archive.read(f"{poll_slug}_votes.csv").decode("utf-8-sig").strip().splitlines()
        assert len(votes) == 1 + 44


def test_the_open_processes_stay_featured_on_the_home_pages(site_tree):
    for code in ("it", "en"):
        featured = [item.page_id for item in HomePageFeaturedPage.objects.filter(home_page=site_tree["home"][code])]
        assert featured == [page.pk for page in site_tree["consultations"][code][:3]]


def test_the_axto_vote_is_for_verified_residents_and_the_demo_voters_are_verified(seeded, db):
    from accounts.demo import CITIZENS, UNVERIFIED_CITIZEN
    from accounts.models import ResidentVerification, User
    from participation.models import Ballot, BudgetPage

    budgets = BudgetPage.objects.filter(locale__language_code="it")
    assert budgets.exists() and {(page.who_may_take_part, page.minimum_age) for page in budgets} == {("resident", 16)}
    verified = set(ResidentVerification.objects.values_list("user__email", flat=True))
    assert {email for email, _name in CITIZENS} - verified == {UNVERIFIED_CITIZEN[0]}
    online = Ballot.objects.filter(user__isnull=False)
    assert online.exists() and not online.filter(user__resident_verification__isnull=True).exists()
    assert User.objects.get(email=UNVERIFIED_CITIZEN[0]).has_usable_password()


def test_the_demo_register_lets_the_unverified_citizen_verify_himself(seeded, client, db):
    from accounts.census import register_size
    from accounts.demo import DEMO_RESIDENTS, unverified_citizen_details
    from accounts.models import ResidentVerification, User

    assert register_size() == DEMO_RESIDENTS
    email, code, postcode = unverified_citizen_details()
    luca = User.objects.get(email=email)
    client.force_login(luca)
    response = client.post("/it/accounts/verify/", {"codice_fiscale": code, "postcode": postcode})
    assert response.status_code in (200, 302)
    verification = ResidentVerification.objects.get(user=luca)
    assert verification.method == "census" and verification.postcode == postcode and verification.birth_date
