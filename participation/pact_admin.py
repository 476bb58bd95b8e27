"""Collaboration pacts' activities in the Wagtail admin: editors publish every pact's, each pact's coordinators
(the members of the Wagtail group named in the pact's ``coordinators`` field) only their pact's.

Coordinators need Wagtail's "Can access Wagtail admin" permission on their group (the editor sets it when
making the group); no model permission is needed: :class:`ActivityPolicy` answers from the pacts instead, and
every view checks the activity's pact again (a coordinator typing another pact's address is refused).
"""

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.views import generic
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies.base import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .core.models import TranslationGroup
from .models.pacts import Activity, PactPage
from .pact_permissions import coordinated_keys, coordinates_all, may_coordinate

ACTIONS = {"add", "change", "delete", "view"}


def visible_activities(user, queryset=None):
    queryset = Activity.objects.all() if queryset is None else queryset
    if coordinates_all(user):
        return queryset
    return queryset.filter(group__in=coordinated_keys(user))


class ActivityPolicy(ModelPermissionPolicy):
    """Editors and superusers: every activity; a pact's coordinators: that pact's activities only."""

    def user_has_permission(self, user, action):
        return action in ACTIONS and (coordinates_all(user) or bool(coordinated_keys(user)))

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and may_coordinate(user, instance.group_id)

    def instances_user_has_permission_for(self, user, action):
        return visible_activities(user) if self.user_has_permission(user, action) else Activity.objects.none()

    def instances_user_has_any_permission_for(self, user, actions):
        return visible_activities(user) if self.user_has_any_permission(user, actions) else Activity.objects.none()


class ActivityForm(WagtailAdminModelForm):
    """The pact to choose is one of those the user coordinates, shown by its title."""

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, for_user=for_user, **kwargs)
        field = self.fields.get("group")
        if field is None:
            return
        pages = PactPage.objects.all()
        if not coordinates_all(for_user):
            pages = pages.filter(translation_key__in=coordinated_keys(for_user))
        titles = {}
        for key, title in pages.order_by("-locale__language_code").values_list("translation_key", "title"):
            titles[key] = title  # Italian ("it") last: its title wins
        field.queryset = TranslationGroup.objects.filter(pk__in=list(titles))
        field.label_from_instance = lambda group: titles.get(group.pk, str(group.pk))
        field.label = _("pact")

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("An activity must end after it starts."))
        return cleaned


class _Scoped:
    """Edit and delete only the activities of the user's pacts: another pact's is refused (403)."""

    def get_object(self, queryset=None):
        activity = super().get_object(queryset)
        if not may_coordinate(self.request.user, activity.group_id):
            raise PermissionDenied
        return activity


class ActivityIndexView(generic.IndexView):
    def get_base_queryset(self):
        return visible_activities(self.request.user, super().get_base_queryset())


class ActivityCreateView(generic.CreateView):
    def save_instance(self):
        self.form.instance.created_by = self.request.user
        return super().save_instance()


class ActivityEditView(_Scoped, generic.EditView):
    pass


class ActivityDeleteView(_Scoped, generic.DeleteView):
    pass


class ActivityViewSet(ModelViewSet):
    model = Activity
    icon = "date"
    menu_label = _("Pact activities")
    add_to_admin_menu = True
    menu_order = 260
    url_prefix = "pact-activities"
    index_view_class = ActivityIndexView
    add_view_class = ActivityCreateView
    edit_view_class = ActivityEditView
    delete_view_class = ActivityDeleteView
    list_display = ["title", "starts_at", "place_name", "capacity", "status"]
    list_filter = ["status"]
    search_fields = ["title", "place_name"]
    ordering = ["-starts_at"]
    copy_view_enabled = False
    inspect_view_enabled = False
    edit_handler = ObjectList(
        [
            FieldPanel("group"),
            FieldPanel("title"),
            FieldPanel("language"),
            FieldPanel("description"),
            MultiFieldPanel(
                [FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]), FieldPanel("status")],
                heading=_("When"),
            ),
            MultiFieldPanel(
                [FieldPanel("place_name"), FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")])],
                heading=_("Where"),
            ),
            FieldPanel("capacity"),
            FieldPanel("what_to_bring"),
        ],
        base_form_class=ActivityForm,
    )


register_permission_policy(Activity, ActivityPolicy(Activity), exact_class=True)


@hooks.register("register_admin_viewset")
def register_activity_viewset():
    return ActivityViewSet("pact_activities")
