"""The one place that turns a participation page (any translation) into what its data is keyed to.

Participation rows carry a foreign key to :class:`TranslationGroup`, whose primary key is the
pages' shared ``translation_key``: reading a tally needs no lookup at all (``page.translation_key``
is on every page), writing creates the group once. The group's *rules* (dates, limits) are read
from one translation, the rules page: the default-locale one, else the oldest.
"""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import get_supported_language_variant

from civic_site import pagecache

from .models import TranslationGroup


def group_key(page):
    """The stable key of ``page``'s translation group (the same for every translation, forever)."""
    return page.translation_key


def live_translation(pages, key, language_codes):
    """The live, public page of ``pages`` in translation group ``key``: in the first of ``language_codes``
    that has one, else the oldest translation; None when none is live and public. One query."""
    found = {}
    for page in pages.live().public().filter(translation_key=key).select_related("locale").order_by("pk"):
        found.setdefault(page.locale.language_code, page)
    return next((found[code] for code in language_codes if code in found), None) or next(iter(found.values()), None)


def ensure_group(page):
    """The :class:`TranslationGroup` of ``page``, created the first time someone takes part.

    ``page`` may also be another owner of participation with a ``translation_key`` and a ``group_model``
    (an idea's own comment thread: participation.ideas.IdeaThread).
    """
    group = page.__dict__.get("_translation_group")
    if group is None:
        group = page.__dict__["_translation_group"] = group_for(
            page.translation_key, getattr(page, "group_model", type(page))
        )
    return group


def group_for(key, model):
    """The :class:`TranslationGroup` keyed ``key`` for participation in a ``model`` (its content type), created
    if it does not exist yet."""
    group, _ = TranslationGroup.objects.get_or_create(
        pk=key, defaults={"content_type": ContentType.objects.get_for_model(model)}
    )
    return group


def default_language():
    return get_supported_language_variant(settings.LANGUAGE_CODE)


def rules_page(page):
    """The translation whose rules hold for the whole group, looked up at most once per page object.

    The default-locale page when there is one (no query if ``page`` is it), else the oldest page.
    Translations copy these fields from their source, so this only matters when they differ.
    """
    cached = page.__dict__.get("_rules_page")
    if cached is not None:
        return cached
    if page.pk is None or page.locale.language_code == default_language():
        cached = page
    else:
        default_first = Case(
            When(locale__language_code=default_language(), then=Value(0)), default=Value(1), output_field=IntegerField()
        )
        model = type(page)
        found = pagecache.until_content_changes(
            "rules-page",
            [model._meta.label_lower, page.translation_key],
            lambda: model.objects.filter(translation_key=page.translation_key).order_by(default_first, "pk").first(),
        )
        cached = found or page
    page.__dict__["_rules_page"] = cached
    return cached


def participation_models():
    """Every model whose rows point at a translation group by foreign key: what citizens did there (votes,
    comments, later ideas, ballots...). One-to-one settings, such as a thread's open/closed state, are not."""
    return [
        (relation.related_model, relation.field.name)
        for relation in TranslationGroup._meta.related_objects
        if relation.field.many_to_one
    ]


def groups_with_participation(keys):
    """The subset of ``keys`` whose groups hold participation data of any kind."""
    keys, found = set(keys), set()
    for model, field in participation_models():
        if not keys - found:
            break
        found.update(model._default_manager.filter(**{f"{field}__in": keys - found}).values_list(field, flat=True))
    return found


def groups_lost_by_deleting(page):
    """Keys of the groups that would have no page left if ``page`` and its descendants were deleted."""
    from wagtail.models import Page

    subtree = Page.objects.descendant_of(page, inclusive=True)
    keys = set(subtree.values_list("translation_key", flat=True))
    kept = set(
        Page.objects.filter(translation_key__in=keys)
        .exclude(pk__in=subtree.values("pk"))
        .values_list("translation_key", flat=True)
    )
    return keys - kept


class ParticipationPageMixin:
    """For participation page types: where their data is keyed and whose rules hold, in one place."""

    @property
    def group_key(self):
        return group_key(self)

    @property
    def rules(self):
        return rules_page(self)

    def ensure_group(self):
        return ensure_group(self)
