"""Ideas in the Wagtail admin: Moderators and Editors assess, answer, approve, hide and restore them.

Each change of status or answer is dated, signed with the office's name (never a person's), logged,
emailed to the idea's author in their language, and drops the cached pages of the map.
"""

import django_filters
from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.snippets.views.snippets import SnippetViewSet

from .core.admin import CitizensContentPolicy, group_titles
from .models import Idea, IdeaStatus


class IdeaModerationPolicy(CitizensContentPolicy):
    """Ideas are the citizens': staff assess, hide and restore them, never add or delete (audit trail)."""


def map_choices():
    """The idea maps with ideas, by the title of their version in the admin's language."""
    return group_titles("ideas")


class IdeaFilterSet(WagtailFilterSet):
    map = django_filters.ChoiceFilter(label=_("Map"), field_name="group", choices=map_choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=IdeaStatus.choices)
    is_hidden = django_filters.BooleanFilter(label=_("Hidden"))
    is_approved = django_filters.BooleanFilter(label=_("Approved"))
    created_at = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DateRangePickerWidget)

    class Meta:
        model = Idea
        fields = ["map", "status", "is_hidden", "is_approved", "created_at"]


class VisibilityColumn(Column):
    def get_value(self, instance):
        if instance.merged_into_id:
            return _("Merged")
        if instance.is_hidden:
            return _("Hidden")
        return _("Visible") if instance.is_approved else _("Awaiting approval")


class IdeaAdminForm(WagtailAdminModelForm):
    """An answer needs its text; a merge target is another visible idea of the same map."""

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        if status and status != IdeaStatus.SUBMITTED and not (cleaned.get("answer") or "").strip():
            self.add_error("answer", _("Write the public answer that explains this status."))
        target = cleaned.get("merged_into")
        if target is not None:
            if target.pk == self.instance.pk:
                self.add_error("merged_into", _("An idea cannot be merged into itself."))
            elif target.group_id != self.instance.group_id:
                self.add_error("merged_into", _("Merge only into an idea of the same map."))
            elif target.merged_into_id or target.is_hidden:
                self.add_error("merged_into", _("Merge into a visible idea that is not itself merged."))
        return cleaned


class IdeaViewSet(SnippetViewSet):
    model = Idea
    icon = "pick"
    menu_label = _("Ideas")
    menu_name = "citizen-ideas"
    permission_policy = IdeaModerationPolicy(Idea)
    list_display = [
        "title",
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        Column("support_count", label=_("Supporters"), sort_key="support_count"),
        Column("created_at", label=_("Date"), sort_key="created_at"),
        VisibilityColumn("visibility", label=_("Visibility")),
    ]
    filterset_class = IdeaFilterSet
    search_fields = ["title", "description"]
    ordering = ["-created_at"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = True
    inspect_view_fields = ["title", "description", "latitude", "longitude", "language", "created_at", "status"]
    edit_handler = ObjectList(
        [
            FieldPanel("title", read_only=True),
            FieldPanel("description", read_only=True),
            MultiFieldPanel(
                [
                    FieldPanel("status"),
                    FieldPanel("answer"),
                    FieldPanel("answer_en"),
                    FieldPanel("answered_by"),
                ],
                heading=_("The City's answer"),
                help_text=_("Shown on the idea's page with today's date; the author is emailed."),
            ),
            FieldRowPanel([FieldPanel("is_approved"), FieldPanel("is_hidden")], heading=_("Visibility")),
            FieldPanel(
                "merged_into",
                widget=forms.NumberInput(attrs={"min": 1}),
                heading=_("Merge into idea number"),
                help_text=_(
                    "For a duplicate: the number of the idea it repeats. Its supporters move there (each counted "
                    "once) and its address leads there. Leave empty otherwise."
                ),
            ),
        ],
        base_form_class=IdeaAdminForm,
    )

    def get_queryset(self, request):
        return Idea.objects.select_related("user")


def answer_changed(idea, before):
    """Called after the admin saved ``idea``; ``before`` is the row as it was. Dates the answer, emails
    the author when the status or the answer changed, and drops the map's cached pages."""
    from .ideas import ideas_changed
    from .notifications import idea_answered

    changed = before is not None and (
        before.status != idea.status or before.answer != idea.answer or before.answer_en != idea.answer_en
    )
    if changed:
        Idea.objects.filter(pk=idea.pk).update(answered_at=timezone.now())
        idea.answered_at = timezone.now()
        transaction.on_commit(lambda: idea_answered(idea))
    if before is not None and before.merged_into_id != idea.merged_into_id and idea.merged_into_id:
        from .ideas import merge

        merge(idea, idea.merged_into)
    ideas_changed(idea.group_id)
