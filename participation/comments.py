"""Comment threads shared by the Italian and English versions of a page.

Posting, reactions and the thread tree live here; views.py turns them into HTTP and the
`comment_thread` template tag renders them. Everything is keyed to the page's translation group.
"""

import logging

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.models import Page

from civic_site import pagecache
from consultations.models import ConsultationPage, Status

from .core import ratelimit
from .core.errors import Rejected
from .core.groups import ensure_group, group_key, live_translation
from .core.invalidation import comments_changed, group_changed
from .models import CommentReaction, CommentReport, CommentThread, ParticipationComment, TranslationGroup
from .notifications import follow_automatically

logger = logging.getLogger(__name__)

LIKE, DISLIKE = CommentReaction.LIKE, CommentReaction.DISLIKE
REACTIONS = (LIKE, DISLIKE)


class CommentRejected(Rejected):
    """A comment that cannot be posted, with the reason to show the citizen."""


class ReactionRejected(Rejected):
    """An "I agree", "I disagree" or report that cannot be recorded, with the reason to show the citizen."""


def has_verified_email(user):
    """Whether ``user`` has confirmed an email address. A yes is remembered on the user object (one
    request's ``request.user``: the vote form and the comment thread both ask) and in the cache until an
    address of theirs is saved or deleted (``forget_verified_email``), so pages ask the database once."""
    if not user.is_authenticated:
        return False
    if getattr(user, "_has_verified_email", False):
        return True
    key = _verified_email_key(user.pk)
    verified = bool(cache.get(key))
    if not verified:
        verified = EmailAddress.objects.filter(user=user, verified=True).exists()
        if verified:
            cache.set(key, True, VERIFIED_EMAIL_TIMEOUT)
    if verified:
        user._has_verified_email = True
    return verified


VERIFIED_EMAIL_TIMEOUT = 60 * 60


def _verified_email_key(user_id):
    return f"verified-email:{user_id}"


def forget_verified_email(sender, instance, **kwargs):
    """Signal receiver: an email address was saved or deleted (removed, unverified): ask the database again."""
    cache.delete(_verified_email_key(instance.user_id))


def connect():
    from django.db.models.signals import post_delete, post_save

    post_save.connect(forget_verified_email, sender=EmailAddress, dispatch_uid="comments-verified-email-save")
    post_delete.connect(forget_verified_email, sender=EmailAddress, dispatch_uid="comments-verified-email-delete")
    for model in (ParticipationComment, CommentReaction, CommentReport):
        post_save.connect(personal_changed, sender=model, dispatch_uid=f"comments-personal-{model.__name__}-save")
        post_delete.connect(personal_changed, sender=model, dispatch_uid=f"comments-personal-{model.__name__}-del")


def thread_state(page):
    """(is_open, state) for the thread of `page` (any translation): one query.

    By default a thread is open while its participatory process (the page itself, or the nearest
    process above it) is open; editors may open or close it by hand. An idea's thread (``IdeaThread``) follows
    its map's.
    """
    if not isinstance(page, Page):
        return page.thread_state()
    set_by_hand = CommentThread.objects.filter(group=group_key(page)).values_list("state", flat=True)
    if isinstance(page, ConsultationPage):  # its phases are loaded once per page object anyway
        state = set_by_hand.first() or CommentThread.AUTO
        process_open = page.is_open
    else:
        row = (
            ConsultationPage.objects.ancestor_of(page, inclusive=True)
            .with_status()
            .annotate(thread_state=Subquery(set_by_hand[:1]))
            .order_by("path")
            .values_list("computed_status", "thread_state")
            .last()
        )
        if row is None:  # threads belong to participatory processes and the pages under them
            return False, set_by_hand.first() or CommentThread.AUTO
        state = row[1] or CommentThread.AUTO
        process_open = row[0] == Status.OPEN
    if state == CommentThread.OPEN:
        return True, state
    return (state == CommentThread.AUTO and process_open), state


def shown_thread_state(page, versions):
    """``thread_state(page)`` for showing a thread, kept in the cache: for a page under a process it is a query
    over the process's phases that costs more than the rest of the thread (a process asks for its setting).
    It changes with the thread's setting (the group's version in ``versions``), the phases (the content
    version) and the day (in the key). Writes ask ``thread_state`` itself. An idea's thread shows its map's,
    from the cache, with the idea's own state."""
    if not isinstance(page, Page):
        return page.shown_thread_state()
    key = group_key(page)
    tags = (pagecache.CONTENT, pagecache.group_tag(key))
    cache_key = f"{pagecache.KEY_PREFIX}:thread-state:{page.pk}:{timezone.localdate().isoformat()}:" + ":".join(
        str(versions[tag]) for tag in tags
    )
    return tuple(cache.get_or_set(cache_key, lambda: thread_state(page), 24 * 60 * 60))


def post_comment(*, page, user, text, parent_id=None, ip_address=None, notify=True):
    """Create a comment on the thread of the page's translation group, or raise CommentRejected with the reason.

    Rate-limited per citizen and per ``ip_address`` ("comment" in PARTICIPATION_RATE_LIMITS).
    """
    if not user.is_authenticated:
        raise CommentRejected(_("Log in to comment."))
    if not has_verified_email(user):
        raise CommentRejected(_("Confirm your email address before commenting: we sent you a link."))
    if not thread_state(page)[0]:
        raise CommentRejected(_("Comments on this page are closed."))
    parent = None
    if parent_id:
        # ``id``, not ``pk``: see views._comment_and_page (an id beyond 64 bits finds nothing, no OverflowError).
        parent = ParticipationComment.objects.filter(
            id=parent_id, group=group_key(page), is_public=True, is_removed=False
        ).first()
        if parent is None:
            raise CommentRejected(_("The comment you are replying to is no longer available."))
        if parent.level >= settings.COMMENTS_XTD_MAX_THREAD_LEVEL:
            raise CommentRejected(_("Replies cannot be nested any deeper: reply to the comment above instead."))
    ratelimit.enforce(
        "comment",
        CommentRejected,
        gettext_lazy("You have posted many comments in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    with transaction.atomic():
        group = ensure_group(page)
        comment = ParticipationComment(
            content_type=ContentType.objects.get_for_model(TranslationGroup),
            object_pk=str(group.pk),
            group=group,
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
        comments_changed(group.pk)
        if parent is not None and notify:
            transaction.on_commit(lambda: notify_reply(parent, comment))
    follow_automatically(user, page)
    return comment


def notify_reply(parent, reply):
    """The author of ``parent`` hears about ``reply`` (unless they opted out): a notice sent by the notifications
    task in the language they wrote in, or kept for their weekly digest (participation/notifications.py).
    Called after the reply's transaction commits; never makes posting fail."""
    from .notifications import comment_replied

    try:
        return comment_replied(parent, reply)
    except Exception:  # telling is a convenience: the reply is what counts (the notice, if recorded, is retried)
        logger.exception("Could not record the reply notice of comment %s", reply.pk)
        return None


def public_page_for(comment):
    """The live, public page showing `comment`'s thread: the visitor's language first, else any translation;
    for a comment on an idea, the idea's thread (``IdeaThread``, with the page's ``url`` and ``title``).

    None when no translation is live and public (or the idea is not public): then nothing may point at
    the thread (no reactions, no redirect revealing an unpublished page's URL).
    """
    if not comment.group_id:
        return None
    languages = (translation.get_language(), comment.language)
    page = live_translation(Page.objects.all(), comment.group_id, languages)
    if page is None:
        from .ideas import thread_for_key

        return thread_for_key(comment.group_id, languages)
    return page


def check_can_react(comment, user):
    """Reactions and reports follow the rules of posting: raise ReactionRejected with the reason."""
    if not user.is_authenticated:
        raise ReactionRejected(_("Log in to take part."))
    if not has_verified_email(user):
        raise ReactionRejected(_("Confirm your email address before taking part: we sent you a link."))
    if comment.is_hidden:
        raise ReactionRejected(_("This comment is no longer available."))
    page = public_page_for(comment)
    if page is None:
        raise ReactionRejected(_("This page is not available."))
    if not thread_state(page)[0]:
        raise ReactionRejected(_("This discussion is closed: reactions and reports are no longer accepted."))
    if comment.user_id == user.pk:
        raise ReactionRejected(_("You cannot react to or report your own comment."))


def check_rate(action, user, ip):
    """Count a reaction or a report ("reaction", "report" in PARTICIPATION_RATE_LIMITS); refuse when limited."""
    ratelimit.enforce(
        action,
        ReactionRejected,
        gettext_lazy("Too many actions in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip,
    )


def _current_reaction(comment, user):
    return CommentReaction.objects.select_for_update().filter(comment=comment, user=user).first()


def react(*, comment, user, reaction, ip_address=None):
    """Agree or disagree with a comment ("I agree" / "I disagree"): a second click on the same takes it
    back, the other one replaces it. Returns the reaction now held (LIKE, DISLIKE or None); raises ReactionRejected.

    One row per (comment, citizen) by a database constraint: the two exclude each other, and a
    concurrent double click that loses the race on the constraint ends with the reaction held, not a 500.
    """
    if reaction not in REACTIONS:
        raise ValueError(reaction)
    check_can_react(comment, user)
    check_rate("reaction", user, ip_address)
    with transaction.atomic():
        group_changed(comment.group_id)  # the counts beside the comment (bumped again after the commit)
        # One citizen's clicks at once (a double click, two tabs) apply one after the other: otherwise one
        # could take back the reaction another was storing.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        existing = _current_reaction(comment, user)
        if existing is not None and existing.value == reaction:
            existing.delete()
            return None
        if existing is not None:
            existing.value = reaction
            existing.save(update_fields=["value", "created_at"])
            return reaction
        try:
            with transaction.atomic():
                CommentReaction.objects.create(comment=comment, user=user, value=reaction)
        except IntegrityError:  # the same citizen's other request stored one first
            CommentReaction.objects.filter(comment=comment, user=user).update(value=reaction, created_at=timezone.now())
    return reaction


def report(*, comment, user, reason, text="", ip_address=None):
    """Report a comment to the moderators with a reason. Returns the open report; raises ReactionRejected.

    A citizen holds one open report per comment (database constraint): reporting again while the
    first is open returns it unchanged, concurrent submissions included.
    """
    check_can_react(comment, user)
    check_rate("report", user, ip_address)
    open_reports = CommentReport.objects.filter(comment=comment, user=user, reviewed_at__isnull=True)
    existing = open_reports.first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return CommentReport.objects.create(comment=comment, user=user, reason=reason, text=text)
    except IntegrityError:
        return open_reports.get()


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


def _visible_reply():
    """A visible reply in the outer comment's thread (for ``Exists``)."""
    return ParticipationComment.objects.filter(
        thread_id=OuterRef("thread_id"), level__gt=0, is_public=True, is_removed=False
    )


def visible_threads(key):
    """Top-level comments of a translation group whose thread shows something: newest thread first."""
    return (
        ParticipationComment.objects.filter(group=key, level=0)
        .filter(Q(is_public=True, is_removed=False) | Exists(_visible_reply()))
        .order_by("-thread_id")
    )


def thread_page_number(comment):
    """Which page of its thread list a comment is on (for the redirect after posting)."""
    newer = visible_threads(comment.group_id).filter(thread_id__gt=comment.thread_id).count()
    return newer // settings.COMMENTS_THREADS_PER_PAGE + 1


def _mine(user):
    """Annotations with the viewer's own reaction and open report, so the tree needs no extra query."""
    if user is None or not user.is_authenticated:
        return {}
    return {
        "my_reaction": Subquery(CommentReaction.objects.filter(comment=OuterRef("pk"), user=user).values("value")[:1]),
        "i_reported": Exists(CommentReport.objects.filter(comment=OuterRef("pk"), user=user, reviewed_at__isnull=True)),
    }


def thread_listing(key, version=None):
    """(visible comment count, ids of the threads showing something, newest first) of a translation group.

    Reading it means scanning every comment of the group (three tables: no index can hold group,
    thread and visibility together), so it is kept in the cache under the group's page-cache version
    (``version``, else read here): every write that changes a thread calls ``group_changed()``, which
    bumps that version before and after its commit, so a stale listing is never read again.
    """
    if version is None:
        version = pagecache.versions([pagecache.group_tag(key)])[pagecache.group_tag(key)]
    cache_key = f"{pagecache.KEY_PREFIX}:threads:{key}:{version}"
    listing = cache.get(cache_key)
    if listing is None:
        comments = ParticipationComment.objects.filter(group=key, is_public=True, is_removed=False).count()
        listing = (comments, list(visible_threads(key).values_list("thread_id", flat=True)))
        cache.set(cache_key, listing, settings.PAGE_CACHE["TIMEOUT"])
    return listing


def thread_page(listing, page_number):
    """The paginator page of thread ids for ``page_number`` (any value: Paginator.get_page's fallbacks)."""
    return Paginator(listing[1], settings.COMMENTS_THREADS_PER_PAGE).get_page(page_number)


def _in_threads(thread_ids):
    """The comments of these threads (ids from ``visible_threads()``, so of one group).

    Not filtered by group as well: a thread id is its first comment's id, and replies join their parent's
    group, so the ids alone are exact; with the group too, SQLite walks the group's index (every comment
    of the page) instead of the thread index (a few rows per thread).
    """
    return ParticipationComment.objects.filter(thread_id__in=thread_ids)


def thread_comments(thread_ids, user=None):
    """The comments of these threads, newest thread first, each in reply order: one query."""
    if not thread_ids:
        return []
    return list(
        _in_threads(thread_ids)
        .select_related("user")
        .annotate(
            likes=Count("reactions", filter=Q(reactions__value=LIKE)),
            dislikes=Count("reactions", filter=Q(reactions__value=DISLIKE)),
            **_mine(user),
        )
        .order_by("-thread_id", "order")
    )


def build_tree(comments):
    """The visible tree of ``thread_comments()``: roots with their replies, hidden comments kept only as
    placeholders above visible replies."""
    nodes = {}
    roots = []
    for comment in comments:
        node = nodes[comment.pk] = Node(comment)
        if comment.parent_id == comment.pk or comment.parent_id not in nodes:
            roots.append(node)
        else:
            nodes[comment.parent_id].children.append(node)
    return [root for root in roots if root.prune()]


def thread_tree(page, user=None, page_number=1):
    """One page of a thread's visible tree, in a fixed number of queries however many comments.

    Returns (nodes, visible comment count, paginator page of threads).
    """
    key = group_key(page)
    listing = thread_listing(key)
    threads_page = thread_page(listing, page_number)
    return build_tree(thread_comments(list(threads_page.object_list), user)), listing[0], threads_page


def is_personal(comment, user):
    """Whether ``comment`` shows differently to ``user`` than to other citizens: theirs, reacted to or reported."""
    if not user.is_authenticated:
        return False
    reacted = getattr(comment, "my_reaction", None) or getattr(comment, "i_reported", False)
    return comment.user_id == user.pk or bool(reacted)


def has_personal(thread_ids, user):
    """Whether ``user`` wrote, reacted to or reported any comment of these threads: one query."""
    if not user.is_authenticated or not thread_ids:
        return False
    return (
        _in_threads(thread_ids)
        .filter(
            Q(user=user)
            | Exists(CommentReaction.objects.filter(comment=OuterRef("pk"), user=user))
            | Exists(CommentReport.objects.filter(comment=OuterRef("pk"), user=user, reviewed_at__isnull=True))
        )
        .exists()
    )


def _personal_tag(user_id):
    return f"personal:{user_id}"


def personal_changed(sender, instance, **kwargs):
    """Signal receiver: a comment, reaction or report of a citizen was saved or deleted; what
    ``shows_personal`` remembered of them is forgotten (now and after the commit)."""
    if instance.user_id:
        pagecache.changed(_personal_tag(instance.user_id))


def _personal_key(key, group_version, threads_page, user):
    tag = _personal_tag(user.pk)
    mine = pagecache.versions([tag])[tag]
    return f"{pagecache.KEY_PREFIX}:personal:{user.pk}:{mine}:{key}:{group_version}:{threads_page.number}"


def shows_personal(key, group_version, threads_page, user):
    """``has_personal`` for one page of a thread's threads, remembered until the group's version (every
    comment, reaction and moderation in it) or the citizen's own (every comment, reaction or report of
    theirs, anywhere: ``personal_changed``) changes. The threads on a page follow from the group's
    version and the page's number, so that is what the answer is kept under."""
    thread_ids = list(threads_page.object_list)
    if not user.is_authenticated or not thread_ids:
        return False
    cache_key = _personal_key(key, group_version, threads_page, user)
    found = cache.get(cache_key)
    if found is None:
        found = has_personal(thread_ids, user)
        cache.set(cache_key, found, settings.PAGE_CACHE["TIMEOUT"])
    return found


def remember_personal(key, group_version, threads_page, user, personal):
    """What a full render of these threads found (``is_personal`` of any comment shown): the next
    ``shows_personal`` for them needs no query."""
    if user.is_authenticated and threads_page.object_list:
        cache.set(_personal_key(key, group_version, threads_page, user), personal, settings.PAGE_CACHE["TIMEOUT"])
