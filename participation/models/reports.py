"""Neighbourhood reports ("Segnala disservizio"): a citizen reports a problem where it is, the City
answers in public until it is fixed.

A :class:`ReportingPage` sits under a process. Its reports, like votes and ideas, point at the page's
translation group, so /it/ and /en/ show the same reports. Categories are translatable snippets
(one list for the whole city, also Open311's services); reports record a category's
``translation_key``. Every change of status is a :class:`ReportUpdate` shown on the report's page,
signed with the office's name, never a person's.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from civic_site.pages import SitePageMixin
from consultations.models import validate_point
from consultations.panels import LeafletPanel
from participation import geometry
from participation.core.groups import ParticipationPageMixin
from participation.core.models import TranslationGroup
from participation.panels import AreaWidget

from .ideas import CategoryColour, validate_area

TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 2000
MAX_PHOTOS = 3


class ReportOffice(models.Model):
    """A City office that answers reports: its name signs the public updates; its members (per-office
    staff) see only the reports of the categories it answers for."""

    name = models.CharField(_("name (Italian)"), max_length=120, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    email = models.EmailField(_("email"), help_text=_("Told of every new report in its categories."))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="report_offices",
        verbose_name=_("members"),
        help_text=_("Staff of this office: in the admin they see only the reports assigned to it."),
    )

    panels = [FieldRowPanel([FieldPanel("name"), FieldPanel("name_en")]), FieldPanel("email"), FieldPanel("members")]

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def name_in(self, language_code):
        return self.name_en if language_code == "en" and self.name_en else self.name


class QuestionKind(models.TextChoices):
    YES_NO = "yes_no", _("Yes or no")
    CHOICE = "choice", _("One of a list")
    TEXT = "text", _("Short text")


class ReportQuestionBlock(blocks.StructBlock):
    """An extra question of a category ("Is it dangerous?"). Its block id is its stable code (Open311's
    attribute code), the same in every translation."""

    label = blocks.CharBlock(label=_("Question"), max_length=200)
    kind = blocks.ChoiceBlock(label=_("Answer"), choices=QuestionKind.choices, default=QuestionKind.YES_NO)
    choices = blocks.TextBlock(
        label=_("Choices"), required=False, help_text=_("For “one of a list”: one choice per line.")
    )
    required = blocks.BooleanBlock(label=_("Required"), required=False)

    class Meta:
        icon = "help"
        label = _("Question")


class ReportCategory(TranslatableMixin, Orderable):
    """A kind of problem (potholes, street lighting...): also an Open311 service. Reports record its
    ``translation_key``."""

    name = models.CharField(_("name"), max_length=80)
    description = models.TextField(_("description"), max_length=500, blank=True)
    service_code = models.CharField(
        _("Open311 service code"),
        max_length=40,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]+$", _("Letters, digits, - and _ only."))],
        help_text=_("A short code that never changes, e.g. “potholes”."),
    )
    office = models.ForeignKey(
        ReportOffice, on_delete=models.PROTECT, related_name="categories", verbose_name=_("responsible office")
    )
    colour = models.CharField(_("colour"), max_length=16, choices=CategoryColour.choices, default=CategoryColour.BLUE)
    questions = StreamField(
        [("question", ReportQuestionBlock())], blank=True, verbose_name=_("extra questions"), use_json_field=True
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("service_code"), FieldPanel("office"), FieldPanel("colour")]),
        FieldPanel("questions"),
    ]
    override_translatable_fields = [
        SynchronizedField("service_code", overridable=False),
        SynchronizedField("office", overridable=False),
        SynchronizedField("colour", overridable=False),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        constraints = [
            models.UniqueConstraint(fields=["service_code", "locale"], name="one_service_code_per_locale"),
        ]

    def __str__(self):
        return self.name

    @property
    def question_list(self):
        """[(code, label, kind, [choices], required)] of the extra questions."""
        found = []
        for block in self.questions:
            value = block.value
            choices = [line.strip() for line in (value.get("choices") or "").splitlines() if line.strip()]
            found.append((block.id, value["label"], value["kind"], choices, bool(value.get("required"))))
        return found


def default_boundary():
    from participation.reports import city_boundary_text

    return city_boundary_text()


class ReportingPage(SitePageMixin, ParticipationPageMixin, RoutablePageMixin, Page):
    """Where citizens report problems in the city and follow the City's answers."""

    intro = models.TextField(_("introduction"), max_length=1000, blank=True)
    location = models.CharField(
        _("map centre"), max_length=250, validators=[validate_point], help_text=_("Where the map starts.")
    )
    zoom = models.IntegerField(_("map zoom"), default=13, validators=[MinValueValidator(1), MaxValueValidator(19)])
    boundary = models.TextField(
        _("city boundary"),
        validators=[validate_area],
        default=default_boundary,
        help_text=_("Reports are accepted inside it: a GeoJSON polygon (longitude, latitude), Turin's by default."),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                LeafletPanel("location", zoom_field="zoom"),
                FieldPanel("zoom"),
                FieldPanel("boundary", widget=AreaWidget),
            ],
            heading=_("Map"),
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    override_translatable_fields = [
        SynchronizedField("location", overridable=False),
        SynchronizedField("zoom", overridable=False),
        SynchronizedField("boundary", overridable=False),
    ]

    parent_page_types = ["consultations.ConsultationPage"]
    subpage_types = []
    form_path = "new/"  # the footer's "Segnala disservizio" leads here (home/chrome.py)

    class Meta:
        verbose_name = _("reporting page")

    @property
    def boundary_polygons(self):
        polygons = self.__dict__.get("_boundary_polygons")
        if polygons is None:
            polygons = self.__dict__["_boundary_polygons"] = geometry.parse_area(self.boundary)
        return polygons

    @property
    def centre(self):
        from wagtailgeowidget.helpers import geosgeometry_str_to_struct

        point = geosgeometry_str_to_struct(self.location) if self.location else None
        if point is None:
            return geometry.centre(self.boundary_polygons)
        return float(point["y"]), float(point["x"])

    def contains(self, lat, lng):
        return geometry.contains(self.boundary_polygons, lng, lat)

    status_summary_label = _("Reports by status:")  # the process page's line under the page

    @property
    def status_summary(self):
        """[(status label, count)] of the reports, for the process page (cached counts: one cache read)."""
        if "_status_summary" not in self.__dict__:
            from participation.reports import _status_counts

            counts = _status_counts(self)
            self.__dict__["_status_summary"] = [
                (label, counts[value]) for value, label in ReportStatus.choices if counts[value]
            ]
        return self.__dict__["_status_summary"]

    def get_context(self, request, *args, with_list=True, **kwargs):
        from participation.reports import list_context

        context = super().get_context(request, *args, **kwargs)
        if with_list:
            context.update(list_context(self, request))
        return context

    @path("")
    def index_route(self, request):
        return self.render(request)

    @path("reports.geojson/")  # public address without the slash: civic_site/urls.py
    def geojson(self, request):
        from participation.reports import geojson_view

        return geojson_view(self, request)

    @path("new/")
    def new_report(self, request):
        from participation.reports import new_report_view

        return new_report_view(self, request)

    @path("new/check/")
    def check_report(self, request):
        from participation.reports import summary_view

        return summary_view(self, request)

    @re_path(r"^new/photo/(?P<index>[0-2])/$")
    def draft_photo(self, request, index):
        from participation.reports import draft_photo_view

        return draft_photo_view(self, request, int(index))

    @re_path(r"^received/(?P<reference>TO-\d{4}-\d{6,12})/$")
    def receipt(self, request, reference):
        from participation.reports import receipt_view

        return receipt_view(self, request, reference)

    @re_path(r"^(?P<report_id>\d{1,18})/$")
    def report(self, request, report_id):
        from participation.reports import report_view

        return report_view(self, request, int(report_id))

    @re_path(r"^(?P<report_id>\d{1,18})/follow/$")
    def follow(self, request, report_id):
        from participation.reports import follow_view

        return follow_view(self, request, int(report_id))

    @re_path(r"^(?P<report_id>\d{1,18})/emails/$")
    def emails(self, request, report_id):
        from participation.reports import emails_view

        return emails_view(self, request, int(report_id))

    @re_path(r"^(?P<report_id>\d{1,18})/fixed/$")
    def questionnaire(self, request, report_id):
        from participation.reports import questionnaire_view

        return questionnaire_view(self, request, int(report_id))


class ReportStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("report status", "New")
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("report status", "Acknowledged")
    IN_PROGRESS = "in_progress", pgettext_lazy("report status", "In progress")
    RESOLVED = "resolved", pgettext_lazy("report status", "Resolved")
    CLOSED = "closed", pgettext_lazy("report status", "Closed")
    DUPLICATE = "duplicate", pgettext_lazy("report status", "Duplicate")
    NOT_RESPONSIBLE = "not_responsible", pgettext_lazy("report status", "Not the City's responsibility")


OPEN_STATUSES = (ReportStatus.NEW, ReportStatus.ACKNOWLEDGED, ReportStatus.IN_PROGRESS)


class ReportSource(models.TextChoices):
    WEB = "web", _("Website")
    OPEN311 = "open311", _("Open311 client")
    STAFF = "staff", _("City staff")


class ReportQuerySet(models.QuerySet):
    def public(self):
        """Every report the public sees (moderators hide text or photos, never whole reports: the
        reference stays valid)."""
        return self.filter(reference__isnull=False)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class Report(models.Model):
    """A problem at a point of the city, reported by a citizen (or an Open311 client) on a reporting page."""

    group = models.ForeignKey(
        TranslationGroup, on_delete=models.PROTECT, related_name="reports", verbose_name=_("reporting page")
    )
    reference = models.CharField(_("reference"), max_length=24, unique=True, null=True, editable=False)
    category_key = models.UUIDField(_("category"), db_index=True)
    office = models.ForeignKey(
        ReportOffice, on_delete=models.PROTECT, related_name="reports", verbose_name=_("assigned office")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="problem_reports",
        verbose_name=_("citizen"),
    )
    is_anonymous = models.BooleanField(_("name kept private"), default=False)
    # Open311 clients may give a contact: private, used only to send the updates.
    contact_name = models.CharField(_("contact name"), max_length=120, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    title = models.CharField(_("subject"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH)
    answers = models.JSONField(_("answers to the category's questions"), default=dict, blank=True)
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    address = models.CharField(_("address"), max_length=200, blank=True)
    district = models.PositiveSmallIntegerField(_("district"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    source = models.CharField(_("sent from"), max_length=16, choices=ReportSource.choices, default=ReportSource.WEB)
    status = models.CharField(_("status"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.NEW)
    status_changed_at = models.DateTimeField(_("status changed at"), default=timezone.now)
    duplicate_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    text_hidden = models.BooleanField(
        _("text hidden"), default=False, help_text=_("Subject and description hidden from the public (kept for audit).")
    )
    follower_count = models.PositiveIntegerField(_("“me too”"), default=0, editable=False)
    first_response_at = models.DateTimeField(_("first answered at"), null=True, blank=True, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True, editable=False)
    questionnaire_sent_at = models.DateTimeField(_("“is it fixed?” sent at"), null=True, blank=True, editable=False)
    fixed = models.BooleanField(_("fixed, says the reporter"), null=True, blank=True, editable=False)
    fixed_answered_at = models.DateTimeField(_("reporter answered at"), null=True, blank=True, editable=False)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["group", "-created_at", "-id"], name="report_group_newest"),
            models.Index(fields=["group", "status"], name="report_group_status"),
            models.Index(fields=["category_key", "latitude", "longitude"], name="report_category_position"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="report_position_on_earth",
            ),
            models.CheckConstraint(condition=~Q(duplicate_of=models.F("pk")), name="report_not_duplicate_of_itself"),
            models.CheckConstraint(
                condition=Q(status="duplicate", duplicate_of__isnull=False)
                | (~Q(status="duplicate") & Q(duplicate_of__isnull=True)),
                name="report_duplicate_names_original",
            ),
        ]
        permissions = [("moderate_report", _("Can answer, assign and moderate neighbourhood reports"))]

    def __str__(self):
        return f"{self.reference or '—'} {self.title}"

    @property
    def is_open(self):
        return self.status in OPEN_STATUSES


class ReportPhoto(Orderable):
    """One of at most three photos of a report, stored without its metadata."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="photos", verbose_name=_("report"))
    image = models.ForeignKey(
        "wagtailimages.Image", on_delete=models.CASCADE, related_name="+", verbose_name=_("photo")
    )
    is_hidden = models.BooleanField(_("hidden"), default=False)

    class Meta(Orderable.Meta):
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")


class ReportUpdate(models.Model):
    """A step of a report's timeline: a public update (status change, answer) signed by the office, or a
    note for staff only."""

    PUBLIC, NOTE = "public", "note"
    KINDS = [(PUBLIC, _("Public update")), (NOTE, _("Internal note"))]

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="updates", verbose_name=_("report"))
    kind = models.CharField(_("kind"), max_length=8, choices=KINDS, default=PUBLIC)
    status = models.CharField(_("new status"), max_length=16, choices=ReportStatus.choices, blank=True)
    message = models.TextField(_("message"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    office_name = models.CharField(_("office"), max_length=120, blank=True)
    office_name_en = models.CharField(_("office (English)"), max_length=120, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("written by"),
    )
    from_reporter = models.BooleanField(_("from the reporter"), default=False)
    created_at = models.DateTimeField(_("date"), default=timezone.now)

    class Meta:
        verbose_name = _("report update")
        verbose_name_plural = _("report updates")
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["report", "created_at"], name="report_update_timeline")]

    def office_in(self, language_code):
        return self.office_name_en if language_code == "en" and self.office_name_en else self.office_name


class ReportFollower(models.Model):
    """A citizen who follows a report: its reporter, or one who said "me too". Emailed on each change
    unless they turned it off."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="followers", verbose_name=_("report"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_reports", verbose_name=_("citizen")
    )
    is_reporter = models.BooleanField(_("reporter"), default=False)
    notify = models.BooleanField(_("email me the updates"), default=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = [models.UniqueConstraint(fields=["report", "user"], name="one_follow_per_citizen_per_report")]


class Open311Key(models.Model):
    """A key for an Open311 client that may file reports (POST). Only its hash is stored."""

    name = models.CharField(_("client"), max_length=120, unique=True)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=8, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    panels = [FieldPanel("name"), FieldPanel("is_active")]

    class Meta:
        verbose_name = _("Open311 key")
        verbose_name_plural = _("Open311 keys")
        ordering = ["name"]

    def __str__(self):
        return self.name
