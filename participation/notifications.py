"""Follow a process and be told (issue 18): following, the notices, their emails and one-click unsubscribe.

**Following.** A citizen follows a process (a ConsultationPage's translation group, :class:`ProcessFollower`)
with the button on its page, or automatically when they take part in one of its pages
(:func:`follow_automatically`, called by the services that record a vote, a ballot, an idea, a support, a
report or a comment). Per process they choose what they hear: a phase opens or closes, a vote opens or closes
tomorrow, results are published. Their own ideas and reports (answers, status changes) do not depend on
following: :class:`NotificationSettings` holds that choice and the weekly digest; replies to their comments
are ``User.notify_replies``. Stopping is a choice that holds: the row stays with ``following`` off, so taking
part again does not follow the process again; only the follow button does.

**Notices.** Every notice is a :class:`SentNotice` row whose ``key`` names the event, unique per citizen:
recording it twice does nothing, so the scheduled command (``send_notifications``) can run as often as cron
likes. A notice is sent alone by the :func:`send_notification` task, enqueued after the transaction commits
(django-tasks: immediate in development, the database backend and its worker in production), or waits for
the citizen's weekly digest. A failing mail server makes the task fail (recorded by the backend, the notice
stays unsent and the command retries it up to ``MAX_ATTEMPTS`` times), never the page that caused it.

**Unsubscribe.** Each email carries a signed link (:func:`unsubscribe_url`, no login needed) naming the
citizen and what to stop (one kind for one process, the updates on their reports and ideas, replies, or
everything), and the ``List-Unsubscribe``/``List-Unsubscribe-Post`` headers of RFC 8058. A service message
(a moderator hid the citizen's comment: :func:`comment_hidden`) goes through the same task, at once, with no
unsubscribe. Emails to an address without an account (an Open311 reporter's contact, an office) are written
in the request's commit and sent by the :func:`send_email` task.
"""

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from .models import NotificationSettings, ProcessFollower, SentNotice

logger = logging.getLogger(__name__)

SALT = "participation.notifications.unsubscribe"
PROCESS_KINDS = ProcessFollower.KINDS  # what a follower chooses per process
SERVICE = "service"  # the kind of a notice about the citizen's own content (no unsubscribe: they must know)
MAX_ATTEMPTS = 3  # sending attempts of one notice (the first and the command's retries)
RETRY_AFTER = timedelta(minutes=10)  # an unsent notice this old is retried by the command


def lookback():
    """How far back the command looks for events it has not told yet (a missed cron run catches up)."""
    return timedelta(hours=getattr(settings, "NOTIFICATIONS_LOOKBACK_HOURS", 48))


def digest_weekday():
    """The day of the week (Monday 0) the weekly digest goes out."""
    return getattr(settings, "NOTIFICATIONS_DIGEST_WEEKDAY", 0)


# --- following -----------------------------------------------------------------------------------------


def process_key_of(page):
    """The translation key of the process ``page`` belongs to (the ConsultationPage itself or its
    ancestor; for an idea's thread, its map's), else None. At most one query."""
    from consultations.models import ConsultationPage

    page = getattr(page, "map_page", page)  # an idea's comment thread (participation.ideas.IdeaThread)
    if isinstance(page, ConsultationPage):
        return page.translation_key
    if not getattr(page, "path", None):
        return None
    return (
        ConsultationPage.objects.ancestor_of(page).order_by("-depth").values_list("translation_key", flat=True).first()
    )


def follow(user, process_key, language=None):
    """``user`` follows the process (idempotent; again after they stopped, keeping their choice of kinds);
    returns (row, started): ``started`` is False when they already followed it."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    try:
        with transaction.atomic():
            row, created = ProcessFollower.objects.get_or_create(
                user=user, process_key=process_key, defaults={"language": language}
            )
    except IntegrityError:  # a concurrent follow by the same citizen won
        row, created = ProcessFollower.objects.get(user=user, process_key=process_key), False
    if created or row.following:
        return row, created
    ProcessFollower.objects.filter(pk=row.pk).update(following=True, language=language)
    row.following, row.language = True, language
    return row, True


def unfollow(user, process_key):
    """``user`` stops following the process. The row stays, ``following`` off, so that taking part again does
    not follow it again (:func:`follow_automatically`); what waited for their digest about it goes.
    Returns whether they followed it."""
    with transaction.atomic():
        stopped = ProcessFollower.objects.filter(user=user, process_key=process_key, following=True).update(
            following=False
        )
        if not ProcessFollower.objects.filter(user=user, process_key=process_key).exists():
            try:
                with transaction.atomic():
                    ProcessFollower.objects.create(
                        user=user,
                        process_key=process_key,
                        following=False,
                        language=translation.get_language() or settings.LANGUAGE_CODE,
                    )
            except IntegrityError:  # a concurrent row: make it say "not following"
                ProcessFollower.objects.filter(user=user, process_key=process_key).update(following=False)
        SentNotice.objects.filter(user=user, process_key=process_key, sent_at__isnull=True).delete()
    return stopped > 0


def is_following(user, process_key):
    return ProcessFollower.objects.filter(user=user, process_key=process_key, following=True).exists()


def follow_automatically(user, page):
    """``user`` took part in ``page`` (a participation page, a process, an idea's thread): they follow its
    process from now on, in the language they took part in, unless they already chose (they follow it, or
    they stopped following it: their choice holds). Idempotent; never makes the caller fail."""
    if user is None or not user.is_authenticated:
        return None
    try:
        key = process_key_of(page)
        if key is None or ProcessFollower.objects.filter(user=user, process_key=key).exists():
            return None
        return follow(user, key)[0]
    except Exception:  # following is a convenience: the vote or the comment is what counts
        logger.exception("Could not follow the process of page %s automatically", getattr(page, "pk", None))
        return None


def settings_for(user):
    """The citizen's :class:`NotificationSettings` (unsaved defaults when they have none)."""
    found = NotificationSettings.objects.filter(user=user).first()
    return found or NotificationSettings(user=user)


def save_settings(user, **values):
    NotificationSettings.objects.update_or_create(user=user, defaults=values)


# --- unsubscribe tokens --------------------------------------------------------------------------------


def unsubscribe_token(user, scope):
    """A signed token naming ``user`` and ``scope``: "all", "replies", "updates", "report:<id>" or
    "process:<key>:<kind>" (kind one of PROCESS_KINDS, or "all" for the whole process)."""
    return signing.dumps({"u": user.pk, "s": scope}, salt=SALT, compress=True)


def read_token(token):
    """(user, scope) of a token, or None when forged, tampered with or no longer meaningful."""
    try:
        data = signing.loads(token, salt=SALT)
        user_id, scope = int(data["u"]), str(data["s"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or describe_scope(scope) is None:
        return None
    return user, scope


def unsubscribe_url(user, scope, language):
    with translation.override(language):
        path = reverse("notifications_unsubscribe", args=[unsubscribe_token(user, scope)])
    return f"{settings.WAGTAILADMIN_BASE_URL}{path}"


def describe_scope(scope):
    """What unsubscribing from ``scope`` stops, in the active language (None: not a scope)."""
    parts = scope.split(":")
    if scope == "all":
        return _("every email about the processes you follow, your ideas, your reports and replies to you")
    if scope == "replies":
        return _("emails about replies to your comments")
    if scope == "updates":
        return _("emails about answers and status changes on your ideas and reports")
    if parts[0] == "report" and len(parts) == 2 and parts[1].isdigit():
        return _("emails about the updates of this report")
    if parts[0] == "process" and len(parts) == 3 and parts[2] in (*PROCESS_KINDS, "all"):
        title = process_title(parts[1], translation.get_language()) or _("this process")
        labels = {
            "phases": _("emails when a phase of “%(process)s” opens or closes"),
            "votes": _("emails when a vote of “%(process)s” opens or is about to close"),
            "results": _("emails when the results of “%(process)s” are published"),
            "all": _("every email about “%(process)s” (you stop following it)"),
        }
        return labels[parts[2]] % {"process": title}
    return None


def apply_unsubscribe(user, scope):
    """Stop what ``scope`` names for ``user``."""
    from .models import ReportFollower

    parts = scope.split(":")
    with transaction.atomic():
        if scope in ("all", "replies"):
            get_user_model().objects.filter(pk=user.pk).update(notify_replies=False)
        if scope in ("all", "updates"):
            save_settings(user, updates=False)
        if scope == "all":
            ProcessFollower.objects.filter(user=user).update(following=False)
            ReportFollower.objects.filter(user=user).update(notify=False)
        elif parts[0] == "report":
            ReportFollower.objects.filter(user=user, report_id=int(parts[1])).update(notify=False)
        elif parts[0] == "process":
            rows = ProcessFollower.objects.filter(user=user, process_key=parts[1])
            if parts[2] == "all":
                rows.update(following=False)
            else:
                rows.update(**{parts[2]: False})
        # Whatever was waiting for the digest and is now unwanted goes too.
        # (A service message, about what a moderator did to their comment, is no news: it stays.)
        pending = SentNotice.objects.filter(user=user, sent_at__isnull=True).exclude(kind=SERVICE)
        if scope == "all":
            pending.delete()
        elif scope in ("updates", "replies"):
            pending.filter(kind=scope).delete()
        elif parts[0] == "process":
            pending = pending.filter(process_key=parts[1])
            (pending if parts[2] == "all" else pending.filter(kind=parts[2])).delete()


# --- recording and sending notices ---------------------------------------------------------------------


def record(user, key, kind, *, data, language, process_key=None, digest=None):
    """Record a notice for ``user`` (nothing when one with ``key`` exists); returns the new SentNotice or None.

    ``digest``: whether it waits for the weekly digest (default: the citizen's choice)."""
    if digest is None:
        digest = settings_for(user).digest
    notice = SentNotice(
        user=user, key=key[:200], kind=kind, process_key=process_key, data=data, language=language, in_digest=digest
    )
    try:
        with transaction.atomic():
            notice.save()
    except IntegrityError:
        return None
    return notice


def deliver(notices):
    """Enqueue the single ones (not the digest's) once the current transaction commits."""
    ids = [notice.pk for notice in notices if notice is not None and not notice.in_digest]
    for pk in ids:
        transaction.on_commit(lambda pk=pk: enqueue([pk]))


def enqueue(ids, digest=False):
    """Hand the notices to the task backend; a backend that refuses is logged (the command retries)."""
    try:
        send_notification.enqueue(ids, digest)
    except Exception:
        logger.exception("Could not enqueue notices %s", ids)


@task()
def send_notification(notice_ids, digest=False):
    """Render and send one email to one citizen in their language: one notice, or (``digest``) the week's.
    A failing mail server raises: the task fails and the notices stay unsent for a retry."""
    notices = list(
        SentNotice.objects.filter(pk__in=notice_ids, sent_at__isnull=True)
        .select_related("user")
        .order_by("created_at", "pk")
    )
    if not notices:
        return 0
    user = notices[0].user
    ids = [notice.pk for notice in notices]
    now = timezone.now()
    if not user.is_active or not user.email:
        SentNotice.objects.filter(pk__in=ids).update(sent_at=now)
        return 0
    SentNotice.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1)
    language = notices[-1].language or settings.LANGUAGE_CODE
    with translation.override(language):
        message = digest_message(user, notices, language) if digest else single_message(user, notices[0], language)
    if message is not None:
        message.send(fail_silently=False)
    SentNotice.objects.filter(pk__in=ids).update(sent_at=timezone.now())
    return len(notices) if message is not None else 0


@task()
def send_email(subject, body, recipients):
    """Send an email already written (to an address with no account: an Open311 reporter's contact, an office).
    A failing mail server makes the task fail (recorded by the backend), never the page that wrote it."""
    EmailMessage(
        subject=" ".join(str(subject).split()), body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=list(recipients)
    ).send(fail_silently=False)
    return len(recipients)


def mail_later(subject, body, recipients):
    """Hand a written email to :func:`send_email` once the current transaction commits (at once outside one);
    a task backend that refuses is logged, never raised."""

    def enqueue_mail():
        try:
            send_email.enqueue(str(subject), str(body), [str(address) for address in recipients])
        except Exception:
            logger.exception("Could not enqueue an email to %s address(es)", len(recipients))

    transaction.on_commit(enqueue_mail)


def email(user, subject, body, scope, language):
    """An email to ``user`` with the one-click unsubscribe of ``scope`` (RFC 8058 headers); ``scope`` None: a
    service message (what a moderator did to their comment), without."""
    if scope is None:
        return EmailMessage(
            subject=" ".join(str(subject).split()),
            body=body.rstrip() + "\n",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[user.email],
        )
    url = unsubscribe_url(user, scope, language)
    body = (
        body.rstrip()
        + "\n\n"
        + render_to_string(
            "participation/notifications/footer.txt",
            {"unsubscribe_url": url, "what": describe_scope(scope), "preferences_url": preferences_url(language)},
        )
    )
    return EmailMessage(
        subject=" ".join(str(subject).split()),
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )


def preferences_url(language):
    with translation.override(language):
        return f"{settings.WAGTAILADMIN_BASE_URL}{reverse('notification_preferences')}"


def single_message(user, notice, language):
    found = describe(notice, language)
    if found is None:
        return None  # what it was about is gone (unpublished, deleted): nothing to say
    body = render_to_string(found.template, {"user": user, "site_name": settings.SITE_DISPLAY_NAME, **found.context})
    return email(user, found.subject, body, found.scope, language)


def digest_message(user, notices, language):
    items = [found for found in (describe(notice, language) for notice in notices) if found is not None]
    if not items:
        return None
    body = render_to_string(
        "participation/notifications/digest.txt",
        {"user": user, "items": items, "site_name": settings.SITE_DISPLAY_NAME},
    )
    subject = _("Your week on %(site)s: %(count)s news") % {"site": settings.SITE_DISPLAY_NAME, "count": len(items)}
    return email(user, subject, body, "all", language)


# --- what a notice says --------------------------------------------------------------------------------


@dataclass
class Described:
    subject: str
    summary: str  # one line, for the digest
    url: str
    scope: str | None  # what its unsubscribe link stops (None: a service message, no link)
    template: str = "participation/notifications/notice.txt"
    context: dict = field(default_factory=dict)


def process_page(key, language):
    from consultations.models import ConsultationPage

    from .core.groups import live_translation

    return live_translation(ConsultationPage.objects.all(), key, (language,))


def process_title(key, language):
    page = process_page(key, language)
    return page.title if page else None


def _page(key, language):
    from wagtail.models import Page

    from .core.groups import live_translation

    return live_translation(Page.objects.all(), key, (language,))


def _phase_name(key, language):
    from consultations.models import ConsultationPhase

    names = dict(ConsultationPhase.objects.filter(translation_key=key).values_list("locale__language_code", "name"))
    return names.get(language) or next(iter(names.values()), None)


def describe(notice, language):
    """What ``notice`` says in ``language`` (active), or None when what it is about is no longer public."""
    data = notice.data
    event = data.get("event")
    if event == "idea":
        return _describe_idea(notice, language)
    if event == "report":
        return _describe_report(notice, language)
    if event == "reply":
        return _describe_reply(notice, language)
    if event == "hidden":
        return _describe_hidden(notice, language)
    process = process_page(str(notice.process_key), language)
    if process is None:
        return None
    scope = f"process:{notice.process_key}:{notice.kind}"
    names = {"process": process.title}
    url = process.full_url
    if event in ("phase_opens", "phase_closes", "results"):
        names["phase"] = _phase_name(data["phase"], language) or ""
        summary = {
            "phase_opens": _("“%(process)s”: the phase “%(phase)s” has begun."),
            "phase_closes": _("“%(process)s”: the phase “%(phase)s” has ended."),
            "results": _("“%(process)s”: the results are published."),
        }[event] % names
    elif event in ("vote_opens", "vote_closes"):
        page = _page(data["page"], language)
        if page is None:
            return None
        from civic_site.templatetags.civic_dates import long_datetime

        names.update(page=page.title, date=long_datetime(datetime.fromisoformat(data["closes_at"])))
        url = page.full_url
        summary = {
            "vote_opens": _("“%(page)s” (%(process)s) is open: you can vote until %(date)s."),
            "vote_closes": _("“%(page)s” (%(process)s) closes tomorrow, %(date)s: vote if you have not yet."),
        }[event] % names
    else:
        return None
    return Described(
        subject=summary.rstrip("."),
        summary=summary,
        url=url,
        scope=scope,
        context={"summary": summary, "url": url, "process": process.title},
    )


def _describe_idea(notice, language):
    from .ideas import public_map_for
    from .models import Idea

    idea = Idea.objects.filter(pk=notice.data.get("idea")).select_related("user").first()
    if idea is None:
        return None
    page = public_map_for(idea, [language])
    url = page.full_url + page.reverse_subpage("idea", kwargs={"idea_id": idea.pk}) if page else ""
    status = idea.get_status_display()
    answer, _answer_language = idea.answer_in(language)
    subject = _("Your idea “%(title)s”: %(status)s") % {"title": idea.title, "status": status}
    return Described(
        subject=subject,
        summary=subject + ".",
        url=url,
        scope="updates",
        template="participation/email/idea_status.txt",
        context={"author": notice.user, "idea": idea, "status": status, "answer": answer, "url": url},
    )


def _describe_report(notice, language):
    from .models import ReportStatus, ReportUpdate
    from .reports import _full_url

    update = ReportUpdate.objects.filter(pk=notice.data.get("update")).select_related("report").first()
    if update is None:
        return None
    report = update.report
    status = ReportStatus(report.status).label
    subject = _("Report %(reference)s: %(status)s") % {"reference": report.reference, "status": status}
    url = _full_url(report, language)
    return Described(
        subject=subject,
        summary=subject + ".",
        url=url,
        scope=f"report:{report.pk}",
        template="participation/email/report_update.txt",
        context={
            "report": report,
            "update": update,
            "status": status,
            "office": update.office_in(language) if not update.from_reporter else "",
            "url": url,
            "emails_url": _full_url(report, language, "emails"),
        },
    )


def _comment_page(comment):
    """The live, public page showing ``comment``'s thread in the active language (else any translation), and
    its title (the site's name when none is public)."""
    from django.contrib.sites.models import Site

    from .comments import public_page_for

    page = public_page_for(comment)
    return page, page.title if page else Site.objects.get_current().name


def _describe_reply(notice, language):
    from .models import ParticipationComment

    found = {
        comment.pk: comment
        for comment in ParticipationComment.objects.filter(
            pk__in=[notice.data.get("comment"), notice.data.get("reply")]
        ).select_related("user")
    }
    parent, reply = found.get(notice.data.get("comment")), found.get(notice.data.get("reply"))
    if parent is None or reply is None or not reply.is_public or reply.is_removed or not notice.user.notify_replies:
        return None  # the reply was hidden or deleted meanwhile, or the citizen no longer wants these
    page, title = _comment_page(parent)
    if page is None:
        return None  # nothing may point at a thread no longer public
    url = f"{settings.WAGTAILADMIN_BASE_URL}{reply.get_absolute_url()}"
    subject = _("New reply to your comment on “%(title)s”") % {"title": title}
    summary = _("%(name)s replied to your comment on “%(title)s”.") % {"name": reply.author_name, "title": title}
    return Described(
        subject=subject,
        summary=summary,
        url=url,
        scope="replies",
        template="participation/email/reply_notification.txt",
        context={"author": notice.user, "comment": parent, "reply": reply, "page": page, "url": url},
    )


def _describe_hidden(notice, language):
    from .models import ModerationReason, ParticipationComment

    comment = ParticipationComment.objects.filter(pk=notice.data.get("comment")).first()
    if comment is None or comment.is_public or comment.is_removed:
        return None  # restored (or deleted by its author) before the email could go: nothing to tell
    page, title = _comment_page(comment)
    reason = notice.data.get("reason") or ""
    subject = _("Your comment on “%(title)s” was hidden by the moderators") % {"title": title}
    return Described(
        subject=subject,
        summary=subject + ".",
        url="",  # never in the digest
        scope=None,
        template="participation/email/comment_hidden.txt",
        context={
            "author": notice.user,
            "comment": comment,
            "page": page,
            "title": title,
            "reason": ModerationReason(reason).label if reason in ModerationReason.values else "",
            "note": notice.data.get("note") or "",
        },
    )


# --- what citizens wrote: replies to their comments, and moderation --------------------------------------


def comment_replied(parent, reply):
    """Someone replied to ``parent``: its author hears it (unless they replied to themselves or turned replies
    off), in the language they wrote in, alone or in their weekly digest. Called after the reply's commit."""
    author = parent.user
    if author is None or author.pk == reply.user_id or not author.is_active or not author.email:
        return None
    if not author.notify_replies:
        return None
    notice = record(
        author,
        f"reply:{reply.pk}",
        "replies",
        data={"event": "reply", "comment": parent.pk, "reply": reply.pk},
        language=parent.language or settings.LANGUAGE_CODE,
    )
    deliver([notice])
    return notice


def comment_hidden(comment):
    """A moderator hid ``comment``: its author is told why, in the language they wrote in, at once (a service
    message about their own content: never in the digest, no unsubscribe). Called after the hiding commits."""
    author = comment.user
    if author is None or not author.is_active or not author.email:
        return None
    moment = comment.moderated_at or timezone.now()
    notice = record(
        author,
        f"hidden:{comment.pk}:{moment.timestamp()}",
        SERVICE,
        data={"event": "hidden", "comment": comment.pk, "reason": comment.hidden_reason, "note": comment.hidden_note},
        language=comment.language or settings.LANGUAGE_CODE,
        digest=False,
    )
    deliver([notice])
    return notice


# --- what citizens did: their ideas and reports ----------------------------------------------------------


def wants_updates(user):
    return user is not None and user.is_active and bool(user.email) and settings_for(user).updates


def idea_answered(idea):
    """The City answered ``idea`` or changed its status: its author hears it (alone or in the digest).
    Called after the admin's transaction commits."""
    author = idea.user
    if not wants_updates(author):
        return None
    moment = idea.answered_at or timezone.now()
    notice = record(
        author,
        f"idea:{idea.pk}:{moment.timestamp()}",
        "updates",
        data={"event": "idea", "idea": idea.pk},
        language=idea.language or settings.LANGUAGE_CODE,
    )
    deliver([notice])
    return notice


def report_updated(report, update, followers):
    """A public update of ``report``: each follower who wants it (``followers``: ReportFollower rows with
    ``notify``) hears it in their language, alone or in the digest."""
    notices = [
        record(
            follower.user,
            f"report-update:{update.pk}",
            "updates",
            data={"event": "report", "report": report.pk, "update": update.pk},
            language=follower.language or settings.LANGUAGE_CODE,
        )
        for follower in followers
        if wants_updates(follower.user)
    ]
    deliver(notices)
    return [notice for notice in notices if notice is not None]


# --- what happens through time: the scheduled command ----------------------------------------------------


@dataclass
class Event:
    key: str
    kind: str  # phases, votes, results
    process_key: str
    data: dict


def _one_per_group(pages):
    """One page per translation group: the default language's when live, else the oldest."""
    chosen = {}
    for page in pages.select_related("locale").order_by("pk"):
        current = chosen.get(page.translation_key)
        if current is None or (
            page.locale.language_code == settings.LANGUAGE_CODE
            and current.locale.language_code != settings.LANGUAGE_CODE
        ):
            chosen[page.translation_key] = page
    return list(chosen.values())


def due_events(now=None):
    """The events of followed processes that happened in the last ``lookback()``: phases opening and closing,
    results published (a results phase begins), votes (polls and budgets) opening or closing within a day."""
    from consultations.models import ConsultationPage
    from consultations.schedule import phase_bounds

    from .models import BudgetPage, PollPage

    now = now or timezone.now()
    since = now - lookback()
    followed = set(ProcessFollower.objects.filter(following=True).values_list("process_key", flat=True).distinct())
    if not followed:
        return []
    events = []
    for process in _one_per_group(ConsultationPage.objects.live().filter(translation_key__in=followed)):
        key = str(process.translation_key)
        for phase in process.phases.all():
            start, end = phase_bounds(phase.start, phase.end)
            phase_key = str(phase.translation_key)
            if phase.is_results:
                moments = [("results", "results", start)]
            else:
                moments = [("phases", "phase_opens", start), ("phases", "phase_closes", end)]
            for kind, event, moment in moments:
                if since <= moment <= now:
                    events.append(
                        Event(f"{event}:{phase_key}:{moment.date()}", kind, key, {"event": event, "phase": phase_key})
                    )
        for model in (PollPage, BudgetPage):
            for page in _one_per_group(model.objects.live().descendant_of(process)):
                page_key = str(page.translation_key)
                data = {"page": page_key, "closes_at": page.closes_at.isoformat()}
                if since <= page.opens_at <= now < page.closes_at:
                    events.append(
                        Event(
                            f"vote_opens:{page_key}:{page.opens_at.isoformat()}",
                            "votes",
                            key,
                            {"event": "vote_opens", **data},
                        )
                    )
                reminder = page.closes_at - timedelta(days=1)
                if since <= reminder <= now < page.closes_at and page.opens_at <= now:
                    events.append(
                        Event(
                            f"vote_closes:{page_key}:{page.closes_at.isoformat()}",
                            "votes",
                            key,
                            {"event": "vote_closes", **data},
                        )
                    )
    return events


def send_due(now=None):
    """Record each due event for each follower who wants it (once: a second run records nothing) and send
    the single ones. Returns the number of notices recorded."""
    recorded = []
    digest_users = set(NotificationSettings.objects.filter(digest=True).values_list("user_id", flat=True))
    for event in due_events(now):
        followers = ProcessFollower.objects.filter(
            process_key=event.process_key, following=True, user__is_active=True, **{event.kind: True}
        ).select_related("user")
        for follower in followers:
            if not follower.user.email:
                continue
            notice = record(
                follower.user,
                event.key,
                event.kind,
                data=event.data,
                language=follower.language,
                process_key=event.process_key,
                digest=follower.user_id in digest_users,
            )
            if notice is not None:
                recorded.append(notice)
    deliver(recorded)
    return len(recorded)


def send_digests(now=None, force=False):
    """On the digest's weekday (or when ``force``d), one email per citizen with what waited for it this week.
    Returns the number of digests enqueued."""
    now = now or timezone.now()
    if not force and timezone.localtime(now).weekday() != digest_weekday():
        return 0
    pending = {}
    for user_id, pk in (
        SentNotice.objects.filter(in_digest=True, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
        .order_by("created_at", "pk")
        .values_list("user_id", "pk")
    ):
        pending.setdefault(user_id, []).append(pk)
    for ids in pending.values():
        transaction.on_commit(lambda ids=ids: enqueue(ids, digest=True))
    return len(pending)


def retry_unsent(now=None):
    """Enqueue again the single notices a failing mail server left unsent (at most MAX_ATTEMPTS tries)."""
    now = now or timezone.now()
    stuck = SentNotice.objects.filter(
        in_digest=False,
        sent_at__isnull=True,
        attempts__gt=0,
        attempts__lt=MAX_ATTEMPTS,
        created_at__lte=now - RETRY_AFTER,
    ).values_list("pk", flat=True)
    ids = list(stuck)
    for pk in ids:
        transaction.on_commit(lambda pk=pk: enqueue([pk]))
    return len(ids)


def prune(days=90):
    """Sent notices older than ``days`` go: the key of an event that old can no longer come back (lookback)."""
    return SentNotice.objects.filter(sent_at__lt=timezone.now() - timedelta(days=days)).delete()[0]
