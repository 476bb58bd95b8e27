"""axe-core (shipped by axe-playwright-python) on every page type, in both languages.

Fails on any serious or critical violation. Every new page type adds its URLs to `pages_to_scan`.
"""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings

pytestmark = pytest.mark.browser

BLOCKING_IMPACTS = {"serious", "critical"}


def pages_to_scan():
    from consultations.models import ConsultationIndexPage, ConsultationPage
    from home.models import FaqPage, HomePage, StandardPage
    from participation.models import BudgetPage, PactPage, PollPage, ProjectPage, ReportingPage

    urls = []
    models = (
        HomePage,
        ConsultationIndexPage,
        ConsultationPage,
        StandardPage,
        FaqPage,
        PollPage,
        ProjectPage,
        ReportingPage,
        PactPage,  # the demo's collaboration pact, with its proposals and its log of reports
    )
    for model in models:
        for code in ("it", "en"):
            page = model.objects.live().filter(locale__language_code=code).first()
            assert page is not None, (model, code)
            urls.append(page.url)
    # Both demo budgets: the open vote and the closed first round with its results and milestones.
    urls += [page.url for page in BudgetPage.objects.live().order_by("path")]
    urls += [page.url for page in ProjectPage.objects.live().filter(milestones__isnull=False).distinct()[:2]]
    for code in ("it", "en"):
        urls += [f"/{code}/search/?q=parco", f"/{code}/accounts/signup/", f"/{code}/accounts/login/"]
    urls += ["/it/partecipa/?status=open", "/it/partecipa/?topic=spazio-verde", "/it/partecipa/?status=closed"]
    urls += ["/en/take-part/?status=open&topic=cultural-heritage", "/en/take-part/axto-cultural-projects/"]
    urls += ["/it/argomenti/", "/en/topics/"]  # the topics page (consultations/views.py)
    urls += ["/it/dati/", "/en/data/"]  # the open-data pages (participation/open_data.py)
    # The demo process that is over (the garden's name), in both languages: its page with the Open data
    # section, and its closed poll with the final results and the discussion, read-only.
    over = list(ConsultationPage.objects.live().with_status().filter(computed_status="results").order_by("path"))
    assert len(over) == 2, over
    for process in over:
        urls.append(process.url)
        urls += [poll.url for poll in PollPage.objects.live().child_of(process)]
    return urls


def signed_in_pages_to_scan():
    """Pages as a verified citizen sees them: comment, reply, report and vote forms, the profile, my participation,
    my data (download and delete), notifications."""
    from consultations.models import ConsultationPage
    from participation.models import ParticipationComment, PollPage

    urls = []
    for code in ("it", "en"):
        process = ConsultationPage.objects.live().filter(locale__language_code=code).order_by("path").first()
        urls.append(process.url)
        # Someone else's comment there: its report page (the form a thread links to from every comment).
        comment = (
            ParticipationComment.objects.filter(group=process.translation_key, is_public=True, is_removed=False)
            .exclude(user__email="giulia.rossi@example.org")
            .order_by("pk")
            .first()
        )
        urls.append(f"/{code}/comments/{comment.pk}/report/")
        urls.append(PollPage.objects.live().filter(locale__language_code=code).order_by("path").first().url)
        urls.append(f"/{code}/accounts/profile/")
        urls.append(f"/{code}/accounts/participation/")  # my participation (its kind filter is the form)
        urls.append(f"/{code}/accounts/notifications/")
        urls.append(f"/{code}/accounts/data/")
        urls.append(f"/{code}/accounts/delete/")
    return urls


def log_in(page, base_url, email="giulia.rossi@example.org", password="partecipa-torino-2026"):
    page.goto(f"{base_url}/it/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("form button[type=submit]")
    assert "/accounts/login/" not in page.url, "login failed"


def format_violations(violations):
    lines = []
    for violation in violations:
        targets = [", ".join(node["target"]) for node in violation["nodes"][:5]]
        lines.append(f"  [{violation['impact']}] {violation['id']}: {violation['help']} -> {targets}")
    return "\n".join(lines)


def test_no_serious_accessibility_violations(demo_site, page):
    axe = Axe()
    failures = {}
    for url in pages_to_scan():
        response = page.goto(demo_site.url + url)
        assert response.status == 200, url
        violations = axe.run(page).response["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[url] = format_violations(blocking)
    assert not failures, "\n".join(f"{url}\n{text}" for url, text in failures.items())


def test_no_serious_accessibility_violations_for_a_signed_in_citizen(demo_site, page):
    axe = Axe()
    log_in(page, demo_site.url)
    failures = {}
    for url in signed_in_pages_to_scan():
        response = page.goto(demo_site.url + url)
        assert response.status == 200, url
        assert page.locator("main form").count() > 0, url
        violations = axe.run(page).response["violations"]
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[url] = format_violations(blocking)
    assert not failures, "\n".join(f"{url}\n{text}" for url, text in failures.items())


def test_the_census_check_with_an_error_is_accessible_in_both_languages(demo_site, page):
    """The "Verify your account" page (participation/verification.py) of a citizen not verified yet (the demo's
    Luca), as it opens and after a malformed codice fiscale: the error summary linked to the field; and the page
    of a verified citizen (Giulia)."""
    from accounts.demo import UNVERIFIED_CITIZEN

    axe = Axe()
    failures = {}
    log_in(page, demo_site.url)
    for code in ("it", "en"):
        page.goto(f"{demo_site.url}/{code}/accounts/verify/")
        assert page.locator("input[name=codice_fiscale]").count() == 0  # Giulia is verified: no form
        blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[f"/{code}/accounts/verify/ (verified)"] = format_violations(blocking)
    page.context.clear_cookies()
    log_in(page, demo_site.url, email=UNVERIFIED_CITIZEN[0])
    for code in ("it", "en"):
        page.goto(f"{demo_site.url}/{code}/accounts/verify/")
        blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[f"/{code}/accounts/verify/"] = format_violations(blocking)
        page.fill("input[name=codice_fiscale]", "RSSMRA85T10L219")
        page.fill("input[name=postcode]", "10121")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        assert page.locator("#error-summary a").count() == 1
        blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[f"/{code}/accounts/verify/ (error)"] = format_violations(blocking)
    assert not failures, "\n".join(f"{url}\n{text}" for url, text in failures.items())


def test_citizen_votes_and_comments_with_the_keyboard(demo_site, page):
    from participation.models import ParticipationComment, PollPage, PollVote

    log_in(page, demo_site.url)
    poll = PollPage.objects.live().get(locale__language_code="en", ranked=True)
    assert poll.is_open  # the demo's open poll is a ranked vote: ranked with the "Move" buttons and Enter
    page.goto(demo_site.url + poll.url)
    last = page.locator(".ranking-item").last
    last.locator("[data-move=up]").focus()
    for _ in range(3):  # up past the two other options, then into the ranking, as number 1
        page.keyboard.press("Enter")
    # Every move is announced (the first two as "no longer ranked": it moves within the unranked list), so
    # wait for the last announcement itself, not for any: under load the first may be read before the third.
    page.wait_for_function(
        "() => document.querySelector('[data-ranking-status]').textContent.includes('is now number 1 of 1')"
    )
    page.locator("#vote button[type=submit]").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "your rank: 1" in page.locator("#vote").inner_text()
    assert PollVote.objects.filter(user__email="giulia.rossi@example.org").count() == 1

    page.locator("#comment-comment").fill("Typed with the keyboard only.")
    with page.expect_navigation():
        page.locator("#comment-form button[type=submit]").press("Enter")
    assert "Typed with the keyboard only." in page.locator("#comments").inner_text()
    assert ParticipationComment.objects.filter(comment="Typed with the keyboard only.").exists()


def test_ranked_poll_form_and_results_are_accessible_in_both_languages(demo_site, page):
    """The demo's ranked poll as a citizen ranks it: the form without and with its JavaScript, after
    moving options, and the results (winner, ranking, first preferences, head-to-head table)."""
    from participation.models import PollPage

    axe = Axe()
    failures = {}

    def scan(label):
        blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[label] = format_violations(blocking)

    log_in(page, demo_site.url)
    for code in ("it", "en"):
        poll = PollPage.objects.live().get(locale__language_code=code, ranked=True)
        page.goto(demo_site.url + poll.url)
        page.locator(".ranking-item [data-move=up]").first.wait_for()
        assert page.locator("#vote select").count() == 3
        scan(f"{poll.url} ranking form")
        ranked, unranked = page.locator(".ranking-list-ranked > li"), page.locator(".ranking-list-unranked > li")
        while ranked.count() < 2:  # the first "not ranked" option joins the ranking, last
            unranked.first.locator("[data-move=up]").click()
        ranked.last.locator("[data-move=up]").click()  # and goes up one place
        assert ranked.count() == 2
        scan(f"{poll.url} after moving two options")
        with page.expect_navigation():
            page.locator("#vote button[type=submit]").click()
        assert page.locator("#pairwise").count() == 1
        scan(f"{poll.url} results")
    assert not failures, "\n".join(f"{url}\n{text}" for url, text in failures.items())


def test_bootstrap_italia_version_global_and_the_faq_accordion(demo_site, page):
    """Modello Comuni C.SI.1.2: the validator reads window.BOOTSTRAP_ITALIA_VERSION (Bootstrap Italia's own init
    module sets it, from our deferred script). The FAQ's answers open with the keyboard, no script needed."""
    from home.models import FaqPage

    vendored = (settings.BASE_DIR / "frontend" / "package.json").read_text()
    package = json.loads(vendored)
    expected = {**package.get("devDependencies", {}), **package.get("dependencies", {})}["bootstrap-italia"]
    for code in ("it", "en"):
        faq = FaqPage.objects.live().get(locale__language_code=code)
        page.goto(demo_site.url + faq.url)
        page.wait_for_load_state("load")
        assert page.evaluate("window.BOOTSTRAP_ITALIA_VERSION") == expected
        first = page.locator("main details.faq-item").first
        assert first.get_attribute("open") is None
        first.locator("summary").focus()
        page.keyboard.press("Enter")
        assert first.get_attribute("open") is not None
        assert first.locator(".faq-answer").is_visible()
        blocking = [v for v in Axe().run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, format_violations(blocking)


def test_home_in_both_languages_with_keyboard_skip_link(demo_site, page):
    for code, text in (("it", "Vai al contenuto"), ("en", "Go to content")):
        page.goto(f"{demo_site.url}/{code}/")
        assert page.locator("html").get_attribute("lang") == code
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.textContent.trim()")
        assert focused == text
        page.keyboard.press("Enter")
        assert page.evaluate("location.hash") == "#main"


def test_language_switcher_in_the_browser(demo_site, page):
    page.goto(f"{demo_site.url}/it/")
    page.locator("nav.language-switcher a[hreflang=en]").click()
    page.wait_for_load_state()
    assert page.url == f"{demo_site.url}/en/"
    assert page.locator("html").get_attribute("lang") == "en"


def test_no_third_party_requests(demo_site, page):
    hosts = set()
    page.on("request", lambda request: hosts.add(request.url.split("/")[2]))
    page.goto(f"{demo_site.url}/it/")
    page.wait_for_load_state("networkidle")
    assert hosts == {demo_site.url.split("/")[2]}


def test_error_states_are_accessible_and_keep_the_text(demo_site, page):
    """Rejected comment and vote: messages linked to the fields, the citizen's input kept, axe clean."""
    from consultations.models import ConsultationPage
    from participation.models import PollPage

    axe = Axe()
    log_in(page, demo_site.url)
    consultation = ConsultationPage.objects.live().get(locale__language_code="it", slug="parco-dora")
    page.goto(demo_site.url + consultation.url)
    # The browser's maxlength stops overlong text (the server check is in test_comments); an empty
    # comment reaches the server and comes back with the message linked to the field.
    page.locator("#comment-comment").fill("   ")
    with page.expect_navigation():
        page.locator("#comment-form button[type=submit]").click()
    textarea = page.locator("#comment-comment")
    assert "obbligatorio" in page.locator("#comment-comment-error").inner_text()
    assert textarea.get_attribute("aria-invalid") == "true"
    assert "comment-comment-error" in textarea.get_attribute("aria-describedby")
    blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, format_violations(blocking)

    poll = PollPage.objects.live().get(locale__language_code="en", ranked=True)  # Parco Dora's, open
    page.goto(demo_site.url + poll.url)
    with page.expect_navigation():
        page.locator("#vote button[type=submit]").click()
    assert "Rank at least one option" in page.locator("#vote-errors").inner_text()
    assert page.locator("#vote fieldset").get_attribute("aria-describedby") == "vote-errors"
    blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, format_violations(blocking)


def test_two_factor_pages_are_accessible_in_both_languages(demo_site, page):
    """allauth's MFA pages in our layout: overview, password check, activation, recovery codes, the login code."""
    from tests.factories import totp_code

    axe = Axe()
    failures = {}

    def scan(label):
        assert page.locator("html").get_attribute("lang") in ("it", "en"), label
        blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[f"{label} {page.url}"] = format_violations(blocking)

    log_in(page, demo_site.url)
    for code in ("en", "it"):
        page.goto(f"{demo_site.url}/{code}/accounts/2fa/")
        scan("overview")
    page.goto(f"{demo_site.url}/it/accounts/2fa/totp/activate/")
    assert "/accounts/reauthenticate/" in page.url
    scan("reauthenticate")
    page.fill("input[name=password]", "partecipa-torino-2026")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/2fa/totp/activate/" in page.url
    scan("activate")
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("input[name=code]", totp_code(secret))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/2fa/recovery-codes/" in page.url
    scan("recovery codes")

    page.goto(f"{demo_site.url}/it/accounts/logout/")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.goto(f"{demo_site.url}/it/accounts/login/")
    page.fill("input[name=login]", "giulia.rossi@example.org")
    page.fill("input[name=password]", "partecipa-torino-2026")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/2fa/authenticate/" in page.url
    scan("login code")
    page.fill("input[name=code]", totp_code(secret))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/" not in page.url
    assert not failures, "\n".join(f"{url}\n{text}" for url, text in failures.items())


def demo_pact():
    """The demo's collaboration pact ({"it", "en"}), built under Parco Dora when the demo has none, with a full
    activity in Italian (its id returned) and one in English without a point."""
    from consultations.models import ConsultationPage
    from participation import pacts as pact_flows
    from participation.models.pacts import PactPage
    from tests.factories import UserFactory
    from tests.pact_factories import ActivityFactory, build_pact

    pacts = {p.locale.language_code: p for p in PactPage.objects.live().select_related("locale").order_by("path")}
    if not {"it", "en"} <= set(pacts):
        consultation = ConsultationPage.objects.live().filter(slug="parco-dora").select_related("locale")
        pacts = build_pact({p.locale.language_code: p for p in consultation}, slug="patto-accessibilita")
    activity = ActivityFactory(group_id=pacts["it"].translation_key, capacity=1, language="it")
    ActivityFactory(group_id=pacts["it"].translation_key, title="Garden care", language="en", latitude=None)
    pact_flows.sign_up(activity, UserFactory())  # full: the waiting list is offered
    return pacts, activity.pk


def test_collaboration_pact_pages_are_accessible_in_both_languages(demo_site, page):
    """A collaboration pact: its page (map, commitments, activities), the list of its activities, an activity
    (anonymous and signed in, with its sign-up form) and the join form sent without accepting the commitments
    (the error summary linked to the box), in both languages."""
    from accounts.residents import verification_of
    from tests.factories import UserFactory
    from tests.pact_factories import make_resident

    pacts, activity = demo_pact()
    giulia = UserFactory._meta.model.objects.get(email="giulia.rossi@example.org")
    if verification_of(giulia) is None:
        make_resident(giulia)
    axe = Axe()
    failures = {}

    def scan(label):
        assert page.locator("html").get_attribute("lang") in ("it", "en"), label
        blocking = [v for v in axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            failures[label] = format_violations(blocking)

    for code in ("it", "en"):
        for tail in ("", "activities/", f"activities/{activity}/"):
            response = page.goto(demo_site.url + pacts[code].url + tail)
            assert response.status == 200
            scan(f"{pacts[code].url}{tail} (anonymous)")
    log_in(page, demo_site.url)
    for code in ("it", "en"):
        page.goto(demo_site.url + pacts[code].url + f"activities/{activity}/")
        assert page.locator("main form").count() == 1
        scan(f"{pacts[code].url}activities/{activity}/ (signed in)")
        page.goto(demo_site.url + pacts[code].url)
        with page.expect_navigation():
            page.click("#join form button[type=submit]")
        assert page.locator("#join-errors a[href='#id_accept']").count() == 1
        assert page.locator("#id_accept").get_attribute("aria-invalid") == "true"
        scan(f"{pacts[code].url} (join form with an error)")
    assert not failures, "\n".join(f"{url}\n{text}" for url, text in failures.items())
