"""Neighbourhood reports in the Wagtail admin: the staff inbox.

Moderators (and superusers) see every report; an office's own staff (the "Offices" group, or anyone else
with the report permissions) see only the reports assigned to the offices they are members of: in the
listing, on each report's page, in its history, in the choosers, the bulk actions, the dashboard and the
statistics. A report's page (the viewset's edit view) shows its facts, photos and whole timeline, and
takes the staff's actions: a change of status with its public message (signed with the office's name,
never a person's), an internal note, hiding the text or a photo. Each action calls participation/reports.py
and writes an entry in Wagtail's audit log. Staff never add or delete reports.

Editors keep the categories and the offices; Open311 keys are the administrators' (the key is shown once,
when it is created: only its hash is stored).
"""

import statistics
import uuid
from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets import Button, HeaderButton
from wagtail.log_actions import LogFormatter
from wagtail.log_actions import log as wagtail_log
from wagtail.permissions import policy_registry
from wagtail.snippets.bulk_actions.snippet_bulk_action import SnippetBulkAction
from wagtail.snippets.views import chooser as snippet_chooser
from wagtail.snippets.views import snippets as snippet_views
from wagtail.snippets.views.snippets import SnippetViewSet

from .core.admin import CitizensContentPolicy
from .models.budgets import District
from .models.reports import (
    DESCRIPTION_MAX_LENGTH,
    OPEN_STATUSES,
    Open311Key,
    Report,
    ReportCategory,
    ReportOffice,
    ReportPhoto,
    ReportStatus,
)
from .reports import (
    ReportRejected,
    add_note,
    answers_for,
    category_map,
    change_status,
    district_names,
    public_page_for,
    report_url,
    set_hidden,
)

EVERY_REPORT_GROUP = "Moderators"

STATUS, NOTE, TEXT, PHOTO = (
    "participation.report.status",
    "participation.report.note",
    "participation.report.text",
    "participation.report.photo",
)


def log(*, instance, action, user, data):
    """One audit log entry per report and action, each with its own uuid (Wagtail's history shows only the
    latest entry of a (uuid, action) pair: a bulk change would otherwise show as one)."""
    return wagtail_log(instance=instance, action=action, user=user, data=data, uuid=uuid.uuid4())


# --- who sees which reports ---------------------------------------------------------------------------


def sees_every_report(user):
    """Superusers and Moderators see every report; anyone else only their offices'. Cached on the user
    object (one query per request)."""
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_sees_every_report", None)
    if cached is None:
        cached = user._sees_every_report = user.groups.filter(name=EVERY_REPORT_GROUP).exists()
    return cached


def office_ids(user):
    """The pks of the offices ``user`` is a member of (cached on the user object)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_report_office_ids", None)
    if cached is None:
        cached = user._report_office_ids = frozenset(user.report_offices.values_list("pk", flat=True))
    return cached


def visible_reports(user, queryset=None):
    """``queryset`` (default: every report) narrowed to the reports ``user`` may see in the admin."""
    queryset = Report.objects.all() if queryset is None else queryset
    if sees_every_report(user):
        return queryset
    return queryset.filter(office__in=office_ids(user))


def can_see(user, report):
    return sees_every_report(user) or report.office_id in office_ids(user)


class ReportPolicy(CitizensContentPolicy):
    """Reports are the citizens': staff answer, assign and moderate them, never add or delete them. An
    office's staff act only on their offices' reports."""

    def user_has_permission_for_instance(self, user, action, instance):
        return self.user_has_permission(user, action) and can_see(user, instance)


def policy():
    return policy_registry.get_by_type(Report)


def may_act(user, report=None):
    """Answer, note, hide: the report permissions plus moderate_report (and the report is the user's to see)."""
    allowed = policy().user_has_permission(user, "change") and user.has_perm("participation.moderate_report")
    return allowed and (report is None or can_see(user, report))


def may_view(user):
    return policy().user_has_permission(user, "view") or policy().user_has_permission(user, "change")


# --- the listing ------------------------------------------------------------------------------------


def category_choices():
    return [(str(key), category.name) for key, category in category_map(translation.get_language()).items()]


def district_choices():
    names = district_names()
    return [(number, f"{number} – {names[number]}" if names.get(number) else str(number)) for number in range(1, 9)]


def office_queryset(request):
    offices = ReportOffice.objects.all()
    if request is None or sees_every_report(request.user):
        return offices
    return offices.filter(pk__in=office_ids(request.user))


OPEN = "open"
AGE_CHOICES = [
    ("7", _("Older than 7 days")),
    ("30", _("Older than 30 days")),
    ("90", _("Older than 90 days")),
]


def status_choices():
    return [(OPEN, _("Open (new, acknowledged or in progress)")), *ReportStatus.choices]


class ReportFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(label=_("Status"), choices=status_choices, method="filter_status")
    category = django_filters.ChoiceFilter(label=_("Category"), field_name="category_key", choices=category_choices)
    district = django_filters.ChoiceFilter(label=_("District"), choices=district_choices)
    office = django_filters.ModelChoiceFilter(label=_("Office"), queryset=office_queryset)
    age = django_filters.ChoiceFilter(label=_("Age"), choices=AGE_CHOICES, method="filter_age")
    has_photos = django_filters.BooleanFilter(label=_("With photos"), method="filter_has_photos")
    text_hidden = django_filters.BooleanFilter(label=_("Text hidden"))

    class Meta:
        model = Report
        fields = ["status", "category", "district", "office", "age", "has_photos", "text_hidden"]

    def filter_status(self, queryset, name, value):
        if not value:
            return queryset
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def filter_age(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(created_at__lt=timezone.now() - timedelta(days=int(value)))

    def filter_has_photos(self, queryset, name, value):
        if value is None:
            return queryset
        photos = Exists(ReportPhoto.objects.filter(report=OuterRef("pk")))
        return queryset.filter(photos) if value else queryset.exclude(photos)


class SubjectColumn(Column):
    def get_value(self, instance):
        if instance.text_hidden:
            return _("%(title)s (text hidden)") % {"title": instance.title}
        return instance.title


class OfficeColumn(Column):
    def get_value(self, instance):
        return instance.office.name_in(translation.get_language())


class DistrictColumn(Column):
    def get_value(self, instance):
        if instance.district is None:
            return ""
        return f"{instance.district} – {instance.district_name}" if instance.district_name else str(instance.district)


def with_names(queryset, language_code):
    """Annotate each report with its category's and district's names in ``language_code`` (else the first
    version's): ``category_name``, ``district_name``. In the same query, whatever the number of rows."""
    categories = ReportCategory.objects.filter(translation_key=OuterRef("category_key"))
    districts = District.objects.filter(number=OuterRef("district"))
    return queryset.annotate(
        category_name=Coalesce(
            Subquery(categories.filter(locale__language_code=language_code).values("name")[:1]),
            Subquery(categories.order_by("pk").values("name")[:1]),
        ),
        district_name=Coalesce(
            Subquery(districts.filter(locale__language_code=language_code).values("name")[:1]),
            Subquery(districts.order_by("pk").values("name")[:1]),
        ),
    )


class ReportIndexView(snippet_views.IndexView):
    @cached_property
    def header_buttons(self):
        return [
            *super().header_buttons,
            HeaderButton(_("Statistics"), url=reverse("report_statistics"), icon_name="table"),
        ]


# --- a report's page ----------------------------------------------------------------------------------


def find_report(value):
    """The report a staff member names by its reference (TO-2026-000123) or its number."""
    value = (value or "").strip()
    reports = Report.objects.public()
    if value.isdigit():
        return reports.filter(pk=int(value)).first() if len(value) <= 18 else None
    return reports.filter(reference__iexact=value).first() if value else None


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ReportStatus.choices)
    message = forms.CharField(
        label=_("Public message"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on the report's page and emailed to its followers, signed with the office's name."),
    )
    office = forms.ModelChoiceField(
        label=_("Office"),
        queryset=ReportOffice.objects.all(),
        help_text=_("Choose another office to hand the report over to it."),
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of"),
        required=False,
        max_length=24,
        help_text=_("For “duplicate”: the reference (TO-…) or number of the report it repeats."),
    )

    def __init__(self, *args, report, **kwargs):
        self.report = report
        kwargs.setdefault(
            "initial",
            {
                "status": report.status,
                "office": report.office_id,
                "duplicate_of": report.duplicate_of.reference if report.duplicate_of_id else "",
            },
        )
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == ReportStatus.DUPLICATE:
            original = find_report(cleaned.get("duplicate_of"))
            if not (cleaned.get("duplicate_of") or "").strip():
                self.add_error("duplicate_of", _("Give the reference of the report this one repeats."))
            elif original is None:
                self.add_error("duplicate_of", _("No report has this reference."))
            elif original.pk == self.report.pk:
                self.add_error("duplicate_of", _("A report cannot repeat itself."))
            cleaned["original"] = original
        else:
            cleaned["original"] = None
        return cleaned


class NoteForm(forms.Form):
    note = forms.CharField(
        label=_("Internal note"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For staff only: never shown on the site, in feeds or to Open311 clients."),
    )


class ReportScopedObjectMixin:
    """History and usage views: another office's report is refused."""

    def get_object(self):
        report = super().get_object()
        if not can_see(self.request.user, report):
            raise PermissionDenied
        return report


class ReportHistoryView(ReportScopedObjectMixin, snippet_views.HistoryView):
    pass


class ReportUsageView(ReportScopedObjectMixin, snippet_views.UsageView):
    pass


class ReportView(WagtailAdminTemplateMixin, TemplateView):
    """A report's page in the admin (the viewset's edit URL): its facts, photos and timeline, and the
    forms of the staff's actions. Each POST names its ``action`` (status, note, text, photo)."""

    model = Report
    template_name = "participation/admin/report.html"
    index_url_name = None
    edit_url_name = None
    history_url_name = None
    header_icon = "warning"
    pk_url_kwarg = "pk"

    def dispatch(self, request, *args, **kwargs):
        if not may_view(request.user):
            raise PermissionDenied
        queryset = Report.objects.select_related("office", "user", "duplicate_of")
        self.object = get_object_or_404(queryset, pk=kwargs[self.pk_url_kwarg])
        if not can_see(request.user, self.object):
            raise PermissionDenied  # another office's report
        return super().dispatch(request, *args, **kwargs)

    def get_page_title(self):
        return self.object.reference or gettext("Report")

    def get_page_subtitle(self):
        return ""

    def get_breadcrumbs_items(self):
        items = []
        if self.index_url_name:
            items.append({"url": reverse(self.index_url_name), "label": capfirst(Report._meta.verbose_name_plural)})
        items.append({"url": "", "label": self.get_page_title(), "sublabel": self.object.title})
        return self.breadcrumbs_items + items

    @cached_property
    def public_url(self):
        page = public_page_for(self.object, [translation.get_language(), "it"])
        return report_url(page, self.object.pk) if page is not None else ""

    @cached_property
    def header_more_buttons(self):
        buttons = []
        if self.history_url_name:
            buttons.append(
                Button(_("History"), url=reverse(self.history_url_name, args=[self.object.pk]), icon_name="history")
            )
        if self.public_url:
            buttons.append(Button(_("View on the site"), url=self.public_url, icon_name="link-external"))
        return buttons

    def edit_url(self):
        return reverse(self.edit_url_name, args=[self.object.pk]) if self.edit_url_name else ""

    def blank_forms(self):
        return {
            "status_form": StatusForm(report=self.object),
            "note_form": NoteForm(),
        }

    def get_context_data(self, **kwargs):
        report = self.object
        language = translation.get_language()
        category = category_map(language).get(report.category_key)
        updates = list(report.updates.select_related("author"))
        for update in updates:
            update.office = update.office_in(language)
        context = super().get_context_data(**kwargs)
        context.update(
            {
                "report": report,
                "category": category,
                "answers": answers_for(report, category),
                "district": district_names(language).get(report.district, ""),
                "office_name": report.office.name_in(language),
                "photos": list(report.photos.select_related("image")),
                "updates": updates,
                "public_url": self.public_url,
                "duplicate_url": reverse(self.edit_url_name, args=[report.duplicate_of_id])
                if report.duplicate_of_id and self.edit_url_name and can_see(self.request.user, report.duplicate_of)
                else "",
                "may_act": may_act(self.request.user, report),
                "form_url": self.request.path,
                "is_open": report.is_open,
                **self.blank_forms(),
                **kwargs,
            }
        )
        return context

    def post(self, request, *args, **kwargs):
        if not may_act(request.user, self.object):
            raise PermissionDenied
        actions = {
            "status": self.change_status,
            "note": self.add_note,
            "text": self.toggle_text,
            "photo": self.toggle_photo,
        }
        handler = actions.get(request.POST.get("action"))
        if handler is None:
            messages.error(request, gettext("Unknown action."))
            return redirect(self.edit_url())
        return handler(request)

    def invalid(self, **bound_forms):
        return self.render_to_response(self.get_context_data(**bound_forms), status=400)

    def change_status(self, request):
        report = self.object
        form = StatusForm(request.POST, report=report)
        if not form.is_valid():
            return self.invalid(status_form=form)
        data = form.cleaned_data
        before = (report.status, report.office)
        try:
            updated = change_status(
                report=report,
                status=data["status"],
                message=data["message"],
                office=data["office"],
                user=request.user,
                duplicate_of=data["original"],
            )
        except ReportRejected as rejection:
            form.add_error(None, str(rejection))
            return self.invalid(status_form=form)
        log(
            instance=updated,
            action=STATUS,
            user=request.user,
            data={
                "status": updated.status,
                "previous_status": before[0],
                "office": updated.office.name,
                "previous_office": before[1].name,
                "message": data["message"],
                "duplicate_of": updated.duplicate_of.reference if updated.duplicate_of_id else None,
            },
        )
        if updated.office_id != before[1].pk and not can_see(request.user, updated):
            messages.success(
                request,
                gettext("Report %(reference)s handed over to %(office)s.")
                % {"reference": updated.reference, "office": updated.office.name},
            )
            return redirect(self.index_url_name)
        messages.success(request, gettext("Status changed: the followers are emailed the public message."))
        return redirect(self.edit_url())

    def add_note(self, request):
        form = NoteForm(request.POST)
        if not form.is_valid():
            return self.invalid(note_form=form)
        try:
            note = add_note(report=self.object, message=form.cleaned_data["note"], user=request.user)
        except ReportRejected as rejection:
            form.add_error("note", str(rejection))
            return self.invalid(note_form=form)
        log(instance=self.object, action=NOTE, user=request.user, data={"note": note.message, "update": note.pk})
        messages.success(request, gettext("Internal note added."))
        return redirect(self.edit_url())

    def toggle_text(self, request):
        hidden = request.POST.get("hidden") == "1"
        set_hidden(report=self.object, text_hidden=hidden)
        log(instance=self.object, action=TEXT, user=request.user, data={"hidden": hidden})
        messages.success(
            request,
            gettext("The text is hidden from the public.") if hidden else gettext("The text is public again."),
        )
        return redirect(self.edit_url())

    def toggle_photo(self, request):
        photos = {str(photo.pk): photo for photo in self.object.photos.all()}
        photo = photos.get(request.POST.get("photo", ""))
        if photo is None:
            messages.error(request, gettext("This report has no such photo."))
            return redirect(self.edit_url())
        hidden = request.POST.get("hidden") == "1"
        hidden_ids = {other.pk for other in photos.values() if other.is_hidden}
        hidden_ids = hidden_ids | {photo.pk} if hidden else hidden_ids - {photo.pk}
        set_hidden(report=self.object, photo_ids_hidden=sorted(hidden_ids))
        log(instance=self.object, action=PHOTO, user=request.user, data={"photo": photo.pk, "hidden": hidden})
        messages.success(
            request,
            gettext("The photo is hidden from the public.") if hidden else gettext("The photo is public again."),
        )
        return redirect(self.edit_url())


# --- choosers: only the reports one may see -------------------------------------------------------------


class _ScopedChoice:
    def get_object_list(self):
        return visible_reports(self.request.user)


class ReportChooseView(_ScopedChoice, snippet_chooser.ChooseView):
    pass


class ReportChooseResultsView(_ScopedChoice, snippet_chooser.ChooseResultsView):
    pass


class ReportChosenView(snippet_chooser.SnippetChosenView):
    def get_object(self, pk):
        return visible_reports(self.request.user).get(pk=pk)


class ReportChosenMultipleView(snippet_chooser.SnippetChosenMultipleView):
    def get_objects(self, pks):
        return visible_reports(self.request.user).filter(pk__in=pks)


class ReportChooserViewSet(snippet_chooser.SnippetChooserViewSet):
    choose_view_class = ReportChooseView
    choose_results_view_class = ReportChooseResultsView
    chosen_view_class = ReportChosenView
    chosen_multiple_view_class = ReportChosenMultipleView


# --- the viewset ------------------------------------------------------------------------------------------


class ReportViewSet(SnippetViewSet):
    model = Report
    icon = "warning"
    menu_label = _("Reports")
    menu_name = "neighbourhood-reports"
    index_view_class = ReportIndexView
    edit_view_class = ReportView
    history_view_class = ReportHistoryView
    usage_view_class = ReportUsageView
    chooser_viewset_class = ReportChooserViewSet
    edit_template_name = "participation/admin/report.html"
    list_display = [
        "reference",
        SubjectColumn("title", label=_("Subject"), sort_key="title"),
        Column("category_name", label=_("Category"), sort_key="category_name"),
        Column("status", label=_("Status"), accessor="get_status_display", sort_key="status"),
        OfficeColumn("office", label=_("Office"), sort_key="office__name"),
        DistrictColumn("district", label=_("District"), sort_key="district"),
        Column("created_at", label=_("Reported"), sort_key="created_at"),
        Column("follower_count", label=_("“Me too”"), sort_key="follower_count"),
    ]
    filterset_class = ReportFilterSet
    search_fields = ["reference", "title", "description", "address"]
    ordering = ["-created_at", "-pk"]
    list_per_page = 50
    copy_view_enabled = False
    inspect_view_enabled = False
    # The edit URL is the report's page (ReportView), not a form of its fields; this keeps Wagtail's
    # generated form small.
    panels = [FieldPanel("status", read_only=True)]

    def get_queryset(self, request):
        reports = Report.objects.select_related("office")
        return with_names(visible_reports(request.user, reports), translation.get_language())


# --- bulk: one status and message for the selected reports ---------------------------------------------------


class BulkStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[(value, label) for value, label in ReportStatus.choices if value != ReportStatus.DUPLICATE],
    )
    message = forms.CharField(
        label=_("Public message"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on each report's page and emailed to its followers, signed with its office's name."),
    )


class ChangeReportStatusBulkAction(SnippetBulkAction):
    display_name = _("Change status")
    action_type = "change_status"
    aria_label = _("Change the status of the selected reports")
    action_priority = 10
    models = [Report]
    form_class = BulkStatusForm
    template_name = "participation/admin/confirm_bulk_report_status.html"

    def dispatch(self, request, *args, **kwargs):
        if not may_act(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def check_perm(self, snippet):
        return may_act(self.request.user, snippet)

    def get_execution_context(self):
        data = self.cleaned_form.cleaned_data
        return {
            **super().get_execution_context(),
            "user": self.request.user,
            "status": data["status"],
            "message": data["message"],
        }

    @classmethod
    def execute_action(cls, objects, user=None, status=None, message="", **kwargs):
        changed = 0
        for report in objects:
            before = report.status
            updated = change_status(report=report, status=status, message=message, user=user)
            log(
                instance=updated,
                action=STATUS,
                user=user,
                data={
                    "status": updated.status,
                    "previous_status": before,
                    "office": updated.office.name,
                    "previous_office": updated.office.name,
                    "message": message,
                    "duplicate_of": None,
                    "bulk": True,
                },
            )
            changed += 1
        return changed, 0

    def get_success_message(self, num_parent_objects, num_child_objects):
        return ngettext(
            "Status changed on %(count)d report.", "Status changed on %(count)d reports.", num_parent_objects
        ) % {"count": num_parent_objects}


# --- dashboard ----------------------------------------------------------------------------------------------


class OpenReportsPanel(Component):
    name = "open_reports"
    order = 60
    template_name = "participation/admin/report_panel.html"

    def __init__(self, by_status, by_category, total, list_url, statistics_url):
        self.by_status = by_status
        self.by_category = by_category
        self.total = total
        self.list_url = list_url
        self.statistics_url = statistics_url

    def get_context_data(self, parent_context=None):
        return {
            "by_status": self.by_status,
            "by_category": self.by_category,
            "total": self.total,
            "list_url": self.list_url,
            "open_url": f"{self.list_url}?{urlencode({'status': OPEN})}",
            "statistics_url": self.statistics_url,
        }


def open_reports_panel(request):
    """The panel for ``request.user``, or None if they may not see reports. Two queries (and the categories)."""
    if not may_view(request.user):
        return None
    reports = visible_reports(request.user).filter(status__in=OPEN_STATUSES)
    list_url = reverse(ReportViewSet().get_url_name("list"))
    counts = dict(reports.order_by().values_list("status").annotate(count=Count("pk")))
    by_status = [
        (ReportStatus(status).label, counts.get(status, 0), f"{list_url}?{urlencode({'status': status})}")
        for status in OPEN_STATUSES
    ]
    per_category = dict(reports.order_by().values_list("category_key").annotate(count=Count("pk")))
    categories = category_map(translation.get_language())
    by_category = [
        (category.name, per_category[key], f"{list_url}?{urlencode({'category': key, 'status': OPEN})}")
        for key, category in categories.items()
        if per_category.get(key)
    ]
    return OpenReportsPanel(by_status, by_category, sum(counts.values()), list_url, reverse("report_statistics"))


# --- statistics ---------------------------------------------------------------------------------------------


def duration_text(seconds):
    """A median duration, readably: minutes under an hour, hours under two days, else days."""
    if seconds is None:
        return "—"
    hours = seconds / 3600
    if hours < 1:
        return gettext("%(value)s minutes") % {"value": number_format(seconds / 60, 0)}
    if hours < 48:
        return gettext("%(value)s hours") % {"value": number_format(hours, 1)}
    return gettext("%(value)s days") % {"value": number_format(hours / 24, 1)}


def _median_seconds(durations):
    return statistics.median(durations) if durations else None


def category_statistics(reports, categories):
    """[row] per category (and a last row for all of them): reports, open, the medians (in seconds and as
    text) from the report to the first answer and to its resolution, the reporters' "is it fixed?" answers."""
    rows = {}

    def row_for(key):
        if key not in rows:
            category = categories.get(key)
            rows[key] = {
                "name": category.name if category else gettext("(deleted category)"),
                "order": (category.sort_order or 0, category.pk) if category else (10**9, 0),
                "reports": 0,
                "open": 0,
                "answer": [],
                "resolution": [],
                "fixed": 0,
                "not_fixed": 0,
                "not_answered": 0,
            }
        return rows[key]

    fields = ("category_key", "status", "created_at", "first_response_at", "resolved_at", "fixed")
    fields += ("questionnaire_sent_at",)
    every = {
        "name": gettext("All categories"),
        "reports": 0,
        "open": 0,
        "answer": [],
        "resolution": [],
        "fixed": 0,
        "not_fixed": 0,
        "not_answered": 0,
    }
    for key, status, created, answered, resolved, fixed, asked in reports.values_list(*fields).iterator():
        for row in (row_for(key), every):
            row["reports"] += 1
            row["open"] += status in OPEN_STATUSES
            if answered:
                row["answer"].append((answered - created).total_seconds())
            if resolved:
                row["resolution"].append((resolved - created).total_seconds())
            if fixed is True:
                row["fixed"] += 1
            elif fixed is False:
                row["not_fixed"] += 1
            elif asked:
                row["not_answered"] += 1
    for key in categories:
        row_for(key)
    ordered = sorted(rows.values(), key=lambda row: row["order"]) + [every]
    for row in ordered:
        row["answer_median"] = _median_seconds(row.pop("answer"))
        row["resolution_median"] = _median_seconds(row.pop("resolution"))
        row["answer_text"] = duration_text(row["answer_median"])
        row["resolution_text"] = duration_text(row["resolution_median"])
    return ordered


def statistics_view(request):
    if not may_view(request.user):
        raise PermissionDenied
    rows = category_statistics(visible_reports(request.user), category_map(translation.get_language()))
    return TemplateResponse(
        request,
        "participation/admin/report_statistics.html",
        {
            "rows": rows[:-1],
            "total": rows[-1],
            "list_url": reverse(ReportViewSet().get_url_name("list")),
            "scoped": not sees_every_report(request.user),
        },
    )


# --- categories, offices, Open311 keys -----------------------------------------------------------------------


class ReportCategoryViewSet(SnippetViewSet):
    """Report categories (potholes, street lighting...): translatable, also Open311's services. Editors."""

    model = ReportCategory
    icon = "tag"
    menu_label = _("Report categories")
    menu_name = "report-categories"
    list_display = ["name", "service_code", "office", "locale"]
    search_fields = ["name", "service_code"]

    def get_queryset(self, request):
        return ReportCategory.objects.select_related("office", "locale")


class ReportOfficeForm(WagtailAdminModelForm):
    """Members are chosen among the staff (users in a group, e.g. "Offices"), not among every citizen."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "members" in self.fields:
            users = self.fields["members"].queryset
            current = self.instance.members.all() if self.instance.pk else users.none()
            staff = users.filter(Q(groups__isnull=False) | Q(is_superuser=True) | Q(pk__in=current.values("pk")))
            self.fields["members"].queryset = staff.distinct().order_by("username")
            self.fields["members"].help_text = _(
                "Staff of this office (users in a staff group, such as “Offices”): in the admin they see only "
                "the reports assigned to it."
            )


class ReportOfficeViewSet(SnippetViewSet):
    """The offices answering reports, and their members. Editors."""

    model = ReportOffice
    icon = "group"
    menu_label = _("Report offices")
    menu_name = "report-offices"
    list_display = ["name", "name_en", "email"]
    search_fields = ["name", "name_en", "email"]
    edit_handler = ObjectList(ReportOffice.panels, base_form_class=ReportOfficeForm)


class Open311KeyCreateView(snippet_views.CreateView):
    """Creating a key shows it once, on the response to the form; only its hash is stored
    (participation/open311.py makes it)."""

    def save_instance(self):
        from .open311 import new_key

        key, self.plaintext_key = new_key(self.form.cleaned_data["name"])
        if not self.form.cleaned_data.get("is_active", True):
            Open311Key.objects.filter(pk=key.pk).update(is_active=False)
            key.is_active = False
        wagtail_log(instance=key, action="wagtail.create", user=self.request.user)
        return key

    def save_action(self):
        response = TemplateResponse(
            self.request,
            "participation/admin/open311_key_created.html",
            {
                "key": self.plaintext_key,
                "client": self.object,
                "list_url": reverse(self.index_url_name),
                "header_icon": self.header_icon,
            },
        )
        response["Cache-Control"] = "no-store"
        return response


class Open311KeyViewSet(SnippetViewSet):
    """Keys of the Open311 clients that may file reports: administrators only (no group holds them)."""

    model = Open311Key
    icon = "key"
    menu_label = _("Open311 keys")
    menu_name = "open311-keys"
    add_view_class = Open311KeyCreateView
    list_display = [
        "name",
        Column("prefix", label=_("Starts with")),
        Column("is_active", label=_("Active")),
        Column("created_at", label=_("Created at")),
        Column("last_used_at", label=_("Last used at")),
    ]
    copy_view_enabled = False


# --- the audit log --------------------------------------------------------------------------------------------


def register_log_actions(actions):
    @actions.register_action(STATUS)
    class ReportStatusChanged(LogFormatter):
        label = _("Change report status")

        def format_message(self, log_entry):
            data = log_entry.data or {}
            status = data.get("status", "")
            label = ReportStatus(status).label if status in ReportStatus.values else status
            if data.get("office") and data.get("office") != data.get("previous_office"):
                return gettext("Status: %(status)s; handed over to %(office)s") % {
                    "status": label,
                    "office": data["office"],
                }
            return gettext("Status: %(status)s") % {"status": label}

        def format_comment(self, log_entry):
            return (log_entry.data or {}).get("message", "")

    @actions.register_action(NOTE)
    class ReportNoteAdded(LogFormatter):
        label = _("Add internal note to report")
        message = _("Internal note added")

        def format_comment(self, log_entry):
            return (log_entry.data or {}).get("note", "")

    @actions.register_action(TEXT)
    class ReportTextToggled(LogFormatter):
        label = _("Hide or show report text")

        def format_message(self, log_entry):
            hidden = (log_entry.data or {}).get("hidden")
            return gettext("Text hidden from the public") if hidden else gettext("Text public again")

    @actions.register_action(PHOTO)
    class ReportPhotoToggled(LogFormatter):
        label = _("Hide or show report photo")

        def format_message(self, log_entry):
            hidden = (log_entry.data or {}).get("hidden")
            return gettext("Photo hidden from the public") if hidden else gettext("Photo public again")
