"""The idea map in Chromium: axe on the map, an idea and the form (with its errors) in both languages, no
Content-Security-Policy violation with the map running, and a citizen adding an idea without JavaScript
and without a mouse (a named place chosen from the list)."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.test_accessibility import BLOCKING_IMPACTS, format_violations, log_in
from tests.browser.test_content_security_policy import PolicyWatch

pytestmark = pytest.mark.browser


def maps():
    from participation.models import IdeaMapPage

    return {code: IdeaMapPage.objects.live().get(locale__language_code=code) for code in ("it", "en")}


def first_idea_url(page):
    from participation.models import Idea

    idea = Idea.objects.published().filter(group=page.translation_key).order_by("pk").first()
    return f"{page.url}{idea.pk}/"


def scan(page, axe, url, failures):
    violations = axe.run(page).response["violations"]
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    if blocking:
        failures[url] = format_violations(blocking)


def test_map_idea_and_form_are_accessible_and_keep_to_the_policy(demo_site, page):
    axe, failures = Axe(), {}
    watch = PolicyWatch(page)
    for code, map_page in maps().items():
        for url in (map_page.url, first_idea_url(map_page)):
            watch.visit(demo_site.url + url)
            page.wait_for_selector(".idea-map--live")  # the script started the map
            watch.check(url)
            scan(page, axe, url, failures)
        if code == "it":
            assert page.locator(".leaflet-container").count() == 1
    log_in(page, demo_site.url)
    for map_page in maps().values():
        url = map_page.url + "new/"
        watch.visit(demo_site.url + url)
        watch.check(url)
        scan(page, axe, url, failures)
        with page.expect_navigation():
            page.locator("form.idea-form button[type=submit]").click()  # nothing filled in: errors
        assert page.locator("#form-errors").count() == 1
        watch.check(url + " (errors)")
        scan(page, axe, url + " (errors)", failures)
    watch.assert_clean()
    assert not failures, "\n".join(f"{url}\n{text}" for url, text in failures.items())


def test_the_map_shows_the_published_ideas_as_markers(demo_site, page):
    from participation.models import Idea

    watch = PolicyWatch(page)
    map_page = maps()["en"]
    watch.visit(demo_site.url + map_page.url)
    page.wait_for_selector(".leaflet-marker-icon, .marker-cluster")
    shown = page.evaluate(
        "Array.from(document.querySelectorAll('.leaflet-marker-icon'))"
        ".map(m => m.getAttribute('title') || m.textContent)"
    )
    assert shown  # markers or clusters of them
    # Neither markers nor clusters are tab stops (overlapping, they cannot all be 24-pixel targets): the map
    # pans and zooms from the keyboard, and the list beside it holds every idea.
    assert page.locator("#idea-map.leaflet-container").get_attribute("tabindex") == "0"
    page.focus("#idea-map")
    for _ in range(3):  # zoomed out from the keyboard: the ideas gather into clusters
        page.keyboard.press("-")
        page.wait_for_timeout(400)
    page.wait_for_selector(".marker-cluster")
    assert page.locator(".leaflet-marker-icon[tabindex]").count() == 0
    assert Idea.objects.published().filter(group=map_page.translation_key).count() >= 20
    watch.check("map")
    watch.assert_clean()


def test_a_citizen_adds_an_idea_without_javascript_and_without_a_mouse(demo_site, browser):
    from participation.models import Idea

    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    page = context.new_page()
    try:
        log_in(page, demo_site.url)
        map_page = maps()["en"]
        page.goto(demo_site.url + map_page.url + "new/")
        assert page.locator(".idea-map--live").count() == 0  # no map without JavaScript: the fields do it all
        page.locator("#id_place").focus()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        page.locator("#id_category").select_option(label="Culture")
        page.locator("#id_title").fill("Poetry readings at dusk")
        page.locator("#id_description").fill("Once a month, by the river.")
        with page.expect_navigation():
            page.locator("form.idea-form button[type=submit]").press("Enter")
        if page.locator("#similar").count():  # the preview step shows similar ideas first
            with page.expect_navigation():
                page.locator("form.idea-form button[type=submit]").press("Enter")
        assert page.locator("h1").inner_text() == "Poetry readings at dusk"
        idea = Idea.objects.get(title="Poetry readings at dusk")
        assert idea.place_key is not None and idea.language == "en"
    finally:
        context.close()
