"""Results exports prepared in the background (issue 17): a big export would hold an admin request (and a
gunicorn worker) for minutes, so the admin records a :class:`ResultsExport`, enqueues :func:`run_export`
through Django's tasks interface (django-tasks: immediate in development, the database backend and its
``db_worker`` in production) and shows the record's progress until the file is ready.

The file is the one :func:`participation.exports.export` writes for a direct download, written under a
temporary name and renamed when whole: a half-written file is never marked ready. Files live in
RESULTS_EXPORTS_ROOT, outside MEDIA_ROOT, and are deleted after RESULTS_EXPORTS_DAYS days (:func:`prune`).
"""

import os
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django_tasks import task

from .exports import export, extension
from .models import ResultsExport

ERROR_LENGTH = 2000


def root():
    """The private directory of the files (made on first use)."""
    path = Path(settings.RESULTS_EXPORTS_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    return path


def update(pk, **fields):
    """One UPDATE of the record: the status page reads it while the task is running."""
    ResultsExport.objects.filter(pk=pk).update(**fields)


@task()
def run_export(export_id):
    """Write the export ``export_id`` asked for to its file, reporting progress; mark it done or failed.
    A record already started (a task run twice) or deleted meanwhile (pruned) is left alone."""
    claimed = ResultsExport.objects.filter(pk=export_id, status=ResultsExport.QUEUED).update(
        status=ResultsExport.RUNNING
    )
    if not claimed:
        return None
    record = ResultsExport.objects.select_related("page").get(pk=export_id)
    page = record.page.specific
    only = [record.table] if record.table else None
    name = f"export-{record.pk}.{extension(page, record.format, only)}"
    partial = root() / f"export-{record.pk}.partial.{name.rsplit('.', 1)[1]}"  # same extension: export() checks it
    try:
        with translation.override(record.language or settings.LANGUAGE_CODE):
            done = export(
                page,
                record.format,
                partial,
                separator=record.separator,
                only=only,
                progress=lambda rows: update(record.pk, rows_done=rows),
            )
        os.replace(partial, root() / name)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        update(
            record.pk,
            status=ResultsExport.FAILED,
            error=f"{type(error).__name__}: {error}"[:ERROR_LENGTH],
            finished_at=timezone.now(),
        )
        raise  # the task's own result says failed too, with the traceback, for the server's logs
    fields = {"status": ResultsExport.DONE, "rows_done": done.rows, "file_name": name, "finished_at": timezone.now()}
    if record.rows_expected is None:
        fields["rows_expected"] = done.rows
    update(record.pk, **fields)
    return name


def prune(days=None):
    """Delete the exports older than ``days`` (RESULTS_EXPORTS_DAYS) with their files, and any file of the
    directory that old with no record (a deleted page's, a task killed halfway). Returns the number of
    files deleted."""
    days = settings.RESULTS_EXPORTS_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=days)
    old = ResultsExport.objects.filter(created_at__lt=cutoff)
    deleted = 0
    for name in old.exclude(file_name="").values_list("file_name", flat=True):
        path = root() / name
        if path.exists():
            path.unlink()
            deleted += 1
    old.delete()
    known = set(ResultsExport.objects.exclude(file_name="").values_list("file_name", flat=True))
    for path in root().iterdir():
        if path.is_file() and path.name not in known and path.stat().st_mtime < time.time() - days * 86400:
            path.unlink()
            deleted += 1
    return deleted
