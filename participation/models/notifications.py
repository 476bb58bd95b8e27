"""Following a process and being told (issue 18): who follows which process and what they want to hear,
the citizen's notification settings, and the notices recorded (sent once, or collected for the weekly
digest). The logic is in participation/notifications.py."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProcessFollower(models.Model):
    """A citizen follows a process (a ConsultationPage's translation group: the same in every language) and
    chooses what they hear about it. One row per citizen and process, kept when they stop following
    (``following`` off): their choice holds, and taking part again does not follow the process again (only the
    follow button does)."""

    KINDS = ("phases", "votes", "results")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="followed_processes", verbose_name=_("user")
    )
    process_key = models.UUIDField(_("process"), db_index=True)
    following = models.BooleanField(_("following"), default=True)
    phases = models.BooleanField(_("a phase opens or closes"), default=True)
    votes = models.BooleanField(_("a vote opens, or closes tomorrow"), default=True)
    results = models.BooleanField(_("results are published"), default=True)
    language = models.CharField(_("language"), max_length=10, default="it")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("process follower")
        verbose_name_plural = _("process followers")
        constraints = [models.UniqueConstraint(fields=["user", "process_key"], name="one_follow_per_process")]

    def __str__(self):
        return f"{self.user_id} → {self.process_key}"


class NotificationSettings(models.Model):
    """The citizen's choices that hold for every process: the weekly digest instead of single emails, and news
    about their own ideas and reports (which does not depend on following). Replies to their comments are
    ``User.notify_replies``. No row: the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_settings", verbose_name=_("user")
    )
    digest = models.BooleanField(_("one email a week instead of one email each time"), default=False)
    updates = models.BooleanField(_("answers and status changes on my ideas and reports"), default=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")


class SentNotice(models.Model):
    """One notice for one citizen, recorded once (``key`` names the event: a second run finds it and sends
    nothing). Sent alone by the ``send_notification`` task, or collected (``in_digest``) for the weekly one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    kind = models.CharField(max_length=20)  # phases, votes, results, updates, replies, service
    process_key = models.UUIDField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)  # what describes the event (see notifications.describe)
    language = models.CharField(max_length=10, default="it")
    in_digest = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_notice_per_event")]
        indexes = [models.Index(fields=["sent_at", "in_digest"], name="notice_pending")]
