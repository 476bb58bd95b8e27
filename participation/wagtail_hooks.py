"""Moderation in the Wagtail admin: citizens' comments and comment threads."""

import django_filters
from django.contrib import messages
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.panels import FieldPanel
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.widgets import Button
from wagtail.log_actions import LogFormatter
from wagtail.models import Page
from wagtail.permissions import register_permission_policy
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views.snippets import SnippetViewSet

from . import budget_admin, following, idea_admin, moderation, open_data, report_admin, results_admin
from .core.admin import CitizensContentPolicy, group_titles
from .core.groups import groups_lost_by_deleting, groups_with_participation
from .exports import LOG_ACTION
from .forms import HideCommentsForm
from .models import (
    BudgetPage,
    CommentThread,
    District,
    Idea,
    ModerationReason,
    ParticipationComment,
    ProjectCategory,
    Report,
)
from .models.comments import with_page_title

# --- comments -------------------------------------------------------------------------------


class CommentModerationPolicy(CitizensContentPolicy):
    """Comments are the citizens': staff hide and restore them, never add or delete (audit trail)."""


register_permission_policy(ParticipationComment, CommentModerationPolicy(ParticipationComment), exact_class=True)
register_permission_policy(Idea, idea_admin.IdeaModerationPolicy(Idea), exact_class=True)
register_permission_policy(Report, report_admin.ReportPolicy(Report), exact_class=True)


def page_choices():
    """The pages that have comments, by the title of their version in the admin's language (one query)."""
    return group_titles("comments")


class CommentFilterSet(WagtailFilterSet):
    page = django_filters.ChoiceFilter(label=_("Page"), field_name="group", choices=page_choices)
    flagged = django_filters.BooleanFilter(label=_("Reported by citizens"), method="filter_flagged")
    hidden = django_filters.BooleanFilter(label=_("Hidden"), method="filter_hidden")
    submit_date = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)

    class Meta:
        model = ParticipationComment
        fields = ["page", "language", "flagged", "hidden", "submit_date"]

    def filter_flagged(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(open_reports__gt=0) if value else queryset.filter(open_reports=0)

    def filter_hidden(self, queryset, name, value):
        if value is None:
            return queryset
        hidden = Q(is_public=False) | Q(is_removed=True)
        return queryset.filter(hidden) if value else queryset.exclude(hidden)


class StatusColumn(Column):
    def get_value(self, instance):
        if instance.is_removed:
            return _("Deleted by its author")
        if instance.is_hidden:
            return _("Hidden")
        return _("Visible, reviewed") if instance.moderated_at else _("Visible")


class CommentViewSet(SnippetViewSet):
    model = ParticipationComment
    icon = "comment"
    menu_label = _("Comments")
    menu_name = "citizen-comments"
    list_display = [
        "__str__",
        Column("page_title", label=_("Page")),
        Column("language", label=_("Language"), accessor="get_language_display"),
        Column("submit_date", label=_("Date")),
        Column("open_reports", label=_("Open reports"), sort_key="open_reports"),
        Column("open_report_reasons", label=_("Reasons")),
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
        "page_title",
        "open_report_reasons",
        "user_name",
        "language",
        "submit_date",
        "is_public",
        "moderated_by",
        "moderated_at",
        "hidden_reason",
        "hidden_note",
    ]
    # Hiding and restoring go through the actions (with a reason, an email to the author and the
    # audit log), never through a bare checkbox on the edit form.
    panels = [
        FieldPanel("comment", read_only=True),
        FieldPanel("is_public", heading=_("Visible on the site"), read_only=True),
    ]

    def get_queryset(self, request):
        return (
            with_page_title(ParticipationComment.objects.select_related("user"))
            .annotate(open_reports=Count("reports", filter=Q(reports__reviewed_at__isnull=True)))
            .prefetch_related(Prefetch("reports", queryset=moderation.open_reports(), to_attr="open_report_list"))
        )


class CommentThreadViewSet(SnippetViewSet):
    model = CommentThread
    icon = "lock"
    menu_label = _("Comment threads")
    menu_name = "comment-threads"
    list_display = ["__str__", "state"]
    list_filter = ["state"]
    copy_view_enabled = False
    panels = [FieldPanel("page"), FieldPanel("state")]


class ProjectCategoryViewSet(SnippetViewSet):
    """Budget project categories (theatre, music...): translatable, chosen on each project."""

    model = ProjectCategory
    icon = "tag"
    menu_label = _("Project categories")
    menu_name = "project-categories"
    list_display = ["name", "locale"]
    search_fields = ["name"]


class DistrictViewSet(SnippetViewSet):
    """Turin's Circoscrizioni: translatable, chosen on each budget project."""

    model = District
    icon = "site"
    menu_label = _("Districts")
    menu_name = "districts"
    list_display = ["number", "name", "locale"]
    ordering = ["number"]


class ParticipationGroup(ViewSetGroup):
    menu_label = _("Participation")
    menu_icon = "group"
    menu_order = 250
    items = (
        CommentViewSet,
        CommentThreadViewSet,
        idea_admin.IdeaViewSet,
        report_admin.ReportViewSet,
        ProjectCategoryViewSet,
        DistrictViewSet,
        report_admin.ReportCategoryViewSet,
        report_admin.ReportOfficeViewSet,
        report_admin.Open311KeyViewSet,
    )


@hooks.register("register_admin_urls")
def register_budget_urls():
    return [
        path("budgets/<int:page_id>/paper-ballots/", budget_admin.paper_ballots_view, name="budget_paper_ballots"),
        path("budgets/<int:page_id>/pabulib/", budget_admin.pabulib_download_view, name="budget_pabulib"),
        path("reports/statistics/", report_admin.statistics_view, name="report_statistics"),
        path("results/", results_admin.index_view, name="participation_results_index"),
        path("results/<int:page_id>/", results_admin.results_view, name="participation_results"),
        path(
            "results/<int:page_id>/download/<str:fmt>/",
            results_admin.download_view,
            name="participation_results_download",
        ),
        path(
            "results/<int:page_id>/prepare/<str:fmt>/",
            results_admin.prepare_view,
            name="participation_results_prepare",
        ),
        path("results/exports/<int:export_id>/", results_admin.export_view, name="participation_results_export"),
        path(
            "results/exports/<int:export_id>/status/",
            results_admin.export_status_view,
            name="participation_results_export_status",
        ),
        path(
            "results/exports/<int:export_id>/download/",
            results_admin.export_download_view,
            name="participation_results_export_download",
        ),
    ]


def _paper_ballots_button(page, user, priority):
    if isinstance(page.specific_deferred, BudgetPage) and user.has_perm("participation.add_ballot"):
        yield Button(
            _("Paper ballots"),
            reverse("budget_paper_ballots", args=[page.pk]),
            icon_name="doc-full",
            priority=priority,
        )


@hooks.register("register_page_header_buttons")
def budget_header_buttons(page, user, view_name=None, next_url=None):
    yield from _paper_ballots_button(page, user, 80)


@hooks.register("register_page_listing_more_buttons")
def budget_listing_buttons(page, user, next_url=None):
    yield from _paper_ballots_button(page, user, 80)


@hooks.register("register_page_header_buttons")
def results_header_buttons(page, user, view_name=None, next_url=None):
    yield from results_admin.results_buttons(page, user, 75)


@hooks.register("register_page_listing_more_buttons")
def results_listing_buttons(page, user, next_url=None):
    yield from results_admin.results_buttons(page, user, 75)


@hooks.register("register_admin_menu_item")
def register_results_menu_item():
    return results_admin.menu_item()


@hooks.register("register_admin_viewset")
def register_participation_viewsets():
    return ParticipationGroup()


class _ModerationBulkAction(SnippetBulkAction):
    """Moderation actions on selected comments; each names its own confirmation text and button,
    so the template never guesses which action it confirms."""

    models = [ParticipationComment]
    template_name = "participation/admin/confirm_bulk_moderation.html"
    confirmation_text = ""
    action_button_text = ""
    action_button_class = ""

    def check_perm(self, snippet):
        return self.permission_policy.user_has_permission_for_instance(self.request.user, "change", snippet)

    def get_context_data(self, **kwargs):
        return {
            **super().get_context_data(**kwargs),
            "confirmation_text": self.confirmation_text,
            "action_button_text": self.action_button_text,
            "action_button_class": self.action_button_class,
        }

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
    form_class = HideCommentsForm
    confirmation_text = _(
        "These comments will be hidden from the public site and exports of public data. They stay in the "
        "database for audit, and can be restored. Their authors are told the reason by email."
    )
    action_button_text = _("Yes, hide")
    action_button_class = "serious"

    def get_execution_context(self):
        data = self.cleaned_form.cleaned_data
        return {**super().get_execution_context(), "reason": data["reason"], "note": data["note"]}

    @classmethod
    def execute_action(cls, objects, user=None, reason=ModerationReason.OTHER, note="", **kwargs):
        return moderation.hide(objects, user, reason=reason, note=note), 0

    @staticmethod
    def success_message(count):
        return ngettext("%(count)d comment hidden.", "%(count)d comments hidden.", count)


@hooks.register("register_bulk_action")
class RestoreCommentsBulkAction(_ModerationBulkAction):
    display_name = _("Restore")
    action_type = "restore"
    aria_label = _("Restore the selected comments")
    action_priority = 20
    confirmation_text = _("These comments will be visible on the public site again.")
    action_button_text = _("Yes, restore")

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        return moderation.restore(objects, user), 0

    @staticmethod
    def success_message(count):
        return ngettext("%(count)d comment restored.", "%(count)d comments restored.", count)


@hooks.register("register_bulk_action")
class DismissReportsBulkAction(_ModerationBulkAction):
    display_name = _("Dismiss reports")
    action_type = "dismiss_reports"
    aria_label = _("Dismiss the reports on the selected comments")
    action_priority = 30
    confirmation_text = _(
        "These comments stay on the site: their open reports will be marked as reviewed and dismissed."
    )
    action_button_text = _("Yes, dismiss the reports")

    @classmethod
    def execute_action(cls, objects, user=None, **kwargs):
        return moderation.dismiss_reports(objects, user), 0

    @staticmethod
    def success_message(count):
        return ngettext("Reports dismissed on %(count)d comment.", "Reports dismissed on %(count)d comments.", count)


@hooks.register("register_snippet_listing_buttons")
def moderation_listing_buttons(snippet, user, next_url=None):
    """One comment at a time from its row's "More" menu: the same confirmation pages as the bulk actions."""
    if not isinstance(snippet, ParticipationComment):
        return []
    if not CommentModerationPolicy(ParticipationComment).user_has_permission(user, "change"):
        return []

    def url(action):
        query = urlencode({"id": snippet.pk, **({"next": next_url} if next_url else {})})
        return reverse("wagtail_bulk_action", args=("participation", "participationcomment", action)) + f"?{query}"

    buttons = []
    if getattr(snippet, "open_reports", 0):
        buttons.append(Button(_("Dismiss reports"), url=url("dismiss_reports"), icon_name="check", priority=30))
    if snippet.is_hidden:
        buttons.append(Button(_("Restore"), url=url("restore"), icon_name="view", priority=20))
    else:
        buttons.append(Button(_("Hide"), url=url("hide"), icon_name="no-view", priority=10))
    return buttons


hooks.register("register_bulk_action", report_admin.ChangeReportStatusBulkAction)


@hooks.register("before_edit_snippet")
def remember_idea_before_edit(request, instance):
    if isinstance(instance, Idea) and request.method == "POST":
        request._idea_before = Idea.objects.filter(pk=instance.pk).first()


@hooks.register("after_edit_snippet")
def idea_edited(request, instance):
    if isinstance(instance, Idea):
        idea_admin.answer_changed(instance, getattr(request, "_idea_before", None))


# --- audit log ------------------------------------------------------------------------------


@hooks.register("register_log_actions")
def register_moderation_log_actions(actions):
    @actions.register_action(moderation.HIDE)
    class HideComment(LogFormatter):
        label = _("Hide comment")

        def format_message(self, log_entry):
            reason = log_entry.data.get("reason", "")
            label = ModerationReason(reason).label if reason in ModerationReason.values else reason
            return _("Hidden: %(reason)s") % {"reason": label}

        def format_comment(self, log_entry):
            return log_entry.data.get("note", "")

    actions.register_action(moderation.RESTORE, _("Restore comment"), _("Restored"))
    actions.register_action(moderation.DISMISS, _("Dismiss reports"), _("Reports dismissed: the comment stays"))


@hooks.register("register_log_actions")
def register_report_log_actions(actions):
    report_admin.register_log_actions(actions)


@hooks.register("register_log_actions")
def register_export_log_actions(actions):
    @actions.register_action(LOG_ACTION)
    class ExportResults(LogFormatter):
        label = _("Export results")

        def format_message(self, log_entry):
            data = {"format": log_entry.data.get("format", "").upper()}
            if log_entry.data.get("step") == "requested":
                return _("Results export as %(format)s requested, to be prepared in the background") % data
            return _("Results exported as %(format)s") % data


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
    reported = Exists(moderation.open_reports().filter(comment=OuterRef("pk")))
    count = ParticipationComment.objects.filter(reported, is_public=True, is_removed=False).count()
    url = reverse(CommentViewSet().get_url_name("list")) + "?flagged=true&hidden=false"
    panels.append(FlaggedCommentsPanel(count, url))


@hooks.register("construct_homepage_panels")
def add_open_reports_panel(request, panels):
    panel = report_admin.open_reports_panel(request)
    if panel is not None:
        panels.append(panel)


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


# The Open data section of a process page once participation is over (participation/open_data.py), and the
# follow button (participation/following.py).
hooks.register("consultation_page_sections", open_data.process_section)
hooks.register("consultation_page_sections", following.process_section)


# --- collaboration pacts: proposals and reports (participation/pact_proposals.py, pact_reports.py) ----------


@hooks.register("register_admin_urls")
def register_pact_coordination_urls():
    from . import pact_proposals

    return pact_proposals.admin_urls()


@hooks.register("register_admin_menu_item")
def register_pact_coordination_menu_item():
    from . import pact_proposals

    return pact_proposals.menu_item()
