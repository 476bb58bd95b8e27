"""The "Registry" staff role: the city's registry (anagrafe) staff import the register of residents and verify
people who show an identity document at a desk (accounts/census_admin.py). They reach the admin and hold
``accounts.manage_residents``, nothing else. Runs again harmlessly; reversing empties the group."""

from django.apps import apps as global_apps
from django.contrib.auth.management import create_permissions
from django.db import migrations

PERMISSIONS = [("wagtailadmin", "access_admin"), ("accounts", "manage_residents")]


def define_registry(apps, schema_editor):
    using = schema_editor.connection.alias if schema_editor is not None else "default"
    for label in ("accounts", "wagtailadmin"):
        create_permissions(global_apps.get_app_config(label), apps=apps, verbosity=0, using=using)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    registry, _ = Group.objects.using(using).get_or_create(name="Registry")
    registry.permissions.set(
        [
            Permission.objects.using(using).get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in PERMISSIONS
        ]
    )


def empty_registry(apps, schema_editor):
    for group in apps.get_model("auth", "Group").objects.filter(name="Registry"):
        group.permissions.clear()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_census"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(define_registry, empty_registry, elidable=False)]
