import operator
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from django import forms
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Max, Min, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail import hooks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, PageManager, TranslatableMixin
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail.snippets.models import register_snippet
from wagtail_localize.fields import SynchronizedField
from wagtailgeowidget.helpers import geosgeometry_str_to_struct

from civic_site import pagecache
from civic_site.pages import SitePageMixin, public
from home.models import IMAGE_ALT_HELP, IMAGE_HELP

from . import licences
from .blocks import ConsultationStreamBlock
from .panels import LeafletPanel
from .schedule import ProcessScheduleFormMixin

# --- status ---------------------------------------------------------------------------------


class Status(models.TextChoices):
    """Where a process is, derived from its phases' dates (see :func:`status_for`)."""

    # Short, generic words: a context keeps their translation apart from other "Open"/"Closed".
    OPEN = "open", pgettext_lazy("consultation status", "Open")
    UPCOMING = "upcoming", pgettext_lazy("consultation status", "Upcoming")
    RESULTS = "results", pgettext_lazy("consultation status", "Results")
    CLOSED = "closed", pgettext_lazy("consultation status", "Closed")


# Listing order: open processes first, then upcoming, results, closed.
STATUS_ORDER = [Status.OPEN, Status.UPCOMING, Status.RESULTS, Status.CLOSED]


# The status rules, in order: the first that holds on ``today`` gives the status. Both
# :func:`status_for` (Python, for one page) and :meth:`ConsultationPageQuerySet.with_status` (SQL, for
# listings) are built from this one list; a bound that is unknown (None / NULL) never holds.
STATUS_RULES = [
    ("window_start", "gt", Status.UPCOMING),  # the first participation phase has not started
    ("window_end", "gte", Status.OPEN),  # the last participation phase has not ended (end day included)
    ("results_start", "lte", Status.RESULTS),  # the results phase has started
    ("window_end", "lt", Status.CLOSED),  # participation is over, results not yet published
]
STATUS_DEFAULT = Status.OPEN  # no phases (or only a results phase not started yet)
_COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


def status_for(window_start, window_end, results_start, today):
    """The status of a process on ``today``, by :data:`STATUS_RULES`.

    ``window_start``/``window_end`` bound the participation window (earliest start and latest end of the
    non-results phases, end day included); ``results_start`` is the earliest start of a results phase.
    """
    bounds = {"window_start": window_start, "window_end": window_end, "results_start": results_start}
    for bound, lookup, status in STATUS_RULES:
        if bounds[bound] is not None and _COMPARE[lookup](bounds[bound], today):
            return status.value
    return STATUS_DEFAULT.value


@dataclass(frozen=True)
class PhaseSummary:
    """A process's status and participation window, as cards and badges show them."""

    status: str
    start: date | None
    end: date | None

    @property
    def status_label(self):
        return Status(self.status).label


def summarise_phases(phases, today):
    window = [phase for phase in phases if not phase.is_results]
    results = [phase.start for phase in phases if phase.is_results]
    start = min((phase.start for phase in window), default=None)
    end = max((phase.end for phase in window), default=None)
    return PhaseSummary(status_for(start, end, min(results, default=None), today), start, end)


# --- topics ---------------------------------------------------------------------------------


@register_snippet
class Topic(TranslatableMixin, models.Model):
    """A topic from the "Modello Comuni" controlled vocabulary ("Tassonomia argomenti", criterion C.SI.1.5).

    One row per language, the translations sharing ``translation_key``; the vocabulary is loaded by a data
    migration (consultations/topics.py). A process may link the rows of any language: pages show, and the
    index filters by, the row in their own language (:func:`localised_topics`, :meth:`TopicQuerySet.localised`).
    """

    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(
        _("slug"), max_length=100, allow_unicode=False, help_text=_("The topic's address in the filters and links.")
    )
    description = models.TextField(_("description"), max_length=500, blank=True)

    panels = [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["locale", "slug"], name="consultations_topic_unique_slug")]

    def __str__(self):
        return self.name


@dataclass(frozen=True)
class TopicLink:
    """A topic as a page shows it: in that page's language."""

    name: str
    slug: str

    def __str__(self):
        return self.name


def localised_topics(keys, locale_id):
    """The topics with these translation keys in ``locale_id``, by name (one query; ``keys`` may be a subquery)."""
    return list(Topic.objects.filter(locale_id=locale_id, translation_key__in=keys).order_by("name"))


def topics_in(locale_id):
    """A Prefetch of a process's topics annotated with their name and slug in ``locale_id`` (the same query)."""
    local = Topic.objects.filter(translation_key=OuterRef("translation_key"), locale_id=locale_id)
    return models.Prefetch(
        "topics",
        queryset=Topic.objects.annotate(
            local_name=Coalesce(Subquery(local.values("name")[:1]), F("name")),
            local_slug=Coalesce(Subquery(local.values("slug")[:1]), F("slug")),
        ).order_by("local_name"),
        to_attr="listing_topic_rows",
    )


# --- index ----------------------------------------------------------------------------------


class ConsultationFilterForm(forms.Form):
    """The index's filters (GET): by status and by topic. Unknown values are ignored, not errors."""

    status = forms.ChoiceField(label=_("Status"), required=False)
    topic = forms.ChoiceField(label=_("Topic"), required=False)

    def __init__(self, *args, topics=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All statuses"))] + [
            (status.value, status.label) for status in STATUS_ORDER
        ]
        self.fields["topic"].choices = [("", _("All topics"))] + [(topic.slug, topic.name) for topic in topics]

    def filters(self):
        """{"status": ..., "topic": ...} for the valid, non-empty values."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value}


class ConsultationIndexPage(SitePageMixin, Page):
    """“Partecipa”: lists the city's participatory processes, open ones first, filterable by status and topic."""

    intro = models.TextField(_("introduction"), max_length=500, blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["consultations.ConsultationPage"]

    PER_PAGE = 12

    class Meta:
        verbose_name = _("consultation index page")

    def get_consultations(self):
        """This index's live, public processes (in this page's language: they are its children)."""
        return public(ConsultationPage.objects.child_of(self).live())

    def get_topics(self, consultations=None):
        """The topics of this index's processes, in this page's language, by name (one query)."""
        pages = (consultations if consultations is not None else self.get_consultations()).values("pk")
        used = Topic.objects.filter(consultation_pages__in=pages).values("translation_key")
        return Topic.objects.filter(locale_id=self.locale_id, translation_key__in=used).order_by("name")

    def get_listing(self, status=None, topic=None, today=None, consultations=None):
        """Processes with their status computed in the database: filtered, open first, newest first."""
        if consultations is None:
            consultations = self.get_consultations()
        if topic:
            # The slug is in this index's language; the processes may link the topic's row in any language.
            keys = Topic.objects.filter(locale_id=self.locale_id, slug=topic).values("translation_key")
            links = ConsultationPage.topics.through.objects.filter(topic__translation_key__in=keys)
            consultations = consultations.filter(pk__in=links.values("consultationpage_id"))
        consultations = consultations.with_status(today)
        if status:
            consultations = consultations.filter(computed_status=status)
        return (
            consultations.select_related("image")
            .prefetch_related("image__renditions", topics_in(self.locale_id))
            .defer_streamfields()
            .order_by("status_order", F("first_published_at").desc(nulls_last=True), "path")
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        consultations = self.get_consultations()  # public() queries view restrictions: once
        form = ConsultationFilterForm(request.GET, topics=self.get_topics(consultations))
        filters = form.filters()
        paginator = Paginator(self.get_listing(**filters, consultations=consultations), self.PER_PAGE)
        page_obj = paginator.get_page(request.GET.get("page"))
        context.update(
            filter_form=form,
            filters=filters,
            page_obj=page_obj,
            consultations=page_obj.object_list,
            query_string=urlencode(filters),
        )
        return context


# --- consultation ---------------------------------------------------------------------------


class ConsultationPageQuerySet(PageQuerySet):
    def with_status(self, today=None):
        """Annotate ``window_start``, ``window_end``, ``results_start``, ``computed_status`` and ``status_order``.

        :data:`STATUS_RULES` in SQL, so listings filter and sort on the status without
        loading phases (the query count does not grow with the number of processes or phases).
        """
        today = today or timezone.localdate()
        annotated = self.annotate(
            window_start=Min("phases__start", filter=Q(phases__is_results=False)),
            window_end=Max("phases__end", filter=Q(phases__is_results=False)),
            results_start=Min("phases__start", filter=Q(phases__is_results=True)),
        )
        status = Case(
            *(When(**{f"{bound}__{lookup}": today}, then=Value(rule.value)) for bound, lookup, rule in STATUS_RULES),
            default=Value(STATUS_DEFAULT.value),
            output_field=models.CharField(),
        )
        order = Case(
            *(When(computed_status=value, then=Value(rank)) for rank, value in enumerate(STATUS_ORDER)),
            default=Value(len(STATUS_ORDER)),
            output_field=IntegerField(),
        )
        return annotated.annotate(computed_status=status).annotate(status_order=order)


ConsultationPageManager = PageManager.from_queryset(ConsultationPageQuerySet)


def validate_point(value):
    """A point as wagtailgeowidget stores it: "SRID=4326;POINT(lng lat)" within the world's bounds."""
    point = geosgeometry_str_to_struct(value)
    try:
        valid = point is not None and -180 <= float(point["x"]) <= 180 and -90 <= float(point["y"]) <= 90
    except ValueError:
        valid = False
    if not valid:
        raise ValidationError(_("Pick a point on the map."), code="invalid_point")


class ConsultationPageForm(ProcessScheduleFormMixin, WagtailAdminPageForm):
    """The process's form: its phases are the calendar its participation pages keep to; its topics are
    picked from the vocabulary in the page's language (checkboxes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("topics")
        if field is not None:
            locale_id = self.instance.locale_id or getattr(self.parent_page, "locale_id", None)
            if locale_id is None:
                from wagtail.models import Locale

                locale_id = Locale.get_default().pk
            field.queryset = Topic.objects.filter(locale_id=locale_id).order_by("name")
            # Links to another language's rows (a translated page's copies) show as this language's topics.
            chosen = [getattr(topic, "pk", topic) for topic in self.initial.get("topics") or []]
            if chosen:
                keys = Topic.objects.filter(pk__in=chosen).values("translation_key")
                self.initial["topics"] = list(field.queryset.filter(translation_key__in=keys))


class ConsultationPage(SitePageMixin, Page):
    """One participatory process (Parco Dora, AxTO, neighbourhood reports): its participation pages sit below it."""

    summary = models.TextField(
        _("summary"), max_length=300, help_text=_("One or two sentences, shown on cards and in search results.")
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("hero image"),
        help_text=IMAGE_HELP,
    )
    image_alt = models.CharField(_("image alternative text"), max_length=250, blank=True, help_text=IMAGE_ALT_HELP)
    serve_select_related = ("locale", "image")
    organiser = models.CharField(
        _("organiser"), max_length=200, blank=True, help_text=_("The office of the City that runs the process.")
    )
    contact_email = models.EmailField(
        _("contact email"), blank=True, help_text=_("Where citizens can write with questions about the process.")
    )
    topics = ParentalManyToManyField(
        Topic,
        blank=True,
        related_name="consultation_pages",
        verbose_name=_("topics"),
        help_text=_(
            "From the municipal topics vocabulary; the same in every language. The list of processes can be "
            "filtered by them and the topics page lists the processes under each."
        ),
    )
    location = models.CharField(
        _("area"),
        max_length=250,
        blank=True,
        validators=[validate_point],
        help_text=_("The centre of the area the process is about; a map of the process starts here."),
    )
    zoom = models.IntegerField(
        _("map zoom"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(19)],
        help_text=_("How close the map starts: 12 shows the whole city, 15 a neighbourhood."),
    )
    body = StreamField(ConsultationStreamBlock(), blank=True, verbose_name=_("body"))
    data_licence = models.CharField(
        _("open data licence"),
        max_length=20,
        choices=licences.CHOICES,
        default=licences.DEFAULT,
        help_text=_(
            "When participation closes, the results (tallies, anonymised votes, the ideas and reports on the "
            "map) are published as open data under this licence, on this page and in the data catalogue."
        ),
    )

    objects = ConsultationPageManager()
    base_form_class = ConsultationPageForm

    # --- panels: what it is, who runs it, where, when, then the body
    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("image"),
        FieldPanel("image_alt"),
        MultiFieldPanel(
            [
                FieldPanel("organiser"),
                FieldPanel("contact_email"),
                FieldPanel("topics", widget=forms.CheckboxSelectMultiple),
            ],
            heading=_("Organiser and topics"),
        ),
        MultiFieldPanel(
            [LeafletPanel("location", zoom_field="zoom"), FieldPanel("zoom")],
            heading=_("Area on the map"),
        ),
        InlinePanel(
            "phases",
            heading=_("Phases"),
            label=_("Phase"),
            help_text=_(
                "The steps of the process in order. The process is open from the first start to the last end "
                "of the phases that are not results phases."
            ),
        ),
        FieldPanel("body"),
        FieldPanel("data_licence"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("body"),
    ]
    # The point and zoom are the same in every language: translators don't see them as text.
    override_translatable_fields = [
        SynchronizedField("location", overridable=False),
        SynchronizedField("zoom", overridable=False),
        SynchronizedField("data_licence", overridable=False),  # one dataset, one licence in every language
        SynchronizedField("topics", overridable=False),  # shown in each page's language (localised_topics)
    ]

    parent_page_types = ["consultations.ConsultationIndexPage"]
    subpage_types = [
        "participation.PollPage",
        "participation.IdeaMapPage",
        "participation.BudgetPage",
        "participation.ReportingPage",
        "participation.PactPage",
    ]

    class Meta:
        verbose_name = _("consultation page")

    # --- status: from the phases' dates, in Europe/Rome time (TIME_ZONE)

    @property
    def phase_list(self):
        """The phases in the editors' order, loaded once per page object (the page, its status and its
        comment thread all read them)."""
        if "_phase_list" not in self.__dict__:
            self.__dict__["_phase_list"] = pagecache.saved_with_page("phases", self, self.phases.all())
        return self.__dict__["_phase_list"]

    def get_phase_summary(self, today=None):
        """Status and participation window; uses the listing's annotations when present (no query)."""
        if today is None and "computed_status" in self.__dict__:
            return PhaseSummary(self.computed_status, self.window_start, self.window_end)
        return summarise_phases(self.phase_list, today or timezone.localdate())

    @property
    def phase_summary(self):
        return self.get_phase_summary()

    @property
    def listing_summary(self):
        """The summary when this page came from a listing annotated by ``with_status()``, else None (no query).

        Cards show status and dates only then, so a card never costs a query per process.
        """
        return self.get_phase_summary() if "computed_status" in self.__dict__ else None

    @property
    def listing_topics(self):
        """The topics (:class:`TopicLink`, in the listing's language) when the listing prefetched them
        (:func:`topics_in`), else None (no query)."""
        rows = self.__dict__.get("listing_topic_rows")
        if rows is None:
            return None
        return [TopicLink(row.local_name, row.local_slug) for row in rows]

    def get_topic_links(self):
        """This process's topics in its own language, by name: one query (none without topics), kept in the
        cache until the content changes."""
        chosen = self.topics.all()
        if isinstance(chosen, models.QuerySet) and self.pk:  # saved links: resolved in the same query
            keys = chosen.values("translation_key")
            return pagecache.until_content_changes(
                "topics",
                [self.pk, self.locale_id],
                lambda: [TopicLink(topic.name, topic.slug) for topic in localised_topics(keys, self.locale_id)],
            )
        keys = [topic.translation_key for topic in chosen]  # a preview: the form's choices, in memory
        if not keys:
            return []
        return [TopicLink(topic.name, topic.slug) for topic in localised_topics(keys, self.locale_id)]

    def get_status(self, today=None):
        """One of "upcoming", "open", "closed", "results" on ``today`` (default: today in Europe/Rome)."""
        return self.get_phase_summary(today).status

    @property
    def status(self):
        return self.get_status()

    @property
    def status_label(self):
        return Status(self.status).label

    @property
    def is_open(self):
        """True while citizens can take part (participation pages become read-only after)."""
        return self.status == Status.OPEN

    def get_current_phase(self, today=None):
        """The last phase (in the editors' order) whose [start, end] contains ``today``, else None: when
        phases overlap (ideas still collected while the layouts are put to a vote) the newest step is
        where the process stands."""
        today = today or timezone.localdate()
        return next((phase for phase in reversed(self.phase_list) if phase.contains(today)), None)

    @property
    def current_phase(self):
        return self.get_current_phase()

    @property
    def point(self):
        """{"lat": float, "lng": float} of the area's centre, or None: for maps."""
        parsed = geosgeometry_str_to_struct(self.location or "")
        return {"lat": float(parsed["y"]), "lng": float(parsed["x"])} if parsed else None

    def get_participation_pages(self):
        """Child participation pages (polls, maps…), found through the tree: no participation import here.
        Kept in the cache until the content changes (one query per page type otherwise)."""
        if not self.pk:
            return []
        return pagecache.until_content_changes(
            "participation-pages", [self.pk], lambda: list(public(self.get_children().live()).specific())
        )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        today = timezone.localdate()
        phases = self.phase_list
        summary = summarise_phases(phases, today)
        current = self.get_current_phase(today)
        parent = self.ancestor_list[-1].specific_deferred if self.ancestor_list else None
        participation_pages = list(self.get_participation_pages())
        context.update(
            status=summary.status,
            summary=summary,
            timeline=[
                {
                    "phase": phase,
                    "current": phase is current,
                    "past": phase.end < today,
                    # The participation pages (polls, maps...) whose window lies in this phase.
                    "pages": [p for p in participation_pages if getattr(p, "phase_key", None) == phase.translation_key],
                }
                for phase in phases
            ],
            current_phase=current,
            topics=self.get_topic_links(),
            index_url=parent.get_url(request) if parent else None,
            participation_pages=participation_pages,
        )
        # Sections other apps add below the page's own (the open data of a closed process...), without
        # this app importing theirs: a ``consultation_page_sections`` hook gives (template, context) or None.
        context["extra_sections"] = [
            section
            for hook in hooks.get_hooks("consultation_page_sections")
            if (section := hook(self, request, summary, participation_pages)) is not None
        ]
        return context


class ConsultationPhase(TranslatableMixin, Orderable):
    """A step of a process (information, ideas, vote, results): dates drive the process's status.

    Translatable: the English page's phases are copies sharing ``translation_key`` in the English locale.
    """

    page = ParentalKey(ConsultationPage, on_delete=models.CASCADE, related_name="phases")
    name = models.CharField(_("name"), max_length=120)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"), help_text=_("The last day of the phase (the whole day is included)."))
    description = models.TextField(_("description"), max_length=600, blank=True)
    is_results = models.BooleanField(
        _("results phase"),
        default=False,
        help_text=_("The phase in which the City publishes the results; it does not count as open for taking part."),
    )

    panels = [
        FieldPanel("name"),
        FieldPanel("start"),
        FieldPanel("end"),
        FieldPanel("description"),
        FieldPanel("is_results"),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("phase")
        verbose_name_plural = _("phases")
        constraints = [
            models.CheckConstraint(condition=Q(end__gte=F("start")), name="consultation_phase_end_not_before_start"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("The end cannot be before the start.")}, code="end_before_start")

    def contains(self, day):
        return self.start <= day <= self.end
