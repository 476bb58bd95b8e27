"""Neighbourhood reports in the browser: a citizen reports a problem without JavaScript and without a mouse
(street list, summary, receipt); axe on the form with errors, the summary, the receipt, the list and a
report's page, in both languages."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_accessibility import BLOCKING_IMPACTS, format_violations, log_in

pytestmark = pytest.mark.browser


def reporting_url(code):
    from participation.models import ReportingPage

    return ReportingPage.objects.live().get(locale__language_code=code).url


def blocking(page):
    violations = Axe().run(page).response["violations"]
    return format_violations([v for v in violations if v["impact"] in BLOCKING_IMPACTS])


def fill_the_form(page, title):
    page.select_option("select[name=category]", index=1)
    page.select_option("select[name=street]", label="Via Garibaldi")
    page.fill("input[name=house_number]", "12")
    page.fill("input[name=title]", title)
    page.fill("textarea[name=description]", "Il lampione davanti al civico 12 è spento da una settimana.")
    for radio in page.locator("fieldset[data-category] input[type=radio][value=yes]").all():
        # Without JavaScript every category's questions show (answering all is harmless); with it, only the
        # chosen category's. Bootstrap Italia draws the radio on its label, which takes the click.
        if radio.is_visible() or not page.evaluate("() => !!document.querySelector('.idea-map--live')"):
            page.click(f"label[for='{radio.get_attribute('id')}']")


def test_a_citizen_reports_a_problem_without_javascript(demo_site, browser):
    """(axe needs JavaScript: the same steps are scanned in the test below.)"""
    from participation.models import Report

    context = browser.new_context(locale="it-IT", java_script_enabled=False)
    page = context.new_page()
    try:
        # Logged out: the form can be filled in; sending it asks to log in and keeps what was typed.
        page.goto(demo_site.url + reporting_url("it") + "new/")
        fill_the_form(page, "Lampione spento in via Garibaldi")
        with page.expect_navigation():
            page.click("form.report-form button[type=submit]")
        assert "/accounts/login/" in page.url
        page.fill("input[name=login]", "giulia.rossi@example.org")
        page.fill("input[name=password]", "partecipa-torino-2026")
        with page.expect_navigation():
            page.click("form button[type=submit]")
        assert page.input_value("input[name=title]") == "Lampione spento in via Garibaldi"
        page.focus("form.report-form button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Controlla la segnalazione" in page.inner_text("h1")
        assert "Via Garibaldi, 12" in page.inner_text("main")
        with page.expect_navigation():
            page.click("form[action$='new/check/'] button[type=submit]")
        report = Report.objects.get(title="Lampione spento in via Garibaldi")
        assert report.reference in page.inner_text(".report-reference")
        page.click(f"a[href$='/{report.pk}/']")
        assert "Lampione spento in via Garibaldi" in page.inner_text("h1")
    finally:
        context.close()


def test_report_pages_are_accessible_in_both_languages(demo_site, page):
    from participation.models import Report

    log_in(page, demo_site.url)
    found = {}
    for code in ("it", "en"):
        url = demo_site.url + reporting_url(code)
        page.goto(url)
        found[f"list ({code})"] = blocking(page)
        page.goto(url + "?status=open&district=7")
        found[f"filtered list ({code})"] = blocking(page)
        report = Report.objects.filter(updates__isnull=False, photos__isnull=False).distinct().first()
        page.goto(f"{url}{report.pk}/")
        found[f"report ({code})"] = blocking(page)
        page.goto(url + "new/")
        page.click("form.report-form button[type=submit]")  # empty: every error shows
        page.wait_for_selector("#form-errors")
        found[f"form with errors ({code})"] = blocking(page)
        fill_the_form(page, f"Buca in via Garibaldi ({code})")
        page.click("form.report-form button[type=submit]")
        page.wait_for_url("**/new/check/")
        found[f"summary ({code})"] = blocking(page)
        page.click("form[action$='new/check/'] button[type=submit]")
        page.wait_for_selector(".report-reference")
        found[f"receipt ({code})"] = blocking(page)
    assert not any(found.values()), found
