"""The AxTO budget vote in the browser: with the keyboard and without JavaScript, then without reloads;
axe on the page with a basket and a cast ballot, in both languages."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_accessibility import BLOCKING_IMPACTS, format_violations, log_in

pytestmark = pytest.mark.browser


def budget_url(code):
    from participation.models import BudgetPage

    return (
        BudgetPage.objects.live()
        .filter(locale__language_code=code, slug__in=["scegli-i-progetti", "choose-the-projects"])
        .get()
        .url
    )


def blocking(page):
    violations = Axe().run(page).response["violations"]
    return format_violations([v for v in violations if v["impact"] in BLOCKING_IMPACTS])


def test_a_citizen_votes_without_javascript_and_with_the_keyboard(demo_site, browser):
    """(axe needs JavaScript: the same basket and ballot are scanned in the test below.)"""
    from participation.models import Ballot

    context = browser.new_context(locale="it-IT", java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, demo_site.url)
        page.goto(demo_site.url + budget_url("it"))
        first = page.locator("#projects form[action$='basket/'] button").first
        first.focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Aggiunto alla tua scelta" in page.inner_text("main")
        assert "usati su" in page.inner_text("#basket")  # the money used, as text
        page.locator("#basket form[action$='checkout/'] button").focus()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        ballot = Ballot.objects.get(user__email="giulia.rossi@example.org", checked_out_at__isnull=False)
        assert ballot.receipt in page.inner_text("#basket")
        with page.expect_navigation():
            page.click("#basket form[action$='withdraw/'] button")
        ballot.refresh_from_db()
        assert not ballot.is_cast
    finally:
        context.close()


def test_with_javascript_the_basket_changes_without_a_reload_and_keeps_the_focus(demo_site, page):
    from participation.models import Ballot

    log_in(page, demo_site.url)
    page.goto(demo_site.url + budget_url("en"))
    page.evaluate("window.notReloaded = true")
    button = page.locator("#projects form[action$='basket/'] button").first
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('[data-budget-status]').textContent.includes('Added')")
    assert page.evaluate("window.notReloaded")
    assert "of €\u00a0300,000 used" in page.inner_text("#basket")
    assert page.evaluate("document.activeElement.textContent").strip().startswith("Remove")
    # A project of the same category in the same district is refused with the reason, still without a reload.
    rules = page.evaluate(
        """() => {
            const cards = [...document.querySelectorAll('#projects article')];
            const group = (card) => card.querySelectorAll('p.small')[1].textContent;
            const first = cards.find((card) => card.querySelector('input[value=remove]'));
            const twin = cards.find((card) => card !== first && group(card) === group(first));
            return twin ? twin.querySelector('input[name=project]').value : null;
        }"""
    )
    assert rules, "the demo has two projects of one category in one district"
    page.locator(f"#projects input[name=project][value='{rules}'] ~ button").click()
    page.wait_for_function("() => document.querySelector('[data-budget-status]').textContent.includes('at most 1')")
    assert page.evaluate("window.notReloaded")
    assert not blocking(page)
    page.locator("#basket form[action$='checkout/'] button").click()
    page.wait_for_function("() => document.querySelector('[data-budget-status]').textContent.includes('receipt')")
    assert page.evaluate("window.notReloaded")
    assert Ballot.objects.get(user__email="giulia.rossi@example.org").is_cast
    assert not blocking(page)
