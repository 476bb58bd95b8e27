"""Budgets in the staff roles: Editors keep the project categories and districts (snippets); the Results
group enters and imports paper ballots and sees the ballots (counts only: ballots name nobody).
Adds to the groups; reversing takes them away."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "Editors": [
        "add_projectcategory",
        "change_projectcategory",
        "delete_projectcategory",
        "view_projectcategory",
        "add_district",
        "change_district",
        "view_district",
    ],
    "Results": ["add_ballot", "view_ballot"],
}


def _permissions(apps, codenames):
    Permission = apps.get_model("auth", "Permission")
    return Permission.objects.filter(content_type__app_label="participation", codename__in=codenames)


def grant(apps, schema_editor):
    using = schema_editor.connection.alias if schema_editor is not None else "default"
    create_permissions(global_apps.get_app_config("participation"), apps=apps, verbosity=0, using=using)
    Group = apps.get_model("auth", "Group")
    for name, codenames in GRANTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.add(*_permissions(apps, codenames))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name, codenames in GRANTS.items():
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*_permissions(apps, codenames))


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0010_budgets"),
        ("accounts", "0003_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
