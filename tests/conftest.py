from io import StringIO

import pytest
from django.core.management import call_command


def seed():
    call_command("seed_demo", stdout=StringIO())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The demo site is built once per test session; each test runs in a rolled-back transaction."""
    with django_db_blocker.unblock():
        seed()


@pytest.fixture
def site_tree(db):
    """The seeded Turin tree: {'home': {'it': page, 'en': page}, 'consultations': [...], ...}."""
    from consultations.models import ConsultationIndexPage, ConsultationPage
    from home.models import HomePage, StandardPage

    def by_language(queryset):
        return {page.locale.language_code: page for page in queryset.select_related("locale")}

    index = by_language(ConsultationIndexPage.objects.all())
    return {
        "home": by_language(HomePage.objects.all()),
        "index": index,
        "consultations": {
            code: list(ConsultationPage.objects.child_of(index[code]).order_by("path")) for code in ("it", "en")
        },
        "standard": {code: list(StandardPage.objects.filter(locale__language_code=code)) for code in ("it", "en")},
    }


@pytest.fixture
def citizen(db):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(email="giulia.rossi@example.org")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def tree(db):
    """A bilingual tree built with factories (no seed): {"home", "index", "consultation", "poll"}, each
    {"it": page, "en": translation}. See tests/factories.py."""
    from tests.factories import build_tree

    return build_tree()


@pytest.fixture
def verified_citizen(db):
    """A citizen with a verified email address, made by UserFactory."""
    from tests.factories import UserFactory

    return UserFactory(display_name="Giulia R.")
