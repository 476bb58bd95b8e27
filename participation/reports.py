"""Neighbourhood reports: filing (form → summary → receipt), "me too", the City's public answers, the
"is it fixed?" questionnaire, the public list, map and feed.

Every write checks the citizen (logged in, verified email) and the rate limit through the shared helper,
then drops the cached pages of the reporting page's translation group (``reports_changed``), so
anonymous visitors see it at the next request. Staff actions are in participation/report_admin.py,
Open311 in participation/open311.py; both call the functions here.
"""

import json
import secrets
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import send_mail
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import FileResponse, Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.dateparse import parse_date
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic_site import pagecache

from . import geometry
from .comments import has_verified_email
from .core import ratelimit
from .core.errors import Rejected
from .core.invalidation import cached_status_counts, page_and_process_changed
from .ideas import CONTROL, _clean_text, clean_photo, feed_entry, store_photo
from .models.reports import (
    DESCRIPTION_MAX_LENGTH,
    MAX_PHOTOS,
    OPEN_STATUSES,
    TITLE_MAX_LENGTH,
    QuestionKind,
    Report,
    ReportCategory,
    ReportFollower,
    ReportPhoto,
    ReportSource,
    ReportStatus,
    ReportUpdate,
)
from .notifications import follow_automatically, mail_later

DATA_DIR = Path(__file__).resolve().parent / "data"
PER_PAGE = 20
NEARBY_METRES = 100
NEARBY_LIMIT = 5
FEED_TIMEOUT = 24 * 60 * 60
CLOSED_STATUSES = tuple(value for value in ReportStatus.values if value not in OPEN_STATUSES)


class ReportRejected(Rejected):
    """A report, a "me too" or an answer refused, with the reason to show the citizen."""


# --- the city: its boundary, its streets, its districts ------------------------------------------------


def city_boundary_text():
    """Turin's administrative boundary (simplified), the default of every reporting page."""
    return (DATA_DIR / "torino_boundary.geojson").read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def streets():
    """[{"name", "lat", "lng", "district"}] of the streets the address picker offers, by name."""
    return json.loads((DATA_DIR / "torino_streets.json").read_text(encoding="utf-8"))


def nearest_district(lat, lng):
    """The Circoscrizione of the listed street nearest to the point: close enough to file a report under."""
    best = min(streets(), key=lambda street: geometry.distance_m(lat, lng, street["lat"], street["lng"]))
    return best["district"]


def district_names(language_code=None):
    """{number: name} of the districts (budget's District snippet) in the active language: kept in the cache until
    the content changes (a district saved or deleted bumps it, participation.core.invalidation)."""
    from wagtail.models import Locale

    from .models.budgets import District

    language_code = language_code or translation.get_language()

    def load():
        found = dict(District.objects.filter(locale__language_code=language_code).values_list("number", "name"))
        return found or dict(District.objects.filter(locale=Locale.get_default()).values_list("number", "name"))

    return pagecache.until_content_changes("district-names", [language_code], load)


def categories_in(language_code=None):
    """The report categories in the active language (else Italian), in the editors' order: one query, kept in the
    cache until the content changes (a category or an office saved or deleted bumps it)."""
    language_code = language_code or translation.get_language()

    def load():
        rows = list(ReportCategory.objects.select_related("locale", "office").order_by("sort_order", "pk"))
        by_key = {}
        for row in rows:
            if row.locale.language_code == language_code or row.translation_key not in by_key:
                by_key[row.translation_key] = row
        return sorted(by_key.values(), key=lambda row: (row.sort_order or 0, row.pk))

    return pagecache.until_content_changes("report-categories", [language_code], load)


def category_map(language_code=None):
    return {category.translation_key: category for category in categories_in(language_code)}


# --- the form ---------------------------------------------------------------------------------------

TEXT_FIELDS = ("category", "street", "house_number", "latitude", "longitude", "title", "description", "private")


class ReportForm(forms.Form):
    """What (category, subject, description, the category's questions), where (a click on the map, a street
    of the list, or coordinates), up to three photos, and whether to keep the name private."""

    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    street = forms.TypedChoiceField(
        label=gettext_lazy("Street or square"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("Choose it from the list, or click the map, or give the coordinates below."),
    )
    house_number = forms.CharField(
        label=gettext_lazy("House number or landmark (optional)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    latitude = forms.FloatField(
        label=gettext_lazy("Latitude"),
        required=False,
        min_value=-90,
        max_value=90,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    longitude = forms.FloatField(
        label=gettext_lazy("Longitude"),
        required=False,
        min_value=-180,
        max_value=180,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    title = forms.CharField(
        label=gettext_lazy("Subject"),
        max_length=TITLE_MAX_LENGTH,
        help_text=gettext_lazy("In a few words, e.g. “Deep pothole in the cycle lane”."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("What is wrong and exactly where. At most 2,000 characters."),
    )
    private = forms.BooleanField(
        label=gettext_lazy("Keep my name private (the report shows “a citizen”)"), required=False
    )

    def __init__(self, *args, page, categories, kept_photos=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page
        self.categories = {category.pk: category for category in categories}
        self.fields["category"].choices = [("", _("Choose a category"))] + [
            (pk, category.name) for pk, category in self.categories.items()
        ]
        self.fields["street"].choices = [("", _("No street chosen"))] + [
            (index, street["name"]) for index, street in enumerate(streets())
        ]
        self.question_fields = []  # [(category, [bound fields])]
        for category in categories:
            bound = []
            for code, label, kind, choices, required in category.question_list:
                name = f"q_{code}"
                if kind == QuestionKind.YES_NO:
                    field = forms.ChoiceField(
                        label=label,
                        choices=[("yes", _("Yes")), ("no", _("No"))],
                        widget=forms.RadioSelect,
                        required=False,
                    )
                elif kind == QuestionKind.CHOICE:
                    field = forms.ChoiceField(
                        label=label, choices=[("", "—")] + [(str(i), c) for i, c in enumerate(choices)], required=False
                    )
                else:
                    field = forms.CharField(label=label, max_length=200, required=False)
                field.question = (code, kind, choices, required)
                self.fields[name] = field
                bound.append(self[name])
            if bound:
                self.question_fields.append((category, bound))
        self.photo_slots = max(0, MAX_PHOTOS - kept_photos)
        for number in range(1, self.photo_slots + 1):
            self.fields[f"photo_{number}"] = forms.FileField(
                label=_("Photo %(number)s (optional)") % {"number": number},
                required=False,
                help_text=_("JPEG, PNG or WebP, at most 8 MB. Its location data is removed before it is stored."),
                widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            )

    @property
    def photo_fields(self):
        return [self[f"photo_{number}"] for number in range(1, self.photo_slots + 1)]

    def clean_title(self):
        return _clean_text(self.cleaned_data["title"])

    def clean_description(self):
        return _clean_text(self.cleaned_data["description"])

    def clean_house_number(self):
        return _clean_text(self.cleaned_data["house_number"]) if self.cleaned_data["house_number"].strip() else ""

    def clean(self):
        cleaned = super().clean()
        for number in range(1, self.photo_slots + 1):
            upload = cleaned.get(f"photo_{number}")
            if upload:
                try:
                    cleaned[f"photo_{number}"] = clean_photo(upload)
                except forms.ValidationError as error:
                    self.add_error(f"photo_{number}", error)
        category = self.categories.get(cleaned.get("category"))
        if category is not None:
            cleaned["category_key"] = category.translation_key
            answers = {}
            for code, _label, _kind, _choices, required in category.question_list:
                value = (cleaned.get(f"q_{code}") or "").strip()
                if required and not value:
                    self.add_error(f"q_{code}", _("Answer this question for the category you chose."))
                elif value:
                    answers[code] = value
            cleaned["answers"] = answers
        street_index = cleaned.get("street")
        street = streets()[street_index] if street_index is not None and street_index < len(streets()) else None
        lat, lng = cleaned.get("latitude"), cleaned.get("longitude")
        if lat is None or lng is None:
            if street is None:
                if "latitude" not in self.errors and "longitude" not in self.errors:
                    self.add_error(
                        None, _("Say where: click the map, choose a street from the list, or give both coordinates.")
                    )
                return cleaned
            lat, lng = street["lat"], street["lng"]
        if not self.page.contains(lat, lng):
            self.add_error(
                None, _("That point is outside the City of Turin. Reports can be sent only for places in the city.")
            )
            return cleaned
        cleaned["position"] = (lat, lng)
        address = street["name"] if street is not None else ""
        if address and cleaned.get("house_number"):
            address = f"{address}, {cleaned['house_number']}"
        elif cleaned.get("house_number"):
            address = cleaned["house_number"]
        cleaned["address"] = address
        cleaned["district"] = street["district"] if street is not None else nearest_district(lat, lng)
        return cleaned

    def draft(self):
        """The text of the form as it was typed, to store in the session (never the files)."""
        return {name: self.data.get(name, "") for name in self.fields if not name.startswith("photo_")}


# --- drafts: what a citizen typed, kept in their session between the steps -----------------------------


def draft_storage():
    """Photos of drafts (already stripped of their metadata) wait outside MEDIA_ROOT: not public."""
    return FileSystemStorage(location=settings.REPORT_DRAFTS_ROOT)


def _draft_key(page):
    return f"report-draft:{page.group_key}"


def get_draft(request, page):
    return request.session.get(_draft_key(page))


def save_draft(request, page, data, photos):
    request.session[_draft_key(page)] = {"data": data, "photos": photos, "saved": timezone.now().isoformat()}


def drop_draft(request, page, delete_photos=True):
    draft = request.session.pop(_draft_key(page), None)
    if draft and delete_photos:
        storage = draft_storage()
        for name in draft.get("photos", []):
            storage.delete(name)


def _store_draft_photo(upload):
    name = f"{secrets.token_hex(16)}.{upload.name.rsplit('.', 1)[-1]}"
    return draft_storage().save(name, ContentFile(upload.read()))


def _draft_upload(name):
    storage = draft_storage()
    with storage.open(name) as handle:
        content = handle.read()
    extension = name.rsplit(".", 1)[-1]
    return SimpleUploadedFile(f"report.{extension}", content, content_type=f"image/{extension.replace('jpg', 'jpeg')}")


def delete_old_drafts(older_than=timedelta(days=2)):
    """Drop draft photos nobody sent (run daily with send_report_questionnaires); returns how many."""
    storage = draft_storage()
    try:
        _dirs, files = storage.listdir("")
    except FileNotFoundError:
        return 0
    limit = timezone.now() - older_than
    dropped = 0
    for name in files:
        if storage.get_modified_time(name) < limit:
            storage.delete(name)
            dropped += 1
    return dropped


# --- what citizens do -------------------------------------------------------------------------------


# Every reporting page's reports at once (the Open311 requests list): bumped with the page's own group.
REPORTS_TAG = "reports"


def reports_changed(group_key):
    """Drop the cached pages showing this page's reports: the page (list, reports, feed), its process and the
    Open311 requests list (which shows every page's)."""
    page_and_process_changed(group_key)
    pagecache.changed(REPORTS_TAG)


def check_citizen(user, action_message):
    if not user.is_authenticated:
        raise ReportRejected(_("Log in to %(action)s.") % {"action": action_message})
    if not has_verified_email(user):
        raise ReportRejected(_("Confirm your email address first: we sent you a link."))


def reference_for(report):
    return f"TO-{report.created_at.astimezone(timezone.get_current_timezone()).year}-{report.pk:06d}"


def submit_report(
    *, page, user, data, photos=(), ip_address=None, source=ReportSource.WEB, contact=None, language=None
):
    """Store a report (``data``: ReportForm.cleaned_data-like) with its photos, all or nothing, and tell
    the reporter (receipt) and the office. ``user`` may be None for an Open311 client's report."""
    if source == ReportSource.WEB:
        check_citizen(user, _("send a report"))
        ratelimit.enforce(
            "problem",
            ReportRejected,
            gettext_lazy("You have sent several reports in a short time. Please try again in %(wait)s."),
            user=user,
            ip=ip_address,
        )
    category = ReportCategory.objects.filter(translation_key=data["category_key"]).select_related("office").first()
    if category is None:
        raise ReportRejected(_("Choose a category."))
    if len(photos) > MAX_PHOTOS:
        raise ReportRejected(_("At most three photos."))
    lat, lng = data["position"]
    group = page.ensure_group()
    contact = contact or {}
    with transaction.atomic():
        report = Report.objects.create(
            group=group,
            category_key=category.translation_key,
            office=category.office,
            user=user if user is not None and user.is_authenticated else None,
            is_anonymous=bool(data.get("private")),
            contact_name=contact.get("name", "")[:120],
            contact_email=contact.get("email", ""),
            title=data["title"],
            description=data["description"],
            answers=data.get("answers") or {},
            latitude=lat,
            longitude=lng,
            address=data.get("address", "")[:200],
            district=data.get("district"),
            language=language or translation.get_language() or "it",
            source=source,
        )
        report.reference = reference_for(report)
        Report.objects.filter(pk=report.pk).update(reference=report.reference)
        for order, upload in enumerate(photos):
            ReportPhoto.objects.create(report=report, image=store_photo(upload, data["title"]), sort_order=order)
        if report.user_id:
            ReportFollower.objects.create(report=report, user=report.user, is_reporter=True, language=report.language)
        reports_changed(group.pk)
        transaction.on_commit(lambda: email_receipt(report, page))
    follow_automatically(report.user, page)
    return report


def set_following(*, report, user, follow, ip_address=None):
    """``user`` says "me too" (follows ``report``, counted once) or stops; the reporter always follows."""
    check_citizen(user, _("follow a report"))
    ratelimit.enforce(
        "support",
        ReportRejected,
        gettext_lazy("Too many attempts in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    with transaction.atomic():
        if follow:
            if not report.is_open:
                raise ReportRejected(_("This report is closed: it can no longer be followed."))
            try:
                with transaction.atomic():
                    ReportFollower.objects.create(report=report, user=user, language=translation.get_language() or "it")
            except IntegrityError:
                return False
            Report.objects.filter(pk=report.pk).update(follower_count=F("follower_count") + 1)
        else:
            deleted, _rows = ReportFollower.objects.filter(report=report, user=user, is_reporter=False).delete()
            if not deleted:
                return False
            Report.objects.filter(pk=report.pk).update(follower_count=F("follower_count") - 1)
        reports_changed(report.group_id)
    return True


def set_notify(*, report, user, notify):
    return ReportFollower.objects.filter(report=report, user=user).update(notify=notify)


# --- the City's answers -----------------------------------------------------------------------------


def change_status(*, report, status, message, office=None, user=None, duplicate_of=None, now=None):
    """A public update: the new status (and office), the message signed with the office's name, emailed to
    the reporter and followers who want it. A duplicate's followers move to the original."""
    now = now or timezone.now()
    if status not in ReportStatus.values:
        raise ReportRejected(_("Unknown status."))
    message = CONTROL.sub("", message or "").strip()
    if not message:
        raise ReportRejected(_("Write the public message that explains the change."))
    if status == ReportStatus.DUPLICATE:
        if duplicate_of is None or duplicate_of.pk == report.pk:
            raise ReportRejected(_("Say which report this one repeats."))
        while duplicate_of.duplicate_of_id:
            duplicate_of = duplicate_of.duplicate_of
        if duplicate_of.pk == report.pk:
            raise ReportRejected(_("Say which report this one repeats."))
    else:
        duplicate_of = None
    office = office or report.office
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        old_status = report.status
        report.status = status
        report.office = office
        report.duplicate_of = duplicate_of
        if status != old_status:
            report.status_changed_at = now
        if report.first_response_at is None:
            report.first_response_at = now
        if status == ReportStatus.RESOLVED and old_status != status:
            report.resolved_at = now
            report.questionnaire_sent_at = None
            report.fixed = None
        elif status in OPEN_STATUSES:
            report.resolved_at = None
        report.save()
        update = ReportUpdate.objects.create(
            report=report,
            status=status if status != old_status else "",
            message=message,
            office_name=office.name,
            office_name_en=office.name_en,
            author=user,
            created_at=now,
        )
        if duplicate_of is not None:
            _move_followers(report, duplicate_of)
            reports_changed(duplicate_of.group_id)
        reports_changed(report.group_id)
        transaction.on_commit(lambda: email_update(report, update))
    return report


def _move_followers(duplicate, original):
    already = ReportFollower.objects.filter(report=original).values("user")
    moving = ReportFollower.objects.filter(report=duplicate).exclude(user__in=already)
    moving.update(report=original, is_reporter=False)
    count = ReportFollower.objects.filter(report=original, is_reporter=False).count()
    Report.objects.filter(pk=original.pk).update(follower_count=count)


def add_note(*, report, message, user):
    """A note for staff only: never on the public page, in a feed or in Open311."""
    message = CONTROL.sub("", message or "").strip()
    if not message:
        raise ReportRejected(_("Write the note."))
    return ReportUpdate.objects.create(report=report, kind=ReportUpdate.NOTE, message=message, author=user)


def set_hidden(*, report, text_hidden=None, photo_ids_hidden=None):
    """Hide (or show again) a report's text or some of its photos; nothing is deleted."""
    with transaction.atomic():
        if text_hidden is not None:
            Report.objects.filter(pk=report.pk).update(text_hidden=text_hidden)
        if photo_ids_hidden is not None:
            photos = ReportPhoto.objects.filter(report=report)
            photos.filter(pk__in=photo_ids_hidden).update(is_hidden=True)
            photos.exclude(pk__in=photo_ids_hidden).update(is_hidden=False)
        reports_changed(report.group_id)


# --- "is it fixed?" ---------------------------------------------------------------------------------


def send_questionnaires(now=None):
    """Ask the reporters of reports resolved QUESTIONNAIRE_WEEKS ago whether the problem is fixed; returns
    how many were asked. Run daily (python manage.py send_report_questionnaires)."""
    now = now or timezone.now()
    due = now - timedelta(weeks=settings.REPORT_QUESTIONNAIRE_WEEKS)
    asked = 0
    reports = Report.objects.filter(
        status=ReportStatus.RESOLVED, resolved_at__lte=due, questionnaire_sent_at__isnull=True, user__isnull=False
    ).select_related("user")
    for report in reports.iterator():
        if Report.objects.filter(pk=report.pk, questionnaire_sent_at__isnull=True).update(questionnaire_sent_at=now):
            email_questionnaire(report)
            asked += 1
    return asked


def answer_questionnaire(*, report, user, fixed, comment=""):
    """The reporter says whether it is fixed; "no" reopens the report with their comment, in public."""
    if not user.is_authenticated or report.user_id != user.pk:
        raise ReportRejected(_("Only the citizen who sent the report can answer this question."))
    if report.status != ReportStatus.RESOLVED:
        raise ReportRejected(_("This report is not marked as resolved."))
    comment = CONTROL.sub("", comment or "").strip()[:DESCRIPTION_MAX_LENGTH]
    if not fixed and not comment:
        raise ReportRejected(_("Tell the office what is still wrong."))
    now = timezone.now()
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report.pk)
        report.fixed, report.fixed_answered_at = fixed, now
        if not fixed:
            report.status, report.status_changed_at, report.resolved_at = ReportStatus.ACKNOWLEDGED, now, None
        report.save()
        if not fixed:
            update = ReportUpdate.objects.create(
                report=report, status=ReportStatus.ACKNOWLEDGED, message=comment, from_reporter=True, created_at=now
            )
            transaction.on_commit(lambda: email_update(report, update, skip_user=user))
        reports_changed(report.group_id)
    return report


# --- email ------------------------------------------------------------------------------------------


def public_page_for(report, language_codes):
    from .core.groups import live_translation
    from .models.reports import ReportingPage

    return live_translation(ReportingPage.objects.all(), report.group_id, language_codes)


def report_url(page, report_id):
    return page.url + page.reverse_subpage("report", kwargs={"report_id": report_id})


def _full_url(report, language, route="report"):
    page = public_page_for(report, [language])
    if page is None:
        return ""
    return page.full_url + page.reverse_subpage(route, kwargs={"report_id": report.pk})


def email_receipt(report, page=None):
    """The reporter's receipt (in the language they wrote in), and the office's notice: written now, sent by the
    ``send_email`` task (participation/notifications.py), so a failing mail server never fails the report."""
    address = report.user.email if report.user_id else report.contact_email
    category = category_map(report.language).get(report.category_key)
    with translation.override(report.language):
        url = _full_url(report, report.language)
        if address:
            body = render_to_string(
                "participation/email/report_receipt.txt",
                {"report": report, "category": category, "url": url, "site_name": settings.SITE_DISPLAY_NAME},
            )
            mail_later(_("Report %(reference)s received") % {"reference": report.reference}, body, [address])
    with translation.override("it"):
        body = render_to_string(
            "participation/email/report_office.txt",
            {"report": report, "category": category, "url": _full_url(report, "it")},
        )
        mail_later(f"[{report.reference}] {report.title}", body, [report.office.email])


def email_update(report, update, skip_user=None):
    """Each follower who wants it (the reporter too) gets the public update, in their language: recorded as a
    notice and sent by the notifications task, alone or in their weekly digest, with a one-click unsubscribe
    (participation/notifications.py). An Open311 client's reporter, who has no account, gets it at the contact
    address they gave, written now and sent by the ``send_email`` task: never in the staff's request."""
    from .notifications import report_updated

    followers = ReportFollower.objects.filter(report=report, notify=True).select_related("user")
    report_updated(report, update, [f for f in followers if f.user.email and f.user != skip_user])
    recipients = []
    if report.source == ReportSource.OPEN311 and report.contact_email and not report.user_id:
        recipients.append((report.contact_email, report.language))
    for address, language in recipients:
        with translation.override(language):
            status = ReportStatus(report.status).label
            body = render_to_string(
                "participation/email/report_update.txt",
                {
                    "report": report,
                    "update": update,
                    "status": status,
                    "office": update.office_in(language) if not update.from_reporter else "",
                    "url": _full_url(report, language),
                    "emails_url": _full_url(report, language, "emails"),
                    "site_name": settings.SITE_DISPLAY_NAME,
                },
            )
            subject = _("Report %(reference)s: %(status)s") % {"reference": report.reference, "status": status}
        mail_later(subject, body, [address])


def email_questionnaire(report):
    with translation.override(report.language):
        body = render_to_string(
            "participation/email/report_questionnaire.txt",
            {
                "report": report,
                "url": _full_url(report, report.language, "questionnaire"),
                "site_name": settings.SITE_DISPLAY_NAME,
            },
        )
        subject = _("Report %(reference)s: is it fixed?") % {"reference": report.reference}
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [report.user.email])


# --- reading ----------------------------------------------------------------------------------------


def decorate(reports, page, categories=None, districts=None):
    categories = categories if categories is not None else category_map()
    districts = districts if districts is not None else district_names()
    for report in reports:
        report.category = categories.get(report.category_key)
        report.district_name = districts.get(report.district, "")
        report.url = report_url(page, report.pk)
    return reports


def _status_counts(page):
    """{status: reports} of a page (cached under the page group's version)."""
    return cached_status_counts(page, "reports", Report.objects.public(), ReportStatus.values)


def list_context(page, request):
    """The list (primary), the filters and the map's configuration of a reporting page."""
    categories = categories_in()
    by_key = {str(category.translation_key): category for category in categories}
    districts = district_names()
    chosen = {
        "category": request.GET.get("category", ""),
        "status": request.GET.get("status", ""),
        "district": request.GET.get("district", ""),
        "since": request.GET.get("since", ""),
    }
    reports = Report.objects.public().filter(group=page.group_key)
    if chosen["category"] in by_key:
        reports = reports.filter(category_key=by_key[chosen["category"]].translation_key)
    else:
        chosen["category"] = ""
    if chosen["status"] == "open":
        reports = reports.filter(status__in=OPEN_STATUSES)
    elif chosen["status"] == "closed":
        reports = reports.filter(status__in=CLOSED_STATUSES)
    elif chosen["status"] in ReportStatus.values:
        reports = reports.filter(status=chosen["status"])
    else:
        chosen["status"] = ""
    if chosen["district"].isdigit() and int(chosen["district"]) in districts:
        reports = reports.filter(district=int(chosen["district"]))
    else:
        chosen["district"] = ""
    try:
        since = parse_date(chosen["since"]) if len(chosen["since"]) == 10 else None
    except ValueError:  # well formed, not a date (2026-02-31)
        since = None
    if since is not None:
        reports = reports.filter(created_at__date__gte=since)
    else:
        chosen["since"] = ""
    counts = _status_counts(page)
    paginator = Paginator(reports.order_by("-created_at", "-pk"), PER_PAGE)
    if not any(chosen.values()):
        paginator.__dict__["count"] = sum(counts.values())
    listing = paginator.get_page(request.GET.get("page"))
    listed = decorate(list(listing.object_list), page, {c.translation_key: c for c in categories}, districts)
    return {
        "categories": categories,
        "districts": sorted(districts.items()),
        "statuses": ReportStatus.choices,
        "chosen": chosen,
        "filter_query": urlencode({name: value for name, value in chosen.items() if value}),
        "listing": listing,
        "reports": listed,
        "status_rows": [(value, label, counts[value]) for value, label in ReportStatus.choices if counts[value]],
        "total_reports": sum(counts.values()),
        "open_reports": sum(counts[value] for value in OPEN_STATUSES),
        "map_json": json.dumps(map_config(page)),
        "form_url": page.url + page.reverse_subpage("new_report"),
        "feed_url": feed_url(page),
    }


def feed_url(page):
    return f"{page.url}reports.geojson"


def map_config(page):
    lat, lng = page.centre
    return {
        "centre": [lat, lng],
        "zoom": page.zoom,
        "area": json.loads(page.boundary),
        "feed": feed_url(page),
        "tiles": settings.GEO_WIDGET_LEAFLET_TILE_LAYER,
        "attribution": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("attribution", ""),
        "maxZoom": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("maxZoom", 19),
        "text": {
            "picked": _("The problem is placed at latitude %(lat)s, longitude %(lng)s."),
        },
    }


def public_title(report):
    return _("Text hidden by the moderators") if report.text_hidden else report.title


def feed(page):
    """The public reports as an RFC 7946 FeatureCollection (bytes, gzipped bytes, ETag), cached under the
    content and group versions. Hidden text never enters it."""
    return pagecache.until_changed(
        "reports-feed",
        [pagecache.group_tag(page.group_key)],
        [page.pk, translation.get_language()],
        lambda: _build_feed(page),
        FEED_TIMEOUT,
    )


def _build_feed(page):
    categories = category_map()
    labels = dict(ReportStatus.choices)
    base = page.url
    hidden = str(_("Text hidden by the moderators"))
    features = []
    rows = (
        Report.objects.public()
        .filter(group=page.group_key)
        .order_by("-created_at", "-pk")
        .values_list(
            "pk",
            "reference",
            "title",
            "text_hidden",
            "category_key",
            "status",
            "follower_count",
            "latitude",
            "longitude",
            "created_at",
            "district",
        )
    )
    for (
        pk,
        reference,
        title,
        text_hidden,
        category_key,
        status,
        followers,
        lat,
        lng,
        created,
        district,
    ) in rows.iterator(chunk_size=5000):
        category = categories.get(category_key)
        features.append(
            {
                "type": "Feature",
                "id": pk,
                "geometry": {"type": "Point", "coordinates": [round(lng, 7), round(lat, 7)]},
                "properties": {
                    "reference": reference,
                    "title": hidden if text_hidden else title,
                    "category": category.name if category else "",
                    "category_key": str(category_key),
                    "service_code": category.service_code if category else "",
                    "colour": category.colour if category else "grey",
                    "status": status,
                    "status_label": str(labels[status]),
                    "summary": f"{category.name if category else ''} · {labels[status]}",
                    "me_too": followers,
                    "district": district,
                    "reported_at": timezone.localtime(created).replace(microsecond=0).isoformat(),
                    "url": f"{base}{pk}/",
                },
            }
        )
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    return feed_entry(body.encode())


def geojson_view(page, request):
    from .ideas import geojson_response

    return geojson_response(request, *feed(page))


def nearby_reports(page, *, lat, lng, category_key, exclude=None):
    """Open reports of the category within NEARBY_METRES of the point, nearest first."""
    south, north, west, east = geometry.box_around(lat, lng, NEARBY_METRES)
    candidates = (
        Report.objects.public()
        .open()
        .filter(
            group=page.group_key,
            category_key=category_key,
            latitude__range=(south, north),
            longitude__range=(west, east),
        )
    )
    if exclude is not None:
        candidates = candidates.exclude(pk=exclude)
    found = []
    for report in candidates[:200]:
        report.distance = round(geometry.distance_m(lat, lng, report.latitude, report.longitude))
        if report.distance <= NEARBY_METRES:
            found.append(report)
    found.sort(key=lambda report: (report.distance, -report.follower_count))
    return found[:NEARBY_LIMIT]


# --- views ------------------------------------------------------------------------------------------


def _form_context(page, request, form, draft=None):
    context = page.get_context(request, with_list=False)
    context.update(
        {
            "form": form,
            "form_url": page.url + page.reverse_subpage("new_report"),
            "map_json": json.dumps(map_config(page)),
            "kept_photos": list(enumerate((draft or {}).get("photos", []))),
            "photo_url": page.url + "new/photo/",
            "logged_in": request.user.is_authenticated,
        }
    )
    return context


def _form(page, request, draft, data=None, files=None):
    photos = (draft or {}).get("photos", []) if request.user.is_authenticated else []
    kept = len(photos)
    if data is not None:
        kept -= sum(1 for index in range(len(photos)) if data.get(f"drop_photo_{index}"))
    return ReportForm(
        data, files, page=page, categories=categories_in(), kept_photos=kept, initial=(draft or {}).get("data")
    )


def new_report_view(page, request):
    """Step 1: the form. A logged-out visitor may fill it in; sending it keeps what they typed in their
    session and asks them to log in, then brings them back to it."""
    draft = get_draft(request, page)
    form_url = page.url + page.reverse_subpage("new_report")
    if request.method == "POST":
        form = _form(page, request, draft, request.POST, request.FILES)
        if not request.user.is_authenticated:
            save_draft(request, page, form.draft(), [])
            messages.info(
                request, _("Log in to send your report: what you typed is kept (photos must be chosen again).")
            )
            return redirect_to_login(form_url)
        try:
            check_citizen(request.user, _("send a report"))
        except ReportRejected as rejection:
            form.add_error(None, str(rejection))
            return TemplateResponse(
                request, "participation/report_form.html", _form_context(page, request, form, draft), status=403
            )
        if form.is_valid():
            kept = [
                name
                for index, name in enumerate((draft or {}).get("photos", []))
                if not request.POST.get(f"drop_photo_{index}")
            ]
            for _index, name in enumerate((draft or {}).get("photos", [])):
                if name not in kept:
                    draft_storage().delete(name)
            for field in form.photo_fields:
                upload = form.cleaned_data.get(field.name)
                if upload and len(kept) < MAX_PHOTOS:
                    kept.append(_store_draft_photo(upload))
            save_draft(request, page, form.draft(), kept)
            return HttpResponseRedirect(page.url + page.reverse_subpage("check_report"), status=303)
        save_draft(request, page, form.draft(), (draft or {}).get("photos", []))
        context = _form_context(page, request, form, get_draft(request, page))
        context["photos_lost"] = bool(request.FILES)
        return TemplateResponse(request, "participation/report_form.html", context, status=400)
    if request.GET.get("start") == "over" and draft:
        drop_draft(request, page)
        draft = None
    form = _form(page, request, draft)
    return TemplateResponse(request, "participation/report_form.html", _form_context(page, request, form, draft))


def _draft_form(page, request, draft):
    """The draft checked again as a bound form (nothing in the session is trusted)."""
    form = ReportForm(draft["data"], page=page, categories=categories_in(), kept_photos=MAX_PHOTOS)
    return form if form.is_valid() else None


def summary_view(page, request):
    """Step 2: everything to check, open reports of the same kind nearby ("me too"), then send."""
    form_url = page.url + page.reverse_subpage("new_report")
    if not request.user.is_authenticated:
        return redirect_to_login(form_url)
    draft = get_draft(request, page)
    form = _draft_form(page, request, draft) if draft else None
    if form is None:
        return HttpResponseRedirect(form_url)
    data = form.cleaned_data
    if request.method == "POST":
        try:
            photos = [_draft_upload(name) for name in draft.get("photos", [])]
            report = submit_report(
                page=page, user=request.user, data=data, photos=photos, ip_address=ratelimit.client_ip(request)
            )
        except ReportRejected as rejection:
            messages.error(request, str(rejection))
            response = HttpResponseRedirect(page.url + page.reverse_subpage("check_report"), status=303)
            if rejection.limited:
                return ratelimit.respond(TemplateResponse(request, "429.html", {"message": str(rejection)}), rejection)
            return response
        except FileNotFoundError:
            messages.error(request, _("Your photos were no longer kept: please choose them again."))
            save_draft(request, page, draft["data"], [])
            return HttpResponseRedirect(form_url, status=303)
        drop_draft(request, page)
        return HttpResponseRedirect(
            page.url + page.reverse_subpage("receipt", kwargs={"reference": report.reference}), status=303
        )
    category = form.categories[data["category"]]
    lat, lng = data["position"]
    nearby = decorate(nearby_reports(page, lat=lat, lng=lng, category_key=category.translation_key), page)
    answers = []
    for code, label, kind, choices, _required in category.question_list:
        value = data.get("answers", {}).get(code)
        if value:
            answers.append((label, _answer_text(kind, choices, value)))
    context = page.get_context(request, with_list=False)
    context.update(
        {
            "data": data,
            "category": category,
            "answers": answers,
            "district": district_names().get(data["district"], ""),
            "photos": list(enumerate(draft.get("photos", []))),
            "photo_url": page.url + "new/photo/",
            "nearby": nearby,
            "form_url": form_url,
            "check_url": page.url + page.reverse_subpage("check_report"),
            "map_json": json.dumps({**map_config(page), "centre": [lat, lng], "zoom": 17, "idea": True}),
        }
    )
    return TemplateResponse(request, "participation/report_summary.html", context)


def _answer_text(kind, choices, value):
    if kind == QuestionKind.YES_NO:
        return _("Yes") if value == "yes" else _("No")
    if kind == QuestionKind.CHOICE:
        try:
            return choices[int(value)]
        except (ValueError, IndexError):
            return value
    return value


def answers_for(report, category):
    if category is None:
        return []
    found = []
    for code, label, kind, choices, _required in category.question_list:
        value = (report.answers or {}).get(code)
        if value:
            found.append((label, _answer_text(kind, choices, value)))
    return found


def draft_photo_view(page, request, index):
    """A photo of the visitor's own draft, for the summary (never cached, never anyone else's)."""
    draft = get_draft(request, page) if request.user.is_authenticated else None
    photos = (draft or {}).get("photos", [])
    if index >= len(photos):
        raise Http404
    try:
        handle = draft_storage().open(photos[index])
    except FileNotFoundError:
        raise Http404 from None
    extension = photos[index].rsplit(".", 1)[-1]
    response = FileResponse(handle, content_type=f"image/{extension.replace('jpg', 'jpeg')}")
    response["Cache-Control"] = "private, no-store"
    return response


def receipt_view(page, request, reference):
    """Step 3: the reference number and the report's link (for its reporter; anyone else goes to the report)."""
    report = Report.objects.public().filter(group=page.group_key, reference=reference).first()
    if report is None:
        raise Http404
    if not request.user.is_authenticated or report.user_id != request.user.pk:
        return HttpResponseRedirect(report_url(page, report.pk))
    decorate([report], page)
    context = page.get_context(request, with_list=False)
    context.update({"report": report, "full_url": request.build_absolute_uri(report.url)})
    return TemplateResponse(request, "participation/report_receipt.html", context)


def _report_or_404(page, report_id):
    report = (
        Report.objects.public()
        .filter(group=page.group_key, pk=report_id)
        .select_related("duplicate_of", "user")
        .first()
    )
    if report is None:
        raise Http404
    return report


def report_view(page, request, report_id, extra_context=None, status=200):
    report = _report_or_404(page, report_id)
    pagecache.depends_on(request, pagecache.group_tag(page.group_key))
    categories = category_map()
    decorate([report], page, categories)
    language = translation.get_language()
    user = request.user
    follower = None
    if user.is_authenticated:
        follower = ReportFollower.objects.filter(report=report, user=user).first()
    updates = list(report.updates.filter(kind=ReportUpdate.PUBLIC))
    for update in updates:
        update.office = update.office_in(language)
    photos = [photo for photo in report.photos.select_related("image") if not photo.is_hidden]
    if report.user_id and not report.is_anonymous:
        reporter = report.user.public_name if hasattr(report.user, "public_name") else _("a citizen")
    else:
        reporter = _("a citizen")
    context = page.get_context(request, with_list=False)
    context.update(
        {
            "report": report,
            "reporter": reporter,
            "answers": answers_for(report, report.category),
            "updates": updates,
            "photos": photos,
            "follower": follower,
            "is_reporter": follower is not None and follower.is_reporter,
            "duplicate_url": report_url(page, report.duplicate_of_id) if report.duplicate_of_id else "",
            "map_json": json.dumps(
                {**map_config(page), "centre": [report.latitude, report.longitude], "zoom": 17, "idea": True}
            ),
            "asks_questionnaire": follower is not None
            and follower.is_reporter
            and report.status == ReportStatus.RESOLVED
            and report.fixed is None,
            **(extra_context or {}),
        }
    )
    return TemplateResponse(request, "participation/report_detail.html", context, status=status)


def _next_or(request, default):
    next_url = request.POST.get("next", "")
    if next_url and url_has_allowed_host_and_scheme(next_url, {request.get_host()}, require_https=request.is_secure()):
        return next_url
    return default


def follow_view(page, request, report_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    report = _report_or_404(page, report_id)
    url = report_url(page, report.pk)
    if not request.user.is_authenticated:
        return redirect_to_login(url)
    follow = request.POST.get("follow") != "stop"
    try:
        set_following(report=report, user=request.user, follow=follow, ip_address=ratelimit.client_ip(request))
    except ReportRejected as rejection:
        if rejection.limited:
            return ratelimit.respond(TemplateResponse(request, "429.html", {"message": str(rejection)}), rejection)
        messages.error(request, str(rejection))
        return HttpResponseRedirect(url)
    if follow:
        messages.success(request, _("Thank you: “me too” is counted and you will be emailed when this report changes."))
    else:
        messages.success(request, _("You no longer follow this report."))
    return HttpResponseRedirect(_next_or(request, url))


def emails_view(page, request, report_id):
    """Turn the update emails of a followed report on or off (GET shows the choice: links in emails)."""
    report = _report_or_404(page, report_id)
    url = report_url(page, report.pk)
    if not request.user.is_authenticated:
        return redirect_to_login(page.url + page.reverse_subpage("emails", kwargs={"report_id": report.pk}))
    follower = ReportFollower.objects.filter(report=report, user=request.user).first()
    if follower is None:
        messages.info(request, _("You do not follow this report."))
        return HttpResponseRedirect(url)
    if request.method == "POST":
        notify = request.POST.get("notify") == "on"
        set_notify(report=report, user=request.user, notify=notify)
        messages.success(
            request,
            _("You will be emailed when this report changes.")
            if notify
            else _("You will no longer be emailed about this report."),
        )
        return HttpResponseRedirect(url)
    decorate([report], page)
    context = page.get_context(request, with_list=False)
    context.update({"report": report, "follower": follower})
    return TemplateResponse(request, "participation/report_emails.html", context)


def questionnaire_view(page, request, report_id):
    """The reporter's "is it fixed?": yes, or no with what is still wrong (which reopens the report)."""
    report = _report_or_404(page, report_id)
    own_url = page.url + page.reverse_subpage("questionnaire", kwargs={"report_id": report.pk})
    if not request.user.is_authenticated:
        return redirect_to_login(own_url)
    error, status = None, 200
    if request.method == "POST":
        answer = request.POST.get("fixed")
        try:
            if answer not in ("yes", "no"):
                raise ReportRejected(_("Choose yes or no."))
            answer_questionnaire(
                report=report, user=request.user, fixed=answer == "yes", comment=request.POST.get("comment", "")
            )
        except ReportRejected as rejection:
            error, status = str(rejection), 400
        else:
            messages.success(
                request,
                _("Thank you: your answer is recorded.")
                if answer == "yes"
                else _("Thank you: the report is open again and the office has your comment."),
            )
            return HttpResponseRedirect(report_url(page, report.pk))
    elif report.user_id != request.user.pk:
        raise Http404
    decorate([report], page)
    context = page.get_context(request, with_list=False)
    context.update(
        {
            "report": report,
            "error": error,
            "answer": request.POST.get("fixed", ""),
            "comment": request.POST.get("comment", ""),
            "form_url": own_url,
        }
    )
    return TemplateResponse(request, "participation/report_questionnaire.html", context, status=status)
