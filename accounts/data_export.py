"""The citizen's "download my data", prepared in the background: the citizen's request is a :class:`DataExport`;
:func:`build` (a task through Django's tasks interface: immediate in development, the database backend and
its ``db_worker`` in production) writes a ZIP holding ``my-data.json`` (everything accounts.registry
exports about them) and ``my-data.html`` (the same, readable, in the language they asked in), then emails
them the link. The ZIP is written under a temporary name and renamed when whole, in
PERSONAL_EXPORTS_ROOT, outside MEDIA_ROOT: it is served only to its owner, signed in
(accounts/my_data.py), for PERSONAL_EXPORTS_DAYS days, and deleted after that (:func:`prune`).
"""

import json
import logging
import os
import secrets
import time
import zipfile
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from . import registry
from .models import DataExport

logger = logging.getLogger(__name__)

JSON_NAME = "my-data.json"
HTML_NAME = "my-data.html"


def root():
    """The private directory of the files (made on first use)."""
    path = Path(settings.PERSONAL_EXPORTS_ROOT)
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_token():
    return secrets.token_urlsafe(32)


def expires_at(export):
    return export.created_at + timedelta(days=settings.PERSONAL_EXPORTS_DAYS)


def is_expired(export, now=None):
    return (now or timezone.now()) >= expires_at(export)


def path_of(export):
    """The finished file of ``export``, or None (not ready, expired or pruned)."""
    if export.status != DataExport.DONE or not export.file_name or is_expired(export):
        return None
    path = root() / export.file_name
    return path if path.is_file() else None


def download_path(export):
    """The download link's path, in the language of the request."""
    with translation.override(export.language or settings.LANGUAGE_CODE):
        return reverse("accounts_data_download", args=[export.token])


# --- the file --------------------------------------------------------------------------------------------


def shown(value):
    """A value of an exported record as the HTML summary shows it: text as it is, the rest as JSON."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)


def summary_sections(exported):
    """[(label, [[(field, shown value), ...] per record]), ...] for the HTML summary."""
    return [
        (kind["label"], [[(name, shown(value)) for name, value in record.items()] for record in kind["records"]])
        for kind in exported.values()
    ]


def write(user, path, language):
    """Write the ZIP of everything about ``user`` to ``path``, the summary in ``language``."""
    now = timezone.now()
    with translation.override(language):
        exported = registry.export(user)
        document = {"exported_at": now, "language": language, "data": exported}
        html = render_to_string(
            "accounts/data_summary.html",
            {"person": user, "exported_at": now, "sections": summary_sections(exported)},
        )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(JSON_NAME, json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        archive.writestr(HTML_NAME, html)


@task()
def build(export_id):
    """Prepare the file of the request ``export_id`` and email its link; mark the request done or failed.
    A request already started (a task run twice) or gone meanwhile (pruned, account deleted) is left alone."""
    claimed = DataExport.objects.filter(pk=export_id, status=DataExport.QUEUED).update(status=DataExport.RUNNING)
    if not claimed:
        return None
    export = DataExport.objects.select_related("user").get(pk=export_id)
    name = f"data-{export.pk}-{secrets.token_hex(8)}.zip"
    partial = root() / f"{name}.partial"
    try:
        write(export.user, partial, export.language or settings.LANGUAGE_CODE)
        os.replace(partial, root() / name)
    except BaseException:
        partial.unlink(missing_ok=True)
        DataExport.objects.filter(pk=export.pk).update(status=DataExport.FAILED, finished_at=timezone.now())
        raise  # the task's own result says failed too, with the traceback, for the server's logs
    DataExport.objects.filter(pk=export.pk).update(status=DataExport.DONE, file_name=name, finished_at=timezone.now())
    export.refresh_from_db()
    email_link(export)
    return name


def email_link(export):
    """Email the owner the link, in the language they asked in. A failing mail server fails nothing: the
    data page shows the link too."""
    user = export.user
    if not user.email:
        return
    language = export.language or settings.LANGUAGE_CODE
    with translation.override(language):
        context = {
            "person": user,
            "url": f"{settings.WAGTAILADMIN_BASE_URL}{download_path(export)}",
            "expires_at": expires_at(export),
            "days": settings.PERSONAL_EXPORTS_DAYS,
        }
        subject = _("Your data from Torino Partecipa is ready")
        body = render_to_string("accounts/email/data_export_ready.txt", context)
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except Exception:
        logger.exception("The email of data download #%s could not be sent", export.pk)


# --- keeping --------------------------------------------------------------------------------------------


def delete_files(exports):
    """Delete the files of ``exports`` (a queryset); returns how many there were."""
    deleted = 0
    for name in exports.exclude(file_name="").values_list("file_name", flat=True):
        path = root() / name
        if path.exists():
            path.unlink()
            deleted += 1
    return deleted


def prune(days=None):
    """Delete the requests older than ``days`` (PERSONAL_EXPORTS_DAYS) with their files, and any file of the
    directory that old with no request (a task killed halfway). Returns the number of files deleted."""
    days = settings.PERSONAL_EXPORTS_DAYS if days is None else days
    old = DataExport.objects.filter(created_at__lt=timezone.now() - timedelta(days=days))
    deleted = delete_files(old)
    old.delete()
    known = set(DataExport.objects.exclude(file_name="").values_list("file_name", flat=True))
    for path in root().iterdir():
        if path.is_file() and path.name not in known and path.stat().st_mtime < time.time() - days * 86400:
            path.unlink()
            deleted += 1
    return deleted
