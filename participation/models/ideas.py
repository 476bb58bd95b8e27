"""Ideas on a map (Parco Dora co-design): citizens pin ideas inside an area, support them, the city answers.

An :class:`IdeaMapPage` sits under a process. Its ideas, like votes and comments, point at the page's
translation group, never at one translation, so /it/ and /en/ show the same ideas and supports.
Categories and named places are translatable rows of the page; ideas record a category's
``translation_key``, the same in every language.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path, re_path
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from civic_site import pagecache
from civic_site.pages import SitePageMixin
from consultations.models import validate_point
from consultations.panels import LeafletPanel
from consultations.schedule import PhaseWindowFormMixin, PhaseWindowMixin
from participation import geometry
from participation.core.eligibility import (
    EligibilityFormMixin,
    EligibilityMixin,
    eligibility_panel,
    synchronised_fields,
)
from participation.core.groups import ParticipationPageMixin
from participation.core.models import TranslationGroup

from .areas import MapAreaMixin, validate_area  # noqa: F401 - validate_area: named by older migrations

TITLE_MAX_LENGTH = 120
DESCRIPTION_MAX_LENGTH = 2000


class CategoryColour(models.TextChoices):
    """Marker colours with at least 3:1 contrast against the map and white text (WCAG 1.4.11)."""

    GREEN = "green", _("Green")
    ORANGE = "orange", _("Orange")
    BLUE = "blue", _("Blue")
    PURPLE = "purple", _("Purple")
    RED = "red", _("Red")
    GREY = "grey", _("Grey")


class CategoryIcon(models.TextChoices):
    """Icons of Bootstrap Italia's sprite."""

    PIN = "it-map-marker", _("Map pin")
    STAR = "it-star-outline", _("Star")
    FLAG = "it-flag", _("Flag")
    TEAM = "it-user", _("Person")
    TOOL = "it-tool", _("Tool")
    CAMERA = "it-camera", _("Camera")
    HORN = "it-horn", _("Horn")


class IdeaMapPageForm(EligibilityFormMixin, PhaseWindowFormMixin, WagtailAdminPageForm):
    """The map's admin form: dates inside a phase of the process; the centre inside the area."""

    closes_before_opens_message = _("Submissions must close after they open.")

    def clean(self):
        cleaned = super().clean()
        area, location = cleaned.get("area"), cleaned.get("location")
        if area and location:
            from wagtailgeowidget.helpers import geosgeometry_str_to_struct

            point = geosgeometry_str_to_struct(location)
            try:
                inside = geometry.contains(geometry.parse_area(area), float(point["x"]), float(point["y"]))
            except (geometry.AreaError, TypeError, ValueError):
                inside = True  # the fields' own validators report it
            if not inside:
                self.add_error("location", _("The map's centre must lie inside the area."))
        return cleaned


class IdeaMapPage(
    SitePageMixin, ParticipationPageMixin, PhaseWindowMixin, EligibilityMixin, MapAreaMixin, RoutablePageMixin, Page
):
    """A map of a process's area where citizens pin ideas, find similar ones, support them."""

    intro = models.TextField(_("introduction"), max_length=1000, blank=True)
    location = models.CharField(
        _("map centre"),
        max_length=250,
        validators=[validate_point],
        help_text=_("Where the map starts; inside the area."),
    )
    zoom = models.IntegerField(
        _("map zoom"),
        default=16,
        validators=[MinValueValidator(1), MaxValueValidator(19)],
        help_text=_("How close the map starts: 15 shows a neighbourhood, 17 a park."),
    )
    moderate_first = models.BooleanField(
        _("moderate ideas first"),
        default=False,
        help_text=_("If ticked, a new idea is shown only after a moderator approves it."),
    )

    base_form_class = IdeaMapPageForm
    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                LeafletPanel("location", zoom_field="zoom"),
                FieldPanel("zoom"),
                MapAreaMixin.area_panel(_("Where ideas may be placed.")),
            ],
            heading=_("Map"),
        ),
        InlinePanel("categories", label=_("Category"), heading=_("Idea categories"), min_num=1, max_num=12),
        InlinePanel(
            "places",
            label=_("Named place"),
            heading=_("Named places"),
            help_text=_("Places citizens can choose from a list instead of clicking the map."),
        ),
        MultiFieldPanel(
            [
                FieldPanel("phase_key"),
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("moderate_first"),
            ],
            heading=_("Submissions"),
        ),
        eligibility_panel(
            help_text=_(
                "Applies to supporting ideas: only the supports of citizens allowed here are counted. Anyone with "
                "an account and a confirmed email address can propose an idea."
            )
        ),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    override_translatable_fields = [
        SynchronizedField("phase_key", overridable=False),
        SynchronizedField("location", overridable=False),
        SynchronizedField("zoom", overridable=False),
        SynchronizedField("area", overridable=False),
        SynchronizedField("moderate_first", overridable=False),
        *synchronised_fields(),
    ]

    parent_page_types = ["consultations.ConsultationPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("idea map page")

    @property
    def category_list(self):
        """The categories in the editors' order, loaded once per page object (in memory when previewing)."""
        return self._vocabulary("_category_list", "idea-categories", self.categories.all())

    @property
    def place_list(self):
        """The named places in the editors' order (as ``category_list``)."""
        return self._vocabulary("_place_list", "idea-places", self.places.all())

    def _vocabulary(self, attribute, name, chosen):
        """``chosen`` as a list, once per page object; stored rows are kept in the cache until the content
        changes (they are saved with the page), a preview's stay in memory."""
        if attribute not in self.__dict__:
            self.__dict__[attribute] = pagecache.saved_with_page(name, self, chosen)
        return self.__dict__[attribute]

    @property
    def centre(self):
        from wagtailgeowidget.helpers import geosgeometry_str_to_struct

        point = geosgeometry_str_to_struct(self.location) if self.location else None
        if point is None:
            return geometry.centre(self.area_polygons)
        return float(point["y"]), float(point["x"])

    status_summary_label = _("Ideas by status:")  # the process page's line under the map

    @property
    def status_summary(self):
        """[(status label, count)] of the published ideas, for the process page (one query)."""
        if "_status_summary" not in self.__dict__:
            from participation.ideas import status_counts_for

            self.__dict__["_status_summary"] = status_counts_for(self)
        return self.__dict__["_status_summary"]

    def get_context(self, request, *args, with_list=True, **kwargs):
        from participation.ideas import map_context

        context = super().get_context(request, *args, **kwargs)
        if with_list:  # the map page itself; an idea's page and the form need only the page
            context.update(map_context(self, request))
        return context

    @path("")
    def index_route(self, request):
        return self.render(request)

    @path("ideas.geojson/")  # public address without the slash: civic_site/urls.py
    def geojson(self, request):
        from participation.ideas import geojson_view

        return geojson_view(self, request)

    @path("new/")
    def new_idea(self, request):
        from participation.ideas import new_idea_view

        return new_idea_view(self, request)

    @path("similar/")
    def similar(self, request):
        from participation.ideas import similar_view

        return similar_view(self, request)

    @re_path(r"^(?P<idea_id>\d{1,18})/$")
    def idea(self, request, idea_id):
        from participation.ideas import idea_view

        return idea_view(self, request, int(idea_id))

    @re_path(r"^(?P<idea_id>\d{1,18})/support/$")
    def support(self, request, idea_id):
        from participation.ideas import support_view

        return support_view(self, request, int(idea_id))


class IdeaCategory(TranslatableMixin, Orderable):
    """A kind of idea (green, play, sport...). Translatable: ideas record its ``translation_key``."""

    page = ParentalKey(IdeaMapPage, on_delete=models.CASCADE, related_name="categories")
    name = models.CharField(_("name"), max_length=60)
    colour = models.CharField(_("colour"), max_length=16, choices=CategoryColour.choices, default=CategoryColour.GREEN)
    icon = models.CharField(_("icon"), max_length=32, choices=CategoryIcon.choices, default=CategoryIcon.PIN)

    panels = [FieldPanel("name"), FieldRowPanel([FieldPanel("colour"), FieldPanel("icon")])]
    override_translatable_fields = [
        SynchronizedField("colour", overridable=False),
        SynchronizedField("icon", overridable=False),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("idea category")
        verbose_name_plural = _("idea categories")

    def __str__(self):
        return self.name


class IdeaPlace(TranslatableMixin, Orderable):
    """A place of the area with a name ("ingresso via Livorno"): a way to place an idea without a mouse."""

    page = ParentalKey(IdeaMapPage, on_delete=models.CASCADE, related_name="places")
    name = models.CharField(_("name"), max_length=120)
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])

    panels = [FieldPanel("name"), FieldRowPanel([FieldPanel("latitude"), FieldPanel("longitude")])]
    override_translatable_fields = [
        SynchronizedField("latitude", overridable=False),
        SynchronizedField("longitude", overridable=False),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("named place")
        verbose_name_plural = _("named places")

    def __str__(self):
        return self.name


class IdeaStatus(models.TextChoices):
    SUBMITTED = "submitted", pgettext_lazy("idea status", "Submitted")
    ASSESSING = "assessing", pgettext_lazy("idea status", "Under assessment")
    FEASIBLE = "feasible", pgettext_lazy("idea status", "Feasible")
    NOT_FEASIBLE = "not_feasible", pgettext_lazy("idea status", "Not feasible")
    PLANNED = "planned", pgettext_lazy("idea status", "Already planned")
    INCLUDED = "included", pgettext_lazy("idea status", "Included in the design")


class IdeaQuerySet(models.QuerySet):
    def published(self):
        """What the public sees: approved, not hidden, not merged into another idea."""
        return self.filter(is_approved=True, is_hidden=False, merged_into__isnull=True)

    def with_comment_count(self):
        """Annotate ``comment_count``: the visible comments of each idea's own thread (a subquery, no query per row)."""
        from .comments import ParticipationComment

        visible = (
            ParticipationComment.objects.filter(group=OuterRef("key"), is_public=True, is_removed=False)
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(comment_count=Coalesce(Subquery(visible), 0))


class Idea(models.Model):
    """A citizen's idea at a point of an idea map, keyed to the map's translation group."""

    group = models.ForeignKey(TranslationGroup, on_delete=models.PROTECT, related_name="ideas", verbose_name=_("map"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="ideas",
        verbose_name=_("citizen"),
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX_LENGTH)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX_LENGTH)
    category_key = models.UUIDField(_("category"))
    latitude = models.FloatField(_("latitude"), validators=[MinValueValidator(-90), MaxValueValidator(90)])
    longitude = models.FloatField(_("longitude"), validators=[MinValueValidator(-180), MaxValueValidator(180)])
    place_key = models.UUIDField(_("named place"), null=True, blank=True)
    photo = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("photo"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    status = models.CharField(_("status"), max_length=16, choices=IdeaStatus.choices, default=IdeaStatus.SUBMITTED)
    answer = models.TextField(_("public answer (Italian)"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    answer_en = models.TextField(_("public answer (English)"), max_length=DESCRIPTION_MAX_LENGTH, blank=True)
    answered_by = models.CharField(
        _("answering office"), max_length=120, blank=True, help_text=_("The office's name, never a person's.")
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    is_approved = models.BooleanField(_("approved"), default=True)
    is_hidden = models.BooleanField(_("hidden"), default=False)
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    support_count = models.PositiveIntegerField(_("supporters"), default=0, editable=False)
    key = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    objects = IdeaQuerySet.as_manager()

    class Meta:
        verbose_name = _("idea")
        verbose_name_plural = _("ideas")
        indexes = [
            models.Index(fields=["group", "latitude", "longitude"], name="idea_group_position"),
            models.Index(fields=["group", "status"], name="idea_group_status"),
            # The list's order: the first page is read from the index, not sorted from every idea of the map.
            models.Index(fields=["group", "-support_count", "-created_at", "-id"], name="idea_group_ranking"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__gte=-90, latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="idea_position_on_earth",
            ),
            models.CheckConstraint(condition=~Q(merged_into=models.F("pk")), name="idea_not_merged_into_itself"),
        ]
        permissions = [("moderate_idea", _("Can hide, restore, merge and answer citizens' ideas"))]

    def __str__(self):
        return self.title

    def answer_in(self, language_code):
        """The public answer in ``language_code`` when written, else the Italian one: (text, its language)."""
        if language_code == "en" and self.answer_en:
            return self.answer_en, "en"
        return self.answer, "it"


class IdeaSupport(models.Model):
    """A citizen supports an idea: at most once, by database constraint."""

    idea = models.ForeignKey(Idea, on_delete=models.CASCADE, related_name="supports", verbose_name=_("idea"))
    # Deleting an account detaches the support (user becomes NULL): the idea's count stays exact.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="idea_supports",
        verbose_name=_("citizen"),
    )
    created_at = models.DateTimeField(_("supported at"), auto_now_add=True)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = [models.UniqueConstraint(fields=["idea", "user"], name="one_support_per_citizen_per_idea")]
