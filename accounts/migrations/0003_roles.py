"""The staff roles, on every database: Editors, Moderators, Results.

Wagtail's own migrations make "Editors" and "Moderators" groups with its defaults (Moderators
publish any page and delete images; both may delete documents) and hand the default
"Moderators approval" workflow task to Moderators. Here each role is *set* to exactly what
DESIGN.md gives it, not added to:

- Editors: reach the admin; add, edit, publish, lock and unlock pages anywhere in the tree (the
  tree is the two home pages with the participation index and the standard pages under them, so a
  permission on the root page is that); submit translations (wagtail-localize); upload and choose
  images and documents (Wagtail's ownership rule lets them edit or delete their own uploads, not
  others'); open and close comment threads; approve pages submitted to the approval workflow.
- Moderators: reach the admin; hide and restore citizens' comments; open and close comment
  threads. No page, image or document rights at all. Ideas and reports join when they exist.
- Results: reach the admin only; the results issue adds reading results and exports.

A frozen copy (not imported from app code) so that later changes come as new migrations.
Runs again harmlessly (it sets, not adds); reversing leaves the groups as they are.
"""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {
    "Editors": {
        "permissions": [
            "wagtailadmin.access_admin",
            "wagtail_localize.submit_translation",
            "participation.add_commentthread",
            "participation.change_commentthread",
            "participation.view_commentthread",
        ],
        "pages": ["add_page", "change_page", "publish_page", "lock_page", "unlock_page"],
        "collections": [
            "wagtailimages.add_image",
            "wagtailimages.choose_image",
            "wagtaildocs.add_document",
            "wagtaildocs.choose_document",
        ],
    },
    "Moderators": {
        "permissions": [
            "wagtailadmin.access_admin",
            "participation.view_participationcomment",
            "participation.change_participationcomment",
            "participation.moderate_participationcomment",
            "participation.add_commentthread",
            "participation.change_commentthread",
            "participation.view_commentthread",
        ],
        "pages": [],
        "collections": [],
    },
    "Results": {
        "permissions": ["wagtailadmin.access_admin"],
        "pages": [],
        "collections": [],
    },
}

# Apps whose model permissions the roles use. On a fresh database Django creates model
# permissions only after all migrations (post_migrate), so they are created here first.
PERMISSION_APPS = ["wagtailcore", "wagtailimages", "wagtaildocs", "participation"]

DEFAULT_APPROVAL_NAME = "Moderators approval"


def define_roles(apps, schema_editor):
    using = schema_editor.connection.alias
    for label in PERMISSION_APPS:
        create_permissions(global_apps.get_app_config(label), apps=apps, verbosity=0, using=using)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Page = apps.get_model("wagtailcore", "Page")
    Collection = apps.get_model("wagtailcore", "Collection")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore", "GroupCollectionPermission")

    def permission(dotted):
        app_label, codename = dotted.split(".")
        return Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename)

    root_page = Page.objects.using(using).filter(depth=1).order_by("path").first()
    root_collection = Collection.objects.using(using).filter(depth=1).order_by("path").first()
    groups = {}
    for name, role in ROLES.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        groups[name] = group
        group.permissions.set([permission(dotted) for dotted in role["permissions"]])

        page_permissions = [permission(f"wagtailcore.{codename}") for codename in role["pages"]]
        GroupPagePermission.objects.using(using).filter(group=group).exclude(
            page=root_page, permission__in=page_permissions
        ).delete()
        for page_permission in page_permissions if root_page else []:
            GroupPagePermission.objects.using(using).get_or_create(
                group=group, page=root_page, permission=page_permission
            )

        collection_permissions = [permission(dotted) for dotted in role["collections"]]
        GroupCollectionPermission.objects.using(using).filter(group=group).exclude(
            collection=root_collection, permission__in=collection_permissions
        ).delete()
        for collection_permission in collection_permissions if root_collection else []:
            GroupCollectionPermission.objects.using(using).get_or_create(
                group=group, collection=root_collection, permission=collection_permission
            )

    # Approving a page in a workflow publishes it: that is the Editors' job, not the Moderators'.
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    for task in GroupApprovalTask.objects.using(using).filter(groups=groups["Moderators"]):
        task.groups.remove(groups["Moderators"])
        task.groups.add(groups["Editors"])
        if task.name == DEFAULT_APPROVAL_NAME:
            task.name = "Editors approval"
            task.save(update_fields=["name"])
    Workflow.objects.using(using).filter(name=DEFAULT_APPROVAL_NAME).update(name="Editors approval")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_user_notify_replies"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailadmin", "0006_formstate"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("wagtail_localize", "0016_rename_page_revision_translationlog_revision"),
        ("participation", "0001_initial"),
    ]

    operations = [migrations.RunPython(define_roles, migrations.RunPython.noop, elidable=False)]
