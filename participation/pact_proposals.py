"""Citizens propose activities for a collaboration pact; its coordinators accept or decline them.

A logged-in citizen with a confirmed email proposes an activity (what, when, where) on the pact's page; the
proposal is stored with its language and the client's address (for abuse handling, purged like comments'),
rate-limited like ideas. Coordinators (participation/pact_permissions.py) answer in the Wagtail admin:
accepting makes the proposal an :class:`Activity` on the calendar (the coordinator completes the times and the
places), declining needs a public reason, shown on the pact's page. The proposer is emailed in their language
once the answer is committed. Every write drops the cached pages of the pact's translation group.
"""

import datetime

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic_site import pagecache

from .comments import has_verified_email
from .core import ratelimit
from .core.errors import Rejected
from .core.groups import live_translation
from .core.invalidation import group_changed
from .ideas import _clean_text
from .models import Activity, ActivityProposal, PactPage, PactStatus
from .models.pacts import TEXT_MAX_LENGTH, TITLE_MAX_LENGTH
from .pact_permissions import coordinated_pacts, coordinates_any, may_coordinate

PLACE_MAX_LENGTH = 160
PUBLIC_LIMIT = 50  # proposals listed on the pact's page (the newest)


class ProposalRejected(Rejected):
    """A proposal refused, with the reason to show the citizen."""


# --- what citizens do -----------------------------------------------------------------------------


class ProposalForm(forms.Form):
    """What, when (a day after today, within the pact's duration) and where."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What you would do, with whom, and what it needs."),
    )
    proposed_date = forms.DateField(
        label=gettext_lazy("Proposed date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("A day after today. The coordinators set the times when they accept."),
    )
    place_name = forms.CharField(
        label=gettext_lazy("Place"),
        max_length=PLACE_MAX_LENGTH,
        help_text=gettext_lazy("Where in the pact's area, e.g. “the pillars' lawn”."),
    )

    def __init__(self, *args, page, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page

    def clean_title(self):
        return _clean_text(self.cleaned_data["title"])

    def clean_description(self):
        return _clean_text(self.cleaned_data["description"])

    def clean_place_name(self):
        return _clean_text(self.cleaned_data["place_name"])

    def clean_proposed_date(self):
        day = self.cleaned_data["proposed_date"]
        if day <= timezone.localdate():
            raise forms.ValidationError(_("Choose a day after today."), code="past")
        ends_on = self.page.rules.ends_on
        if ends_on and day > ends_on:
            raise forms.ValidationError(
                _("The pact ends on %(date)s: choose a day before then.") % {"date": _day(ends_on)}, code="too_late"
            )
        return day


def _day(value):
    from django.utils.formats import date_format

    return date_format(value, "DATE_FORMAT")


def check_can_propose(page, user):
    """Refuse a visitor who may not propose: not logged in, email not confirmed, or the pact is over."""
    if not user.is_authenticated:
        raise ProposalRejected(_("Log in to propose an activity."))
    if not has_verified_email(user):
        raise ProposalRejected(_("Confirm your email address before proposing an activity: we sent you a link."))
    if page.rules.current_status == PactStatus.EXPIRED:
        raise ProposalRejected(_("This pact has ended: it takes no new proposals."))


def submit_proposal(*, page, user, data, ip_address=None):
    """Store a citizen's proposal (``data``: ProposalForm.cleaned_data) in the active language."""
    check_can_propose(page, user)
    ratelimit.enforce(
        "proposal",
        ProposalRejected,
        gettext_lazy("You have proposed several activities in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    group = page.ensure_group()
    with transaction.atomic():
        proposal = ActivityProposal.objects.create(
            group=group,
            user=user,
            title=data["title"],
            description=data["description"],
            proposed_date=data["proposed_date"],
            place_name=data["place_name"],
            language=translation.get_language() or settings.LANGUAGE_CODE,
            ip_address=ip_address,
        )
        group_changed(group.pk)
    return proposal


def proposal_url(page):
    return page.url + page.reverse_subpage("propose")


def proposal_view(page, request):
    """The form to propose an activity (route ``propose/`` of the pact page): errors keep what was typed."""
    if not request.user.is_authenticated:
        return redirect_to_login(proposal_url(page))
    pagecache.not_stored(request)
    refusal = None
    try:
        check_can_propose(page, request.user)
    except ProposalRejected as rejection:
        refusal = str(rejection)
    status = 200
    if request.method == "POST" and refusal is None:
        form = ProposalForm(request.POST, page=page)
        if form.is_valid():
            try:
                submit_proposal(
                    page=page, user=request.user, data=form.cleaned_data, ip_address=ratelimit.client_ip(request)
                )
            except ProposalRejected as rejection:
                form.add_error(None, str(rejection))
                response = TemplateResponse(request, "participation/pact_proposal_form.html", _context(page, form))
                return ratelimit.respond(response, rejection)
            messages.success(
                request, _("Thank you: your proposal is on the pact's page. The coordinators will answer you by email.")
            )
            return HttpResponseRedirect(page.url + "#proposals")
        status = 400
    else:
        form = ProposalForm(page=page)
    context = _context(page, form)
    context["refusal"] = refusal
    return TemplateResponse(
        request, "participation/pact_proposal_form.html", context, status=403 if refusal else status
    )


def _context(page, form):
    return {"page": page, "self": page, "form": form, "form_url": proposal_url(page)}


# --- what the pact's page shows -------------------------------------------------------------------


def activity_url(page, activity_id):
    """Where an activity is shown on the pact's page: its own route when the page has one, else its anchor."""
    try:
        return page.url + page.reverse_subpage("activity", kwargs={"activity_id": activity_id})
    except Exception:  # noqa: BLE001 (NoReverseMatch: the page shows activities on its calendar only)
        return f"{page.url}#activity-{activity_id}"


def public_proposals(page):
    """{"pending", "accepted", "declined"}: the pact's newest PUBLIC_LIMIT proposals by status, without their
    authors (the page says "a citizen"). One query."""
    found = {ActivityProposal.PENDING: [], ActivityProposal.ACCEPTED: [], ActivityProposal.DECLINED: []}
    rows = (
        ActivityProposal.objects.filter(group=page.group_key)
        .only("pk", "title", "description", "proposed_date", "place_name", "language", "status", "reason", "activity")
        .order_by("-created_at", "-pk")[:PUBLIC_LIMIT]
    )
    for proposal in rows:
        if proposal.status == ActivityProposal.ACCEPTED and proposal.activity_id:
            proposal.activity_link = activity_url(page, proposal.activity_id)
        found[proposal.status].append(proposal)
    return {"pending": found["pending"], "accepted": found["accepted"], "declined": found["declined"]}


# --- what coordinators do (the Wagtail admin) ------------------------------------------------------


class AcceptForm(forms.Form):
    """The activity the proposal becomes, prefilled from it: the coordinator completes the times and places."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(label=gettext_lazy("Description"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea)
    language = forms.ChoiceField(label=gettext_lazy("Language of the text"), choices=settings.LANGUAGES)
    place_name = forms.CharField(label=gettext_lazy("Place"), max_length=PLACE_MAX_LENGTH)
    day = forms.DateField(label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    starts = forms.TimeField(label=gettext_lazy("Starts at"), widget=forms.TimeInput(attrs={"type": "time"}))
    ends = forms.TimeField(label=gettext_lazy("Ends at"), widget=forms.TimeInput(attrs={"type": "time"}))
    capacity = forms.IntegerField(
        label=gettext_lazy("Places"), min_value=1, required=False, help_text=gettext_lazy("Empty: no limit.")
    )
    what_to_bring = forms.CharField(
        label=gettext_lazy("What to bring"), max_length=TEXT_MAX_LENGTH, required=False, widget=forms.Textarea
    )

    def clean(self):
        cleaned = super().clean()
        day, starts, ends = cleaned.get("day"), cleaned.get("starts"), cleaned.get("ends")
        if day and starts and ends:
            zone = timezone.get_current_timezone()
            cleaned["starts_at"] = datetime.datetime.combine(day, starts, tzinfo=zone)
            cleaned["ends_at"] = datetime.datetime.combine(day, ends, tzinfo=zone)
            if cleaned["ends_at"] <= cleaned["starts_at"]:
                self.add_error("ends", _("The activity must end after it starts."))
        return cleaned

    @classmethod
    def initial_for(cls, proposal):
        return {
            "title": proposal.title,
            "description": proposal.description,
            "language": proposal.language,
            "place_name": proposal.place_name,
            "day": proposal.proposed_date,
        }


class DeclineForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Public reason"),
        max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Shown on the pact's page under the proposal, and emailed to the citizen."),
    )

    def clean_reason(self):
        return _clean_text(self.cleaned_data["reason"])


class AlreadyAnswered(Exception):
    """Another coordinator answered the proposal first."""


def _pending(proposal_id):
    proposal = ActivityProposal.objects.select_for_update().get(pk=proposal_id)
    if proposal.status != ActivityProposal.PENDING:
        raise AlreadyAnswered
    return proposal


def accept(proposal, data, by):
    """Make ``proposal`` an activity (``data``: AcceptForm.cleaned_data); the proposer is emailed after the
    commit. Returns the activity; AlreadyAnswered if someone answered first."""
    with transaction.atomic():
        proposal = _pending(proposal.pk)
        activity = Activity.objects.create(
            group_id=proposal.group_id,
            title=data["title"],
            description=data["description"],
            language=data["language"],
            place_name=data["place_name"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            capacity=data.get("capacity"),
            what_to_bring=data.get("what_to_bring", ""),
            created_by=by,
        )
        _answered(proposal, ActivityProposal.ACCEPTED, by, activity=activity)
    return activity


def decline(proposal, reason, by):
    """Decline ``proposal`` with its public ``reason``; the proposer is emailed after the commit."""
    with transaction.atomic():
        proposal = _pending(proposal.pk)
        _answered(proposal, ActivityProposal.DECLINED, by, reason=reason)
    return proposal


def _answered(proposal, status, by, *, activity=None, reason=""):
    proposal.status, proposal.decided_by, proposal.decided_at = status, by, timezone.now()
    proposal.activity, proposal.reason = activity, reason
    proposal.save(update_fields=["status", "decided_by", "decided_at", "activity", "reason"])
    group_changed(proposal.group_id)
    transaction.on_commit(lambda: email_proposer(proposal))


def email_proposer(proposal):
    """Tell the proposer the answer, in the language they proposed in, with a link to the pact's page in it."""
    user = proposal.user
    if user is None or not user.is_active or not user.email:
        return False
    language = proposal.language or settings.LANGUAGE_CODE
    page = live_translation(PactPage.objects.all(), proposal.group_id, [language])
    with translation.override(language):
        context = {
            "proposal": proposal,
            "user": user,
            "accepted": proposal.status == ActivityProposal.ACCEPTED,
            "page": page,
            "url": page.full_url if page is not None else "",
            "site_name": settings.WAGTAIL_SITE_NAME,
        }
        if proposal.status == ActivityProposal.ACCEPTED:
            subject = _("Your proposal “%(title)s” was accepted") % {"title": proposal.title}
        else:
            subject = _("Your proposal “%(title)s” was declined") % {"title": proposal.title}
        body = render_to_string("participation/email/pact_proposal_answered.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return True


def pact_or_403(request, page_id):
    """The pact ``page_id`` if the user coordinates it: 404 for no such pact, 403 for another's."""
    page = get_object_or_404(PactPage, pk=page_id)
    if not may_coordinate(request.user, page.translation_key):
        raise PermissionDenied
    return page


def proposal_of(page, proposal_id):
    """A proposal of this pact (any translation), else 404: a pact's id never opens another's proposals."""
    return get_object_or_404(ActivityProposal.objects.select_related("user"), pk=proposal_id, group=page.group_key)


def coordination_view(request):
    """The coordinator's desk: for each pact they coordinate, the proposals waiting for an answer and the
    past activities whose report is missing or can be completed."""
    from .pact_reports import activities_to_report

    pacts = {}
    for page in coordinated_pacts(request.user).select_related("locale").order_by("title"):
        pacts.setdefault(page.translation_key, page)  # one translation of each pact
    keys = list(pacts)
    pending = {}
    for proposal in ActivityProposal.objects.filter(group__in=keys, status=ActivityProposal.PENDING).order_by(
        "proposed_date", "pk"
    ):
        pending.setdefault(proposal.group_id, []).append(proposal)
    reportable = activities_to_report(keys)
    rows = [
        {"page": page, "pending": pending.get(key, []), "activities": reportable.get(key, [])}
        for key, page in pacts.items()
    ]
    return TemplateResponse(request, "participation/admin/pact_coordination.html", {"pacts": rows})


def accept_view(request, page_id, proposal_id):
    page = pact_or_403(request, page_id)
    proposal = proposal_of(page, proposal_id)
    if proposal.status != ActivityProposal.PENDING:
        messages.warning(request, _("This proposal was already answered."))
        return redirect("pact_coordination")
    form = AcceptForm(request.POST or None, initial=AcceptForm.initial_for(proposal))
    if request.method == "POST" and form.is_valid():
        try:
            accept(proposal, form.cleaned_data, request.user)
        except AlreadyAnswered:
            messages.warning(request, _("This proposal was already answered."))
        else:
            messages.success(request, _("The proposal is now an activity of the pact; the citizen will be emailed."))
        return redirect("pact_coordination")
    return TemplateResponse(
        request,
        "participation/admin/pact_proposal_answer.html",
        {"page": page, "proposal": proposal, "form": form, "accepting": True},
        status=400 if form.errors else 200,
    )


def decline_view(request, page_id, proposal_id):
    page = pact_or_403(request, page_id)
    proposal = proposal_of(page, proposal_id)
    if proposal.status != ActivityProposal.PENDING:
        messages.warning(request, _("This proposal was already answered."))
        return redirect("pact_coordination")
    form = DeclineForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            decline(proposal, form.cleaned_data["reason"], request.user)
        except AlreadyAnswered:
            messages.warning(request, _("This proposal was already answered."))
        else:
            messages.success(request, _("The proposal was declined; the reason is on the pact's page."))
        return redirect("pact_coordination")
    return TemplateResponse(
        request,
        "participation/admin/pact_proposal_answer.html",
        {"page": page, "proposal": proposal, "form": form, "accepting": False},
        status=400 if form.errors else 200,
    )


def admin_urls():
    """The coordinator's admin views (registered by wagtail_hooks.py)."""
    from django.urls import path

    from . import pact_reports

    return [
        path("pact-coordination/", coordination_view, name="pact_coordination"),
        path(
            "pact-coordination/<int:page_id>/proposals/<int:proposal_id>/accept/",
            accept_view,
            name="pact_proposal_accept",
        ),
        path(
            "pact-coordination/<int:page_id>/proposals/<int:proposal_id>/decline/",
            decline_view,
            name="pact_proposal_decline",
        ),
        path(
            "pact-coordination/<int:page_id>/activities/<int:activity_id>/report/",
            pact_reports.report_admin_view,
            name="pact_activity_report",
        ),
    ]


def menu_item():
    """ "Collaboration pacts" in the admin menu, for whoever coordinates a pact."""
    from wagtail.admin.menu import MenuItem

    class CoordinationMenuItem(MenuItem):
        def is_shown(self, request):
            return coordinates_any(request.user)

    return CoordinationMenuItem(
        gettext_lazy("Pact coordination"), reverse("pact_coordination"), icon_name="group", order=520
    )
