"""Neighbourhood reports in the staff roles: Moderators answer, assign and moderate every report; Editors keep
the report categories and the offices; a new "Offices" group is for an office's own staff, who see in the
admin only the reports assigned to the offices they are members of. Open311 keys stay with administrators.
Adds to the groups; reversing takes them away (the Offices group stays, emptied)."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

REPORT_WORK = ["view_report", "change_report", "moderate_report"]
GRANTS = {
    "Editors": [
        "add_reportcategory",
        "change_reportcategory",
        "delete_reportcategory",
        "view_reportcategory",
        "add_reportoffice",
        "change_reportoffice",
        "view_reportoffice",
    ],
    "Moderators": REPORT_WORK,
    "Offices": REPORT_WORK,
}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="participation", codename__in=codenames)


def grant(apps, schema_editor):
    using = schema_editor.connection.alias if schema_editor is not None else "default"
    create_permissions(global_apps.get_app_config("participation"), apps=apps, verbosity=0, using=using)
    create_permissions(global_apps.get_app_config("wagtailadmin"), apps=apps, verbosity=0, using=using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    offices, _ = Group.objects.get_or_create(name="Offices")
    offices.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    for name, codenames in GRANTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.add(*_permissions(apps, codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, codenames in GRANTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*_permissions(apps, codenames))
    for group in Group.objects.filter(name="Offices"):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0012_reports"),
        ("accounts", "0003_roles"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
