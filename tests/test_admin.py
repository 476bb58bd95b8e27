"""Editors in the Wagtail admin: edit the home page, translate pages with wagtail-localize."""

import pytest
from django.urls import reverse
from wagtail.models import Locale, Page

from home.models import StandardPage
from tests.factories import EditorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = EditorFactory()
    client.force_login(user)
    return user


def test_editor_edits_and_publishes_the_home_page(client, editor, tree):
    home = tree["home"]["it"]
    edit_url = reverse("wagtailadmin_pages:edit", args=[home.pk])
    assert client.get(edit_url).status_code == 200
    response = client.post(
        edit_url,
        {
            "title": home.title,
            "slug": home.slug,
            "hero_title": "Decidiamo insieme",
            "intro": home.intro,
            "image": home.image_id or "",
            "image_alt": home.image_alt,
            "featured_pages-TOTAL_FORMS": "0",
            "featured_pages-INITIAL_FORMS": "0",
            "featured_pages-MIN_NUM_FORMS": "0",
            "featured_pages-MAX_NUM_FORMS": "6",
            "body-count": "0",
            "action-publish": "action-publish",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "Decidiamo insieme" in client.get("/it/").content.decode()


def test_editor_translates_a_new_page_with_wagtail_localize(client, editor, tree):
    home_it = tree["home"]["it"]
    page = home_it.add_child(instance=StandardPage(title="Domande frequenti", slug="faq", intro="Le risposte."))
    page.save_revision().publish()
    english = Locale.objects.get(language_code="en")

    url = reverse("wagtail_localize:submit_page_translation", args=[page.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"locales": [english.pk]})
    assert response.status_code == 302

    translation = Page.objects.get(translation_key=page.translation_key, locale=english)
    assert translation.get_parent().specific == tree["home"]["en"]
    # Translations start as drafts: an editor reviews them before they go live.
    assert not translation.live


def test_admin_menu_is_closed_to_anonymous_visitors(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
