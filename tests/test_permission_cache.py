"""Permissions come from the shared cache (accounts/backends.py) and are never stale.

A logged-in page asks whether to show the header's Admin link; the answer is cached per user and
forgotten when an administrator changes groups, group permissions or the user's own flags.
"""

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import AdminFactory, EditorFactory, UserFactory

ADMIN_LINK = reverse("wagtailadmin_home")


def admin_link_shown(client, url):
    return f'href="{ADMIN_LINK}"' in client.get(url).content.decode()


def permission_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    # Django's own two queries (user and group permissions); Wagtail's page permissions for an editor's
    # userbar are another matter.
    return [q["sql"] for q in queries if q["sql"].partition(" FROM ")[2].startswith('"auth_permission"')]


def test_a_logged_in_page_loads_permissions_once_then_from_the_cache(client, tree):
    url = tree["home"]["it"].url
    client.force_login(EditorFactory())
    assert permission_queries(client, url)
    assert permission_queries(client, url) == []


def test_new_citizens_signing_up_do_not_empty_the_cache(client, tree):
    url = tree["home"]["it"].url
    client.force_login(EditorFactory())
    client.get(url)
    for number in range(3):
        UserFactory(username=f"nuovo{number}")
    assert permission_queries(client, url) == []


def test_leaving_the_editors_group_takes_the_admin_link_away_at_the_next_page(client, tree):
    url = tree["home"]["it"].url
    editor = EditorFactory()
    client.force_login(editor)
    assert admin_link_shown(client, url)
    editor.groups.clear()
    assert not admin_link_shown(client, url)


def test_a_group_losing_admin_access_takes_the_link_away(client, tree):
    url = tree["home"]["it"].url
    client.force_login(EditorFactory())
    assert admin_link_shown(client, url)
    Group.objects.get(name="Editors").permissions.remove(
        *Group.objects.get(name="Editors").permissions.filter(codename="access_admin")
    )
    assert not admin_link_shown(client, url)


def test_a_superuser_demoted_loses_the_link_and_one_promoted_gains_it(client, tree):
    url = tree["home"]["it"].url
    admin = AdminFactory(two_factor=False)
    client.force_login(admin)
    assert admin_link_shown(client, url)
    admin.is_superuser = False
    admin.save(update_fields=["is_superuser"])
    assert not admin_link_shown(client, url)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    assert admin_link_shown(client, url)


def test_a_deactivated_user_has_no_permissions(client, tree):
    editor = EditorFactory()
    assert editor.has_perm("wagtailadmin.access_admin")
    editor.is_active = False
    editor.save()
    editor = type(editor).objects.get(pk=editor.pk)
    assert not editor.has_perm("wagtailadmin.access_admin")
