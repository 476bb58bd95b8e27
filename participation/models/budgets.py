"""Participatory budgeting (AxTO): a budget, its NGO projects, and the citizens' ballots.

A :class:`BudgetPage` holds :class:`ProjectPage` children. A citizen fills a basket of projects and
checks it out: the basket and the ballot are the same :class:`Ballot` row (``checked_out_at`` set when
cast), unique per (citizen, budget translation group) by database constraint, so a citizen never has
two ballots, and withdrawing turns the ballot back into a basket. Ballots record the projects'
``translation_key`` (:class:`BallotProject`), so Italian and English ballots count together.
The counting methods are in :mod:`participation.budgeting`; the Django side in :mod:`participation.budgets`.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.fields import StreamField
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField
from wagtailgeowidget.helpers import geosgeometry_str_to_struct
from wagtailgeowidget.panels import LeafletPanel

from civic_site.pages import SitePageMixin
from consultations.blocks import ConsultationStreamBlock
from consultations.models import validate_point
from consultations.schedule import PhaseWindowFormMixin, PhaseWindowMixin
from participation.core.eligibility import (
    EligibilityFormMixin,
    EligibilityMixin,
    eligibility_panel,
    synchronised_fields,
)
from participation.core.groups import ParticipationPageMixin
from participation.core.models import TranslationGroup

MONEY = {"max_digits": 12, "decimal_places": 2}


class ProjectCategory(TranslatableMixin, models.Model):
    """A kind of cultural project (theatre, music, reading...). With the district, the group that the
    AxTO rule limits ("at most 1 per category in each district")."""

    name = models.CharField(_("name"), max_length=80)

    panels = [FieldPanel("name")]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("project category")
        verbose_name_plural = _("project categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class District(TranslatableMixin, models.Model):
    """One of Turin's eight Circoscrizioni (districts), by number and name."""

    number = models.PositiveSmallIntegerField(_("number"), validators=[MinValueValidator(1), MaxValueValidator(99)])
    name = models.CharField(_("name"), max_length=200)

    panels = [FieldPanel("number"), FieldPanel("name")]
    override_translatable_fields = [SynchronizedField("number", overridable=False)]

    class Meta(TranslatableMixin.Meta):
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["number"]

    def __str__(self):
        return _("District %(number)s: %(name)s") % {"number": self.number, "name": self.name}


class BudgetPageForm(EligibilityFormMixin, PhaseWindowFormMixin, WagtailAdminPageForm):
    """The rules must make a ballot possible, and cannot change under ballots already cast."""

    closes_before_opens_message = _("Voting must close after it opens.")

    def clean(self):
        cleaned = super().clean()
        rule = cleaned.get("voting_rule")
        low, high = cleaned.get("min_projects"), cleaned.get("max_projects")
        if rule == BudgetPage.RULE_APPROVAL and not high:
            self.add_error("max_projects", _("Say the most projects a citizen may choose."))
        if low is not None and high is not None and high < low:
            self.add_error("max_projects", _("The maximum cannot be less than the minimum."))
        if rule == BudgetPage.RULE_APPROVAL and cleaned.get("min_percent"):
            self.add_error("min_percent", _("A minimum share of the budget applies only when costs count."))
        page = self.instance
        if page.pk and Ballot.objects.filter(group_id=page.translation_key, checked_out_at__isnull=False).exists():
            saved = BudgetPage.objects.filter(pk=page.pk).values(*BudgetPage.RULE_FIELDS).first() or {}
            changed = [name for name in BudgetPage.RULE_FIELDS if name in cleaned and cleaned[name] != saved.get(name)]
            for name in changed:
                self.add_error(
                    name, _("Citizens have already voted under these rules, so they cannot be changed any more.")
                )
        return cleaned


class BudgetPage(SitePageMixin, ParticipationPageMixin, PhaseWindowMixin, EligibilityMixin, RoutablePageMixin, Page):
    """Citizens choose which projects to fund within a budget, under rules the editor sets."""

    RULE_KNAPSACK, RULE_APPROVAL = "knapsack", "approval"
    RULE_CHOICES = [
        (RULE_KNAPSACK, _("Within the budget: the projects chosen may cost at most the budget together")),
        (RULE_APPROVAL, _("A number of projects: between a minimum and a maximum, whatever they cost")),
    ]
    METHOD_GREEDY, METHOD_EQUAL_SHARES, METHOD_COMBINED = "greedy", "equal_shares", "combined"
    METHOD_CHOICES = [
        (METHOD_GREEDY, _("Most votes first, as long as the budget allows")),
        (METHOD_EQUAL_SHARES, _("Method of Equal Shares (proportional)")),
        (METHOD_COMBINED, _("Combined score (votes and technical assessment), highest first, within the budget")),
    ]
    # What ballots were cast under: frozen once one is.
    RULE_FIELDS = ("voting_rule", "total_budget", "min_percent", "min_projects", "max_projects", "max_per_group")

    intro = models.TextField(_("introduction"), max_length=1000, blank=True)
    eligibility = models.TextField(
        _("who can vote"), max_length=1000, blank=True, help_text=_("Shown beside the ballot, in plain words.")
    )
    total_budget = models.DecimalField(
        _("total budget (euros)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))]
    )
    voting_rule = models.CharField(_("voting rule"), max_length=16, choices=RULE_CHOICES, default=RULE_KNAPSACK)
    min_percent = models.DecimalField(
        _("least share of the budget (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("Within the budget only: a ballot must use at least this share of it (0: no minimum)."),
    )
    min_projects = models.PositiveSmallIntegerField(_("fewest projects"), default=1, validators=[MinValueValidator(1)])
    max_projects = models.PositiveSmallIntegerField(
        _("most projects"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("At most this many projects in all (e.g. 8); empty: no limit beyond the budget."),
    )
    max_per_group = models.PositiveSmallIntegerField(
        _("most projects per category in each district"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("The AxTO rule: e.g. 1 means one project per category in each district. Empty: no limit."),
    )
    results_method = models.CharField(
        _("how the funded projects are chosen"), max_length=16, choices=METHOD_CHOICES, default=METHOD_GREEDY
    )
    citizen_weight = models.PositiveSmallIntegerField(
        _("weight of the citizens' vote (%)"),
        default=100,
        validators=[MaxValueValidator(100)],
        help_text=_(
            "For the combined score: the rest is the weight of the technical assessment (e.g. 60 gives 60/40). "
            "Both parts are scored from 0 to 100."
        ),
    )

    base_form_class = BudgetPageForm
    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("eligibility"),
        MultiFieldPanel(
            [
                FieldPanel("phase_key"),
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("total_budget"),
                FieldPanel("voting_rule"),
                FieldPanel("min_percent"),
                FieldRowPanel([FieldPanel("min_projects"), FieldPanel("max_projects")]),
                FieldPanel("max_per_group"),
            ],
            heading=_("Voting rules"),
        ),
        eligibility_panel(),
        MultiFieldPanel([FieldPanel("results_method"), FieldPanel("citizen_weight")], heading=_("Results")),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro")]
    override_translatable_fields = [
        SynchronizedField(name, overridable=False)
        for name in ("phase_key", *RULE_FIELDS, "results_method", "citizen_weight")
    ] + synchronised_fields()

    parent_page_types = ["consultations.ConsultationPage"]
    subpage_types = ["participation.ProjectPage"]

    class Meta:
        verbose_name = _("budget page")

    @property
    def technical_weight(self):
        return 100 - self.citizen_weight

    @property
    def counts_cost(self):
        return self.voting_rule == self.RULE_KNAPSACK

    def get_context(self, request, *args, basket_errors=None, **kwargs):
        from participation.budgets import budget_context

        context = super().get_context(request, *args, **kwargs)
        context.update(budget_context(self, request, errors=basket_errors))
        return context

    @path("")
    def index_route(self, request, *args, **kwargs):
        return self.render(request)

    @path("basket/")
    def basket(self, request):
        from participation.budgets import basket_view

        return basket_view(self, request)

    @path("checkout/")
    def checkout(self, request):
        from participation.budgets import checkout_view

        return checkout_view(self, request)

    @path("withdraw/")
    def withdraw(self, request):
        from participation.budgets import withdraw_view

        return withdraw_view(self, request)


class ProjectPageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("code")
        parent = getattr(self, "parent_page", None)
        if code and parent is not None:
            clash = ProjectPage.objects.child_of(parent).filter(code__iexact=code)
            if self.instance.pk:
                clash = clash.exclude(pk=self.instance.pk).exclude(translation_key=self.instance.translation_key)
            if clash.exists():
                self.add_error("code", _("Another project of this budget has this code."))
        return cleaned


class ProjectPage(SitePageMixin, ParticipationPageMixin, Page):
    """One NGO project put to the vote: who proposes it, what it costs, where and what kind it is."""

    code = models.CharField(
        _("project code"),
        max_length=12,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*\Z", _("Use letters, digits, - and _ only (e.g. A07)."))
        ],
        help_text=_("Short and unique in the budget (e.g. A07): written on paper ballots and in the open data."),
    )
    organisation = models.CharField(_("proposing organisation"), max_length=200)
    summary = models.TextField(_("summary"), max_length=600)
    cost = models.DecimalField(_("cost (euros)"), **MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    category = models.ForeignKey(
        ProjectCategory, on_delete=models.PROTECT, related_name="+", verbose_name=_("category")
    )
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    location = models.CharField(
        _("place"), max_length=250, blank=True, validators=[validate_point], help_text=_("Optional.")
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("image"),
    )
    body = StreamField(ConsultationStreamBlock(), blank=True, verbose_name=_("description"))
    technical_score = models.PositiveSmallIntegerField(
        _("technical assessment (0-100)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(100)],
        help_text=_("Entered by the City's offices; shown to the public only after voting closes."),
    )

    base_form_class = ProjectPageForm
    content_panels = Page.content_panels + [
        FieldRowPanel([FieldPanel("code"), FieldPanel("cost")]),
        FieldPanel("organisation"),
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("category"), FieldPanel("district")]),
        FieldPanel("image"),
        LeafletPanel("location"),
        FieldPanel("body"),
        FieldPanel("technical_score"),
        InlinePanel("milestones", label=_("Milestone"), heading=_("Implementation milestones")),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("organisation"),
        index.FilterField("code"),
    ]
    override_translatable_fields = [
        SynchronizedField(name, overridable=False)
        for name in ("code", "cost", "organisation", "location", "technical_score")
    ]

    parent_page_types = ["participation.BudgetPage"]
    subpage_types = []
    serve_select_related = ("locale", "category", "district", "image")

    class Meta:
        verbose_name = _("budget project")
        verbose_name_plural = _("budget projects")

    @property
    def point(self):
        """{"lat": float, "lng": float} of the project's place, or None."""
        parsed = geosgeometry_str_to_struct(self.location or "")
        return {"lat": float(parsed["y"]), "lng": float(parsed["x"])} if parsed else None

    def get_context(self, request, *args, **kwargs):
        from participation.budgets import project_context

        context = super().get_context(request, *args, **kwargs)
        context.update(project_context(self, request))
        return context


class ProjectMilestone(TranslatableMixin, Orderable):
    """A step in carrying out a funded project, shown on its page as a timeline."""

    page = ParentalKey(ProjectPage, on_delete=models.CASCADE, related_name="milestones")
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=1000, blank=True)
    percent_done = models.PositiveSmallIntegerField(_("done (%)"), default=0, validators=[MaxValueValidator(100)])
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("photo"),
    )

    panels = [
        FieldRowPanel([FieldPanel("date"), FieldPanel("percent_done")]),
        FieldPanel("title"),
        FieldPanel("description"),
        FieldPanel("image"),
    ]
    override_translatable_fields = [
        SynchronizedField("date", overridable=False),
        SynchronizedField("percent_done", overridable=False),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")

    def __str__(self):
        return self.title


class Ballot(models.Model):
    """A citizen's basket and, once checked out, their ballot: one row per (citizen, budget) by constraint.

    ``checked_out_at`` empty: a basket being filled, not counted. Set: a cast ballot, counted, with a
    receipt code. Withdrawing empties ``checked_out_at`` again. Paper ballots entered by staff have no
    citizen (``user`` empty) and ``channel`` "paper". Deleting an account detaches the ballot.
    """

    ONLINE, PAPER = "online", "paper"
    CHANNEL_CHOICES = [(ONLINE, _("online")), (PAPER, _("in person"))]

    group = models.ForeignKey(
        TranslationGroup, on_delete=models.PROTECT, related_name="budget_ballots", verbose_name=_("budget")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="budget_ballots",
        verbose_name=_("citizen"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=CHANNEL_CHOICES, default=ONLINE)
    voting_point = models.CharField(_("voting point"), max_length=120, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("entered by"),
        help_text=_("For paper ballots: the member of staff who entered it."),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    receipt = models.CharField(_("receipt code"), max_length=16, null=True, blank=True, unique=True)
    checked_out_at = models.DateTimeField(_("cast at"), null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="one_ballot_per_citizen_per_budget"),
            models.CheckConstraint(
                condition=models.Q(channel="online") | models.Q(checked_out_at__isnull=False, user__isnull=True),
                name="paper_ballots_are_cast_and_anonymous",
            ),
            models.CheckConstraint(
                condition=models.Q(checked_out_at__isnull=True) | models.Q(receipt__isnull=False),
                name="cast_ballots_have_a_receipt",
            ),
        ]
        indexes = [models.Index(fields=["group", "checked_out_at"], name="ballot_group_cast")]

    def __str__(self):
        return self.receipt or f"{self.group_id}/{self.user_id}"

    @property
    def is_cast(self):
        return self.checked_out_at is not None


class BallotProject(models.Model):
    """A project in a basket or ballot, by the project's translation key (the same in every language)."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="projects")
    project_key = models.UUIDField(_("project"), db_index=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        verbose_name = _("project in a ballot")
        verbose_name_plural = _("projects in ballots")
        constraints = [models.UniqueConstraint(fields=["ballot", "project_key"], name="one_project_once_per_ballot")]

    def __str__(self):
        return f"{self.ballot_id}:{self.project_key}"
