"""Who coordinates a collaboration pact: one question, asked by every coordinator's view and button.

The members of the pact's ``coordinators`` group (the signatory organisations' coordinators) coordinate that
pact only; Editors and superusers coordinate every pact. A coordinator of one pact reaching another's
proposals or activities is refused (403) by the views that ask :func:`may_coordinate`.
"""

from django.core.cache import cache

from civic_site import pagecache

EDITORS = "Editors"
# Version tags: accounts.backends bumps PERMISSIONS when users' groups change; saving a pact bumps PACTS (its
# coordinators group may have changed). The answers are kept in the shared cache under both, so the admin's
# menu (shown on every admin page) asks the database nothing.
PERMISSIONS, PACTS = "permissions", "pacts"
TIMEOUT = 60 * 60


def cached_answer(user, name, compute):
    """``compute()`` for ``user``, from the shared cache while neither groups nor pacts changed."""
    versions = pagecache.versions([PERMISSIONS, PACTS])
    key = f"pact-coordination:{name}:{versions[PERMISSIONS]}:{versions[PACTS]}:{user.pk}"
    return cache.get_or_set(key, compute, TIMEOUT)


def pacts_changed(**kwargs):
    pagecache.bump(PACTS)


def _group_ids(user):
    """The ids of ``user``'s groups and whether they are an editor, read once per user object (a request's)."""
    cached = getattr(user, "_pact_groups", None)
    if cached is None:

        def read():
            rows = list(user.groups.values_list("pk", "name"))
            return ({pk for pk, _name in rows}, any(name == EDITORS for _pk, name in rows))

        cached = user._pact_groups = cached_answer(user, "groups", read)
    return cached


def coordinates_all(user):
    """Editors and superusers coordinate every pact."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or _group_ids(user)[1]


def coordinated_keys(user):
    """The translation keys of the pacts whose coordinators' group ``user`` belongs to (read once per user
    object, from the shared cache while neither groups nor pacts changed)."""
    if not (user.is_authenticated and user.is_active):
        return frozenset()
    if "_pact_keys" not in user.__dict__:
        user.__dict__["_pact_keys"] = cached_answer(
            user, "keys", lambda: frozenset(coordinated_pacts(user).values_list("translation_key", flat=True))
        )
    return user.__dict__["_pact_keys"]


def may_coordinate(user, pact_key):
    """Whether ``user`` may publish activities of, answer proposals to and report on the pact whose
    translation key is ``pact_key`` (every translation of a pact shares its coordinators group)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return coordinates_all(user) or pact_key in coordinated_keys(user)


def coordinated_pacts(user):
    """The pacts ``user`` coordinates, one page per translation group (the default language's first):
    a queryset of PactPage."""
    from .models import PactPage

    pages = PactPage.objects.all()
    if not coordinates_all(user):
        pages = pages.filter(coordinators__in=_group_ids(user)[0]) if user.is_authenticated else pages.none()
    return pages


def coordinates_any(user):
    """Whether ``user`` coordinates at least one pact (the admin menu's "Pact coordination"): no query while
    neither groups nor pacts changed."""
    if not (user.is_authenticated and user.is_active):
        return False
    return coordinates_all(user) or cached_answer(user, "any", lambda: coordinated_pacts(user).exists())
