"""Voting on polls: one vote per citizen per poll translation group, counted in one tally across languages."""

import hashlib
from collections import Counter, defaultdict

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from civic_site import pagecache

from .comments import has_verified_email
from .core import ratelimit
from .core.eligibility import check_eligible, counted_votes_q, counting_stamp, eligibility_for
from .core.errors import Rejected
from .core.invalidation import group_changed
from .models import PollPage, PollVote, PollVoteChoice
from .notifications import follow_automatically
from .schulze import group_ballots, schulze

# The counts behind a tally are kept in the shared cache under a version every vote bumps (now and
# after its commit, as the page cache does): a logged-in citizen's poll page does not recount 50,000
# ballots, and no server ever shows a tally older than the last committed vote.
TALLY_TIMEOUT = 24 * 60 * 60


def votes_tag(key):
    return f"votes:{key}"


def _counted(poll, kind, option_keys, count):
    """``count()``'s result for ``poll``'s group, from the cache while no vote has changed it nor the rule on who
    may vote (a budget's ballots too)."""
    from django.core.cache import cache

    from civic_site import pagecache

    tag = votes_tag(poll.group_key)
    version = pagecache.versions([tag])[tag]
    counted = ",".join(sorted(str(key) for key in option_keys)) + "|" + counting_stamp(poll)
    digest = hashlib.sha256(counted.encode()).hexdigest()[:16]
    key = f"tally:{kind}:{poll.group_key}:{version}:{digest}"
    counted = cache.get(key)
    if counted is None:
        counted = count()
        cache.set(key, counted, TALLY_TIMEOUT)
    return counted


class VoteRejected(Rejected):
    """A vote that cannot be counted, with the reason to show the citizen."""


def _as_number(value):
    """An int from an int or a string of ASCII digits; None otherwise (int() would take " 1", "1_0", "²"...)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdecimal() and len(value) <= 6:
        return int(value)
    return None


def read_ranking(displayed, ranking):
    """The ranks a citizen gave, by option translation key, checked: {key: rank} with ranks 1..k, no gap, no repeat.

    ``displayed``: {option pk: option} of the page voted on; ``ranking``: {option pk: rank}, keys and values
    as they came (strings from the form); an empty rank means "not ranked". Raises VoteRejected.
    """
    ranks = {}
    for option_id, value in (ranking or {}).items():
        pk = _as_number(option_id)
        if pk not in displayed or pk in ranks:
            raise VoteRejected(_("One of the options you chose does not exist."))
        if value is None or value == "":
            continue
        rank = _as_number(value)
        if rank is None or not 1 <= rank <= len(displayed):
            raise VoteRejected(_("Each rank must be a number from 1 to %(max)s.") % {"max": len(displayed)})
        ranks[pk] = rank
    if not ranks:
        raise VoteRejected(_("Rank at least one option before voting: give 1 to your favourite."))
    repeated = sorted(rank for rank, times in Counter(ranks.values()).items() if times > 1)
    if repeated:
        raise VoteRejected(
            _("You gave rank %(rank)s to more than one option: each rank can be given only once.")
            % {"rank": repeated[0]}
        )
    missing = sorted(set(range(1, len(ranks) + 1)) - set(ranks.values()))
    if missing:
        raise VoteRejected(
            _("Ranks must follow each other from 1 with no gaps: rank %(rank)s is missing.") % {"rank": missing[0]}
        )
    return {displayed[pk].translation_key: rank for pk, rank in ranks.items()}


def cast_vote(*, poll, user, option_ids=(), ranking=None, ip_address=None):
    """Record `user`'s choice on `poll` (any translation), replacing an earlier one atomically.

    ``option_ids``: the chosen options' pks (single or multiple choice); ``ranking``: {option pk: rank}
    for a ranked poll (see :func:`read_ranking`). Every attempt by an eligible citizen counts against
    "vote" in PARTICIPATION_RATE_LIMITS (per citizen, and per ``ip_address`` when given), valid or not.
    """
    if not user.is_authenticated:
        raise VoteRejected(_("Log in to vote."))
    if not has_verified_email(user):
        raise VoteRejected(_("Confirm your email address before voting: we sent you a link."))
    check_eligible(poll, user, VoteRejected)
    ratelimit.enforce(
        "vote",
        VoteRejected,
        gettext_lazy("Too many attempts in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    rules = poll.rules
    now = timezone.now()
    if now < rules.opens_at:
        raise VoteRejected(_("Voting has not started yet."))
    if now >= rules.closes_at:
        raise VoteRejected(_("Voting is closed."))
    displayed = {option.pk: option for option in poll.options.all()}
    if rules.is_ranked:
        ranks = read_ranking(displayed, ranking)
    else:
        ranks = {key: None for key in _chosen_keys(rules, displayed, option_ids)}
    language = translation.get_language() or "it"
    group = poll.ensure_group()
    with transaction.atomic():
        try:
            with transaction.atomic():
                vote, created = PollVote.objects.get_or_create(group=group, user=user, defaults={"language": language})
        except IntegrityError:  # a concurrent first vote by the same citizen won the race
            created = False
            vote = PollVote.objects.get(group=group, user=user)
        # Lock the vote row: concurrent changes by the same citizen are applied one after the other.
        vote = PollVote.objects.select_for_update().get(pk=vote.pk)
        if not created:
            vote.choices.all().delete()
            vote.language = language
            vote.save(update_fields=["language", "updated_at"])
        PollVoteChoice.objects.bulk_create(
            [PollVoteChoice(vote=vote, option_key=key, rank=rank) for key, rank in ranks.items()]
        )
        pagecache.changed(votes_tag(group.pk))  # the cached counts (see _counted)
        if rules.results_visibility == PollPage.RESULTS_ALWAYS:
            # Anonymous visitors see the tally only then (votes close when results open to all).
            group_changed(group.pk)
    follow_automatically(user, poll)
    return vote


def _chosen_keys(rules, displayed, option_ids):
    """The translation keys of the options chosen in a single or multiple-choice poll, checked."""
    try:
        chosen_ids = {int(value) for value in option_ids}
    except (TypeError, ValueError):
        raise VoteRejected(_("One of the options you chose does not exist.")) from None
    if not chosen_ids:
        raise VoteRejected(_("Choose an option before voting."))
    if not chosen_ids <= displayed.keys():
        raise VoteRejected(_("One of the options you chose does not exist."))
    if len(chosen_ids) > rules.max_choices:
        raise VoteRejected(
            ngettext(
                "You can choose only %(max)s option.", "You can choose at most %(max)s options.", rules.max_choices
            )
            % {"max": rules.max_choices}
        )
    return {displayed[pk].translation_key for pk in chosen_ids}


def results_visible(poll, has_voted):
    if poll.results_visibility == PollPage.RESULTS_ALWAYS or poll.has_closed:
        return True
    return poll.results_visibility == PollPage.RESULTS_AFTER_VOTE and has_voted


def tally(poll, options=None):
    """[(displayed option, count, percent of voters)] and the number of voters, in one query.

    ``options``: the poll's options when the caller has loaded them already (else one more query).
    """
    options = list(poll.options.all()) if options is None else options
    if poll.pk is None:  # previewing a poll that was never saved
        return [{"option": option, "count": 0, "percent": 0} for option in options], 0

    def count():
        per_option = {
            f"option_{index}": Count("choices", filter=Q(choices__option_key=option.translation_key))
            for index, option in enumerate(options)
        }
        votes = PollVote.objects.filter(group=poll.group_key).filter(counted_votes_q(poll))
        return votes.aggregate(voters=Count("pk", distinct=True), **per_option)

    counts = _counted(poll, "choice", [option.translation_key for option in options], count)
    voters = counts["voters"]
    rows = []
    for index, option in enumerate(options):
        count = counts[f"option_{index}"]
        rows.append({"option": option, "count": count, "percent": round(100 * count / voters, 1) if voters else 0})
    return rows, voters


def ranked_tally(poll, options=None):
    """The Schulze result of a ranked poll, for the options shown (in their order), in one query.

    Returns (first preferences [{"option", "count", "percent"}] as :func:`tally` does, the number of
    voters, the :class:`~participation.schulze.SchulzeResult` keyed by option translation key). The ballots are read
    as (vote, option key, rank) rows in one query and grouped (identical ballots counted once) before
    the pairwise counts: the cost grows with the number of different rankings, not of voters.
    """
    options = list(poll.options.all()) if options is None else options
    by_key = {option.translation_key: option for option in options}

    def count():
        ballots = defaultdict(dict)
        rows = (
            PollVoteChoice.objects.filter(vote__group=poll.group_key, rank__isnull=False)
            .filter(counted_votes_q(poll, "vote__user"))
            .values_list("vote_id", "option_key", "rank")
        )
        for vote_id, key, rank in rows.iterator(chunk_size=5000):
            if key in by_key:
                ballots[vote_id][key] = rank
        return group_ballots(ballots.values())

    # An unsaved poll (a preview) has no ballots; identical ballots are kept once with their weight.
    grouped = group_ballots([]) if poll.pk is None else _counted(poll, "ranked", list(by_key), count)
    result = schulze(None, by_key, grouped=grouped)
    voters = sum(weight for ballot, weight in grouped.items() if ballot)
    first = Counter()
    for ballot, weight in grouped.items():
        for key, rank in ballot:
            if rank == 1:
                first[key] += weight
    rows = [
        {
            "option": option,
            "count": first[option.translation_key],
            "percent": round(100 * first[option.translation_key] / voters, 1) if voters else 0,
        }
        for option in options
    ]
    return rows, voters, result


def schulze_context(result, options):
    """The Schulze result (keyed by option translation key) as the template shows it, with the options:
    winners, ranking positions (tied options share one) and the rows of the pairwise-preference matrix."""
    by_key = {option.translation_key: option for option in options}
    d = result.d
    return {
        "winners": [by_key[key] for key in result.winners],
        "ranking": [
            {"position": position, "options": [by_key[key] for key in tier]}
            for position, tier in _positions(result.ranking)
        ],
        "matrix": [
            {
                "option": by_key[x],
                "cells": [
                    {"option": by_key[y], "same": x == y, "count": d[x][y], "wins": d[x][y] > d[y][x]}
                    for y in result.candidates
                ],
            }
            for x in result.candidates
        ],
    }


def _positions(tiers):
    """(1, tier), (2, tier)...: tied options share a position and the next one skips (1, 1, 3)."""
    position = 1
    for tier in tiers:
        yield position, tier
        position += len(tier)


def poll_context(poll, request, form_errors=None, submitted=None):
    """What the poll template needs. Rules (dates, limits, results) are the rules page's, for every translation.

    ``submitted``: what a refused vote sent, to show it again: the chosen option pks, or for a ranked
    poll {option pk: rank as typed}.
    """
    user = request.user
    rules = poll.rules
    my_ranks = {}
    if user.is_authenticated and poll.pk is not None:
        my_ranks = dict(
            PollVoteChoice.objects.filter(vote__group=poll.group_key, vote__user=user).values_list("option_key", "rank")
        )
    has_voted = bool(my_ranks)
    if getattr(request, "is_preview", False) or poll.pk is None:  # the editor's unsaved options, in memory
        options = list(poll.options.all())
    else:  # part of the page, saved with it: kept in the cache until the content changes
        options = pagecache.until_content_changes(
            "poll-options",
            [poll.pk],
            lambda: list(poll.options.select_related("image").prefetch_related("image__renditions")),
        )
    eligibility = eligibility_for(poll, user, next_url=f"{poll.url or ''}#vote")
    context = {
        "rules": rules,
        "options": options,
        "has_voted": has_voted,
        "eligibility": eligibility,
        "can_vote": rules.is_open and user.is_authenticated and has_verified_email(user) and eligibility.may_take_part,
        "vote_errors": form_errors or [],
        "show_results": results_visible(rules, has_voted),
    }
    if rules.is_ranked:
        if submitted is not None:
            ranks = {option.pk: str(submitted.get(option.pk, "")) for option in options}
        else:
            ranks = {option.pk: str(my_ranks.get(option.translation_key) or "") for option in options}
        context["ranked_options"] = [{"option": option, "rank": ranks[option.pk]} for option in options]
        context["rank_choices"] = [str(number) for number in range(1, len(options) + 1)]
        if context["show_results"]:
            context["results"], context["voters"], result = ranked_tally(poll, options)
            context.update(schulze_context(result, options))
    else:
        selected = set(submitted) if submitted is not None else {o.pk for o in options if o.translation_key in my_ranks}
        context["selected_ids"] = selected
        if context["show_results"]:
            context["results"], context["voters"] = tally(poll, options)
    return context


def vote_view(poll, request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(poll.url + "#vote")
    submitted = request.POST.getlist("options")
    # A ranked poll's form has one field per option, "rank-<option pk>": a rank, or empty for "not ranked".
    ranking = {name.removeprefix("rank-"): value for name, value in request.POST.items() if name.startswith("rank-")}
    try:
        cast_vote(
            poll=poll,
            user=request.user,
            option_ids=submitted,
            ranking=ranking,
            ip_address=ratelimit.client_ip(request),
        )
    except VoteRejected as rejection:
        if poll.rules.is_ranked:  # the ranks as typed, to show them again
            chosen = {_as_number(pk): value for pk, value in ranking.items() if _as_number(pk) is not None}
        else:
            # isdecimal(), not isdigit(): "²" is a digit that int() refuses (the refusal was a 500).
            chosen = {int(value) for value in submitted if value.isdecimal()}
        context = poll.get_context(request, vote_errors=[str(rejection)], submitted=chosen)
        return ratelimit.respond(TemplateResponse(request, poll.get_template(request), context), rejection)
    messages.success(request, _("Thank you: your vote has been recorded. You can change it while the poll is open."))
    return HttpResponseRedirect(poll.url + "#vote")
