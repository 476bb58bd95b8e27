"""The Content-Security-Policy in Chromium: every page type, both languages, no violation reported.

An init script (it runs before the page's own scripts and is not subject to the page's CSP) records
each `securitypolicyviolation` event; Chromium's console messages about the policy are collected
too. Every page visited must leave both lists empty. Map tiles are answered by the test, so the
admin's map panel loads them without reaching the network.
"""

import base64

import pytest
from django.conf import settings
from django.urls import reverse

from tests.browser.test_accessibility import demo_pact, log_in, pages_to_scan

pytestmark = pytest.mark.browser

RECORD_VIOLATIONS = """
window.__cspViolations = [];
window.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} (${event.sourceFile}:${event.lineNumber})`
  );
}, true);
"""
# A 1x1 transparent PNG for every map tile the admin asks for.
TILE = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


class PolicyWatch:
    """Records violations in a page; `check(label)` collects what the page reported since the last check."""

    def __init__(self, page):
        self.page = page
        self.console = []
        self.failures = {}
        self.tiles = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._on_console)
        page.route(f"{settings.MAP_TILE_ORIGIN}/**", self._fulfil_tile)

    def _on_console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text[:300])

    def _fulfil_tile(self, route):
        self.tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=TILE)

    def visit(self, url, strict=True):
        response = self.page.goto(url)
        assert response.status == 200, url
        header = response.headers.get("content-security-policy", "")
        assert header, f"{url}: no Content-Security-Policy header"
        assert response.headers.get("permissions-policy"), f"{url}: no Permissions-Policy header"
        if strict:
            directives = {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}
            for name in ("script-src", "style-src"):
                assert "'unsafe-inline'" not in directives[name], f"{url}: {name} {directives[name]}"
                assert "'unsafe-eval'" not in directives[name], f"{url}: {name} {directives[name]}"
        self.page.wait_for_load_state("load")
        return response

    def check(self, label):
        self.page.wait_for_timeout(100)  # violation events are dispatched asynchronously
        reported = [
            violation
            for frame in self.page.frames  # the admin's preview panel is a frame
            for violation in frame.evaluate("window.__cspViolations ? window.__cspViolations.splice(0) : []")
        ] + self.console
        self.console = []
        if reported:
            self.failures[label] = reported

    def assert_clean(self):
        report = [f"{label}\n  " + "\n  ".join(lines) for label, lines in self.failures.items()]
        assert not self.failures, "\n".join(report)


def test_no_violation_on_public_pages(demo_site, page):
    watch = PolicyWatch(page)
    for url in pages_to_scan():
        watch.visit(demo_site.url + url)
        watch.check(url)
    for url in ("/it/pagina-che-non-esiste/", "/en/no-such-page/"):
        response = page.goto(demo_site.url + url)
        assert response.status == 404
        assert "'unsafe-inline'" not in response.headers["content-security-policy"]
        watch.check(url)
    # Bootstrap Italia's JavaScript at work: the main menu opens on a narrow screen.
    page.set_viewport_size({"width": 390, "height": 800})
    watch.visit(f"{demo_site.url}/en/")
    page.locator(".custom-navbar-toggler").click()
    page.locator("#main-menu").wait_for(state="visible")
    watch.check("/en/ main menu on a narrow screen")
    watch.assert_clean()


def test_no_violation_for_a_citizen_commenting_reporting_and_voting(demo_site, page):
    from consultations.models import ConsultationPage
    from participation.models import PollPage

    watch = PolicyWatch(page)
    log_in(page, demo_site.url)
    watch.check("login")
    for code in ("it", "en"):
        for url in (f"/{code}/accounts/profile/", f"/{code}/accounts/email/", f"/{code}/accounts/password/change/"):
            watch.visit(demo_site.url + url)
            watch.check(url)

        consultation = ConsultationPage.objects.live().get(locale__language_code=code, slug="parco-dora")
        watch.visit(demo_site.url + consultation.url)
        assert page.locator("#comment-form").count() == 1
        page.locator("details.comment-reply summary").first.click()
        watch.check(f"{consultation.url} (comment form, reply form open)")
        with page.expect_navigation():
            page.locator(".comment-report a").first.click()
        assert page.locator("form.report-form").is_visible()
        watch.check(f"{page.url} (a comment's report page)")

        # The demo poll is a ranked vote: its script reorders the options by drag and drop and with buttons.
        poll = PollPage.objects.live().get(locale__language_code=code, ranked=True)  # Parco Dora's, open
        page.set_viewport_size({"width": 1280, "height": 2600})  # both lists in view: no scrolling mid-drag
        watch.visit(demo_site.url + poll.url)
        ranked = page.locator(".ranking-list-ranked")
        dragged = page.locator(".ranking-item").last
        option = dragged.get_attribute("data-option")
        dragged.drag_to(ranked)
        assert ranked.locator(f"[data-option='{option}']").count() == 1, "drag and drop did not rank the option"
        page.locator(".ranking-item").last.locator("[data-move=up]").click()  # a move with the buttons too
        ranks = sorted(
            int(value) for value in page.locator("#vote select").evaluate_all("s => s.map(e => e.value)") if value
        )
        assert ranks == list(range(1, len(ranks) + 1)) and ranks
        watch.check(f"{poll.url} (options reordered with the script)")
        with page.expect_navigation():
            page.locator("#vote button[type=submit]").click()
        bars = page.locator(".poll-results meter")
        assert bars.count() > 0
        assert bars.first.bounding_box()["height"] > 0
        assert page.locator("#pairwise").count() == 1
        watch.check(f"{poll.url} (voted, results shown)")
    watch.assert_clean()


def test_no_violation_for_an_editor_with_the_userbar_and_in_the_admin(demo_site, page):
    from django.contrib.auth import get_user_model

    from consultations.models import ConsultationPage
    from tests.factories import activate_two_factor, totp_code

    watch = PolicyWatch(page)
    # Administrators use two-factor (accounts/mfa.py): the demo's gets an authenticator and types its code.
    admin = get_user_model().objects.get(email="admin@example.org")
    if not admin.authenticator_set.exists():
        activate_two_factor(admin)
    log_in(page, demo_site.url, email="admin@example.org")
    assert "/2fa/authenticate/" in page.url
    page.fill("input[name=code]", totp_code())
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/" not in page.url, page.url
    for code in ("it", "en"):
        watch.visit(f"{demo_site.url}/{code}/")
        page.locator("#wagtail-userbar-trigger").click()
        page.locator("#wagtail-userbar-items").wait_for(state="visible")
        watch.check(f"/{code}/ with the Wagtail userbar open")

    for url in ("/it/accounts/2fa/", "/en/accounts/2fa/"):  # allauth's two-factor pages, in our layout
        watch.visit(demo_site.url + url)
        watch.check(url)

    # The admin has its own, looser policy (Wagtail writes inline scripts): it must hold all the same.
    english = ConsultationPage.objects.live().get(locale__language_code="en", slug="parco-dora")
    for url in (
        "/admin/",
        reverse("wagtailadmin_explore", args=[english.get_parent().pk]),
        reverse("wagtailadmin_pages:edit", args=[english.pk]),  # wagtail-localize's translation editor
        reverse("wagtailsnippets_participation_participationcomment:list"),
        reverse("wagtailimages:index"),
    ):
        watch.visit(demo_site.url + url, strict=False)
        watch.check(url)
    consultation = ConsultationPage.objects.live().get(locale__language_code="it", slug="parco-dora")
    watch.visit(f"{demo_site.url}/admin/pages/{consultation.pk}/edit/", strict=False)
    page.locator(".leaflet-container").first.wait_for(state="attached")
    page.wait_for_load_state("networkidle")
    watch.check("/admin/ edit a process (location map)")
    assert watch.tiles, "the location map asked for no tiles"
    # The preview panel shows the public template in a frame, under the admin's policy.
    page.locator("button[data-side-panel-toggle='preview']").click()
    preview = page.frame_locator("#w-preview-iframe")
    preview.locator("main h1").wait_for()
    page.wait_for_load_state("networkidle")
    watch.check("/admin/ edit a process, preview panel")
    watch.assert_clean()


def test_no_violation_on_a_collaboration_pact(demo_site, page):
    """The pact's page with its map (the shared idea-map script, configured from a data attribute) and an
    activity's page with its small map, and the list of activities, in both languages."""
    pacts, activity = demo_pact()
    watch = PolicyWatch(page)
    for code in ("it", "en"):
        for tail, has_map in (("", True), ("activities/", False), (f"activities/{activity}/", True)):
            watch.visit(demo_site.url + pacts[code].url + tail)
            if has_map:
                page.locator(".idea-map--live").wait_for()  # the script ran and drew the map
            watch.check(pacts[code].url + tail)
    watch.assert_clean()
