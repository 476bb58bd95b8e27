"""One answer to "How clear is the information on this page?": anonymous, one row per submission."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

SCORES = range(1, 6)
# Scores up to this one are negative ("Where did you meet the most difficulties?"), the others positive
# ("What did you like most?"): the criteria's split, 1-3 and 4-5.
NEGATIVE_UP_TO = 3
TEXT_MAX_LENGTH = 200

# The follow-up choices, in the criteria's order and wording (the Italian text is the criteria's own):
# (code stored, label shown).
POSITIVE_ANSWERS = (
    ("clear", _("The instructions were clear")),  # Le indicazioni erano chiare
    ("complete", _("The instructions were complete")),  # Le indicazioni erano complete
    ("on_track", _("I always knew I was doing it right")),  # Capivo sempre che stavo procedendo correttamente
    ("no_technical_problems", _("I had no technical problems")),  # Non ho avuto problemi tecnici
    ("other", pgettext_lazy("feedback answer", "Other")),  # Altro
)
NEGATIVE_ANSWERS = (
    ("unclear", _("Sometimes the instructions were not clear")),  # A volte le indicazioni non erano chiare
    ("incomplete", _("Sometimes the instructions were not complete")),  # A volte le indicazioni non erano complete
    ("lost", _("Sometimes I did not know whether I was doing it right")),  # A volte non capivo se stavo procedendo…
    ("technical_problems", _("I had technical problems")),  # Ho avuto problemi tecnici
    ("other", pgettext_lazy("feedback answer", "Other")),  # Altro
)


def is_positive(score):
    return score > NEGATIVE_UP_TO


def answers_for(score):
    """The follow-up choices for ``score``."""
    return POSITIVE_ANSWERS if is_positive(score) else NEGATIVE_ANSWERS


def answer_label(score, code):
    return dict(answers_for(score)).get(code, code)


class PageFeedback(models.Model):
    """An anonymous visitor's rating of one page: no user, no IP address, no cookie.

    Keyed like participation data (STACK-NOTES): by the page's ``translation_key``, the same for every
    translation and never changed, with the language of the version rated as a column. ``page`` is the very
    translation rated, kept for reference; deleting that translation empties it and keeps the answer.
    """

    translation_key = models.UUIDField(_("page (translation group)"), db_index=True)
    page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("page"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    language = models.CharField(_("language"), max_length=8)
    score = models.PositiveSmallIntegerField(_("score"))
    answer = models.CharField(_("answer"), max_length=32, blank=True)
    text = models.CharField(_("details"), max_length=TEXT_MAX_LENGTH, blank=True)
    created = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("page feedback")
        verbose_name_plural = _("page feedback")
        ordering = ["-created", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(score__gte=1, score__lte=5), name="feedback_score_from_1_to_5"),
        ]

    def __str__(self):
        return f"{self.score}/5 {self.translation_key} {self.created:%Y-%m-%d}"

    @property
    def answer_label(self):
        return answer_label(self.score, self.answer) if self.answer else ""
