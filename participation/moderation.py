"""Moderators' actions on citizens' comments: hide (with a reason the author is told), restore, dismiss reports.

Every action records who and when on the comment and its reports, and writes an entry in Wagtail's
audit log (ModelLogEntry: "participation.comment.hide", ".restore", ".dismiss_reports"), shown in
the admin's history and site history reports. The admin's bulk actions (wagtail_hooks.py) call these.
"""

import logging
import uuid

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log as wagtail_log

from .core.invalidation import comments_changed
from .models import CommentReport, ParticipationComment

logger = logging.getLogger(__name__)

HIDE, RESTORE, DISMISS = (
    "participation.comment.hide",
    "participation.comment.restore",
    "participation.comment.dismiss_reports",
)


def log(*, instance, action, user, data):
    """One audit log entry per comment. Each gets its own uuid: Wagtail's history view shows only the
    latest entry of a (uuid, action) pair, so entries sharing the request's uuid would hide each other."""
    return wagtail_log(instance=instance, action=action, user=user, data=data, uuid=uuid.uuid4())


def open_reports():
    return CommentReport.objects.filter(reviewed_at__isnull=True)


def _close_reports(comments, user, outcome, now):
    return open_reports().filter(comment__in=comments).update(reviewed_at=now, reviewed_by=user, outcome=outcome)


def hide(comments, user, *, reason, note=""):
    """Hide exactly these comments (not their replies), close their open reports as "hidden", log each
    action and email each author the reason, in the language they wrote in. Returns how many were hidden."""
    now = timezone.now()
    ids = [comment.pk for comment in comments if not comment.is_hidden]
    with transaction.atomic():
        targets = list(ParticipationComment.objects.select_for_update(of=("self",)).filter(pk__in=ids, is_public=True))
        ParticipationComment.objects.filter(pk__in=[comment.pk for comment in targets]).update(
            is_public=False, moderated_by=user, moderated_at=now, hidden_reason=reason, hidden_note=note
        )
        for comment in targets:
            reports = _close_reports([comment], user, CommentReport.HIDDEN, now)
            comment.is_public, comment.hidden_reason, comment.hidden_note = False, reason, note
            comment.moderated_by, comment.moderated_at = user, now
            log(
                instance=comment,
                action=HIDE,
                user=user,
                data={"reason": reason, "note": note, "reports_closed": reports},
            )
            transaction.on_commit(lambda comment=comment: notify_hidden(comment))
        comments_changed(*{comment.group_id for comment in targets})
    return len(targets)


def restore(comments, user):
    """Make these hidden comments visible again; log each."""
    now = timezone.now()
    with transaction.atomic():
        targets = list(
            ParticipationComment.objects.select_for_update(of=("self",)).filter(
                pk__in=[comment.pk for comment in comments], is_public=False
            )
        )
        ParticipationComment.objects.filter(pk__in=[comment.pk for comment in targets]).update(
            is_public=True, moderated_by=user, moderated_at=now, hidden_reason="", hidden_note=""
        )
        for comment in targets:
            log(instance=comment, action=RESTORE, user=user, data={"previous_reason": comment.hidden_reason})
        comments_changed(*{comment.group_id for comment in targets})
    return len(targets)


def dismiss_reports(comments, user):
    """The comments stay, marked reviewed (who, when); their open reports are closed as "dismissed"; each
    comment that had any is logged. Returns how many comments had open reports."""
    now = timezone.now()
    done = 0
    with transaction.atomic():
        for comment in comments:
            closed = _close_reports([comment], user, CommentReport.DISMISSED, now)
            if closed:
                done += 1
                ParticipationComment.objects.filter(pk=comment.pk).update(moderated_by=user, moderated_at=now)
                log(instance=comment, action=DISMISS, user=user, data={"reports_dismissed": closed})
    return done


def notify_hidden(comment):
    """Tell the author that a moderator hid their comment, and why, in the language they wrote in: a notice sent
    by the notifications task (participation/notifications.py), never in the request. Called after the commit."""
    from .notifications import comment_hidden

    try:
        return comment_hidden(comment)
    except Exception:  # the comment is hidden: that is what counts
        logger.exception("Could not record the hidden-comment notice of comment %s", comment.pk)
        return None
