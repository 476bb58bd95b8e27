"""Permissions from the shared cache: a logged-in page costs no permission queries.

Django loads a user's permissions with two queries on every request that asks (the header's admin
link, Wagtail's userbar), although they change only when an administrator edits users, groups or
permissions. They are kept in the cache per user under one version, which any such change bumps
(signals wired in :func:`connect`), so every server sees a revoked permission at the next request.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save

from civic_site import pagecache

# A version tag like the page cache's (no page depends on it): bumping it forgets every cached set.
PERMISSIONS = "permissions"
TIMEOUT = 60 * 60


def permissions_changed(**kwargs):
    pagecache.bump(PERMISSIONS)


class CachedPermissionsBackend(ModelBackend):
    """Django's ModelBackend with ``get_all_permissions`` kept in the cache (the other backends that
    derive from ModelBackend, allauth's, reuse the set through the user object's ``_perm_cache``)."""

    def get_all_permissions(self, user_obj, obj=None):
        if obj is not None or not user_obj.is_active or user_obj.is_anonymous:
            return super().get_all_permissions(user_obj, obj)
        if not hasattr(user_obj, "_perm_cache"):
            # The user's own flag is read fresh with the user on every request, so it is part of the key
            # rather than a reason to bump the version: a signup or a login never empties everyone's set.
            version = pagecache.versions([PERMISSIONS])[PERMISSIONS]
            key = f"perms:{version}:{user_obj.pk}:{int(user_obj.is_superuser)}"
            permissions = cache.get(key)
            if permissions is None:
                permissions = super().get_all_permissions(user_obj)
                cache.set(key, permissions, TIMEOUT)
            user_obj._perm_cache = permissions
        return user_obj._perm_cache


def connect():
    User = get_user_model()
    for relation in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(permissions_changed, sender=relation, dispatch_uid=f"perms-{relation.__name__}")
    for model in (Group, Permission):
        post_save.connect(permissions_changed, sender=model, dispatch_uid=f"perms-save-{model.__name__}")
        post_delete.connect(permissions_changed, sender=model, dispatch_uid=f"perms-delete-{model.__name__}")
    post_delete.connect(permissions_changed, sender=User, dispatch_uid="perms-user-delete")
