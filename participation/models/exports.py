"""One results export asked for in the admin and prepared in the background (participation/export_tasks.py).

The file lives in settings.RESULTS_EXPORTS_ROOT, outside MEDIA_ROOT: it is never a public media URL, only
served by the permission-checked admin view. The record keeps what was asked (page, format, separator,
table), who asked, and how far the task has got, so the status page can show progress.
"""

from pathlib import Path

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ResultsExport(models.Model):
    QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
    STATUSES = [
        (QUEUED, _("Waiting to start")),
        (RUNNING, _("Being prepared")),
        (DONE, _("Ready")),
        (FAILED, _("Failed")),
    ]

    page = models.ForeignKey("wagtailcore.Page", on_delete=models.CASCADE, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    format = models.CharField(max_length=8)
    separator = models.CharField(max_length=1, default=",")
    table = models.CharField(max_length=255, blank=True)  # one table only; blank: every table of the page
    # The admin's language when asked for: labels in the file (an idea's status...) as a direct download has them.
    language = models.CharField(max_length=8, blank=True)
    status = models.CharField(max_length=8, choices=STATUSES, default=QUEUED)
    rows_done = models.PositiveBigIntegerField(default=0)
    rows_expected = models.PositiveBigIntegerField(null=True, blank=True)  # None: not known (GeoJSON features)
    file_name = models.CharField(max_length=255, blank=True)  # in RESULTS_EXPORTS_ROOT, set once the file is whole
    task_id = models.CharField(max_length=64, blank=True)  # the django-tasks result, for the server's logs
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("results export")
        verbose_name_plural = _("results exports")

    def __str__(self):
        return f"{self.format} export of page {self.page_id} ({self.status})"

    @property
    def path(self):
        """The finished file, or None while there is none."""
        if self.status != self.DONE or not self.file_name:
            return None
        return Path(settings.RESULTS_EXPORTS_ROOT) / self.file_name

    @property
    def finished(self):
        return self.status in (self.DONE, self.FAILED)
