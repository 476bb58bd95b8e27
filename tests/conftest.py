"""Fixtures: tests build what they need with tests/factories.py; only smoke and browser tests seed the demo."""

import os
from contextlib import contextmanager
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from hypothesis import settings as hypothesis_settings

# Property-based tests draw the same examples on every run, so CI is red for a change and never for the
# draw of the day. HYPOTHESIS_RANDOM=1 draws new ones: run it locally now and then (it is how the NUL
# cases of the sign-up and reaction tests were found).
hypothesis_settings.register_profile("repeatable", derandomize=True, database=None)
hypothesis_settings.register_profile("random")
hypothesis_settings.load_profile("random" if os.environ.get("HYPOTHESIS_RANDOM") == "1" else "repeatable")


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: stored pages, the site chrome and rate-limit counters of
    one test (whose database changes are rolled back) never show in another."""
    from django.core.cache import cache

    cache.clear()
    yield


def seed():
    call_command("seed_demo", stdout=StringIO())


@contextmanager
def kept_for_module(django_db_blocker):
    """Data made inside stays for every test of a module and is rolled back after the last one.

    Each test's own transaction nests inside this one as a savepoint, so what a test changes is still
    undone after it. Not for modules with transactional (``transaction=True``) tests.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def fresh(pages):
    """{kind: {code: page}} re-read from the database, so a test never sees another test's in-memory edits."""
    return {
        kind: {code: page.__class__.objects.get(pk=page.pk) for code, page in by_code.items()}
        for kind, by_code in pages.items()
    }


@pytest.fixture(scope="module")
def module_tree(django_db_setup, django_db_blocker):
    """The factories' bilingual tree, built once per test module (see ``tree``)."""
    from tests.factories import build_tree

    with kept_for_module(django_db_blocker):
        yield build_tree()


@pytest.fixture
def tree(request, db, module_tree):
    """{"home", "index", "consultation", "poll"}: each {"it": page, "en": its translation}, built once per
    module with the factories and re-read for each test. See tests/factories.py.

    Transactional tests (``transaction=True``) call ``build_tree()`` themselves: this tree lives in a
    transaction that their worker threads cannot see.
    """
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in request.fixturenames or (marker and marker.kwargs.get("transaction")):
        pytest.fail("the `tree` fixture is for non-transactional tests: call tests.factories.build_tree()")
    return fresh(module_tree)


# The demo (seed_demo) is seeded once for every module that uses it, not once per module: those modules run one
# after the other (pytest_collection_modifyitems), inside one transaction opened by the first and rolled back
# before the first module that does not use it (or at the end). Each test still runs in its own savepoint, and a
# module's own module-scoped data (kept_for_module) is a savepoint too: nothing a module does reaches the next.
_shared_seed = {}


def _uses_the_seed(item):
    return "seeded" in getattr(item, "fixturenames", ()) and "transactional_db" not in item.fixturenames


def pytest_collection_modifyitems(session, config, items):
    """Move the modules that use the demo next to the first of them, keeping every other order."""
    seeded_modules = {item.module for item in items if _uses_the_seed(item)}
    _shared_seed["modules"] = {module.__name__ for module in seeded_modules}
    if len(seeded_modules) < 2:
        return
    first = next(index for index, item in enumerate(items) if item.module in seeded_modules)
    block = [item for item in items if item.module in seeded_modules]
    rest = [item for item in items if item.module not in seeded_modules]
    items[:] = rest[:first] + block + rest[first:]


def _roll_back_the_seed(django_db_blocker):
    atomic = _shared_seed.pop("atomic", None)
    if atomic is not None:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(scope="session")
def _seed_session(django_db_setup, django_db_blocker):
    """Rolls the shared seed back before the test database goes."""
    yield
    _roll_back_the_seed(django_db_blocker)


@pytest.fixture(scope="module", autouse=True)
def _no_seed_outside_its_modules(request, django_db_blocker):
    """A module that does not use the demo starts without it (its transactional tests need no open transaction)."""
    if "atomic" in _shared_seed and request.module.__name__ not in _shared_seed.get("modules", ()):
        _roll_back_the_seed(django_db_blocker)


@pytest.fixture(scope="module")
def seeded(_seed_session, django_db_blocker):
    """The demo site (seed_demo): for smoke tests of the demo itself. Seeded once for all the modules that use it
    (see above); each test's changes are rolled back after it, as everywhere."""
    if "atomic" not in _shared_seed:
        with django_db_blocker.unblock():
            atomic = transaction.atomic()
            atomic.__enter__()
            _shared_seed["atomic"] = atomic
            try:
                seed()
            except BaseException:
                _roll_back_the_seed(django_db_blocker)
                raise
    yield


@pytest.fixture
def site_tree(db, seeded):
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
def verified_citizen(citizen):
    """The same as ``citizen`` (kept for tests written against the first version of the factories)."""
    return citizen


@pytest.fixture
def citizen(db):
    """A citizen with a verified email address (shown as "Giulia R.")."""
    from tests.factories import UserFactory

    return UserFactory(username="giulia.rossi", email="giulia.rossi@example.org", display_name="Giulia R.")


@pytest.fixture
def marco(db):
    """A second verified citizen (shown as "Marco B.")."""
    from tests.factories import UserFactory

    return UserFactory(username="marco.bianchi", email="marco.bianchi@example.org", display_name="Marco B.")


@pytest.fixture
def admin_user(db):
    """A superuser for the Wagtail admin (overrides pytest-django's, with a verified address)."""
    from tests.factories import AdminFactory

    return AdminFactory(username="admin", email="admin@example.org")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters live in the cache: every test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield


RATE_LIMIT_CLOCK = 1_800_000_000 - 1_800_000_000 % 86400 + 1  # one second into a day, an hour, ten minutes


@pytest.fixture(autouse=True)
def rate_limit_clock():
    """The participation rate limits count in windows aligned on the clock (participation/core/ratelimit.py):
    their clock stands still, one second into every window, so no test straddles the end of one and
    ``Retry-After`` is the window's length less a second. Tests move it with ``rate_limit_clock.return_value``."""
    from unittest import mock

    with mock.patch("participation.core.ratelimit.now", return_value=RATE_LIMIT_CLOCK) as clock:
        yield clock
