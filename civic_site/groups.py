"""The staff groups of DESIGN.md (Editors, Moderators, Results) and the permissions each starts with.

Here, in the package that wires every app, because the groups hold permissions of several apps.
seed_demo creates them; tests/factories.py gives them to staff users.
"""

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from wagtail.models import Collection, GroupCollectionPermission, GroupPagePermission, Page

THREAD_PERMISSIONS = [
    "participation.add_commentthread",
    "participation.change_commentthread",
    "participation.view_commentthread",
]
GROUPS = {
    "Editors": ["wagtailadmin.access_admin", "wagtail_localize.submit_translation", *THREAD_PERMISSIONS],
    "Moderators": [
        "wagtailadmin.access_admin",
        "participation.view_participationcomment",
        "participation.change_participationcomment",
        *THREAD_PERMISSIONS,
    ],
    "Results": ["wagtailadmin.access_admin"],
}
EDITOR_PAGE_PERMISSIONS = ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"]
EDITOR_MEDIA_PERMISSIONS = [
    ("wagtailimages", "add_image"),
    ("wagtailimages", "change_image"),
    ("wagtailimages", "choose_image"),
    ("wagtaildocs", "add_document"),
    ("wagtaildocs", "change_document"),
    ("wagtaildocs", "choose_document"),
]

# Permissions that Wagtail and wagtail-localize create in data migrations (not model permissions):
# recreated here when a test database was flushed.
ADMIN_PERMISSIONS = {
    "wagtailadmin.access_admin": ("admin", "Can access Wagtail admin"),
    "wagtail_localize.submit_translation": ("translation", "Can submit translations"),
}


def admin_permission(dotted):
    app_label, codename = dotted.split(".")
    if dotted not in ADMIN_PERMISSIONS:
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)
    model, name = ADMIN_PERMISSIONS[dotted]
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    return Permission.objects.get_or_create(content_type=content_type, codename=codename, defaults={"name": name})[0]


def ensure_group(name):
    """The group ``name`` with its permissions (Editors also edit every page and the media); (group, created)."""
    group, made = Group.objects.get_or_create(name=name)
    group.permissions.add(*(admin_permission(dotted) for dotted in GROUPS[name]))
    if name == "Editors":
        for codename in EDITOR_PAGE_PERMISSIONS:
            GroupPagePermission.objects.get_or_create(
                group=group,
                page=Page.get_first_root_node(),
                permission=Permission.objects.get(content_type__app_label="wagtailcore", codename=codename),
            )
        collection = Collection.get_first_root_node() or Collection.add_root(name="Root")
        for app_label, codename in EDITOR_MEDIA_PERMISSIONS:
            GroupCollectionPermission.objects.get_or_create(
                group=group,
                collection=collection,
                permission=Permission.objects.get(content_type__app_label=app_label, codename=codename),
            )
    return group, made


def ensure_groups():
    """All three groups; returns the number created."""
    return sum(ensure_group(name)[1] for name in GROUPS)
