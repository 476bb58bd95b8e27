"""What participation holds about a citizen, registered with accounts.registry (see its docstring): comments and
reactions, poll votes, budget ballots, ideas and supports, neighbourhood reports and the reports followed, and
the photos citizens upload. Each lists (for "my participation"), exports (for "download my data") and
anonymises (before an account is deleted: tallies stay exact, nothing names the person).

Items link through :func:`go_view` (``/<lang>/comments/go/<kind>/<id>/``), which finds the live page when
followed: listing costs one query per kind, not one per item.
"""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from wagtail.models import Page

from accounts import ip_addresses
from accounts.registry import Holding, Item, not_personal, register

EDIT_MINUTES = 15  # a citizen may correct their comment this long after posting it


def go_url(kind, pk):
    return reverse("participation_go", args=[kind, pk])


def titled(queryset, key_field="group_id"):
    """Annotate ``page_title``: the title of the page of the row's translation group, in the active language
    when it has one (a subquery: no query per row)."""
    pages = Page.objects.filter(translation_key=OuterRef(key_field))
    in_language = pages.filter(locale__language_code=translation.get_language())
    from django.db.models.functions import Coalesce

    return queryset.annotate(
        page_title=Coalesce(
            Subquery(in_language.values("title")[:1]), Subquery(pages.order_by("pk").values("title")[:1])
        )
    )


def limited(queryset, limit):
    return queryset if limit is None else queryset[:limit]


def moment(value):
    return value.isoformat() if value else None


# --- comments ------------------------------------------------------------------------------------------------


def comment_items(user, limit):
    from .models import ParticipationComment
    from .models.comments import with_page_title

    found = with_page_title(ParticipationComment.objects.filter(user=user)).order_by("-submit_date", "-pk")
    edit_after = timezone.now() - timedelta(minutes=EDIT_MINUTES)
    for comment in limited(found, limit):
        removed = comment.is_removed
        yield Item(
            kind="comments",
            kind_label=str(_("Comment")),
            title=str(_("Comment deleted by its author")) if removed else Truncator(comment.comment).chars(140),
            date=comment.submit_date,
            where=comment.page_title,
            status=str(_("Hidden by the moderators")) if not comment.is_public else "",
            url=go_url("comment", comment.pk),
            object_id=comment.pk,
            can_edit=not removed and comment.is_public and comment.submit_date >= edit_after,
            can_delete=not removed,
        )


def comment_export(user):
    from .models import ParticipationComment
    from .models.comments import with_page_title

    found = with_page_title(ParticipationComment.objects.filter(user=user)).order_by("submit_date", "pk")
    for comment in found.iterator(chunk_size=500):
        yield {
            "id": comment.pk,
            "page": comment.page_title,
            "date": moment(comment.submit_date),
            "language": comment.language,
            "text": comment.comment,
            "in_reply_to": comment.parent_id if comment.parent_id != comment.pk else None,
            "shown": comment.is_public and not comment.is_removed,
            "name_shown": comment.user_name,
            "ip_address": comment.ip_address,
        }


def comment_anonymise(user):
    """The stored name, email, web address and IP address go; the comment stays, shown as by a former
    participant (its ``user`` becomes empty when the account is deleted)."""
    from django_comments.models import CommentFlag

    from .models import ParticipationComment

    ParticipationComment.objects.filter(user=user).update(user_name="", user_email="", user_url="", ip_address=None)
    CommentFlag.objects.filter(user=user).delete()


def reaction_export(user):
    from .models import CommentReaction

    for comment_id, value, created in (
        CommentReaction.objects.filter(user=user)
        .order_by("created_at")
        .values_list("comment_id", "value", "created_at")
    ):
        yield {"comment": comment_id, "reaction": value, "date": moment(created)}


def comment_report_export(user):
    from .models import CommentReport

    for comment_id, reason, text, created in (
        CommentReport.objects.filter(user=user)
        .order_by("created_at")
        .values_list("comment_id", "reason", "text", "created_at")
    ):
        yield {"comment": comment_id, "reason": reason, "details": text, "date": moment(created)}


# --- polls and budgets -------------------------------------------------------------------------------------


def vote_items(user, limit):
    from .models import PollVote

    found = titled(PollVote.objects.filter(user=user)).order_by("-updated_at", "-pk")
    for vote in limited(found, limit):
        yield Item(
            kind="poll_votes",
            kind_label=str(_("Vote")),
            title=vote.page_title or "",
            date=vote.updated_at,
            where=vote.page_title or "",
            url=go_url("vote", vote.pk),
            object_id=vote.pk,
        )


def vote_export(user):
    from .models import PollOption, PollVote

    labels = {}
    votes = titled(PollVote.objects.filter(user=user)).order_by("created_at").prefetch_related("choices")
    for vote in votes:
        keys = [choice.option_key for choice in sorted(vote.choices.all(), key=lambda choice: choice.rank or 0)]
        missing = [key for key in keys if key not in labels]
        if missing:
            language = translation.get_language()
            for option in PollOption.objects.filter(translation_key__in=missing).select_related("locale"):
                if option.translation_key not in labels or option.locale.language_code == language:
                    labels[option.translation_key] = option.label
        yield {
            "poll": vote.page_title,
            "cast": moment(vote.created_at),
            "changed": moment(vote.updated_at),
            "choices": [labels.get(key, str(key)) for key in keys],
        }


def ballot_items(user, limit):
    from .models import Ballot

    found = titled(Ballot.objects.filter(user=user)).order_by("-updated_at", "-pk")
    for ballot in limited(found, limit):
        yield Item(
            kind="ballots",
            kind_label=str(_("Ballot")),
            title=ballot.page_title or "",
            date=ballot.checked_out_at or ballot.updated_at,
            where=ballot.page_title or "",
            status=str(_("Cast, receipt %(receipt)s") % {"receipt": ballot.receipt})
            if ballot.checked_out_at
            else str(_("Not cast yet")),
            url=go_url("ballot", ballot.pk),
            object_id=ballot.pk,
        )


def ballot_export(user):
    from .models import Ballot

    for ballot in titled(Ballot.objects.filter(user=user)).order_by("created_at").prefetch_related("projects"):
        yield {
            "budget": ballot.page_title,
            "cast": moment(ballot.checked_out_at),
            "receipt": ballot.receipt,
            "projects": [str(row.project_key) for row in ballot.projects.all()],
        }


def ballot_anonymise(user):
    """A basket never cast counts nowhere: it goes. Cast ballots stay, detached, so the count holds."""
    from .models import Ballot

    Ballot.objects.filter(user=user, checked_out_at__isnull=True).delete()


# --- ideas and supports ------------------------------------------------------------------------------------


def idea_items(user, limit):
    from .models import Idea, IdeaStatus

    labels = dict(IdeaStatus.choices)
    found = titled(Idea.objects.filter(user=user)).order_by("-created_at", "-pk")
    for idea in limited(found, limit):
        status = str(labels.get(idea.status, idea.status))
        if idea.is_hidden:
            status = str(_("Hidden by the moderators"))
        elif not idea.is_approved:
            status = str(_("Waiting for moderation"))
        yield Item(
            kind="ideas",
            kind_label=str(_("Idea")),
            title=idea.title,
            date=idea.created_at,
            where=idea.page_title or "",
            status=status,
            url=go_url("idea", idea.pk),
            object_id=idea.pk,
        )


def idea_export(user):
    from .models import Idea

    for idea in titled(Idea.objects.filter(user=user)).order_by("created_at").select_related("photo"):
        yield {
            "id": idea.pk,
            "map": idea.page_title,
            "title": idea.title,
            "description": idea.description,
            "latitude": idea.latitude,
            "longitude": idea.longitude,
            "status": idea.status,
            "submitted": moment(idea.created_at),
            "published": idea.is_approved and not idea.is_hidden,
            "photo": idea.photo.file.name if idea.photo_id and idea.photo else None,
        }


def support_items(user, limit):
    from .models import IdeaSupport

    found = IdeaSupport.objects.filter(user=user).select_related("idea").order_by("-created_at", "-pk")
    for support in limited(found, limit):
        yield Item(
            kind="supports",
            kind_label=str(_("Support")),
            title=support.idea.title,
            date=support.created_at,
            url=go_url("idea", support.idea_id),
            object_id=support.pk,
        )


def support_export(user):
    from .models import IdeaSupport

    for idea_id, title, created in (
        IdeaSupport.objects.filter(user=user).order_by("created_at").values_list("idea_id", "idea__title", "created_at")
    ):
        yield {"idea": idea_id, "title": title, "date": moment(created)}


# --- proposals of activities for collaboration pacts ----------------------------------------------------------


def proposal_items(user, limit):
    from .models import ActivityProposal

    labels = dict(ActivityProposal.STATUSES)
    found = titled(ActivityProposal.objects.filter(user=user)).order_by("-created_at", "-pk")
    for proposal in limited(found, limit):
        yield Item(
            kind="activity_proposals",
            kind_label=str(_("Activity proposal")),
            title=proposal.title,
            date=proposal.created_at,
            where=proposal.page_title or "",
            status=str(labels.get(proposal.status, proposal.status)),
            object_id=proposal.pk,
        )


def proposal_export(user):
    from .models import ActivityProposal

    for proposal in titled(ActivityProposal.objects.filter(user=user)).order_by("created_at", "pk"):
        yield {
            "id": proposal.pk,
            "pact": proposal.page_title,
            "title": proposal.title,
            "description": proposal.description,
            "proposed_date": proposal.proposed_date.isoformat(),
            "place": proposal.place_name,
            "language": proposal.language,
            "proposed": moment(proposal.created_at),
            "status": proposal.status,
            "reason": proposal.reason,
            "ip_address": proposal.ip_address,
        }


def proposal_anonymise(user):
    """The proposal stays on the pact's page (its ``user`` becomes empty with the account); the address goes."""
    from .models import ActivityProposal

    ActivityProposal.objects.filter(user=user).update(ip_address=None)


# --- reports -------------------------------------------------------------------------------------------------


def report_items(user, limit):
    from .models import Report, ReportStatus

    labels = dict(ReportStatus.choices)
    found = titled(Report.objects.filter(user=user)).order_by("-created_at", "-pk")
    for report in limited(found, limit):
        yield Item(
            kind="reports",
            kind_label=str(_("Report")),
            title=f"{report.reference or ''} {report.title}".strip(),
            date=report.created_at,
            where=report.page_title or "",
            status=str(labels.get(report.status, report.status)),
            url=go_url("report", report.pk),
            object_id=report.pk,
        )


def report_export(user):
    from .models import Report

    for report in titled(Report.objects.filter(user=user)).order_by("created_at").prefetch_related("photos__image"):
        yield {
            "reference": report.reference,
            "page": report.page_title,
            "subject": report.title,
            "description": report.description,
            "answers": report.answers,
            "latitude": report.latitude,
            "longitude": report.longitude,
            "address": report.address,
            "status": report.status,
            "reported": moment(report.created_at),
            "name_kept_private": report.is_anonymous,
            "contact_name": report.contact_name,
            "contact_email": report.contact_email,
            "photos": [photo.image.file.name for photo in report.photos.all()],
        }


def report_anonymise(user):
    from .models import Report

    Report.objects.filter(user=user).update(contact_name="", contact_email="", is_anonymous=True)


def follow_export(user):
    from .models import ReportFollower

    for reference, reporter, notify, created in (
        ReportFollower.objects.filter(user=user)
        .order_by("created_at")
        .values_list("report__reference", "is_reporter", "notify", "created_at")
    ):
        yield {"report": reference, "reporter": reporter, "email_updates": notify, "since": moment(created)}


# --- following and notifications -----------------------------------------------------------------------


def following_export(user):
    from .models import NotificationSettings, ProcessFollower, SentNotice
    from .notifications import process_title

    language = translation.get_language()
    for row in ProcessFollower.objects.filter(user=user).order_by("created_at"):
        yield {
            "process": process_title(row.process_key, language) or str(row.process_key),
            "following": row.following,
            "since": moment(row.created_at),
            "phases": row.phases,
            "votes": row.votes,
            "results": row.results,
            "language": row.language,
        }
    found = NotificationSettings.objects.filter(user=user).first()
    if found is not None:
        yield {"weekly_digest": found.digest, "updates_on_my_ideas_and_reports": found.updates}
    for kind, created, sent in (
        SentNotice.objects.filter(user=user).order_by("created_at").values_list("kind", "created_at", "sent_at")
    ):
        yield {"notice": kind, "recorded": moment(created), "sent": moment(sent)}


def following_anonymise(user):
    from .models import NotificationSettings, ProcessFollower, SentNotice

    ProcessFollower.objects.filter(user=user).delete()
    NotificationSettings.objects.filter(user=user).delete()
    SentNotice.objects.filter(user=user).delete()


# --- photos --------------------------------------------------------------------------------------------------


def photo_export(user):
    from wagtail.images import get_image_model

    for title, name, created in (
        get_image_model()
        .objects.filter(uploaded_by_user=user)
        .order_by("created_at")
        .values_list("title", "file", "created_at")
    ):
        yield {"title": title, "file": name, "uploaded": moment(created)}


def photo_anonymise(user):
    """Photos stay with their idea or report; who uploaded them is forgotten."""
    from wagtail.images import get_image_model

    get_image_model().objects.filter(uploaded_by_user=user).update(uploaded_by_user=None)


# --- following an item's link ------------------------------------------------------------------------------


@login_required
def go_view(request, kind, pk):
    """The page of one of the citizen's own items (a comment, vote, ballot, idea or report), or 404."""
    from . import ideas, reports
    from .core.groups import live_translation
    from .models import Ballot, Idea, IdeaMapPage, ParticipationComment, PollVote, Report, ReportingPage

    user = request.user
    languages = (translation.get_language(),)
    url = None
    if kind == "comment":
        comment = ParticipationComment.objects.filter(pk=pk, user=user).first()
        url = comment.get_absolute_url() if comment else None
    elif kind in ("vote", "ballot"):
        model = PollVote if kind == "vote" else Ballot
        row = model.objects.filter(pk=pk, user=user).first()
        page = live_translation(Page.objects.all(), row.group_id, languages) if row else None
        url = page.url if page else None
    elif kind == "idea":
        idea = Idea.objects.filter(pk=pk).first()
        page = live_translation(IdeaMapPage.objects.all(), idea.group_id, languages) if idea else None
        url = ideas.idea_url(page, idea.pk) if page else None
    elif kind == "report":
        report = Report.objects.filter(pk=pk, user=user).first()
        page = live_translation(ReportingPage.objects.all(), report.group_id, languages) if report else None
        url = reports.report_url(page, report.pk) if page else None
    if not url:
        raise Http404("Not found.")
    return HttpResponseRedirect(url)


# --- registration --------------------------------------------------------------------------------------------


def register_all():
    register(
        Holding(
            "comments",
            _("Comments"),
            (("django_comments.Comment", "user"), ("django_comments.CommentFlag", "user")),
            _(
                "Your comments with the name shown beside them, when you wrote them, and the IP address they "
                "came from (for handling abuse; cleared after 12 months)."
            ),
            items=comment_items,
            export=comment_export,
            anonymise=comment_anonymise,
            order=10,
            when_deleted=_(
                "Your comments stay, signed “Former participant”; the name, email and IP address stored with "
                "them are cleared."
            ),
        )
    )
    register(
        Holding(
            "reactions",
            _("Reactions to comments"),
            (("participation.CommentReaction", "user"), ("participation.CommentReport", "user")),
            _("Your “I agree” and “I disagree” on comments, and the comments you reported to the moderators."),
            export=lambda user: [*reaction_export(user), *comment_report_export(user)],
            order=20,
            when_deleted=_("Your reactions stay counted, and your reports to the moderators stay, without your name."),
        )
    )
    register(
        Holding(
            "poll_votes",
            _("Poll votes"),
            (("participation.PollVote", "user"),),
            _("Your vote in each poll and when you cast or changed it, so that each citizen votes once."),
            items=vote_items,
            export=vote_export,
            order=30,
            when_deleted=_("Your votes stay counted, without your name."),
        )
    )
    register(
        Holding(
            "ballots",
            _("Participatory budget ballots"),
            (("participation.Ballot", "user"),),
            _("The projects in your basket and your cast ballot with its receipt, so that each citizen votes once."),
            items=ballot_items,
            export=ballot_export,
            anonymise=ballot_anonymise,
            order=40,
            when_deleted=_("Your cast ballots stay counted, without your name; a basket you never cast is deleted."),
        )
    )
    register(
        Holding(
            "ideas",
            _("Ideas"),
            (("participation.Idea", "user"),),
            _("The ideas you put on a map: text, place, photo and the City's answer."),
            items=idea_items,
            export=idea_export,
            order=50,
            when_deleted=_("Your ideas stay on the map, without your name."),
        )
    )
    register(
        Holding(
            "supports",
            _("Supports"),
            (("participation.IdeaSupport", "user"),),
            _("The ideas you support, once each."),
            items=support_items,
            export=support_export,
            order=60,
            when_deleted=_("Your supports stay counted, without your name."),
        )
    )
    register(
        Holding(
            "reports",
            _("Neighbourhood reports"),
            (("participation.Report", "user"), ("participation.ReportFollower", "user")),
            _(
                "Your reports of problems (text, place, photos, the contact you gave) and the reports you "
                "follow, to send you their updates."
            ),
            items=report_items,
            export=lambda user: [*report_export(user), *follow_export(user)],
            anonymise=report_anonymise,
            order=70,
            when_deleted=_("Your reports stay, without your name or the contact you gave; you stop following reports."),
        )
    )
    register(
        Holding(
            "photos",
            _("Photos"),
            (("wagtailimages.Image", "uploaded_by_user"),),
            _("The photos you attach to ideas and reports, stored without their location and camera data."),
            export=photo_export,
            anonymise=photo_anonymise,
            order=80,
            when_deleted=_("Your photos stay with their ideas and reports, without your name."),
        )
    )
    register(
        Holding(
            "following",
            _("Processes followed and notifications"),
            (
                ("participation.ProcessFollower", "user"),
                ("participation.NotificationSettings", "user"),
                ("participation.SentNotice", "user"),
            ),
            _(
                "The processes you follow and what you chose to hear about them, and the notices we emailed you "
                "(kept 90 days, so that each is sent once)."
            ),
            export=following_export,
            anonymise=following_anonymise,
            when_deleted=_("You stop following processes, and we send you no more emails."),
            order=75,
        )
    )
    register(
        Holding(
            "activity_proposals",
            _("Activities proposed for collaboration pacts"),
            (("participation.ActivityProposal", "user"),),
            _(
                "The activities you proposed for a collaboration pact (title, description, date, place) and the "
                "coordinators' answer; your name is never shown with them."
            ),
            items=proposal_items,
            export=proposal_export,
            anonymise=proposal_anonymise,
            order=72,
            when_deleted=_("Your proposals stay on the pact's page, without your name."),
        )
    )
    # Comments' IP addresses (for abuse handling) are cleared after IP_RETENTION_DAYS (purge_ip_addresses).
    ip_addresses.register("django_comments.Comment", "ip_address", "submit_date")
    ip_addresses.register("participation.ActivityProposal", "ip_address", "created_at")
    staff = "who did it, among the City's staff: kept in the audit of their work"
    for label, name in (
        ("participation.ParticipationComment", "moderated_by"),
        ("participation.CommentReport", "reviewed_by"),
        ("participation.Ballot", "entered_by"),
        ("participation.ReportUpdate", "author"),
        ("participation.ReportOffice", "members"),
        ("participation.ResultsExport", "requested_by"),
        ("participation.ActivityProposal", "decided_by"),
        ("participation.ActivityReport", "written_by"),
    ):
        not_personal(label, name, staff)
