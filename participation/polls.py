"""Voting on polls: one vote per citizen per poll translation group, counted in one tally across languages."""

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .comments import has_verified_email
from .core import ratelimit
from .core.errors import Rejected
from .core.invalidation import group_changed
from .models import PollPage, PollVote, PollVoteChoice


class VoteRejected(Rejected):
    """A vote that cannot be counted, with the reason to show the citizen."""


def cast_vote(*, poll, user, option_ids, ip_address=None):
    """Record `user`'s choice on `poll` (any translation), replacing an earlier one atomically.

    Every attempt by an eligible citizen counts against "vote" in PARTICIPATION_RATE_LIMITS (per
    citizen, and per ``ip_address`` when given), valid or not.
    """
    if not user.is_authenticated:
        raise VoteRejected(_("Log in to vote."))
    if not has_verified_email(user):
        raise VoteRejected(_("Confirm your email address before voting: we sent you a link."))
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
    keys = {displayed[pk].translation_key for pk in chosen_ids}
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
        PollVoteChoice.objects.bulk_create([PollVoteChoice(vote=vote, option_key=key) for key in keys])
        if rules.results_visibility == PollPage.RESULTS_ALWAYS:
            # Anonymous visitors see the tally only then (votes close when results open to all).
            group_changed(group.pk)
    return vote


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
    per_option = {
        f"option_{index}": Count("choices", filter=Q(choices__option_key=option.translation_key))
        for index, option in enumerate(options)
    }
    counts = PollVote.objects.filter(group=poll.group_key).aggregate(voters=Count("pk", distinct=True), **per_option)
    voters = counts["voters"]
    rows = []
    for index, option in enumerate(options):
        count = counts[f"option_{index}"]
        rows.append({"option": option, "count": count, "percent": round(100 * count / voters, 1) if voters else 0})
    return rows, voters


def poll_context(poll, request, form_errors=None, submitted=None):
    """What the poll template needs. Rules (dates, limits, results) are the rules page's, for every translation."""
    user = request.user
    rules = poll.rules
    my_keys = set()
    if user.is_authenticated and poll.pk is not None:
        my_keys = set(
            PollVoteChoice.objects.filter(vote__group=poll.group_key, vote__user=user).values_list(
                "option_key", flat=True
            )
        )
    has_voted = bool(my_keys)
    if getattr(request, "is_preview", False):  # the editor's unsaved options, in memory
        options = list(poll.options.all())
    else:
        options = list(poll.options.select_related("image").prefetch_related("image__renditions"))
    selected = set(submitted) if submitted is not None else {o.pk for o in options if o.translation_key in my_keys}
    context = {
        "rules": rules,
        "options": options,
        "selected_ids": selected,
        "has_voted": has_voted,
        "can_vote": rules.is_open and user.is_authenticated and has_verified_email(user),
        "vote_errors": form_errors or [],
        "show_results": results_visible(rules, has_voted),
    }
    if context["show_results"]:
        context["results"], context["voters"] = tally(poll, options)
    return context


def vote_view(poll, request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(poll.url + "#vote")
    submitted = request.POST.getlist("options")
    try:
        cast_vote(poll=poll, user=request.user, option_ids=submitted, ip_address=ratelimit.client_ip(request))
    except VoteRejected as rejection:
        # isdecimal(), not isdigit(): "²" is a digit that int() refuses (the refusal was a 500).
        chosen = {int(value) for value in submitted if value.isdecimal()}
        context = poll.get_context(request, vote_errors=[str(rejection)], submitted=chosen)
        return ratelimit.respond(TemplateResponse(request, poll.get_template(request), context), rejection)
    messages.success(request, _("Thank you: your vote has been recorded. You can change it while the poll is open."))
    return HttpResponseRedirect(poll.url + "#vote")
