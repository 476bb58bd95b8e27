from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.models import Orderable, Page, TranslatableMixin
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from civic_site.pages import SitePageMixin
from consultations.schedule import PhaseWindowFormMixin, PhaseWindowMixin
from participation.core.eligibility import (
    EligibilityFormMixin,
    EligibilityMixin,
    eligibility_panel,
    synchronised_fields,
)
from participation.core.groups import ParticipationPageMixin
from participation.core.models import TranslationGroup

MAX_OPTIONS = 10


class PollPageForm(EligibilityFormMixin, PhaseWindowFormMixin, WagtailAdminPageForm):
    """Editors cannot break a running tally: options with votes stay, dates lie in a phase, limits make sense."""

    closes_before_opens_message = _("The poll must close after it opens.")

    def clean(self):
        cleaned = super().clean()
        options = self.formsets.get("options")
        if options is not None:
            # Count and check from the submitted data: the option forms are validated after this form.
            def deleted(form):
                return bool(form.data.get(form.add_prefix("DELETE")))

            kept = [form for form in options.forms if (form.instance.pk or form.has_changed()) and not deleted(form)]
            if not cleaned.get("ranked") and (cleaned.get("max_choices") or 1) > max(len(kept), 1):
                self.add_error("max_choices", _("There cannot be more choices than options."))
            for form in options.forms:
                if (
                    deleted(form)
                    and form.instance.pk
                    and PollVoteChoice.objects.filter(option_key=form.instance.translation_key).exists()
                ):
                    raise ValidationError(
                        _("“%(label)s” already has votes and cannot be removed.") % {"label": form.instance.label}
                    )
        self._refuse_a_new_method_once_voted(cleaned)
        return cleaned

    def _refuse_a_new_method_once_voted(self, cleaned):
        """Votes were cast under the saved method: switching single, multiple or ranked would misread them."""
        page = self.instance
        if page.pk is None or "ranked" not in cleaned or "max_choices" not in cleaned:
            return
        saved = PollPage.objects.filter(pk=page.pk).values("ranked", "max_choices").first()
        if saved is None:
            return
        method = voting_method(cleaned["ranked"], cleaned["max_choices"] or 1)
        if method == voting_method(saved["ranked"], saved["max_choices"]):
            return
        if PollVote.objects.filter(group_id=page.translation_key).exists():
            self.add_error(
                "ranked" if cleaned["ranked"] != saved["ranked"] else "max_choices",
                _(
                    "This poll already has votes, so its voting method (single choice, multiple choice or "
                    "ranked) cannot be changed."
                ),
            )


def voting_method(ranked, max_choices):
    """ "ranked", "multiple" or "single": how citizens vote on a poll with these settings."""
    if ranked:
        return PollPage.METHOD_RANKED
    return PollPage.METHOD_MULTIPLE if max_choices > 1 else PollPage.METHOD_SINGLE


class PollPage(SitePageMixin, ParticipationPageMixin, PhaseWindowMixin, EligibilityMixin, RoutablePageMixin, Page):
    """Citizens choose among options the city proposes (e.g. Parco Dora layouts), one vote each."""

    RESULTS_ALWAYS, RESULTS_AFTER_VOTE, RESULTS_AFTER_CLOSE = "always", "after_vote", "after_close"
    RESULTS_CHOICES = [
        (RESULTS_ALWAYS, _("Always visible")),
        (RESULTS_AFTER_VOTE, _("Visible after one has voted")),
        (RESULTS_AFTER_CLOSE, _("Visible only after the poll closes")),
    ]

    METHOD_SINGLE, METHOD_MULTIPLE, METHOD_RANKED = "single", "multiple", "ranked"

    intro = models.TextField(_("introduction"), max_length=1000, blank=True)
    question = models.CharField(_("question"), max_length=255)
    max_choices = models.PositiveSmallIntegerField(
        _("maximum choices"),
        default=1,
        help_text=_("1 means a single choice; more lets citizens pick several. Not used by ranked polls."),
    )
    ranked = models.BooleanField(
        _("ranked vote"),
        default=False,
        help_text=_(
            "Citizens put the options in their order of preference (all or only some); the winner is found "
            "with the Schulze method. Cannot be changed once the poll has votes."
        ),
    )
    results_visibility = models.CharField(
        _("results"), max_length=16, choices=RESULTS_CHOICES, default=RESULTS_AFTER_VOTE
    )

    base_form_class = PollPageForm
    content_panels = Page.content_panels + [
        FieldPanel("intro"),
        FieldPanel("question"),
        InlinePanel("options", label=_("Options"), min_num=2, max_num=MAX_OPTIONS),
        MultiFieldPanel(
            [
                FieldPanel("phase_key"),
                FieldRowPanel([FieldPanel("opens_at"), FieldPanel("closes_at")]),
                FieldPanel("ranked"),
                FieldPanel("max_choices"),
                FieldPanel("results_visibility"),
            ],
            heading=_("Voting rules"),
        ),
        eligibility_panel(),
    ]
    search_fields = Page.search_fields + [index.SearchField("intro"), index.SearchField("question")]
    # The phase, the voting method and who may vote are the same in every language: translators don't see them.
    override_translatable_fields = [
        SynchronizedField("phase_key", overridable=False),
        SynchronizedField("ranked", overridable=False),
        *synchronised_fields(),
    ]

    parent_page_types = ["consultations.ConsultationPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("poll page")

    @property
    def voting_method(self):
        return voting_method(self.ranked, self.max_choices)

    @property
    def is_multiple_choice(self):
        return self.voting_method == self.METHOD_MULTIPLE

    @property
    def is_ranked(self):
        return self.ranked

    def get_context(self, request, *args, vote_errors=None, submitted=None, **kwargs):
        from participation.polls import poll_context

        context = super().get_context(request, *args, **kwargs)
        context.update(poll_context(self, request, form_errors=vote_errors, submitted=submitted))
        return context

    @path("")
    def index_route(self, request, *args, **kwargs):
        return self.render(request)

    @path("vote/")
    def vote(self, request):
        from participation.polls import vote_view

        return vote_view(self, request)


class PollOption(TranslatableMixin, Orderable):
    """One answer of a poll. Translatable: votes record the option's ``translation_key``, not a row."""

    page = ParentalKey(PollPage, on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("label"), max_length=120)
    description = models.TextField(_("description"), max_length=600, blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("image"),
        help_text=_("Optional; shown at 800×450 pixels. Describe it in the description."),
    )

    panels = [FieldPanel("label"), FieldPanel("description"), FieldPanel("image")]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("poll option")
        verbose_name_plural = _("poll options")

    def __str__(self):
        return self.label


class PollVote(models.Model):
    """One citizen's vote on a poll: at most one per (citizen, poll translation group), by database constraint.

    Keyed to the translation group, so a vote cast on /en/ and changed on /it/ is one row, and
    deleting a translation deletes no vote. Deleting an account detaches the vote (user becomes
    NULL) so tallies stay intact.
    """

    group = models.ForeignKey(
        TranslationGroup, on_delete=models.PROTECT, related_name="poll_votes", verbose_name=_("poll")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="poll_votes",
        verbose_name=_("citizen"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(_("cast at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("poll vote")
        verbose_name_plural = _("poll votes")
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="one_vote_per_citizen_per_poll")]

    def __str__(self):
        return f"{self.group_id}/{self.user_id}"


class PollVoteChoice(models.Model):
    """An option chosen in a vote (several for multiple-choice polls), by the option's translation key.

    In a ranked poll each option the citizen ranked has a row with its ``rank`` (1 = favourite; the
    ranks of one vote are 1..k with no gap, checked by ``cast_vote``); unranked options have no row.
    Single and multiple-choice votes leave ``rank`` empty.
    """

    vote = models.ForeignKey(PollVote, on_delete=models.CASCADE, related_name="choices")
    option_key = models.UUIDField(_("option"), db_index=True)
    rank = models.PositiveSmallIntegerField(_("rank"), null=True, blank=True)

    class Meta:
        verbose_name = _("poll choice")
        constraints = [
            models.UniqueConstraint(fields=["vote", "option_key"], name="one_choice_per_option_per_vote"),
            models.UniqueConstraint(
                fields=["vote", "rank"], condition=models.Q(rank__isnull=False), name="one_option_per_rank_per_vote"
            ),
            models.CheckConstraint(
                condition=models.Q(rank__isnull=True) | models.Q(rank__gte=1), name="ranks_start_at_one"
            ),
        ]

    def __str__(self):
        return f"{self.vote_id}:{self.option_key}"
