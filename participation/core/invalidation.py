"""What citizens do, and what moderators and editors decide about it, drops the pages that show it.

Whole pages are kept for anonymous visitors (civic_site/pagecache.py), each depending on the
translation groups it shows. Every write here says which group changed: service functions call
:func:`group_changed` (comments, reactions, votes, moderation); settings and accounts changes come
through the signals wired in :func:`connect`.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save, pre_delete

from civic_site import pagecache

# The user's fields that make up the public name shown beside their comments (User.public_name).
NAME_FIELDS = {"display_name", "first_name", "last_name"}


def group_changed(*keys):
    """The pages showing these translation groups' participation are dropped (now and after the commit)."""
    tags = [pagecache.group_tag(key) for key in keys if key]
    if tags:
        pagecache.changed(*tags)


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


def _user_saved(sender, instance, update_fields=None, **kwargs):
    # Logins save last_login only: nothing shown changes. A new public name shows beside every comment.
    if update_fields is not None and not NAME_FIELDS & set(update_fields):
        return
    if not kwargs.get("created"):
        group_changed(*_commented_groups(instance))


def _user_deleted(sender, instance, **kwargs):
    # Their comments stay, shown as by a "Former participant".
    group_changed(*_commented_groups(instance))


def _idea_changed(sender, instance, **kwargs):
    # An idea approved, hidden, answered or merged in the admin: the map, its list and feed change,
    # and its process page's counts by status.
    from participation.ideas import ideas_changed

    ideas_changed(instance.group_id)


def connect():
    from participation.models import CommentThread, Idea

    post_save.connect(_idea_changed, sender=Idea, dispatch_uid="pagecache-idea-save")
    post_delete.connect(_idea_changed, sender=Idea, dispatch_uid="pagecache-idea-delete")
    post_save.connect(_thread_changed, sender=CommentThread, dispatch_uid="pagecache-thread-save")
    post_delete.connect(_thread_changed, sender=CommentThread, dispatch_uid="pagecache-thread-delete")
    post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="pagecache-user-save")
    pre_delete.connect(_user_deleted, sender=get_user_model(), dispatch_uid="pagecache-user-delete")
