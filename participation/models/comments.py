from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_comments_xtd.models import XtdComment


class ParticipationComment(XtdComment):
    """A citizen's comment in a page's thread.

    django-comments-xtd gives the threading (thread_id, parent_id, level, order) and the
    flag/like/dislike records; this adds what a bilingual public thread needs: the canonical
    page (the default-locale page of the translation group, so /it/ and /en/ share one thread)
    as a real foreign key, the language it was written in, and who hid it and when (hidden
    comments stay in the database for audit).
    """

    page = models.ForeignKey(
        "wagtailcore.Page",
        null=True,
        on_delete=models.SET_NULL,
        related_name="participation_comments",
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
    def is_hidden(self):
        return not self.is_public or self.is_removed

    def get_absolute_url(self, anchor_pattern="#c%(id)s"):
        page = self.page.localized if self.page_id else None
        return (page.url if page else "/") + anchor_pattern % {"id": self.pk}


class CommentThread(models.Model):
    """Whether citizens may post on a page's thread.

    By default ("auto") a thread is open while its participatory process is open and read-only
    afterwards; editors can open or close it by hand. Keyed to the canonical page.
    """

    AUTO, OPEN, CLOSED = "auto", "open", "closed"
    STATES = [
        (AUTO, _("Open while the process is open")),
        (OPEN, _("Always open")),
        (CLOSED, _("Closed (read-only)")),
    ]

    page = models.OneToOneField(
        "wagtailcore.Page", on_delete=models.CASCADE, related_name="comment_thread", verbose_name=_("page")
    )
    state = models.CharField(_("comments"), max_length=8, choices=STATES, default=AUTO)

    class Meta:
        verbose_name = _("comment thread")
        verbose_name_plural = _("comment threads")

    def __str__(self):
        return f"{self.page.title}: {self.get_state_display()}"

    def clean(self):
        from consultations.translation import canonical

        if self.page_id:
            self.page = canonical(self.page)

    def save(self, *args, **kwargs):
        from consultations.translation import canonical

        # Whichever translation the editor picked, the thread is the translation group's.
        self.page = canonical(self.page)
        super().save(*args, **kwargs)
