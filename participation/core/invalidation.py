"""What citizens do, and what moderators and editors decide about it, drops the pages that show it.

Whole pages are kept for anonymous visitors (civic_site/pagecache.py), each depending on the
translation groups it shows. Every write here says which group changed: service functions call
:func:`group_changed` (comments, reactions, votes, moderation); settings and accounts changes come
through the signals wired in :func:`connect`.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_delete

from civic_site import pagecache

# The user's fields that make up the public name shown beside their comments, ideas and reports and among a
# pact's volunteers (User.public_name).
NAME_FIELDS = {"display_name", "first_name", "last_name"}


def group_changed(*keys):
    """The pages showing these translation groups' participation are dropped (now and after the commit)."""
    tags = [pagecache.group_tag(key) for key in keys if key]
    if tags:
        pagecache.changed(*tags)


def page_and_process_changed(group_key):
    """``group_changed`` for a participation page's group and its parent process's: what citizens add on an
    idea map or a reporting page shows on the page (list, detail, feed) and in the process's counts."""
    from wagtail.models import Page

    keys = [group_key]
    page = Page.objects.filter(translation_key=group_key).only("path", "depth").first()
    if page is not None:
        parent = page.get_parent()
        if parent is not None:
            keys.append(parent.translation_key)
    group_changed(*keys)


def cached_status_counts(page, name, queryset, statuses):
    """{status: rows} of ``queryset`` (a page's ideas, reports...), every status of ``statuses`` present.
    Counting scans every row of the page (20 ms at 10,000), so the counts are kept in the cache under the
    page group's version, which every write to its rows bumps; ``name`` keeps each kind's apart."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db.models import Count

    tag = pagecache.group_tag(page.group_key)
    key = f"{pagecache.KEY_PREFIX}:{name}:status:{page.group_key}:{pagecache.versions([tag])[tag]}"
    found = cache.get(key)
    if found is None:
        rows = queryset.filter(group=page.group_key).values("status").annotate(n=Count("pk"))
        found = {row["status"]: row["n"] for row in rows.order_by()}
        cache.set(key, found, settings.PAGE_CACHE["TIMEOUT"])
    return {value: found.get(value, 0) for value in statuses}


def cached_for_group(group_key, name, compute, *, variant=""):
    """``compute()``, kept in the cache under the group's version (which every write to its participation bumps)
    for up to PAGE_CACHE's timeout: what a page reads about its group's participation (a pact's proposals and
    log) costs no query while nothing changed. ``variant`` keeps apart what differs by page (links in a
    language)."""
    from django.conf import settings
    from django.core.cache import cache

    tag = pagecache.group_tag(group_key)
    key = f"{pagecache.KEY_PREFIX}:{name}:{group_key}:{variant}:{pagecache.versions([tag])[tag]}"
    found = cache.get(key)
    if found is None:
        found = compute()
        cache.set(key, found, settings.PAGE_CACHE["TIMEOUT"])
    return found


def comments_changed(*keys):
    """``group_changed`` for these comment threads' groups: an idea's thread (keyed to the idea) also changes
    its map's list and feed, which count each idea's comments (one query)."""
    from participation.models import Idea

    keys = {key for key in keys if key}
    maps = set(Idea.objects.filter(key__in=keys).values_list("group_id", flat=True)) if keys else set()
    group_changed(*keys, *maps)


def _thread_changed(sender, instance, **kwargs):
    # A thread opened or closed by hand: its form and its buttons appear or go.
    group_changed(instance.group_id)


def _commented_groups(user):
    from participation.models import ParticipationComment

    return set(ParticipationComment.objects.filter(user=user).values_list("group", flat=True).distinct())


def _named_groups(user):
    """Where the citizen's public name shows: beside their comments, their ideas and reports ("by ..."), and in
    the volunteers of the pacts that show it."""
    from participation.models import Idea, PactMembership, Report

    return (
        _commented_groups(user)
        | set(Idea.objects.filter(user=user).values_list("group", flat=True).distinct())
        | set(Report.objects.filter(user=user).values_list("group", flat=True).distinct())
        | set(PactMembership.objects.filter(user=user, show_name=True).values_list("group", flat=True))
    )


def _user_saved(sender, instance, update_fields=None, **kwargs):
    # Logins save last_login only: nothing shown changes. A new public name shows wherever the old one did.
    if update_fields is not None and not NAME_FIELDS & set(update_fields):
        return
    if not kwargs.get("created"):
        group_changed(*_named_groups(instance))


def _user_deleted(sender, instance, **kwargs):
    # Their comments stay, shown as by a "Former participant".
    group_changed(*_commented_groups(instance))


def _idea_changed(sender, instance, **kwargs):
    # An idea approved, hidden, answered or merged in the admin: the map, its list and feed change,
    # and its process page's counts by status.
    from participation.ideas import ideas_changed

    ideas_changed(instance.group_id)


def connect():
    from participation.models import (
        CommentThread,
        District,
        Idea,
        IdeaCategory,
        IdeaPlace,
        PollOption,
        ReportCategory,
        ReportOffice,
    )
    from participation.models.pacts import PactSignatory

    # Vocabularies every reporting page and budget shows, and parts of pages saved with them (a poll's options, a
    # pact's signatories, an idea map's categories and places) that are kept in the cache until the content
    # changes: saved on their own, they bump it.
    for model in (ReportCategory, ReportOffice, District, PollOption, PactSignatory, IdeaCategory, IdeaPlace):
        post_save.connect(pagecache.content_changed, sender=model, dispatch_uid=f"pagecache-{model.__name__}-save")
        post_delete.connect(pagecache.content_changed, sender=model, dispatch_uid=f"pagecache-{model.__name__}-del")

    post_save.connect(_idea_changed, sender=Idea, dispatch_uid="pagecache-idea-save")
    post_delete.connect(_idea_changed, sender=Idea, dispatch_uid="pagecache-idea-delete")
    post_save.connect(_thread_changed, sender=CommentThread, dispatch_uid="pagecache-thread-save")
    post_delete.connect(_thread_changed, sender=CommentThread, dispatch_uid="pagecache-thread-delete")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="pagecache-user-save")
    pre_delete.connect(_user_deleted, sender=get_user_model(), dispatch_uid="pagecache-user-delete")
