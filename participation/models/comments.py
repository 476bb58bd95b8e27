from collections import Counter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_comments_xtd.models import XtdComment

from participation.core.models import TranslationGroup


class ModerationReason(models.TextChoices):
    """Why a citizen reports a comment, and why a moderator hides one (the same list for both)."""

    SPAM = "spam", _("Spam or advertising")
    OFFENSIVE = "offensive", _("Offensive or abusive")
    OFF_TOPIC = "off_topic", _("Off topic")
    PERSONAL_DATA = "personal_data", _("Personal data")
    OTHER = "other", _("Other")


REASON_TEXT_MAX_LENGTH = 500


def with_page_title(comments):
    """Annotate ``group_title``: the page's title in the active language, else in any; for a comment on an
    idea, the idea's title (no query per row)."""
    from django.db.models import OuterRef, Subquery
    from django.db.models.functions import Coalesce
    from django.utils import translation
    from wagtail.models import Page

    from .ideas import Idea

    pages = Page.objects.filter(translation_key=OuterRef("group_id"))
    in_language = pages.filter(locale__language_code=translation.get_language())
    return comments.annotate(
        group_title=Coalesce(
            Subquery(in_language.values("title")[:1]),
            Subquery(pages.order_by("pk").values("title")[:1]),
            Subquery(Idea.objects.filter(key=OuterRef("group_id")).values("title")[:1]),
        )
    )


class ParticipationComment(XtdComment):
    """A citizen's comment in a page's thread.

    django-comments-xtd gives the threading (thread_id, parent_id, level, order); this adds what a
    bilingual public thread needs: the page's translation group (so /it/ and /en/ share one thread,
    and adding or deleting a translation moves no comment) as a real foreign key, the language it
    was written in, and who hid it and when (hidden comments stay in the database for audit).
    """

    group = models.ForeignKey(
        TranslationGroup,
        null=True,  # only comments whose page was deleted before threads were keyed to groups
        on_delete=models.PROTECT,
        related_name="comments",
        verbose_name=_("page"),
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="it")
    moderated_at = models.DateTimeField(_("moderated at"), null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("moderated by"),
    )
    hidden_reason = models.CharField(
        _("reason for hiding"), max_length=16, choices=ModerationReason.choices, blank=True
    )
    hidden_note = models.TextField(_("moderator's note to the author"), max_length=REASON_TEXT_MAX_LENGTH, blank=True)
    # When its author last changed the text (they may, for a few minutes after posting: participation/comment_edits.py).
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)

    class Meta:
        verbose_name = _("citizen comment")
        verbose_name_plural = _("citizen comments")
        permissions = [("moderate_participationcomment", _("Can hide and restore citizens' comments"))]

    def __str__(self):
        text = self.comment if len(self.comment) <= 60 else self.comment[:59] + "…"
        return f"{self.author_name}: {text}"

    @property
    def author_name(self):
        return self.user.public_name if self.user_id else _("Former participant")

    @property
    def page_title(self):
        """The title of the page this comment is on (from ``with_page_title()`` when annotated)."""
        if "group_title" in self.__dict__:
            return self.group_title
        return str(self.group) if self.group_id else ""

    @property
    def is_hidden(self):
        return not self.is_public or self.is_removed

    def open_report_reasons(self):
        """Why citizens reported this comment (open reports only): each reason with its count, then the texts.

        Uses `open_report_list` when the queryset prefetched it (the moderation listing), so the listing
        does not query once per row.
        """
        reports = getattr(self, "open_report_list", None)
        if reports is None:
            reports = list(self.reports.filter(reviewed_at__isnull=True))
        counts = Counter(report.get_reason_display() for report in reports)
        parts = [f"{reason} ({count})" for reason, count in counts.most_common()]
        parts += [f"“{report.text}”" for report in reports if report.text]
        return "; ".join(parts) or "-"

    open_report_reasons.short_description = _("Why citizens reported it")

    def get_absolute_url(self, anchor_pattern="#c%(id)s"):
        from participation.comments import public_page_for

        page = public_page_for(self)
        return (page.url if page else "/") + anchor_pattern % {"id": self.pk}


class CommentThread(models.Model):
    """Whether citizens may post on a page's thread.

    By default ("auto") a thread is open while its participatory process is open and read-only
    afterwards; editors can open or close it by hand. Editors pick any translation of the page;
    the setting holds for the whole translation group, which is what it is keyed to.
    """

    AUTO, OPEN, CLOSED = "auto", "open", "closed"
    STATES = [
        (AUTO, _("Open while the process is open")),
        (OPEN, _("Always open")),
        (CLOSED, _("Closed (read-only)")),
    ]

    page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("page"),
        help_text=_("Any language version: the setting holds for all of them."),
    )
    group = models.OneToOneField(
        TranslationGroup, on_delete=models.PROTECT, related_name="comment_thread", editable=False
    )
    state = models.CharField(_("comments"), max_length=8, choices=STATES, default=AUTO)

    class Meta:
        verbose_name = _("comment thread")
        verbose_name_plural = _("comment threads")

    def __str__(self):
        return f"{self.group}: {self.get_state_display()}"

    def clean(self):
        super().clean()
        if self.page_id is None:
            return
        others = CommentThread.objects.filter(group=self.page.translation_key).exclude(pk=self.pk)
        if others.exists():
            raise ValidationError(
                {"page": _("This page's discussion already has a setting (maybe in another language): edit that one.")}
            )

    def save(self, *args, **kwargs):
        from participation.core.groups import ensure_group

        if self.page_id is not None:
            # Whichever translation the editor picked, the thread is the translation group's.
            self.group = ensure_group(self.page.specific)
        super().save(*args, **kwargs)


class CommentReaction(models.Model):
    """A citizen's "I agree" or "I disagree" on a comment.

    One row per (comment, citizen): changing one's mind updates the value, so agreeing and
    disagreeing exclude each other by the database constraint, even under concurrent clicks.
    """

    LIKE, DISLIKE = "like", "dislike"
    VALUES = [(LIKE, _("I agree")), (DISLIKE, _("I disagree"))]

    comment = models.ForeignKey(
        ParticipationComment, on_delete=models.CASCADE, related_name="reactions", verbose_name=_("comment")
    )
    # Deleting an account detaches the reaction (user becomes NULL): the comment's counts stay exact.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="comment_reactions",
        verbose_name=_("user"),
    )
    value = models.CharField(_("reaction"), max_length=8, choices=VALUES)
    created_at = models.DateTimeField(_("date"), auto_now=True)

    class Meta:
        verbose_name = _("comment reaction")
        verbose_name_plural = _("comment reactions")
        constraints = [
            models.UniqueConstraint(fields=["comment", "user"], name="one_reaction_per_citizen_per_comment"),
            models.CheckConstraint(
                condition=models.Q(value__in=["like", "dislike"]), name="reaction_is_like_or_dislike"
            ),
        ]

    def __str__(self):
        return f"{self.user_id} {self.value} {self.comment_id}"


class CommentReport(models.Model):
    """A citizen's report of a comment to the moderators, with its reason, until a moderator reviews it.

    Reviewed reports stay for audit: `outcome` says whether the comment was hidden or the report
    dismissed. A citizen holds at most one open report per comment.
    """

    DISMISSED, HIDDEN = "dismissed", "hidden"
    OUTCOMES = [(DISMISSED, _("Dismissed: the comment stays")), (HIDDEN, _("The comment was hidden"))]

    comment = models.ForeignKey(
        ParticipationComment, on_delete=models.CASCADE, related_name="reports", verbose_name=_("comment")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="comment_reports",
        verbose_name=_("reported by"),
    )
    reason = models.CharField(_("reason"), max_length=16, choices=ModerationReason.choices)
    text = models.TextField(_("details"), max_length=REASON_TEXT_MAX_LENGTH, blank=True)
    created_at = models.DateTimeField(_("reported at"), auto_now_add=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=OUTCOMES, blank=True)

    class Meta:
        verbose_name = _("comment report")
        verbose_name_plural = _("comment reports")
        constraints = [
            models.UniqueConstraint(
                fields=["comment", "user"],
                condition=models.Q(reviewed_at__isnull=True),
                name="one_open_report_per_citizen_per_comment",
            ),
        ]
        indexes = [models.Index(fields=["comment", "reviewed_at"], name="report_comment_open_idx")]

    def __str__(self):
        return f"{self.get_reason_display()}: {self.comment_id}"
