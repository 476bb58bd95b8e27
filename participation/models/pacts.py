"""Collaboration pacts (patti di collaborazione): co-managing an area after co-designing it (Parco Dora).

A :class:`PactPage` sits under a process: the pact as the city and its signatories agreed it (area, purpose,
commitments, duration, signatory organisations, contact, signed document, status). What citizens and
coordinators do there points at the page's translation group, never at one translation, like votes and
ideas: memberships (:class:`PactMembership`, one per citizen by constraint), activities on a calendar
(:class:`Activity`) with sign-ups and a waiting list (:class:`ActivitySignup`), citizens' proposals of
activities (:class:`ActivityProposal`) and, after an activity, what was done (:class:`ActivityReport`,
:class:`ActivityPhoto`).

Coordinators: each pact names a Wagtail group (``coordinators``) whose members, with editors, publish and report
activities of that pact only (participation/pacts.py).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from civic_site.pages import SitePageMixin
from participation.core.groups import ParticipationPageMixin
from participation.core.models import TranslationGroup

from .areas import MapAreaMixin

TITLE_MAX_LENGTH = 120
TEXT_MAX_LENGTH = 2000


class CommitmentBlock(blocks.StructBlock):
    """One commitment of the pact: who commits (the city, the signatories, the volunteers) to what."""

    CITY, SIGNATORIES, VOLUNTEERS = "city", "signatories", "volunteers"
    party = blocks.ChoiceBlock(
        choices=[
            (CITY, _("The City of Turin")),
            (SIGNATORIES, _("The signatory organisations")),
            (VOLUNTEERS, _("The volunteers")),
        ],
        label=_("who commits"),
    )
    text = blocks.RichTextBlock(features=["bold", "italic", "link", "ul", "ol"], label=_("commitment"))

    class Meta:
        icon = "tick"
        label = _("Commitment")


class PactStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    SIGNED = "signed", _("Signed")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")


class PactPage(SitePageMixin, ParticipationPageMixin, MapAreaMixin, RoutablePageMixin, Page):
    """A collaboration pact over an area: what the city and its signatories agreed, who takes part, and the
    activities that look after the area."""

    intro = models.TextField(_("introduction"), max_length=1000, blank=True)
    purpose = RichTextField(_("purpose"), features=["bold", "italic", "link", "ul", "ol"])
    commitments = StreamField([("commitment", CommitmentBlock())], verbose_name=_("commitments"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    status = models.CharField(_("status"), max_length=10, choices=PactStatus.choices, default=PactStatus.PROPOSED)
    contact = models.TextField(
        _("contact"), max_length=500, blank=True, help_text=_("Who to write to about the pact: an office, an email.")
    )
    document = models.ForeignKey(
        "wagtaildocs.Document",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("signed document"),
    )
    coordinators = models.ForeignKey(
        "auth.Group",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("coordinators"),
        help_text=_(
            "The group whose members (the signatory organisations' coordinators) publish and report this pact's "
            "activities, and answer citizens' proposals. Editors can too."
        ),
    )

    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("purpose"),
        FieldPanel("commitments"),
        MapAreaMixin.area_panel(_("What the pact covers.")),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]), FieldPanel("status")],
            heading=_("Duration and status"),
        ),
        InlinePanel("signatories", label=_("Signatory organisation"), heading=_("Signatory organisations")),
        FieldPanel("contact"),
        FieldPanel("document"),
        FieldPanel("coordinators"),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("purpose")]
    override_translatable_fields = [
        SynchronizedField("area", overridable=False),
        SynchronizedField("starts_on", overridable=False),
        SynchronizedField("ends_on", overridable=False),
        SynchronizedField("status", overridable=False),
        SynchronizedField("document"),
        SynchronizedField("coordinators", overridable=False),
    ]

    parent_page_types = ["consultations.ConsultationPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("collaboration pact page")

    @property
    def current_status(self):
        """The status as citizens should read it: a pact past its end date is expired whatever was set."""
        if self.ends_on and self.ends_on < timezone.localdate():
            return PactStatus.EXPIRED
        return self.status

    def get_context(self, request, *args, with_pact=True, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        if with_pact:  # the pact's page itself; an activity's page needs only the page
            from participation.pacts import JoinForm, pact_context

            context.update(pact_context(self, request))
            context.setdefault("join_form", JoinForm())
        return context

    @path("")
    def index_route(self, request):
        return self.render(request)

    @path("join/")
    def join(self, request):
        from participation.pacts import join_view

        return join_view(self, request)

    @path("leave/")
    def leave(self, request):
        from participation.pacts import leave_view

        return leave_view(self, request)

    @path("calendar.ics/")  # public address without the slash: civic_site/urls.py
    def calendar(self, request):
        from participation.pacts import calendar_view

        return calendar_view(self, request)

    @path("activities/", name="activities")
    def activities(self, request):
        from participation.pacts import activities_view

        return activities_view(self, request)

    @re_path(r"^activities/(?P<activity_id>\d{1,18})/$")
    def activity(self, request, activity_id):
        from participation.pacts import activity_view

        return activity_view(self, request, int(activity_id))

    @re_path(r"^activities/(?P<activity_id>\d{1,18})/signup/$")
    def activity_signup(self, request, activity_id):
        from participation.pacts import signup_view

        return signup_view(self, request, int(activity_id))

    @re_path(r"^activities/(?P<activity_id>\d{1,18})\.ics/$")  # public address without the slash
    def activity_ics(self, request, activity_id):
        from participation.pacts import activity_ics_view

        return activity_ics_view(self, request, int(activity_id))

    # --- proposals and reports (participation/pact_proposals.py, participation/pact_reports.py) ---------------

    @path("propose/", name="propose")
    def propose(self, request):
        from participation.pact_proposals import proposal_view

        return proposal_view(self, request)

    @path("report/<int:year>/", name="year_report")
    def year_report(self, request, year):
        from participation.pact_reports import year_report_view

        return year_report_view(self, request, year)


class PactSignatory(TranslatableMixin, Orderable):
    """A signatory organisation of a pact (an association, a school, a committee)."""

    page = ParentalKey(PactPage, on_delete=models.CASCADE, related_name="signatories")
    name = models.CharField(_("name"), max_length=160)
    url = models.URLField(_("website"), blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("logo"),
    )

    panels = [FieldPanel("name"), FieldPanel("url"), FieldPanel("logo")]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("signatory organisation")
        verbose_name_plural = _("signatory organisations")

    def __str__(self):
        return self.name


class PactMembership(models.Model):
    """A citizen who joined a pact as a volunteer, accepting its commitments: one per citizen and pact."""

    group = models.ForeignKey(
        TranslationGroup, on_delete=models.PROTECT, related_name="pact_memberships", verbose_name=_("pact")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pact_memberships", verbose_name=_("citizen")
    )
    joined_at = models.DateTimeField(_("joined at"), default=timezone.now)
    show_name = models.BooleanField(
        _("show my public name among the volunteers"), default=False
    )  # never shown unless they choose

    class Meta:
        verbose_name = _("pact volunteer")
        verbose_name_plural = _("pact volunteers")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_membership_per_citizen")]


class Activity(models.Model):
    """An activity of a pact on its calendar (garden care, a clean-up, a cinema evening), written in one language
    by a coordinator or an editor; citizens sign up within ``capacity`` (empty: no limit), then wait."""

    SCHEDULED, CANCELLED = "scheduled", "cancelled"
    STATUSES = [(SCHEDULED, _("Scheduled")), (CANCELLED, _("Cancelled"))]

    group = models.ForeignKey(
        TranslationGroup, on_delete=models.PROTECT, related_name="activities", verbose_name=_("pact")
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=TEXT_MAX_LENGTH)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    place_name = models.CharField(_("place"), max_length=160, help_text=_("A named place, e.g. “the pillars' lawn”."))
    latitude = models.FloatField(
        _("latitude"), null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        _("longitude"), null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True, help_text=_("Empty: no limit."))
    what_to_bring = models.TextField(_("what to bring"), max_length=TEXT_MAX_LENGTH, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=SCHEDULED)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("pact activity")
        verbose_name_plural = _("pact activities")
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["group", "starts_at"], name="activity_group_start")]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="activity_ends_after_start")
        ]

    def __str__(self):
        return self.title


class ActivitySignup(models.Model):
    """A citizen signed up for an activity: confirmed within its places, else waiting in order of sign-up."""

    CONFIRMED, WAITING = "confirmed", "waiting"
    STATUSES = [(CONFIRMED, _("Confirmed")), (WAITING, _("On the waiting list"))]

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups", verbose_name=_("activity"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_signups", verbose_name=_("citizen")
    )
    status = models.CharField(_("status"), max_length=10, choices=STATUSES)
    signed_up_at = models.DateTimeField(_("signed up at"), default=timezone.now)
    # The language they signed up in: their reminder and "you have a place" emails are written in it.
    language = models.CharField(_("language"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("activity sign-up")
        verbose_name_plural = _("activity sign-ups")
        ordering = ["signed_up_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["activity", "user"], name="one_signup_per_citizen")]


class ActivityProposal(models.Model):
    """A citizen's proposal of an activity; a coordinator accepts it (it becomes an activity) or declines it with
    a public reason."""

    PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"
    STATUSES = [(PENDING, _("Waiting for an answer")), (ACCEPTED, _("Accepted")), (DECLINED, _("Declined"))]

    group = models.ForeignKey(
        TranslationGroup, on_delete=models.PROTECT, related_name="activity_proposals", verbose_name=_("pact")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="activity_proposals",
        verbose_name=_("citizen"),
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=TEXT_MAX_LENGTH)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    proposed_date = models.DateField(_("proposed date"))
    place_name = models.CharField(_("place"), max_length=160)
    status = models.CharField(_("status"), max_length=10, choices=STATUSES, default=PENDING)
    reason = models.TextField(_("public reason"), max_length=TEXT_MAX_LENGTH, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("answered by"),
    )
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    activity = models.OneToOneField(
        Activity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="proposal",
        verbose_name=_("activity"),
    )
    created_at = models.DateTimeField(_("proposed at"), auto_now_add=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("activity proposal")
        verbose_name_plural = _("activity proposals")
        ordering = ["-created_at", "-pk"]


class ActivityReport(models.Model):
    """What was done at an activity, written by its coordinator: shown on the pact's page as its log."""

    activity = models.OneToOneField(
        Activity, on_delete=models.CASCADE, related_name="report", verbose_name=_("activity")
    )
    text = models.TextField(_("what was done"), max_length=TEXT_MAX_LENGTH)
    participants = models.PositiveIntegerField(_("participants"))
    hours = models.DecimalField(_("volunteer hours"), max_digits=7, decimal_places=1, validators=[MinValueValidator(0)])
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("written by"),
    )
    written_at = models.DateTimeField(_("written at"), default=timezone.now)

    class Meta:
        verbose_name = _("activity report")
        verbose_name_plural = _("activity reports")


class ActivityPhoto(Orderable):
    """A photo of an activity's report, stored without its metadata (EXIF stripped), with its description."""

    report = models.ForeignKey(
        ActivityReport, on_delete=models.CASCADE, related_name="photos", verbose_name=_("report")
    )
    image = models.ForeignKey(
        "wagtailimages.Image", on_delete=models.CASCADE, related_name="+", verbose_name=_("photo")
    )
    alt_text = models.CharField(
        _("description"), max_length=250, help_text=_("What the photo shows, for screen readers.")
    )

    class Meta(Orderable.Meta):
        verbose_name = _("activity photo")
        verbose_name_plural = _("activity photos")
