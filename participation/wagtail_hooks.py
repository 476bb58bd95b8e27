"""Moderation in the Wagtail admin: citizens' comments and comment threads."""

import django_filters
from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.models import Page
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views.snippets import SnippetViewSet

from .comments import REPORT
from .core.groups import groups_lost_by_deleting, groups_with_participation
from .models import CommentThread, ParticipationComment

# --- comments -------------------------------------------------------------------------------


class CommentModerationPolicy(ModelPermissionPolicy):
    """Comments are the citizens': staff hide and restore them, never add or delete (audit trail)."""

    def user_has_permission(self, user, action):
        if action in ("add", "delete"):
            return False
        return super().user_has_permission(user, action)

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action)


register_permission_policy(ParticipationComment, CommentModerationPolicy(ParticipationComment), exact_class=True)


class CommentFilterSet(WagtailFilterSet):
    flagged = django_filters.BooleanFilter(label=_("Reported by citizens"), method="filter_flagged")
    hidden = django_filters.BooleanFilter(label=_("Hidden"), method="filter_hidden")
    submit_date = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)

    class Meta:
        model = ParticipationComment
        fields = ["page", "language", "flagged", "hidden", "submit_date"]

    def filter_flagged(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(reports__gt=0) if value else queryset.filter(reports=0)

    def filter_hidden(self, queryset, name, value):
        if value is None:
            return queryset
        hidden = Q(is_public=False) | Q(is_removed=True)
        return queryset.filter(hidden) if value else queryset.exclude(hidden)


class StatusColumn(Column):
    def get_value(self, instance):
        return _("Hidden") if instance.is_hidden else _("Visible")


def moderate(comments, user, *, visible):
    """Hide or restore exactly these comments (not their replies), recording who and when."""
    return ParticipationComment.objects.filter(pk__in=[comment.pk for comment in comments]).update(
        is_public=visible, moderated_by=user, moderated_at=timezone.now()
    )


class CommentViewSet(SnippetViewSet):
    model = ParticipationComment
    icon = "comment"
    menu_label = _("Comments")
    menu_name = "citizen-comments"
    list_display = [
        "__str__",
        Column("page", label=_("Page")),
        Column("language", label=_("Language"), accessor="get_language_display"),
        Column("submit_date", label=_("Date")),
        Column("reports", label=_("Reports"), sort_key="reports"),
        StatusColumn("status", label=_("Status")),
    ]
    filterset_class = CommentFilterSet
    search_fields = ["comment", "user_name"]
    ordering = ["-submit_date"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = [
        "comment",
        "page",
        "user_name",
        "language",
        "submit_date",
        "is_public",
        "moderated_by",
        "moderated_at",
    ]
    panels = [
        FieldPanel("comment", read_only=True),
        FieldPanel("is_public", heading=_("Visible on the site")),
    ]

    def get_queryset(self, request):
        return ParticipationComment.objects.select_related("page", "user").annotate(
            reports=Count("flags", filter=Q(flags__flag=REPORT))
        )


class CommentThreadViewSet(SnippetViewSet):
    model = CommentThread
    icon = "lock"
    menu_label = _("Comment threads")
    menu_name = "comment-threads"
    list_display = ["page", "state"]
    list_filter = ["state"]
    copy_view_enabled = False
    panels = [FieldPanel("page"), FieldPanel("state")]


class ParticipationGroup(ViewSetGroup):
    menu_label = _("Participation")
    menu_icon = "group"
    menu_order = 250
    items = (CommentViewSet, CommentThreadViewSet)


@hooks.register("register_admin_viewset")
def register_participation_viewsets():
    return ParticipationGroup()


@hooks.register("after_edit_snippet")
def stamp_moderation(request, instance):
    if isinstance(instance, ParticipationComment):
        ParticipationComment.objects.filter(pk=instance.pk).update(
            moderated_by=request.user, moderated_at=timezone.now()
        )


class _ModerationBulkAction(SnippetBulkAction):
    models = [ParticipationComment]
    template_name = "participation/admin/confirm_bulk_moderation.html"
    visible = None

    def check_perm(self, snippet):
        return self.permission_policy.user_has_permission_for_instance(self.request.user, "change", snippet)

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        return moderate(objects, user, visible=cls.visible), 0

    def get_execution_context(self):
        return {**super().get_execution_context(), "user": self.request.user}

    def get_success_message(self, num_parent_objects, num_child_objects):
        return self.success_message(num_parent_objects) % {"count": num_parent_objects}


@hooks.register("register_bulk_action")
class HideCommentsBulkAction(_ModerationBulkAction):
    display_name = _("Hide")
    action_type = "hide"
    aria_label = _("Hide the selected comments")
    action_priority = 10
    visible = False

    @staticmethod
    def success_message(count):
        return ngettext("%(count)d comment hidden.", "%(count)d comments hidden.", count)


@hooks.register("register_bulk_action")
class RestoreCommentsBulkAction(_ModerationBulkAction):
    display_name = _("Restore")
    action_type = "restore"
    aria_label = _("Restore the selected comments")
    action_priority = 20
    visible = True

    @staticmethod
    def success_message(count):
        return ngettext("%(count)d comment restored.", "%(count)d comments restored.", count)


# --- dashboard ------------------------------------------------------------------------------


class FlaggedCommentsPanel(Component):
    name = "flagged_comments"
    order = 50

    def __init__(self, count, url):
        self.count = count
        self.url = url

    def render_html(self, parent_context=None):
        text = ngettext(
            "%(count)s visible comment reported by citizens awaits moderation.",
            "%(count)s visible comments reported by citizens await moderation.",
            self.count,
        ) % {"count": self.count}
        return format_html(
            '<section class="panel" aria-labelledby="flagged-comments-heading">'
            '<h2 id="flagged-comments-heading" class="w-h4">{}</h2><p>{}</p><p><a class="button" href="{}">{}</a></p>'
            "</section>",
            _("Reported comments"),
            text,
            self.url,
            _("Review reported comments"),
        )


@hooks.register("construct_homepage_panels")
def add_flagged_comments_panel(request, panels):
    policy = CommentModerationPolicy(ParticipationComment)
    if not policy.user_has_permission(request.user, "change"):
        return
    count = ParticipationComment.objects.filter(is_public=True, is_removed=False, flags__flag=REPORT).distinct().count()
    url = reverse(CommentViewSet().get_url_name("list")) + "?flagged=true&hidden=false"
    panels.append(FlaggedCommentsPanel(count, url))


# --- participation data outlives pages --------------------------------------------------------


def refuse_to_delete_participation(request, pages):
    """Refuse (with the reason) a delete that would leave citizens' votes or comments without any page.

    Deleting one translation is fine: the data belongs to the translation group and stays. Deleting
    the last page of a group that holds participation is refused: unpublish it to archive it.
    """
    lost = set()
    for page in pages:
        lost |= groups_lost_by_deleting(page)
    held = groups_with_participation(lost)
    if not held:
        return None
    titles = sorted({page.title for page in Page.objects.filter(translation_key__in=held)})
    messages.error(
        request,
        _(
            "“%(titles)s” cannot be deleted: citizens have taken part there (votes or comments) and their "
            "participation must stay on record. Unpublish the page instead to archive it."
        )
        % {"titles": "”, “".join(titles)},
    )
    first = pages[0]
    return redirect("wagtailadmin_explore", first.get_parent().pk if first.get_parent() else first.pk)


@hooks.register("before_delete_page")
def refuse_deleting_page_with_participation(request, page):
    return refuse_to_delete_participation(request, [page])


@hooks.register("before_bulk_action")
def refuse_bulk_deleting_pages_with_participation(request, action_type, objects, action_class_instance):
    if action_type == "delete" and objects and isinstance(objects[0], Page):
        return refuse_to_delete_participation(request, list(objects))
    return None
