"""The clarity question in Chromium (feedback/, static/js/feedback.js): the stars open the follow-up question for
their score as the national validator checks it, the widget works with the mouse and with the keyboard alone,
axe finds nothing serious at any step, in either language, with or without the script; no CSP violation."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_accessibility import BLOCKING_IMPACTS, format_violations
from tests.browser.test_content_security_policy import RECORD_VIOLATIONS

pytestmark = pytest.mark.browser

WIDGET = '[data-element="feedback"]'


def visible(page, name):
    return page.locator(f'{WIDGET} [data-element="{name}"]').is_visible()


class Scanner:
    def __init__(self, page):
        self.page = page
        self.axe = Axe()
        self.failures = {}

    def scan(self, label):
        violations = self.axe.run(self.page).response["violations"]  # the whole page: landmarks, ids, headings
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        if blocking:
            self.failures[label] = format_violations(blocking)

    def check(self):
        assert not self.failures, "\n".join(f"{label}\n{text}" for label, text in self.failures.items())


def test_each_score_opens_its_question_as_the_validator_checks(demo_site, page):
    """pa-website-validator clicks feedback-rate-1…5: 1-3 show the negative question only, 4-5 the positive."""
    page.goto(f"{demo_site.url}/it/")
    for n in range(1, 6):
        page.locator(f'[data-element="feedback-rate-{n}"]').click()
        positive, negative = visible(page, "feedback-rating-positive"), visible(page, "feedback-rating-negative")
        assert (positive, negative) == ((n > 3), (n <= 3)), n


@pytest.mark.parametrize("code", ["it", "en"])
def test_the_widget_with_the_mouse_and_axe_at_each_step(demo_site, page, code):
    from feedback.models import PageFeedback
    from home.models import StandardPage

    page.add_init_script(RECORD_VIOLATIONS)
    scanner = Scanner(page)
    standard = StandardPage.objects.live().filter(locale__language_code=code).first()
    page.goto(demo_site.url + standard.url)
    scanner.scan(f"{code} closed")
    assert not page.locator(f"{WIDGET} [data-feedback-nojs]").is_visible()  # the script took over

    page.locator('[data-element="feedback-rate-2"]').click()
    assert visible(page, "feedback-rating-negative") and not visible(page, "feedback-rating-positive")
    status = page.locator(f"{WIDGET} [data-feedback-status]")
    page.wait_for_function("el => el.textContent.trim().length > 0", arg=status.element_handle())
    scanner.scan(f"{code} follow-up question")

    page.locator('[data-element="feedback-rating-negative"] [data-element="feedback-rating-answer"]').first.click()
    page.locator(f"{WIDGET} [data-feedback-next]").click()
    text = page.locator('[data-element="feedback-input-text"]')
    assert text.is_visible() and text.evaluate("el => el === document.activeElement")
    scanner.scan(f"{code} details")
    text.fill("Troppi passaggi")
    page.locator(f"{WIDGET} [data-feedback-send]").click()
    thanks = page.locator(f"{WIDGET} [data-feedback-thanks]")
    thanks.wait_for(state="visible")
    assert thanks.evaluate("el => el === document.activeElement")
    scanner.scan(f"{code} thanks")
    scanner.check()

    answer = PageFeedback.objects.get(page=standard)
    assert (answer.score, answer.answer, answer.text, answer.language) == (2, "unclear", "Troppi passaggi", code)
    assert page.evaluate("window.__cspViolations") == []


def test_the_widget_with_the_keyboard_only(demo_site, page):
    from feedback.models import PageFeedback
    from home.models import HomePage

    home = HomePage.objects.get(locale__language_code="en")
    page.goto(f"{demo_site.url}/en/")
    page.locator("#feedback-star-1").focus()
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # 1 → 4 stars: the radio group moves with the arrows
    assert page.locator("#feedback-star-4").is_checked()
    assert visible(page, "feedback-rating-positive") and not visible(page, "feedback-rating-negative")
    assert page.evaluate("document.activeElement.id") == "feedback-star-4"  # focus stays on the stars
    page.keyboard.press("Enter")  # on to the question: focus on its first answer
    assert page.evaluate("document.activeElement.id") == "feedback-positive-clear"
    page.keyboard.press("ArrowDown")  # the second answer, chosen
    assert page.locator("#feedback-positive-complete").is_checked()
    page.keyboard.press("Tab")  # Back
    page.keyboard.press("Tab")  # Next
    assert page.evaluate("document.activeElement.hasAttribute('data-feedback-next')")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "feedback-text"
    page.keyboard.type("All clear")
    page.keyboard.press("Enter")
    page.locator(f"{WIDGET} [data-feedback-thanks]").wait_for(state="visible")
    assert page.evaluate("document.activeElement.hasAttribute('data-feedback-thanks')")
    answer = PageFeedback.objects.get(page=home)
    assert (answer.score, answer.answer, answer.text) == (4, "complete", "All clear")


def test_without_the_script_the_steps_are_pages_and_accessible(demo_site, page):
    from consultations.models import ConsultationPage
    from feedback.models import PageFeedback

    page.route("**/js/feedback.js", lambda route: route.abort())
    scanner = Scanner(page)
    process = ConsultationPage.objects.live().filter(locale__language_code="it").first()
    page.goto(demo_site.url + process.url)
    page.locator('[data-element="feedback-rate-5"]').click()
    assert not visible(page, "feedback-rating-positive")  # no script: the question comes on the next page
    with page.expect_navigation():
        page.locator(f"{WIDGET} [data-feedback-nojs] button").click()
    assert page.url.endswith("/it/page-feedback/")
    blocking = [v for v in scanner.axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, format_violations(blocking)
    page.locator("label[for=feedback-positive-on_track]").click()
    page.locator("#feedback-text").fill("Chiaro")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    assert "/page-feedback/thanks/" in page.url
    blocking = [v for v in scanner.axe.run(page).response["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, format_violations(blocking)
    answer = PageFeedback.objects.get()
    assert (answer.page_id, answer.score, answer.answer, answer.text) == (process.pk, 5, "on_track", "Chiaro")
