"""Participatory budgeting on the site: the citizen's basket, casting and withdrawing a ballot, the count.

Every rule is checked here, on the server, with :func:`participation.budgeting.check_ballot` (the same
code the counting tests check against the field's references), and the database keeps one ballot per
citizen per budget (``one_ballot_per_citizen_per_budget``). Projects are identified by their
``translation_key``, so a ballot filled on /it/ and checked out on /en/ is one ballot, counted once.

A project joins the basket only if the basket still keeps to the rules' upper limits afterwards (the
budget, the most projects, the most per category in each district): the citizen learns at once why a
project does not fit. The lower limits (the fewest projects, the least share of the budget) are
checked when the basket is checked out.
"""

import contextlib
import contextvars
import csv
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import reduce
from itertools import groupby
from operator import or_

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import formats, timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civic_site import pagecache
from civic_site.pages import public

from . import budgeting
from .comments import has_verified_email
from .core import ratelimit
from .core.eligibility import check_eligible, counted_votes_q, eligibility_for
from .core.errors import Rejected
from .core.groups import default_language
from .core.invalidation import group_changed
from .models import Ballot, BallotProject, BudgetPage, ProjectMilestone, ProjectPage
from .notifications import follow_automatically
from .polls import _counted, votes_tag

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or copied by hand


class BallotRejected(Rejected):
    """A basket change, checkout or withdrawal that cannot be done, with the reason to show the citizen."""


def cents(amount):
    """Euros (a Decimal with at most 2 decimals) as an int of cents."""
    return int((Decimal(amount) * 100).to_integral_value())


def euros(amount_in_cents_or_decimal, *, from_cents=False):
    """Money as the citizen reads it in their language: "€ 12.500" in Italian, "€ 12,500" in English,
    with cents only when there are some ("€ 1.234,50")."""
    value = Decimal(amount_in_cents_or_decimal) / 100 if from_cents else Decimal(amount_in_cents_or_decimal)
    places = 0 if value == value.to_integral_value() else 2
    return "€\u00a0" + formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


# --- the projects of a budget ---------------------------------------------------------------------


@dataclass
class BudgetProjects:
    """The live projects of a budget: one page per project (in the language asked for when it has one)
    and the same projects as :class:`participation.budgeting.Project`, keyed by ``str(translation_key)``."""

    pages: list  # ProjectPage, in the budget's order
    by_key: dict  # str(translation_key) -> ProjectPage
    by_pk: dict  # pk of any translation -> str(translation_key)
    model: dict  # str(translation_key) -> budgeting.Project


def budget_projects(budget, language_code=None):
    """The live, public projects under every translation of ``budget``, once each; two queries, kept on the
    page object. ``language_code`` (default: the active one) chooses which translation of each is shown."""
    language_code = language_code or translation.get_language()
    cached = budget.__dict__.setdefault("_budget_projects", {})
    if language_code in cached:
        return cached[language_code]
    trees = list(BudgetPage.objects.filter(translation_key=budget.translation_key).values_list("path", "depth"))
    pages = []
    if trees:
        under = reduce(or_, (Q(path__startswith=path, depth=depth + 1) for path, depth in trees))
        pages = list(
            public(ProjectPage.objects.live().filter(under))
            .select_related("locale", "category", "district", "image")
            .order_by("path")
        )
    preference = {language_code: 0, default_language(): 1}
    chosen, by_pk, first_published = {}, {}, {}
    for page in pages:
        key = str(page.translation_key)
        by_pk[page.pk] = key
        if page.first_published_at:
            first_published[key] = min(first_published.get(key, page.first_published_at), page.first_published_at)
        current = chosen.get(key)
        if current is None or preference.get(page.locale.language_code, 2) < preference.get(
            current.locale.language_code, 2
        ):
            chosen[key] = page
    ordered = sorted(chosen.values(), key=lambda page: (page.code.upper(), page.path))
    published = sorted(chosen, key=lambda key: (first_published.get(key) is None, first_published.get(key), key))
    order = {key: index for index, key in enumerate(published)}
    model = {
        key: budgeting.Project(
            id=key,
            cost=cents(page.cost),
            order=order[key],
            name=page.title,
            category=str(page.category.translation_key),
            district=str(page.district.translation_key),
        )
        for key, page in ((str(page.translation_key), page) for page in ordered)
    }
    result = cached[language_code] = BudgetProjects(
        pages=ordered, by_key={str(page.translation_key): page for page in ordered}, by_pk=by_pk, model=model
    )
    return result


def ballot_rules(budget):
    """The budget's rules (the rules page's) as :class:`participation.budgeting.BallotRules`: what a cast
    ballot keeps to."""
    rules = budget.rules
    knapsack = rules.voting_rule == BudgetPage.RULE_KNAPSACK
    return budgeting.BallotRules(
        budget=cents(rules.total_budget) if knapsack else None,
        min_percent=Decimal(rules.min_percent) if knapsack else 0,
        min_choices=rules.min_projects,
        max_choices=rules.max_projects,
        max_per_group=rules.max_per_group,
    )


def basket_limits(budget):
    """The rules' upper limits only (the budget, the most projects, the most per group): what a basket keeps
    to while it is being filled; the lower ones are checked when it is cast."""
    rules = ballot_rules(budget)
    return budgeting.BallotRules(
        budget=rules.budget, min_choices=0, max_choices=rules.max_choices, max_per_group=rules.max_per_group
    )


def problem_message(code, params, projects):
    """What the citizen reads for one of check_ballot's problems, in their language."""
    if code == "over_budget":
        return _(
            "Your projects cost %(total)s together, %(excess)s more than the budget of %(budget)s: "
            "remove a project to stay within it."
        ) % {
            "total": euros(params["total"], from_cents=True),
            "excess": euros(params["excess"], from_cents=True),
            "budget": euros(params["budget"], from_cents=True),
        }
    if code == "under_minimum":
        return _("Your projects cost %(total)s together: choose projects worth at least %(minimum)s.") % {
            "total": euros(params["total"], from_cents=True),
            "minimum": euros(params["minimum"], from_cents=True),
        }
    if code == "too_few":
        return ngettext(
            "Choose at least %(minimum)s project.", "Choose at least %(minimum)s projects.", params["minimum"]
        ) % {"minimum": params["minimum"]}
    if code == "too_many":
        return ngettext(
            "You can choose at most %(maximum)s project.",
            "You can choose at most %(maximum)s projects.",
            params["maximum"],
        ) % {"maximum": params["maximum"]}
    if code == "group_limit":
        sample = next(
            (
                page
                for page in projects.pages
                if str(page.category.translation_key) == params["category"]
                and str(page.district.translation_key) == params["district"]
            ),
            None,
        )
        names = {
            "category": sample.category.name if sample else "",
            "district": sample.district.name if sample else "",
            "maximum": params["maximum"],
        }
        return (
            ngettext(
                "You can choose at most %(maximum)s project of “%(category)s” in %(district)s.",
                "You can choose at most %(maximum)s projects of “%(category)s” in %(district)s.",
                params["maximum"],
            )
            % names
        )
    return _("A project you chose is no longer on the ballot: remove it and choose again.")


# --- the basket and the ballot --------------------------------------------------------------------


def my_ballot(budget, user):
    """(the citizen's Ballot or None, [str project keys in it, in the order added]); two queries at most."""
    if not user.is_authenticated or budget.pk is None:
        return None, []
    ballot = Ballot.objects.filter(group_id=budget.group_key, user=user).first()
    if ballot is None:
        return None, []
    keys = [str(key) for key in ballot.projects.order_by("added_at", "pk").values_list("project_key", flat=True)]
    return ballot, keys


def _check_can_change(budget, user, ip_address, action="basket", eligible=True):
    """The rules every change obeys; ``eligible``: the page's rule on who may vote too (filling a basket and
    casting it; taking projects out or withdrawing a ballot stays open to everyone who has one)."""
    if not user.is_authenticated:
        raise BallotRejected(_("Log in to vote."))
    if not has_verified_email(user):
        raise BallotRejected(_("Confirm your email address before voting: we sent you a link."))
    if eligible:
        check_eligible(budget, user, BallotRejected)
    ratelimit.enforce(
        action,
        BallotRejected,
        gettext_lazy("Too many attempts in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    rules = budget.rules
    now = timezone.now()
    if now < rules.opens_at:
        raise BallotRejected(_("Voting has not started yet."))
    if now >= rules.closes_at:
        raise BallotRejected(_("Voting is closed."))


def _locked_ballot(budget, user, create):
    """The citizen's ballot row, locked for this transaction (created first if ``create``), or None."""
    group = budget.ensure_group()
    ballot = Ballot.objects.filter(group=group, user=user).first()
    if ballot is None and create:
        try:
            with transaction.atomic():
                ballot = Ballot.objects.create(
                    group=group, user=user, language=translation.get_language() or default_language()
                )
        except IntegrityError:  # the same citizen's concurrent first click won the race
            ballot = Ballot.objects.get(group=group, user=user)
    if ballot is None:
        return None
    return Ballot.objects.select_for_update().get(pk=ballot.pk)


def change_basket(*, budget, user, project_id, add, ip_address=None):
    """Put a project (the pk of any translation of it) in the citizen's basket, or take it out.

    Refused while the ballot is cast (withdraw it first), outside the voting window, for a project not of
    this budget, and, when adding, when the basket would break the budget, the most projects or the most
    per category in each district.
    """
    _check_can_change(budget, user, ip_address, eligible=add)
    projects = budget_projects(budget)
    text = str(project_id)
    key = projects.by_pk.get(int(text)) if text.isascii() and text.isdecimal() and len(text) < 12 else None
    if key is None:
        raise BallotRejected(_("This project is not on this ballot."))
    with transaction.atomic():
        ballot = _locked_ballot(budget, user, create=add)
        if ballot is not None and ballot.is_cast:
            raise BallotRejected(_("You have already voted. To change your choice, withdraw your vote first."))
        keys = (
            [str(k) for k in ballot.projects.order_by("added_at", "pk").values_list("project_key", flat=True)]
            if ballot
            else []
        )
        if add:
            if key in keys:
                return ballot
            problems = budgeting.check_ballot(
                [k for k in keys if k in projects.model] + [key], projects.model, basket_limits(budget)
            )
            if problems:
                raise BallotRejected(" ".join(problem_message(code, params, projects) for code, params in problems))
            BallotProject.objects.create(ballot=ballot, project_key=key)
        elif ballot is not None:
            ballot.projects.filter(project_key=key).delete()
        if ballot is not None:
            ballot.save(update_fields=["updated_at"])
    return ballot


def new_receipt():
    """A receipt code such as "K7PM-X2QD-9HTA": 60 bits, easy to read out and copy."""
    code = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(12))
    return f"{code[:4]}-{code[4:8]}-{code[8:]}"


def checkout(*, budget, user, ip_address=None):
    """Cast the citizen's basket as their ballot, checked against every rule; returns the Ballot.

    Concurrent checkouts by one citizen are applied one after the other on the locked row: the first
    casts the ballot, the others find it cast and change nothing.
    """
    _check_can_change(budget, user, ip_address, action="vote")
    projects = budget_projects(budget)
    with transaction.atomic():
        ballot = _locked_ballot(budget, user, create=False)
        if ballot is None:
            raise BallotRejected(_rules_message(budget, projects, []))
        if ballot.is_cast:
            return ballot
        keys = [str(k) for k in ballot.projects.order_by("added_at", "pk").values_list("project_key", flat=True)]
        problems = budgeting.check_ballot(keys, projects.model, ballot_rules(budget))
        if problems:
            raise BallotRejected(" ".join(problem_message(code, params, projects) for code, params in problems))
        ballot.checked_out_at = timezone.now()
        ballot.receipt = new_receipt()
        ballot.language = translation.get_language() or default_language()
        ballot.save(update_fields=["checked_out_at", "receipt", "language", "updated_at"])
        pagecache.changed(votes_tag(ballot.group_id))
    follow_automatically(user, budget)
    return ballot


def _rules_message(budget, projects, keys):
    problems = budgeting.check_ballot(keys, projects.model, ballot_rules(budget))
    return " ".join(problem_message(code, params, projects) for code, params in problems) or _(
        "Choose at least one project."
    )


def withdraw(*, budget, user, ip_address=None):
    """Take back a cast ballot while voting is open: it is a basket again, no longer counted."""
    _check_can_change(budget, user, ip_address, action="vote", eligible=False)
    with transaction.atomic():
        ballot = _locked_ballot(budget, user, create=False)
        if ballot is None or not ballot.is_cast:
            return ballot
        ballot.checked_out_at = None
        ballot.receipt = None
        ballot.save(update_fields=["checked_out_at", "receipt", "updated_at"])
        pagecache.changed(votes_tag(ballot.group_id))
    return ballot


# --- the count --------------------------------------------------------------------------------------


def counted_ballots_q(budget, prefix=""):
    """A Q keeping the cast ballots that count under the budget's rule on who may vote (``prefix``: "ballot__"
    from a ballot's projects): every one under the email rule; under the resident rule, paper ballots (checked
    at the voting point) and the online ballots of eligible accounts."""
    online = counted_votes_q(budget, f"{prefix}user")
    if not online:  # Q() | paper would keep the paper ballots only
        return online
    return online | Q(**{f"{prefix}channel": Ballot.PAPER})


def counted_ballots(budget):
    """The cast ballots, grouped: {"ballots": [(sorted project keys, how many)], "online": n, "paper": n}.

    One query, kept in the shared cache until a ballot is cast or withdrawn (``votes:<key>``) or the rule on
    who may vote changes."""

    def count():
        # Read in ballot order and counted as they come: memory holds the distinct baskets, not every
        # ballot (100,000 ballots: a few MB, not tens).
        rows = (
            BallotProject.objects.filter(ballot__group_id=budget.group_key, ballot__checked_out_at__isnull=False)
            .filter(counted_ballots_q(budget, "ballot__"))
            .order_by("ballot_id")
            .values_list("ballot_id", "ballot__channel", "project_key")
        )
        grouped, by_channel = Counter(), Counter()
        for (_ballot, channel), chosen in groupby(rows.iterator(chunk_size=5000), key=lambda row: row[:2]):
            grouped[tuple(sorted(str(row[2]) for row in chosen))] += 1
            by_channel[channel] += 1
        return {
            "ballots": sorted(grouped.items()),
            "online": by_channel.get(Ballot.ONLINE, 0),
            "paper": by_channel.get(Ballot.PAPER, 0),
        }

    if budget.pk is None:
        return {"ballots": [], "online": 0, "paper": 0}
    return _counted(budget, "budget", [], count)


@dataclass
class ProjectResult:
    page: ProjectPage
    votes: int
    share: Fraction  # of ballots, 0-100
    citizen_score: Fraction  # votes normalised, 0-100
    technical_score: int | None
    combined: Fraction
    funded: bool
    position: int = 0  # in the results' order, 1 = first


def combined_scores(projects, votes, citizen_weight):
    """{key: (citizen score 0-100, combined score 0-100)}: the most-voted project scores 100 for the
    citizens; a project not assessed scores 0 for the technical part."""
    most = max(votes.values(), default=0)
    scores = {}
    for key, page in projects.by_key.items():
        citizen = Fraction(100 * votes.get(key, 0), most) if most else Fraction(0)
        technical = Fraction(page.technical_score or 0)
        scores[key] = (citizen, (citizen * citizen_weight + technical * (100 - citizen_weight)) / 100)
    return scores


def greedy_by_score(projects, scores, budget_cents):
    """The combined method: projects with a positive score, highest first (then cheaper, then published
    earlier), each funded if it fits in what is left of the budget."""
    ordered = sorted(
        (key for key in projects.model if scores[key] > 0),
        key=lambda key: (-scores[key], projects.model[key].cost, projects.model[key].order),
    )
    funded, left = [], budget_cents
    for key in ordered:
        if projects.model[key].cost <= left:
            funded.append(key)
            left -= projects.model[key].cost
    return funded


def budget_results(budget):
    """The count under the budget's method: {"rows": [ProjectResult], "ballots", "online", "paper", "spent",
    "method", "details"}; rows in the order of the method (funded first as chosen, then the rest by votes)."""
    rules = budget.rules
    projects = budget_projects(budget)
    counted = counted_ballots(budget)
    ballots = []  # one entry per ballot: only the Method of Equal Shares needs them (the others count votes)
    equal_shares = rules.results_method == BudgetPage.METHOD_EQUAL_SHARES
    votes = Counter()
    for keys, weight in counted["ballots"]:
        known = [key for key in keys if key in projects.model]
        if equal_shares:
            ballots.extend([known] * weight)
        for key in known:
            votes[key] += weight
    total = sum(weight for _keys, weight in counted["ballots"])
    budget_cents = cents(rules.total_budget)
    scores = combined_scores(projects, votes, rules.citizen_weight)
    details = None
    if rules.results_method == BudgetPage.METHOD_EQUAL_SHARES:
        details = budgeting.equal_shares_details(list(projects.model.values()), ballots, budget_cents, "add1")
        funded = list(details.funded)
    elif rules.results_method == BudgetPage.METHOD_COMBINED:
        funded = greedy_by_score(projects, {key: combined for key, (_c, combined) in scores.items()}, budget_cents)
    else:
        funded = budgeting.greedy(list(projects.model.values()), dict(votes), budget_cents)
    funded_set = set(funded)
    rest = sorted(
        (key for key in projects.model if key not in funded_set),
        key=lambda key: (
            -scores[key][1] if rules.results_method == BudgetPage.METHOD_COMBINED else -votes[key],
            projects.model[key].cost,
            projects.model[key].order,
        ),
    )
    rows = []
    for position, key in enumerate(funded + rest, start=1):
        page = projects.by_key[key]
        rows.append(
            ProjectResult(
                page=page,
                votes=votes[key],
                share=Fraction(100 * votes[key], total) if total else Fraction(0),
                citizen_score=scores[key][0],
                technical_score=page.technical_score,
                combined=scores[key][1],
                funded=key in funded_set,
                position=position,
            )
        )
    spent = sum(projects.model[key].cost for key in funded)
    groups = {}
    for row in rows:
        group = groups.setdefault(
            (row.page.district.number, row.page.category.name),
            {
                "district": row.page.district,
                "category": row.page.category,
                "projects": 0,
                "votes": 0,
                "funded": 0,
                "amount": 0,
            },
        )
        group["projects"] += 1
        group["votes"] += row.votes
        if row.funded:
            group["funded"] += 1
            group["amount"] += cents(row.page.cost)
    return {
        "rows": rows,
        "groups": [groups[key] for key in sorted(groups)],
        "ballots": total,
        "online": counted["online"],
        "paper": counted["paper"],
        "spent": spent,
        "left": budget_cents - spent,
        "method": rules.results_method,
        "details": details,
    }


def results_visible(budget, user):
    """Results are public once voting closes; before, only the page's editors and the Results group see
    them, live (citizens' choices must not sway each other)."""
    if budget.rules.has_closed:
        return True
    if not (user.is_authenticated and user.has_perm("wagtailadmin.access_admin")):
        return False
    return user.has_perm("participation.view_ballot") or budget.permissions_for_user(user).can_edit()


# --- paper ballots ------------------------------------------------------------------------------------

PAPER_MAX_ROWS = 50_000
PAPER_HEADERS = {"projects": ("projects", "progetti"), "voting_point": ("voting_point", "punto_di_voto")}


class PaperBallotErrors(Exception):
    """Paper ballots refused: [(line number or None, message)], in the staff member's language."""

    def __init__(self, errors):
        super().__init__("; ".join(message for _line, message in errors))
        self.errors = errors


def paper_codes(text):
    """The project codes written on a paper ballot: separated by spaces, commas, semicolons or bars."""
    return [code for code in re.split(r"[\s,;|]+", (text or "").strip().upper()) if code]


def paper_ballot_problems(budget, projects, codes):
    """Why a paper ballot with these project codes cannot be counted (messages), or []: the same rules as online."""
    by_code = {page.code.upper(): key for key, page in projects.by_key.items()}
    unknown = [code for code in codes if code not in by_code]
    if unknown:
        return [_("Unknown project code “%(code)s”.") % {"code": code} for code in unknown]
    return [
        problem_message(code, params, projects)
        for code, params in budgeting.check_ballot(
            [by_code[code] for code in codes], projects.model, ballot_rules(budget)
        )
    ]


def _store_paper_ballots(budget, rows, entered_by):
    """Create the paper ballots ``rows`` [(keys, voting point)] in one transaction."""
    group = budget.ensure_group()
    now = timezone.now()
    with transaction.atomic():
        for keys, voting_point in rows:
            ballot = Ballot.objects.create(
                group=group,
                channel=Ballot.PAPER,
                voting_point=voting_point[:120],
                entered_by=entered_by,
                language=default_language(),
                checked_out_at=now,
                receipt=new_receipt(),
            )
            BallotProject.objects.bulk_create(BallotProject(ballot=ballot, project_key=key) for key in keys)
        pagecache.changed(votes_tag(group.pk))
        group_changed(group.pk)  # published results count them
    return len(rows)


def enter_paper_ballot(*, budget, codes, voting_point, entered_by):
    """One paper ballot entered by staff, checked against the budget's rules; raises PaperBallotErrors."""
    projects = budget_projects(budget)
    codes = [code.upper() for code in codes]
    problems = paper_ballot_problems(budget, projects, codes)
    if not (voting_point or "").strip():
        problems.insert(0, _("Say where the ballot was cast (the voting point)."))
    if problems:
        raise PaperBallotErrors([(None, message) for message in problems])
    by_code = {page.code.upper(): key for key, page in projects.by_key.items()}
    return _store_paper_ballots(budget, [([by_code[code] for code in codes], voting_point.strip())], entered_by)


def import_paper_ballots(*, budget, text, entered_by):
    """Paper ballots from a CSV file (a header with ``projects`` and ``voting_point``, or ``progetti`` and
    ``punto_di_voto``; one row per ballot; separated by ``;``, ``,`` or tabs). Every row is checked first:
    if any is wrong, none is imported and every wrong row is reported with its line number."""
    projects = budget_projects(budget)
    by_code = {page.code.upper(): key for key, page in projects.by_key.items()}
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise PaperBallotErrors([(1, _("The file is empty: its first line must name the columns."))])
    try:
        delimiter = csv.Sniffer().sniff(lines[0], delimiters=";,\t").delimiter
    except csv.Error:  # one column only, or an odd first line: the header check below says what is wrong
        delimiter = ";"
    reader = csv.reader(lines, delimiter=delimiter)
    header = [name.strip().lower() for name in next(reader)]
    columns = {}
    for name, aliases in PAPER_HEADERS.items():
        columns[name] = next((header.index(alias) for alias in aliases if alias in header), None)
    if columns["projects"] is None or columns["voting_point"] is None:
        raise PaperBallotErrors(
            [
                (
                    1,
                    _(
                        "The first line must name the columns “projects” and “voting_point” "
                        "(or “progetti” and “punto_di_voto”)."
                    ),
                )
            ]
        )
    rows, errors = [], []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(rows) + len(errors) >= PAPER_MAX_ROWS:
            errors.append(
                (number, _("Too many rows: import at most %(max)s ballots at a time.") % {"max": PAPER_MAX_ROWS})
            )
            break
        cells = row + [""] * (len(header) - len(row))
        codes = paper_codes(cells[columns["projects"]])
        voting_point = cells[columns["voting_point"]].strip()
        problems = paper_ballot_problems(budget, projects, codes)
        if not voting_point:
            problems.insert(0, _("Say where the ballot was cast (the voting point)."))
        if problems:
            errors.extend((number, message) for message in problems)
        else:
            rows.append(([by_code[code] for code in codes], voting_point))
    if errors:
        raise PaperBallotErrors(errors)
    if not rows:
        raise PaperBallotErrors([(None, _("The file holds no ballots."))])
    return _store_paper_ballots(budget, rows, entered_by)


# --- open data: Pabulib ------------------------------------------------------------------------------


def voter_pseudonym(ballot):
    """A voter's stable pseudonym in exports: a keyed HMAC of the user id (of the ballot id for paper
    ballots), the same in every export of this site and useless without its secret key."""
    subject = f"user:{ballot.user_id}" if ballot.user_id else f"paper:{ballot.pk}"
    return hmac_pseudonym(subject)


# Published open data is pseudonymised per dataset: inside ``pseudonym_scope("open-data:<process>")`` the same
# citizen gets another pseudonym in each process's files, so the public cannot follow one person from one
# process's votes to another's (staff exports, with no scope, keep one pseudonym per citizen site-wide).
_pseudonym_scope = contextvars.ContextVar("pseudonym_scope", default="")


@contextlib.contextmanager
def pseudonym_scope(scope):
    token = _pseudonym_scope.set(scope)
    try:
        yield
    finally:
        _pseudonym_scope.reset(token)


def hmac_pseudonym(subject):
    """The keyed HMAC behind every pseudonym in exports (``subject``: "user:<id>", "paper:<ballot id>"...),
    within the current :func:`pseudonym_scope`."""
    scope = _pseudonym_scope.get()
    return salted_hmac("participation.voter-pseudonym", f"{scope}|{subject}" if scope else subject).hexdigest()[:20]


def pabulib_text(budget):
    """The budget's projects and anonymised cast ballots (those its rule on who may vote counts) as a Pabulib
    ``.pb`` file (https://pabulib.org/format), projects by their code, with the funded ones marked once voting
    has closed."""
    rules = budget.rules
    with translation.override(default_language()):
        projects = budget_projects(rules)
        results = budget_results(rules) if rules.has_closed else None
    code_of = {key: page.code for key, page in projects.by_key.items()}
    votes_of = {str(row.page.translation_key): row.votes for row in results["rows"]} if results else {}
    listed = [
        budgeting.Project(
            id=code_of[key],
            cost=project.cost,
            order=project.order,
            name=projects.by_key[key].title,
            category=projects.by_key[key].category.name,
            district=projects.by_key[key].district.name,
            extra={"votes": str(votes_of.get(key, 0))} if results else {},
        )
        # Pabulib files list the projects by votes: in the result's order once there is one (the
        # checker breaks greedy's ties by that order).
        for key, project in (
            [(str(row.page.translation_key), projects.model[str(row.page.translation_key)]) for row in results["rows"]]
            if results
            else projects.model.items()
        )
    ]
    ballots = (
        Ballot.objects.filter(group_id=budget.group_key, checked_out_at__isnull=False)
        .filter(counted_ballots_q(rules))  # the ballots the results count
        .order_by("checked_out_at", "pk")
        .prefetch_related("projects")
    )
    votes = [
        budgeting.Vote(
            voter_id=voter_pseudonym(ballot),
            approved=tuple(
                sorted(
                    code_of[str(row.project_key)] for row in ballot.projects.all() if str(row.project_key) in code_of
                )
            ),
            voting_method="paper" if ballot.channel == Ballot.PAPER else "internet",
        )
        for ballot in ballots.iterator(chunk_size=2000)
    ]
    method = {
        BudgetPage.METHOD_GREEDY: "greedy",
        BudgetPage.METHOD_EQUAL_SHARES: "equalshares/add1",
        BudgetPage.METHOD_COMBINED: "combined",
    }[rules.results_method]
    meta = {
        "description": rules.title,
        "country": "Italy",
        "unit": "Torino",
        "instance": str(timezone.localtime(rules.opens_at).year),
        "budget": cents(rules.total_budget),
        "rule": method,
        "date_begin": timezone.localtime(rules.opens_at).date(),
        "date_end": timezone.localtime(rules.closes_at).date(),
        "language": default_language(),
        "currency": "EUR",
    }
    if rules.max_projects:
        meta["max_length"] = rules.max_projects
    if rules.voting_rule == BudgetPage.RULE_APPROVAL:
        meta["min_length"] = rules.min_projects
    else:
        meta["max_sum_cost"] = cents(rules.total_budget)
    selected = [code_of[str(row.page.translation_key)] for row in results["rows"] if row.funded] if results else None
    return budgeting.write_pabulib(meta, listed, votes, selected=selected)


# --- what the pages show ----------------------------------------------------------------------------


def basket_summary(budget, projects, keys):
    """The basket as the progress indicator shows it: money used, count, and per-group counts with limits."""
    rules = budget.rules
    chosen = [projects.by_key[key] for key in keys if key in projects.by_key]
    spent = sum(cents(page.cost) for page in chosen)
    budget_cents = cents(rules.total_budget)
    groups = Counter((page.category.name, page.district.name) for page in chosen)
    return {
        "projects": chosen,
        "count": len(chosen),
        "spent": spent,
        "spent_text": euros(spent, from_cents=True),
        "left_text": euros(max(budget_cents - spent, 0), from_cents=True),
        "percent": min(100, round(100 * spent / budget_cents)) if budget_cents else 0,
        "groups": [
            {"category": category, "district": district, "count": count}
            for (category, district), count in sorted(groups.items())
        ],
        "keys": set(keys),
        "problems": [
            problem_message(code, params, projects)
            for code, params in budgeting.check_ballot(
                [key for key in keys if key in projects.model], projects.model, ballot_rules(budget)
            )
        ]
        if keys
        else [],
    }


class ProjectFilter:
    """The filters of a budget's project list (district, category, cost up to, words), read from the query
    string; anything unknown is ignored rather than refused (the list is a public, cacheable page)."""

    def __init__(self, data, projects):
        self.districts = sorted({page.district for page in projects.pages}, key=lambda d: d.number)
        self.categories = sorted({page.category for page in projects.pages}, key=lambda c: c.name)
        self.district = self._pick(data.get("district"), self.districts)
        self.category = self._pick(data.get("category"), self.categories)
        self.max_cost = self._amount(data.get("max_cost"))
        self.q = (data.get("q") or "").strip()[:100]

    @staticmethod
    def _pick(value, choices):
        return next((choice for choice in choices if str(choice.pk) == (value or "")), None)

    @staticmethod
    def _amount(value):
        text = (value or "").strip().replace("€", "").replace(" ", "").replace(".", "").replace(",", ".")
        try:
            amount = Decimal(text)
        except ArithmeticError:
            return None
        return amount if amount.is_finite() and 0 <= amount < 10**10 else None

    @property
    def active(self):
        return bool(self.district or self.category or self.max_cost is not None or self.q)

    def apply(self, pages):
        words = self.q.casefold().split()
        return [
            page
            for page in pages
            if (self.district is None or page.district == self.district)
            and (self.category is None or page.category == self.category)
            and (self.max_cost is None or page.cost <= self.max_cost)
            and all(word in f"{page.title} {page.summary} {page.organisation} {page.code}".casefold() for word in words)
        ]


def rules_text(budget):
    """The voting rules in plain words, one sentence each, in the active language."""
    rules = budget.rules
    sentences = []
    if rules.voting_rule == BudgetPage.RULE_KNAPSACK:
        sentences.append(
            _("Choose the projects you want funded: together they may cost at most %(budget)s.")
            % {"budget": euros(rules.total_budget)}
        )
        if rules.min_percent:
            minimum = Decimal(rules.total_budget) * Decimal(rules.min_percent) / 100
            sentences.append(
                _("Your choice must use at least %(percent)s%% of the budget (%(minimum)s).")
                % {
                    "percent": formats.number_format(rules.min_percent.normalize(), use_l10n=True),
                    "minimum": euros(minimum.quantize(Decimal("0.01"))),
                }
            )
        if rules.min_projects > 1:
            sentences.append(
                ngettext(
                    "Choose at least %(count)s project.", "Choose at least %(count)s projects.", rules.min_projects
                )
                % {"count": rules.min_projects}
            )
        if rules.max_projects:
            sentences.append(
                ngettext("Choose at most %(count)s project.", "Choose at most %(count)s projects.", rules.max_projects)
                % {"count": rules.max_projects}
            )
    else:
        sentences.append(
            _("Choose between %(low)s and %(high)s projects, whatever they cost.")
            % {"low": rules.min_projects, "high": rules.max_projects}
        )
    if rules.max_per_group:
        sentences.append(
            ngettext(
                "At most %(count)s project of each category in each district.",
                "At most %(count)s projects of each category in each district.",
                rules.max_per_group,
            )
            % {"count": rules.max_per_group}
        )
    if not rules.has_closed:
        sentences.append(
            _(
                "Your choice is kept while you fill it in; it counts only once you press “Vote”. "
                "You can withdraw it and vote again while voting is open."
            )
        )
    return sentences


def budget_context(budget, request, errors=None):
    user = request.user
    rules = budget.rules
    projects = budget_projects(budget) if budget.pk else BudgetProjects([], {}, {}, {})
    ballot, keys = my_ballot(budget, user)
    filters = ProjectFilter(request.GET, projects)
    eligibility = eligibility_for(budget, user, next_url=f"{budget.url or ''}#basket")
    context = {
        "rules": rules,
        "projects": projects,
        "shown_projects": filters.apply(projects.pages),
        "filters": filters,
        "ballot": ballot,
        "basket": basket_summary(budget, projects, keys),
        "eligibility": eligibility,
        "can_vote": rules.is_open and user.is_authenticated and has_verified_email(user) and eligibility.may_take_part,
        "budget_errors": errors or [],
        "total_budget_text": euros(rules.total_budget),
        "rules_text": rules_text(budget),
        "show_results": results_visible(budget, user),
    }
    if context["show_results"] and budget.pk:
        context["results"] = budget_results(budget)
    if rules.has_closed and projects.pages:
        context["progress"] = milestone_progress(projects.pages)
    return context


def milestone_progress(pages):
    """{project pk: % done} from the projects' milestones (the furthest one), one query."""
    by_page = ProjectMilestone.objects.filter(page__in=pages).values("page").annotate(done=Max("percent_done"))
    return {row["page"]: row["done"] for row in by_page}


def project_context(project, request):
    parent_path = project.path[: -project.steplen] if project.path else None
    budget = BudgetPage.objects.select_related("locale").filter(path=parent_path).first() if parent_path else None
    if budget is None:  # a preview of a project not yet saved under its budget
        budget = project.get_parent().specific
    context = {"budget": budget, "budget_rules": budget.rules, "cost_text": euros(project.cost)}
    point = project.point
    if point:
        # The same small map as an idea's (static/js/idea-map.js reads it from a data attribute).
        context["point"] = point
        context["map_json"] = json.dumps(
            {
                "centre": [point["lat"], point["lng"]],
                "zoom": 16,
                "idea": True,
                "tiles": settings.GEO_WIDGET_LEAFLET_TILE_LAYER,
                "attribution": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("attribution", ""),
                "maxZoom": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("maxZoom", 19),
            }
        )
    if budget.rules.has_closed:
        context["milestones"] = list(project.milestones.all())
        if context["milestones"]:
            context["progress"] = max(milestone.percent_done for milestone in context["milestones"])
    return context


# --- views ----------------------------------------------------------------------------------------------


def _refused(budget, request, rejection):
    context = budget.get_context(request, basket_errors=[str(rejection)])
    return ratelimit.respond(TemplateResponse(request, budget.get_template(request), context), rejection)


def basket_view(budget, request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(budget.url + "#projects")
    add = request.POST.get("action") != "remove"
    try:
        change_basket(
            budget=budget,
            user=request.user,
            project_id=request.POST.get("project", ""),
            add=add,
            ip_address=ratelimit.client_ip(request),
        )
    except BallotRejected as rejection:
        return _refused(budget, request, rejection)
    messages.success(request, _("Added to your choice.") if add else _("Removed from your choice."))
    return HttpResponseRedirect(budget.url + "#basket")


def checkout_view(budget, request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(budget.url + "#basket")
    try:
        ballot = checkout(budget=budget, user=request.user, ip_address=ratelimit.client_ip(request))
    except BallotRejected as rejection:
        return _refused(budget, request, rejection)
    messages.success(
        request,
        _("Thank you: your vote has been recorded. Your receipt code is %(receipt)s.") % {"receipt": ballot.receipt},
    )
    return HttpResponseRedirect(budget.url + "#basket")


def withdraw_view(budget, request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(budget.url + "#basket")
    try:
        withdraw(budget=budget, user=request.user, ip_address=ratelimit.client_ip(request))
    except BallotRejected as rejection:
        return _refused(budget, request, rejection)
    messages.success(
        request, _("Your vote has been withdrawn and no longer counts. Change your choice and vote again.")
    )
    return HttpResponseRedirect(budget.url + "#basket")
