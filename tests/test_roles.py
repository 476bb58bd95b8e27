"""The staff roles that accounts/migrations/0003_roles.py defines on every database (and the "Offices" role,
an office's own staff for neighbourhood reports, that participation/migrations/0013_report_roles.py adds, and
"Registry", the register of residents and the desk, from accounts/migrations/0007_registry_role.py).

The whole matrix, role by role: model permissions, what Wagtail's page and collection
permission policies allow, and what the admin's menus answer; what must be refused included.
A citizen (no group) is the baseline: nothing at all.
"""

import importlib
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse
from wagtail.admin.auth import user_has_any_page_permission
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file
from wagtail.models import Collection, GroupApprovalTask, Workflow
from wagtail.permissions import policy_registry

from participation.models import CommentThread, ParticipationComment, Report, ReportCategory, ReportOffice
from participation.models.reports import Open311Key
from tests.factories import StandardPageFactory, UserFactory, activate_two_factor

pytestmark = pytest.mark.django_db

User = get_user_model()
ROLES = ["Editors", "Moderators", "Offices", "Registry", "Results", None]  # None: a citizen
STAFF = [role for role in ROLES if role]

# --- the matrix -------------------------------------------------------------------------------
# Each row: a Django permission and the roles that hold it (every other role must not).

MODEL_PERMISSIONS = {
    "wagtailadmin.access_admin": {"Editors", "Moderators", "Offices", "Registry", "Results"},
    # The register of residents and the desk (accounts/census_admin.py, accounts/migrations/0007_registry_role.py).
    "accounts.manage_residents": {"Registry"},
    "wagtail_localize.submit_translation": {"Editors"},
    "participation.view_participationcomment": {"Moderators"},
    "participation.change_participationcomment": {"Moderators"},
    "participation.moderate_participationcomment": {"Moderators"},
    "participation.add_participationcomment": set(),
    "participation.delete_participationcomment": set(),
    "participation.view_commentthread": {"Editors", "Moderators"},
    "participation.change_commentthread": {"Editors", "Moderators"},
    "participation.delete_commentthread": set(),
    # Ideas on a map (issue 14): the offices answer through Editors and Moderators; nobody adds or deletes them.
    "participation.view_idea": {"Editors", "Moderators"},
    "participation.change_idea": {"Editors", "Moderators"},
    "participation.moderate_idea": {"Editors", "Moderators"},
    "participation.add_idea": set(),
    "participation.delete_idea": set(),
    # Budget votes (issue 15): Editors keep the categories and districts; Results enters paper ballots.
    "participation.add_projectcategory": {"Editors"},
    "participation.change_projectcategory": {"Editors"},
    "participation.delete_projectcategory": {"Editors"},
    "participation.view_projectcategory": {"Editors"},
    "participation.add_district": {"Editors"},
    "participation.change_district": {"Editors"},
    "participation.view_district": {"Editors"},
    "participation.delete_district": set(),
    "participation.add_ballot": {"Results"},
    "participation.view_ballot": {"Results"},
    "participation.change_ballot": set(),
    "participation.delete_ballot": set(),
    # Results (issue 17): the admin's Results views and their downloads.
    "participation.view_results": {"Results"},
    # Neighbourhood reports: Moderators answer every report, an office's staff ("Offices") those of their
    # offices; nobody adds or deletes them. Editors keep the categories and the offices; Open311 keys stay
    # with administrators.
    "participation.view_report": {"Moderators", "Offices"},
    "participation.change_report": {"Moderators", "Offices"},
    "participation.moderate_report": {"Moderators", "Offices"},
    "participation.add_report": set(),
    "participation.delete_report": set(),
    "participation.add_reportcategory": {"Editors"},
    "participation.change_reportcategory": {"Editors"},
    "participation.delete_reportcategory": {"Editors"},
    "participation.view_reportcategory": {"Editors"},
    "participation.add_reportoffice": {"Editors"},
    "participation.change_reportoffice": {"Editors"},
    "participation.view_reportoffice": {"Editors"},
    "participation.delete_reportoffice": set(),
    "participation.add_open311key": set(),
    "participation.change_open311key": set(),
    "participation.delete_open311key": set(),
    "participation.view_open311key": set(),
    "participation.change_reportupdate": set(),
    "participation.delete_reportphoto": set(),
    # Page feedback (C.SI.2.5): Editors read the answers' report; nobody edits answers.
    "feedback.view_pagefeedback": {"Editors"},
    "feedback.add_pagefeedback": set(),
    "feedback.change_pagefeedback": set(),
    "feedback.delete_pagefeedback": set(),
    # Images and documents are granted per collection, never as model permissions.
    "wagtailimages.add_image": set(),
    "wagtailimages.delete_image": set(),
    "wagtaildocs.delete_document": set(),
    # Users, groups, sites and settings stay with administrators.
    "accounts.add_user": set(),
    "accounts.change_user": set(),
    "auth.change_group": set(),
    "wagtailcore.add_site": set(),
    "wagtailcore.change_site": set(),
    "home.change_sitelinks": set(),
}

# Page actions (Wagtail's page permission tester) and the roles allowed each, per page.
PAGE_ACTIONS = {
    "can_edit": {"Editors"},
    "can_publish": {"Editors"},
    "can_unpublish": {"Editors"},
    "can_lock": {"Editors"},
    "can_copy": {"Editors"},
}


def member(role, name=None):
    user = UserFactory(username=name or (role or "citizen").lower())
    if role:
        user.groups.add(Group.objects.get(name=role))
    if role in settings.TWO_FACTOR_REQUIRED_GROUPS:
        activate_two_factor(user)  # or the admin sends them to set it up (tests/test_mfa.py)
    return User.objects.get(pk=user.pk)  # fresh: no permission caches


@pytest.fixture
def users():
    return {role: member(role) for role in ROLES}


@pytest.fixture
def pages(tree):
    """Each kind of page, live: the home page, the participation index, a process, its poll, a standard page."""
    home = tree["home"]["it"]
    return {
        "home": home,
        "index": tree["index"]["it"],
        "process": tree["consultation"]["it"],
        "poll": tree["poll"]["it"],
        "standard": StandardPageFactory(parent=home, slug="privacy", title="Privacy"),
        "home (en)": tree["home"]["en"],
        "process (en)": tree["consultation"]["en"],
    }


def denied(response):
    """Wagtail refuses by sending back to the dashboard with a message (or a plain 403)."""
    return response.status_code == 403 or (
        response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home")
    )


# --- groups and model permissions -------------------------------------------------------------


def test_the_five_roles_exist_and_no_others():
    assert set(Group.objects.values_list("name", flat=True)) == {
        "Editors",
        "Moderators",
        "Offices",
        "Registry",
        "Results",
    }


@pytest.mark.parametrize("role", ROLES)
def test_model_permissions(users, role):
    user = users[role]
    for permission, holders in MODEL_PERMISSIONS.items():
        assert user.has_perm(permission) == (role in holders), (role, permission)


@pytest.mark.parametrize("role", ROLES)
def test_no_role_holds_more_than_the_matrix(role):
    """Wagtail's defaults (image deletion, page publishing for Moderators…) are gone, not kept beside ours."""
    if role is None:
        return
    granted = {
        f"{app_label}.{codename}"
        for app_label, codename in Group.objects.get(name=role).permissions.values_list(
            "content_type__app_label", "codename"
        )
    }
    expected = {permission for permission, holders in MODEL_PERMISSIONS.items() if role in holders}
    expected |= {"participation.add_commentthread"} if role in {"Editors", "Moderators"} else set()
    assert granted == expected


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_page_permissions(users, pages, role):
    user = users[role]
    editor = role == "Editors"
    for name, page in pages.items():
        tester = page.permissions_for_user(user)
        for action, allowed in PAGE_ACTIONS.items():
            assert getattr(tester, action)() == (role in allowed), (role, name, action)
    # Adding pages: standard pages and the index under the home pages, processes under the index,
    # polls under a process; nothing under a poll or a standard page, for anyone.
    for name in ("home", "home (en)", "index", "process", "process (en)"):
        assert pages[name].permissions_for_user(user).can_add_subpage() == editor, (role, name)
        assert pages[name].permissions_for_user(user).can_publish_subpage() == editor, (role, name)
    for name in ("poll", "standard"):
        assert not pages[name].permissions_for_user(user).can_add_subpage(), (role, name)
    # Deleting: a published page without children, yes for editors; one with children, never
    # (no bulk delete).
    for name in ("poll", "standard"):
        assert pages[name].permissions_for_user(user).can_delete() == editor, (role, name)
    for name in ("home", "index", "process"):
        assert not pages[name].permissions_for_user(user).can_delete(), (role, name)
    assert user_has_any_page_permission(user) == editor


def test_editors_translate_and_moderators_cannot(client, users, pages):
    url = reverse("wagtail_localize:submit_page_translation", args=[pages["standard"].pk])
    for role in ("Moderators", "Offices", "Results"):
        client.force_login(users[role])
        assert denied(client.get(url)), role
    client.force_login(users["Editors"])
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("role", "allowed"), [("Editors", True), ("Moderators", False), ("Offices", False), ("Results", False)]
)
def test_page_editor_in_the_admin(client, users, pages, role, allowed):
    client.force_login(users[role])
    response = client.get(reverse("wagtailadmin_pages:edit", args=[pages["process"].pk]))
    assert (response.status_code == 200) if allowed else denied(response)
    response = client.get(reverse("wagtailadmin_explore", args=[pages["index"].pk]))
    assert (response.status_code == 200) if allowed else denied(response)


def test_the_approval_workflow_is_the_editors_and_moderators_never_publish_through_it(users, pages):
    task = GroupApprovalTask.objects.get()
    assert set(task.groups.values_list("name", flat=True)) == {"Editors"}
    workflow = Workflow.objects.get()
    assert workflow.name == "Editors approval"

    page = pages["process"]
    page.save_revision(user=users["Editors"])
    workflow.start(page, users["Editors"])
    page.refresh_from_db()
    assert page.workflow_in_progress
    assert task.get_actions(page, users["Moderators"]) == []
    assert not task.user_can_access_editor(page, users["Moderators"])
    assert not page.permissions_for_user(users["Moderators"]).can_edit()
    assert not page.permissions_for_user(users["Moderators"]).can_publish()
    assert [name for name, *_ in task.get_actions(page, users["Editors"])][:1] == ["reject"]


# --- images and documents ---------------------------------------------------------------------


def make_image(owner):
    return get_image_model().objects.create(
        title="Parco Dora",
        file=get_test_image_file(),
        uploaded_by_user=owner,
        collection=Collection.get_first_root_node(),
    )


def make_document(owner):
    return get_document_model().objects.create(
        title="Verbale",
        file=ContentFile(b"verbale", name="verbale.txt"),
        uploaded_by_user=owner,
        collection=Collection.get_first_root_node(),
    )


@pytest.mark.parametrize(("model", "make"), [(get_image_model, make_image), (get_document_model, make_document)])
@pytest.mark.parametrize("role", ROLES)
def test_images_and_documents(users, role, model, make):
    policy = policy_registry.get_by_type(model())
    user = users[role]
    editor = role == "Editors"
    someone_elses = make(users["Editors"] if role != "Editors" else member(None, "altro"))
    own = make(user)
    # Upload and choose (to put in a page): editors only.
    assert policy.user_has_permission(user, "add") == editor, role
    assert policy.user_has_permission(user, "choose") == editor, role
    assert policy.user_has_permission_for_instance(user, "choose", someone_elses) == editor, role
    # Wagtail's ownership rule: an uploader may edit or delete their own file, nobody else's.
    assert policy.user_has_permission_for_instance(user, "change", own) == editor, role
    assert policy.user_has_permission_for_instance(user, "delete", own) == editor, role
    assert not policy.user_has_permission_for_instance(user, "change", someone_elses), role
    assert not policy.user_has_permission_for_instance(user, "delete", someone_elses), role


@pytest.mark.parametrize("role", STAFF)
def test_image_and_document_admin(client, users, role):
    client.force_login(users[role])
    owner = member(None, "fotografa")
    image, document = make_image(owner), make_document(owner)
    for index_url, delete_url in [
        (reverse("wagtailimages:index"), reverse("wagtailimages:delete", args=[image.pk])),
        (reverse("wagtaildocs:index"), reverse("wagtaildocs:delete", args=[document.pk])),
    ]:
        response = client.get(index_url)
        assert (response.status_code == 200) if role == "Editors" else denied(response), (role, index_url)
        assert denied(client.post(delete_url)), (role, delete_url)
    assert get_image_model().objects.filter(pk=image.pk).exists()
    assert get_document_model().objects.filter(pk=document.pk).exists()


# --- moderation menus -------------------------------------------------------------------------


def snippet_url(model, name, *args):
    return reverse(model.snippet_viewset.get_url_name(name), args=args)


@pytest.mark.parametrize(
    ("role", "comments", "threads"),
    [("Editors", False, True), ("Moderators", True, True), ("Offices", False, False), ("Results", False, False)],
)
def test_participation_menus(client, users, pages, role, comments, threads):
    client.force_login(users[role])
    response = client.get(snippet_url(ParticipationComment, "list"))
    assert (response.status_code == 200) if comments else denied(response), role
    response = client.get(snippet_url(CommentThread, "list"))
    assert (response.status_code == 200) if threads else denied(response), role
    thread = CommentThread.objects.get_or_create(page=pages["process"])[0]
    response = client.get(snippet_url(CommentThread, "edit", thread.pk))
    assert (response.status_code == 200) if threads else denied(response), role
    # Nobody deletes comments (they stay for the audit trail); thread rows neither.
    assert denied(client.get(snippet_url(CommentThread, "delete", thread.pk))), role


@pytest.mark.parametrize(
    ("role", "reports", "categories"),
    [("Editors", False, True), ("Moderators", True, False), ("Offices", True, False), ("Results", False, False)],
)
def test_report_menus(client, users, role, reports, categories):
    """The inbox is the Moderators' and the offices'; categories and offices the Editors'; Open311 keys
    nobody's but the administrators'."""
    client.force_login(users[role])
    for model, allowed in ((Report, reports), (ReportCategory, categories), (ReportOffice, categories)):
        response = client.get(snippet_url(model, "list"))
        assert (response.status_code == 200) if allowed else denied(response), (role, model)
    response = client.get(reverse("report_statistics"))
    assert (response.status_code == 200) if reports else denied(response), role
    assert denied(client.get(snippet_url(Open311Key, "list"))), role
    assert denied(client.get(snippet_url(Report, "add"))), role


@pytest.mark.parametrize("role", STAFF)
def test_users_and_groups_stay_with_administrators(client, users, role):
    client.force_login(users[role])
    for url in (reverse("wagtailusers_users:index"), reverse("wagtailusers_groups:index")):
        assert denied(client.get(url)), (role, url)


def test_citizens_never_reach_the_admin(client, users):
    client.force_login(users[None])
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- the migration ----------------------------------------------------------------------------


def test_the_roles_migration_sets_rather_than_adds_and_runs_again_harmlessly(pages):
    """Run again (as on a database where someone changed the groups by hand), it restores the matrix."""
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.db import connection
    from wagtail.models import GroupCollectionPermission, GroupPagePermission

    roles = importlib.import_module("accounts.migrations.0003_roles")
    moderators = Group.objects.get(name="Moderators")
    publish = Permission.objects.get(content_type__app_label="wagtailcore", codename="publish_page")
    delete_image = Permission.objects.get(content_type__app_label="wagtailimages", codename="delete_image")
    GroupPagePermission.objects.create(group=moderators, page=pages["home"], permission=publish)
    GroupCollectionPermission.objects.create(
        group=moderators, collection=Collection.get_first_root_node(), permission=delete_image
    )
    moderators.permissions.add(delete_image)

    def snapshot():
        return {
            group.name: (
                sorted(group.permissions.values_list("codename", flat=True)),
                sorted(GroupPagePermission.objects.filter(group=group).values_list("page_id", "permission__codename")),
                sorted(
                    GroupCollectionPermission.objects.filter(group=group).values_list(
                        "collection_id", "permission__codename"
                    )
                ),
            )
            for group in Group.objects.all()
        }

    roles.define_roles(apps, SimpleNamespace(connection=connection))
    once = snapshot()
    permissions, page_permissions, collection_permissions = once["Moderators"]
    assert "delete_image" not in permissions
    assert "moderate_participationcomment" in permissions
    assert page_permissions == collection_permissions == []
    roles.define_roles(apps, SimpleNamespace(connection=connection))
    assert snapshot() == once
