"""Comment threads shared by the Italian and English versions of a page.

Posting, reactions and the thread tree live here; views.py turns them into HTTP and the
`comment_thread` template tag renders them. Everything is keyed to the canonical page.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_comments.models import CommentFlag
from django_comments_xtd.models import DISLIKEDIT_FLAG, LIKEDIT_FLAG
from wagtail.models import Page

from consultations.models import ConsultationPage
from consultations.translation import canonical

from .models import CommentThread, ParticipationComment
from .ratelimit import allow

LIKE, DISLIKE, REPORT = LIKEDIT_FLAG, DISLIKEDIT_FLAG, CommentFlag.SUGGEST_REMOVAL
REACTIONS = {"like": LIKE, "dislike": DISLIKE, "report": REPORT}


class CommentRejected(Exception):
    """A comment that cannot be posted, with the reason to show the citizen."""


def has_verified_email(user):
    return user.is_authenticated and EmailAddress.objects.filter(user=user, verified=True).exists()


def thread_state(page):
    """(is_open, state) for the thread of `page` (any translation)."""
    page = canonical(page)
    state = CommentThread.objects.filter(page=page).values_list("state", flat=True).first() or CommentThread.AUTO
    consultation = ConsultationPage.objects.ancestor_of(page, inclusive=True).last()
    if consultation is None:  # threads belong to participatory processes and the pages under them
        return False, state
    if state == CommentThread.OPEN:
        return True, state
    return (state == CommentThread.AUTO and consultation.is_open), state


def post_comment(*, page, user, text, parent_id=None, ip_address=None, notify=True):
    """Create a comment on the canonical page's thread, or raise CommentRejected with the reason."""
    if not user.is_authenticated:
        raise CommentRejected(_("Log in to comment."))
    if not has_verified_email(user):
        raise CommentRejected(_("Confirm your email address before commenting: we sent you a link."))
    if not thread_state(page)[0]:
        raise CommentRejected(_("Comments on this page are closed."))
    target = canonical(page)
    parent = None
    if parent_id:
        parent = ParticipationComment.objects.filter(
            pk=parent_id, page=target, is_public=True, is_removed=False
        ).first()
        if parent is None:
            raise CommentRejected(_("The comment you are replying to is no longer available."))
        if parent.level >= settings.COMMENTS_XTD_MAX_THREAD_LEVEL:
            raise CommentRejected(_("Replies cannot be nested any deeper: reply to the comment above instead."))
    limit, period = settings.COMMENTS_RATE_LIMIT
    if not allow(f"comment:{user.pk}", limit, period):
        raise CommentRejected(
            _("You have posted many comments in a short time. Please wait a few minutes and try again.")
        )
    with transaction.atomic():
        comment = ParticipationComment(
            content_type=ContentType.objects.get_for_model(Page),
            object_pk=str(target.pk),
            page=target,
            site_id=settings.SITE_ID,
            user=user,
            user_name=user.public_name[:50],
            comment=text,
            submit_date=timezone.now(),
            ip_address=ip_address,
            is_public=True,
            language=translation.get_language() or settings.LANGUAGE_CODE,
            parent_id=parent.pk if parent else 0,
        )
        comment.save()
        if parent is not None and notify:
            transaction.on_commit(lambda: notify_reply(parent, comment))
    return comment


def notify_reply(parent, reply):
    """Email the author of `parent` about `reply`, in the language they wrote in, unless they opted out."""
    author = parent.user
    if author is None or author.pk == reply.user_id or not author.notify_replies or not author.email:
        return
    with translation.override(parent.language):
        page = reply.page.localized if reply.page_id else None
        site = Site.objects.get_current()
        context = {
            "author": author,
            "reply": reply,
            "page": page,
            "url": f"{settings.WAGTAILADMIN_BASE_URL}{reply.get_absolute_url()}",
            "profile_url": f"{settings.WAGTAILADMIN_BASE_URL}/{parent.language}/accounts/profile/",
            "site": site,
        }
        subject = _("New reply to your comment on “%(title)s”") % {"title": page.title if page else site.name}
        body = render_to_string("participation/email/reply_notification.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [author.email])


def react(*, comment, user, reaction):
    """Like, dislike (mutually exclusive toggles) or report a comment. Returns the flag now held or None."""
    flag = REACTIONS[reaction]
    with transaction.atomic():
        # One citizen's clicks at once (a double click, two tabs) apply one after the other: otherwise one
        # could take back the flag another was inserting, which then failed on the unique constraint (500).
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        existing = CommentFlag.objects.filter(comment=comment, user=user, flag=flag)
        if reaction != "report" and existing.exists():
            existing.delete()
            return None
        if reaction in ("like", "dislike"):
            other = DISLIKE if reaction == "like" else LIKE
            CommentFlag.objects.filter(comment=comment, user=user, flag=other).delete()
        CommentFlag.objects.get_or_create(comment=comment, user=user, flag=flag, defaults={"flag_date": timezone.now()})
    return flag


class Node:
    """One comment in the rendered tree, with its visible replies."""

    def __init__(self, comment):
        self.comment = comment
        self.children = []
        self.hidden = comment.is_hidden

    def prune(self):
        """Drop hidden comments that have no visible replies; keep the others as placeholders."""
        self.children = [child for child in self.children if child.prune()]
        return not self.hidden or bool(self.children)


def visible_threads(target):
    """Top-level comments of a canonical page whose thread shows something: newest thread first."""
    visible_reply = ParticipationComment.objects.filter(
        thread_id=OuterRef("thread_id"), level__gt=0, is_public=True, is_removed=False
    )
    return (
        ParticipationComment.objects.filter(page=target, level=0)
        .filter(Q(is_public=True, is_removed=False) | Exists(visible_reply))
        .order_by("-thread_id")
    )


def thread_page_number(comment):
    """Which page of its thread list a comment is on (for the redirect after posting)."""
    newer = visible_threads(comment.page_id).filter(thread_id__gt=comment.thread_id).count()
    return newer // settings.COMMENTS_THREADS_PER_PAGE + 1


def thread_tree(page, user=None, page_number=1):
    """One page of a thread's visible tree, in a fixed number of queries however many comments.

    Returns (nodes, visible comment count, paginator page of threads).
    """
    target = canonical(page)
    threads = Paginator(visible_threads(target).values_list("thread_id", flat=True), settings.COMMENTS_THREADS_PER_PAGE)
    threads_page = threads.get_page(page_number)
    thread_ids = list(threads_page.object_list)
    comments = (
        list(
            ParticipationComment.objects.filter(page=target, thread_id__in=thread_ids)
            .select_related("user")
            .annotate(
                likes=Count("flags", filter=Q(flags__flag=LIKE)),
                dislikes=Count("flags", filter=Q(flags__flag=DISLIKE)),
            )
            .order_by("-thread_id", "order")
        )
        if thread_ids
        else []
    )
    mine = {}
    if user is not None and user.is_authenticated and comments:
        ids = [comment.pk for comment in comments]
        for comment_id, flag in CommentFlag.objects.filter(user=user, comment_id__in=ids).values_list(
            "comment_id", "flag"
        ):
            mine.setdefault(comment_id, set()).add(flag)
    nodes = {}
    roots = []
    for comment in comments:
        comment.my_flags = mine.get(comment.pk, set())
        node = nodes[comment.pk] = Node(comment)
        if comment.parent_id == comment.pk or comment.parent_id not in nodes:
            roots.append(node)
        else:
            nodes[comment.parent_id].children.append(node)
    visible = [root for root in roots if root.prune()]
    count = ParticipationComment.objects.filter(page=target, is_public=True, is_removed=False).count()
    return visible, count, threads_page
