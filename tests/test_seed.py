from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from wagtail.images import get_image_model
from wagtail.models import Page, PageLogEntry, Revision, Site

from home.models import HomePageFeaturedPage, SiteLinks

pytestmark = pytest.mark.django_db


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
    }


def test_seed_demo_twice_changes_nothing():
    before = snapshot()  # the session fixture has already run seed_demo once
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
