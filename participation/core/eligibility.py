"""Who may take part on a participation page: the editor's rule, checked on the server, shown in plain words,
and applied to what is counted (issue "One real person, one vote").

Every page type that counts something (polls, idea supports, budget ballots) inherits :class:`EligibilityMixin`
and its admin form :class:`EligibilityFormMixin`. The rule is "an account with a confirmed email" (the default,
as before) or "a verified resident" (accounts.residents), optionally aged at least ``minimum_age`` when voting
closes and living in one of ``postcodes``. Like the voting window, the rule is read from the rules page, so
every translation applies the same one.

One definition, two forms: :func:`problem_of` says in Python why one citizen may not take part (for the refusal
and the page), :func:`counted_votes_q` says the same in SQL (for the counts). An account keeps its votes
whatever happens to its verification; the counts simply include or leave them out, at once, since verifying
or unverifying an account drops the cached tallies of every page it took part in (:func:`verification_changed`).
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import quote

from django import forms
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail_localize.fields import SynchronizedField

from civic_site.templatetags.civic_dates import long_date

from .errors import Rejected

EMAIL, RESIDENT = "email", "resident"
DEFAULT_MINIMUM_AGE = 16
FIELDS = ("who_may_take_part", "minimum_age", "postcodes")
# Any Italian postcode (CAP), five digits: Turin's run from 10121 to 10156, and a metropolitan process may name others.
POSTCODE = re.compile(r"^\d{5}$")
POSTCODE_SEPARATORS = re.compile(r"[\s,;]+")

# Problems (see problem_of) that verifying one's account, online or at a desk, can solve.
VERIFYING_HELPS = {"unverified", "no_birth_date", "no_postcode"}


def parse_postcodes(text):
    """The postcodes of ``text`` ("10152, 10153" or "10152 10153"), once each, in order; ValueError for a word
    that is not five digits."""
    found = []
    for word in POSTCODE_SEPARATORS.split((text or "").strip()):
        if not word:
            continue
        if not POSTCODE.match(word):
            raise ValueError(word)
        if word not in found:
            found.append(word)
    return found


class EligibilityMixin(models.Model):
    """A participation page whose editors choose who may take part (and so whose votes count)."""

    WHO_CHOICES = [
        (EMAIL, gettext_lazy("Everyone with an account and a confirmed email address")),
        (RESIDENT, gettext_lazy("Verified residents only (SPID, CIE, census check or a city desk)")),
    ]

    who_may_take_part = models.CharField(
        gettext_lazy("who may take part"), max_length=10, choices=WHO_CHOICES, default=EMAIL
    )
    minimum_age = models.PositiveSmallIntegerField(
        gettext_lazy("minimum age"),
        null=True,
        blank=True,
        default=DEFAULT_MINIMUM_AGE,
        validators=[MaxValueValidator(120)],
        help_text=gettext_lazy(
            "Verified residents only: the age they must have reached when voting closes. Empty: no minimum."
        ),
    )
    postcodes = models.CharField(
        gettext_lazy("postcodes"),
        max_length=500,
        blank=True,
        help_text=gettext_lazy(
            "Verified residents only: the postcodes (CAP) where they must live, e.g. “10152, 10153”. Empty: anywhere."
        ),
    )

    class Meta:
        abstract = True

    @property
    def requires_residents(self):
        return self.who_may_take_part == RESIDENT

    @property
    def postcode_list(self):
        try:
            return parse_postcodes(self.postcodes)
        except ValueError:  # only the admin form writes the field, and it checks it; never refuse a page
            return [word for word in POSTCODE_SEPARATORS.split(self.postcodes.strip()) if POSTCODE.match(word)]

    @property
    def age_measured_on(self):
        """The day the minimum age is measured: the last day of voting, in Europe/Rome (``closes_at`` is the
        first moment voting is over, so a poll closing at midnight measures it on the day before)."""
        return timezone.localtime(self.closes_at - timedelta(microseconds=1)).date()


def eligibility_panel(help_text=None):
    """The "Who may take part" panel of a page type's admin form."""
    return MultiFieldPanel(
        [
            FieldPanel("who_may_take_part"),
            FieldRowPanel([FieldPanel("minimum_age"), FieldPanel("postcodes")]),
        ],
        heading=gettext_lazy("Who may take part"),
        help_text=help_text,
    )


def synchronised_fields():
    """wagtail-localize: the rule is the same in every language, and translators do not see it."""
    return [SynchronizedField(name, overridable=False) for name in FIELDS]


class EligibilityFormMixin:
    """For the admin form of an :class:`EligibilityMixin` page: postcodes written one way, five digits each."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "who_may_take_part" in self.fields:
            # A form sent without the choice (an older admin page, a script) keeps today's rule, not an error.
            self.fields["who_may_take_part"].required = False

    def clean(self):
        cleaned = super().clean()
        if "who_may_take_part" in self.fields and not cleaned.get("who_may_take_part"):
            cleaned["who_may_take_part"] = self.instance.who_may_take_part or EMAIL
        if "postcodes" in cleaned:
            try:
                cleaned["postcodes"] = ", ".join(parse_postcodes(cleaned["postcodes"]))
            except ValueError as error:
                self.add_error(
                    "postcodes",
                    forms.ValidationError(
                        gettext_lazy("“%(word)s” is not a postcode: write five digits each, e.g. “10152, 10153”."),
                        params={"word": str(error)},
                    ),
                )
        return cleaned


# --- one citizen ----------------------------------------------------------------------------------


def latest_birth_date(rules):
    """The latest birth date of a citizen old enough for ``rules`` (aged ``minimum_age`` on the last day of
    voting), or None when there is no minimum. A 29 February that the year lacks becomes the 28th."""
    if not rules.minimum_age:
        return None
    day = rules.age_measured_on
    year = day.year - rules.minimum_age
    try:
        return day.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


def problem_of(rules, verification):
    """Why the holder of ``verification`` (a ResidentVerification or None) may not take part under ``rules``
    (a page's rules page): a code ("unverified", "no_birth_date", "too_young", "no_postcode", "elsewhere"),
    or None when they may. The same rule as :func:`counted_votes_q`."""
    if not rules.requires_residents:
        return None
    if verification is None:
        return "unverified"
    latest = latest_birth_date(rules)
    if latest is not None:
        if verification.birth_date is None:
            return "no_birth_date"
        if verification.birth_date > latest:
            return "too_young"
    postcodes = rules.postcode_list
    if postcodes:
        if not verification.postcode:
            return "no_postcode"
        if verification.postcode not in postcodes:
            return "elsewhere"
    return None


def problem_message(code, rules):
    """What the citizen reads for :func:`problem_of`'s ``code``, in their language."""
    postcodes = rules.postcode_list
    if code == "unverified":
        return _(
            "Only verified residents of Turin can vote here. Verify your account: it takes a minute with SPID or CIE."
        )
    if code == "no_birth_date":
        return _(
            "Only residents aged %(age)s or over can vote here, and your verification does not say when you were "
            "born. Verify your account at a city desk, with an identity document, to add it."
        ) % {"age": rules.minimum_age}
    if code == "too_young":
        return _("Only residents aged %(age)s or over on %(date)s can vote here.") % {
            "age": rules.minimum_age,
            "date": long_date(rules.age_measured_on),
        }
    if code == "no_postcode":
        return ngettext(
            "Only residents of postcode %(postcodes)s can vote here, and your verification does not say where "
            "you live. Verify your account at a city desk to add it.",
            "Only residents of postcodes %(postcodes)s can vote here, and your verification does not say where "
            "you live. Verify your account at a city desk to add it.",
            len(postcodes),
        ) % {"postcodes": ", ".join(postcodes)}
    return ngettext(
        "Only residents of postcode %(postcodes)s can vote here.",
        "Only residents of postcodes %(postcodes)s can vote here.",
        len(postcodes),
    ) % {"postcodes": ", ".join(postcodes)}


def may_be_counted(page, user):
    """Whether ``user``'s vote on ``page`` counts now (no query under the email rule)."""
    from accounts.residents import verification_of

    rules = page.rules
    return not rules.requires_residents or problem_of(rules, verification_of(user)) is None


def check_eligible(page, user, error=Rejected):
    """Refuse ``user`` (``error``: the page type's Rejected subclass) when ``page``'s rule does not let them take
    part. Called where the other voting rules are checked, after the confirmed email and before anything is
    written; no query under the email rule, one (per request) under the resident rule."""
    from accounts.residents import verification_of

    rules = page.rules
    if not rules.requires_residents:
        return
    code = problem_of(rules, verification_of(user))
    if code is not None:
        raise error(problem_message(code, rules))


def rule_text(rules):
    """Who may take part, in plain words, the same for every visitor (so the page can be cached)."""
    if not rules.requires_residents:
        return _("Open to everyone with an account and a confirmed email address.")
    postcodes, age = rules.postcode_list, rules.minimum_age
    values = {"age": age, "postcodes": ", ".join(postcodes)}
    if age and postcodes:
        return (
            ngettext(
                "Open to verified residents of Turin aged %(age)s or over living in postcode %(postcodes)s.",
                "Open to verified residents of Turin aged %(age)s or over living in postcodes %(postcodes)s.",
                len(postcodes),
            )
            % values
        )
    if postcodes:
        return (
            ngettext(
                "Open to verified residents of Turin living in postcode %(postcodes)s.",
                "Open to verified residents of Turin living in postcodes %(postcodes)s.",
                len(postcodes),
            )
            % values
        )
    if age:
        return _("Open to verified residents of Turin aged %(age)s or over.") % values
    return _("Open to verified residents of Turin.")


@dataclass
class Eligibility:
    """What a page's template shows about who may take part. ``rule_text`` is for everyone; ``problem`` and
    ``verify_url`` only for a signed-in citizen with a confirmed email whom the rule does not let in yet
    (anonymous visitors get none: their copy of the page is cached and shared)."""

    rule_text: str
    requires_residents: bool
    may_take_part: bool
    problem: str = ""
    verify_url: str = ""


def verify_url(next_url):
    """The "verify your account" page, bringing the citizen back to ``next_url`` afterwards."""
    return reverse("accounts_verify") + "?next=" + quote(next_url, safe="/")


def eligibility_for(page, user, next_url=None):
    """The :class:`Eligibility` of ``user`` on ``page``; ``next_url``: where verifying brings them back (default:
    the page). No query under the email rule; under the resident rule, the citizen's verification (once per
    request) and their confirmed email (already asked by the page)."""
    from accounts.residents import verification_of
    from participation.comments import has_verified_email

    rules = page.rules
    found = Eligibility(
        rule_text=rule_text(rules),
        requires_residents=rules.requires_residents,
        may_take_part=bool(getattr(user, "is_authenticated", False)),
    )
    if not (rules.requires_residents and found.may_take_part and has_verified_email(user)):
        return found
    code = problem_of(rules, verification_of(user))
    if code is not None:
        found.may_take_part = False
        found.problem = problem_message(code, rules)
        if code in VERIFYING_HELPS:
            found.verify_url = verify_url(next_url or page.url)
    return found


# --- the counts -----------------------------------------------------------------------------------


def counted_votes_q(page, user_field="user"):
    """A Q keeping the rows (votes, supports, ballots) whose ``user_field`` may take part under ``page``'s rule:
    ``Q()`` (no join, nothing left out) under the email rule. Rows without a user (a deleted account) are left
    out under the resident rule: whether they were a resident cannot be checked any more. Paper ballots are the
    caller's to add back (their voters were checked at the voting point)."""
    rules = page.rules
    if not rules.requires_residents:
        return Q()
    prefix = f"{user_field}__resident_verification__"
    condition = Q(**{f"{prefix}pk__isnull": False})
    latest = latest_birth_date(rules)
    if latest is not None:
        condition &= Q(**{f"{prefix}birth_date__lte": latest})
    postcodes = rules.postcode_list
    if postcodes:
        condition &= Q(**{f"{prefix}postcode__in": postcodes})
    return condition


def counting_stamp(page):
    """What the counts of ``page`` depend on besides its votes, for the cached tallies' keys: changing the rule
    (publishing the page) counts again."""
    rules = page.rules
    if not rules.requires_residents:
        return ""
    return f"resident:{latest_birth_date(rules)}:{','.join(rules.postcode_list)}"


@dataclass
class Excluded:
    """Votes left out of a resident page's counts: ``count`` in all, ``deleted`` of them by deleted accounts."""

    count: int
    deleted: int

    def __str__(self):
        text = ngettext(
            "%(count)s vote from an account that is not a verified resident (or outside the age or postcode rule) "
            "was not counted.",
            "%(count)s votes from accounts that are not verified residents (or outside the age or postcode rule) "
            "were not counted.",
            self.count,
        ) % {"count": self.count}
        if self.deleted:
            text += " " + ngettext(
                "Of these, %(count)s is from a deleted account, whose eligibility can no longer be checked.",
                "Of these, %(count)s are from deleted accounts, whose eligibility can no longer be checked.",
                self.deleted,
            ) % {"count": self.deleted}
        return text


def excluded(page, queryset, user_field="user"):
    """The rows of ``queryset`` (every vote of the page that would count under the email rule) that ``page``'s
    rule leaves out, or None under the email rule (no query then). Three counts."""
    if not page.rules.requires_residents:
        return None
    left_out = queryset.count() - queryset.filter(counted_votes_q(page, user_field)).count()
    deleted = queryset.filter(**{f"{user_field}__isnull": True}).count() if left_out else 0
    return Excluded(left_out, deleted)


# --- when an account's verification changes -------------------------------------------------------


def rules_pages(model, keys):
    """{translation key: its rules page} for the pages of ``model`` in ``keys`` (see groups.rules_page): one query."""
    from .groups import default_language

    chosen = {}
    for page in model.objects.filter(translation_key__in=keys).select_related("locale").order_by("pk"):
        current = chosen.get(page.translation_key)
        if current is None or (
            page.locale.language_code == default_language() and current.locale.language_code != default_language()
        ):
            chosen[page.translation_key] = page
    for page in chosen.values():
        page.__dict__["_rules_page"] = page
    return chosen


def connect():
    """Wire the counts to what changes them (called from participation's ready())."""
    from django.contrib.auth import get_user_model
    from django.db.models.signals import pre_delete
    from wagtail.signals import page_published

    from accounts.residents import on_verification_changed
    from participation.ideas import map_published
    from participation.models import IdeaMapPage

    on_verification_changed(verification_changed)
    page_published.connect(map_published, sender=IdeaMapPage, dispatch_uid="eligibility-map-published")
    pre_delete.connect(_user_deleted, sender=get_user_model(), dispatch_uid="eligibility-user-deleted")


def taken_part(user_id):
    """(translation keys of the polls and budgets ``user_id`` voted on, {idea pk: its map's key} they supported)."""
    from participation.models import Ballot, IdeaSupport, PollVote

    keys = set(PollVote.objects.filter(user_id=user_id).values_list("group_id", flat=True))
    keys |= set(Ballot.objects.filter(user_id=user_id).values_list("group_id", flat=True))
    supported = dict(IdeaSupport.objects.filter(user_id=user_id).values_list("idea_id", "idea__group_id"))
    return keys, supported


def count_again(keys, supported):
    """Drop the cached tallies of the polls and budgets ``keys``, recount the ideas ``supported`` on maps for
    residents, and drop the pages showing them from the page cache."""
    from civic_site import pagecache
    from participation.ideas import recount_supports
    from participation.models import IdeaMapPage
    from participation.polls import votes_tag

    from .invalidation import group_changed

    maps = rules_pages(IdeaMapPage, set(supported.values()))
    for key, page in maps.items():
        if page.requires_residents:
            recount_supports(page, [idea for idea, group in supported.items() if group == key])
    if keys:
        pagecache.changed(*(votes_tag(key) for key in keys))
    group_changed(*keys, *maps)


def verification_changed(user_id):
    """An account was verified or unverified: every page it took part in counts again, at once. A few queries,
    whatever the number of pages."""
    count_again(*taken_part(user_id))


def _user_deleted(sender, instance, **kwargs):
    # A verified resident's account goes: its votes stay, detached, and pages for residents stop counting them
    # (whose they were can no longer be checked). What it took part in is read now, counted again once it is gone.
    from django.db import transaction

    from accounts.residents import verification_of

    if verification_of(instance) is None:
        return
    found = taken_part(instance.pk)
    transaction.on_commit(lambda: count_again(*found))
