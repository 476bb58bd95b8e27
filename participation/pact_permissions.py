"""Who coordinates a collaboration pact: one question, asked by every coordinator's view and button.

The members of the pact's ``coordinators`` group (the signatory organisations' coordinators) coordinate that
pact only; Editors and superusers coordinate every pact. A coordinator of one pact reaching another's
proposals or activities is refused (403) by the views that ask :func:`may_coordinate`.
"""

EDITORS = "Editors"


def _group_ids(user):
    """The ids of ``user``'s groups and whether they are an editor, read once per user object (a request's)."""
    cached = getattr(user, "_pact_groups", None)
    if cached is None:
        rows = list(user.groups.values_list("pk", "name"))
        cached = user._pact_groups = ({pk for pk, _name in rows}, any(name == EDITORS for _pk, name in rows))
    return cached


def coordinates_all(user):
    """Editors and superusers coordinate every pact."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or _group_ids(user)[1]


def may_coordinate(user, page):
    """Whether ``user`` may answer proposals and report activities of the pact ``page`` (any translation:
    translations share their coordinators group)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if coordinates_all(user):
        return True
    return page.coordinators_id is not None and page.coordinators_id in _group_ids(user)[0]


def coordinated_pacts(user):
    """The pacts ``user`` coordinates, one page per translation group (the default language's first):
    a queryset of PactPage."""
    from .models import PactPage

    pages = PactPage.objects.all()
    if not coordinates_all(user):
        pages = pages.filter(coordinators__in=_group_ids(user)[0]) if user.is_authenticated else pages.none()
    return pages
