"""Results in the staff roles: "view_results" (see the admin's Results views and download the exports), given
to the Results group. Superusers hold it implicitly. Reversing takes it away from the group."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"Results": ["view_results"]}


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
        ("participation", "0013_report_roles"),
        ("accounts", "0003_roles"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="translationgroup",
            options={
                "permissions": [("view_results", "Can see results and download exports")],
                "verbose_name": "translation group",
                "verbose_name_plural": "translation groups",
            },
        ),
        migrations.RunPython(grant, revoke),
    ]
