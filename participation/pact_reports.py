"""After an activity: what was done, the pact's log and totals, and its yearly report.

A coordinator of the pact (participation/pact_permissions.py) writes, in the Wagtail admin, the report of a
past activity: a short text, the participants, the volunteer hours and up to MAX_PHOTOS photos, each with the
description screen readers read. Photos are cleaned like citizens' (``ideas.clean_photo``: checked by their
content, re-encoded without EXIF or GPS data) and stored as Wagtail images in their own collection.

The pact's page shows the reports, newest first, as its log, and the totals: activities held (over, not
cancelled), participants and volunteer hours; its ``report/<year>/`` route shows them month by month.
"""

import datetime
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch, Q, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic_site import pagecache

from .ideas import _clean_text, clean_photo
from .models import Activity, ActivityPhoto, ActivityReport
from .models.pacts import TEXT_MAX_LENGTH

MAX_PHOTOS = 6
LOG_LIMIT = 20  # reports on the pact's page; the yearly reports hold the rest in figures
PHOTO_COLLECTION = "Pact activities' photos"
ALT_MAX_LENGTH = 250


# --- figures --------------------------------------------------------------------------------------


def held_q(now=None):
    """Activities held: over (ended before ``now``) and not cancelled."""
    return Q(ends_at__lte=now or timezone.now()) & ~Q(status=Activity.CANCELLED)


def totals(group_key):
    """{"held", "participants", "hours"} of a pact: one aggregate query."""
    found = Activity.objects.filter(held_q(), group=group_key).aggregate(
        held=Count("pk"), participants=Sum("report__participants"), hours=Sum("report__hours")
    )
    return {
        "held": found["held"],
        "participants": found["participants"] or 0,
        "hours": found["hours"] or Decimal(0),
    }


def years_with_data(group_key):
    """The years (newest first) in which the pact held activities. One query."""
    found = Activity.objects.filter(held_q(), group=group_key).datetimes("starts_at", "year", order="DESC")
    return [moment.year for moment in found]


def monthly(group_key, year):
    """[{"month": date, "held", "participants", "hours"}] for each month of ``year`` (local time): one query."""
    rows = (
        Activity.objects.filter(held_q(), group=group_key, starts_at__year=year)
        .annotate(month=TruncMonth("starts_at", tzinfo=timezone.get_current_timezone()))
        .order_by()
        .values("month")
        .annotate(held=Count("pk"), participants=Sum("report__participants"), hours=Sum("report__hours"))
    )
    by_month = {row["month"].month: row for row in rows}
    months = []
    for number in range(1, 13):
        row = by_month.get(number, {})
        months.append(
            {
                "month": datetime.date(year, number, 1),
                "held": row.get("held", 0),
                "participants": row.get("participants") or 0,
                "hours": row.get("hours") or Decimal(0),
            }
        )
    return months


def log(group_key, limit=LOG_LIMIT):
    """The pact's newest reports with their activity and photos: three queries (reports, photos with their
    images, renditions)."""
    photos = ActivityPhoto.objects.select_related("image").prefetch_related("image__renditions")
    photos = photos.order_by("sort_order", "pk")
    return list(
        ActivityReport.objects.filter(activity__group=group_key)
        .select_related("activity")
        .prefetch_related(Prefetch("photos", queryset=photos))
        .order_by("-activity__starts_at", "-pk")[:limit]
    )


def year_url(page, year):
    return page.url + page.reverse_subpage("year_report", kwargs={"year": year})


def year_report_view(page, request, year):
    """The pact's year, month by month (route ``report/<year>/``), with links to the other years with data."""
    years = years_with_data(page.group_key)
    if year not in years and year != timezone.localdate().year:
        raise Http404
    pagecache.depends_on(request, pagecache.group_tag(page.translation_key))
    months = monthly(page.group_key, year)
    context = page.get_context(request)
    context.update(
        {
            "page": page,
            "self": page,
            "year": year,
            "months": months,
            "total": {
                "held": sum(month["held"] for month in months),
                "participants": sum(month["participants"] for month in months),
                "hours": sum((month["hours"] for month in months), Decimal(0)),
            },
            "years": [(other, year_url(page, other)) for other in years],
        }
    )
    return TemplateResponse(request, "participation/pact_year_report.html", context)


# --- the coordinator's report (Wagtail admin) -------------------------------------------------------


class ReportForm(forms.Form):
    """What was done, how many came, the hours, and new photos (each needs its description); photos already
    stored can be removed."""

    text = forms.CharField(
        label=gettext_lazy("What was done"), max_length=TEXT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )
    participants = forms.IntegerField(label=gettext_lazy("Participants"), min_value=0)
    hours = forms.DecimalField(
        label=gettext_lazy("Volunteer hours"),
        min_value=0,
        max_digits=7,
        decimal_places=1,
        help_text=gettext_lazy("All volunteers' hours together, e.g. 12 people for 2 hours: 24."),
    )

    def __init__(self, *args, report=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.existing = list(report.photos.select_related("image")) if report is not None else []
        for photo in self.existing:
            self.fields[f"remove_{photo.pk}"] = forms.BooleanField(
                label=_("Remove the photo “%(description)s”") % {"description": photo.alt_text}, required=False
            )
        for number in range(1, MAX_PHOTOS - len(self.existing) + 1):
            self.fields[f"photo_{number}"] = forms.FileField(
                label=_("Photo %(number)d") % {"number": number},
                required=False,
                help_text=_("JPEG, PNG or WebP, at most 8 MB. Its location data is removed before it is stored."),
                widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
            )
            self.fields[f"alt_{number}"] = forms.CharField(
                label=_("Description of photo %(number)d") % {"number": number},
                max_length=ALT_MAX_LENGTH,
                required=False,
                help_text=_("What the photo shows, for people who cannot see it."),
            )

    def clean_text(self):
        return _clean_text(self.cleaned_data["text"])

    def photo_numbers(self):
        return range(1, MAX_PHOTOS - len(self.existing) + 1)

    def photo_rows(self):
        """(photo field, description field) pairs, for the template."""
        return [(self[f"photo_{number}"], self[f"alt_{number}"]) for number in self.photo_numbers()]

    def removal_fields(self):
        return [(photo, self[f"remove_{photo.pk}"]) for photo in self.existing]

    def clean(self):
        cleaned = super().clean()
        new = []
        for number in self.photo_numbers():
            upload = cleaned.get(f"photo_{number}")
            alt = (cleaned.get(f"alt_{number}") or "").strip()
            if not upload:
                continue
            try:
                photo = clean_photo(upload)
            except forms.ValidationError as error:
                self.add_error(f"photo_{number}", error)
                continue
            if not alt:
                self.add_error(f"alt_{number}", _("Describe what the photo shows."))
                continue
            new.append((photo, alt))
        cleaned["new_photos"] = new
        cleaned["removed"] = [photo.pk for photo in self.existing if cleaned.get(f"remove_{photo.pk}")]
        return cleaned


def store_photo(upload, title):
    """A Wagtail image in the pact activities' collection (renditions for display come from it)."""
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    root = Collection.get_first_root_node()
    collection = Collection.objects.filter(name=PHOTO_COLLECTION).first() or root.add_child(name=PHOTO_COLLECTION)
    image = get_image_model()(title=title[:255], file=upload, collection=collection)
    image.save()
    return image


def save_report(activity, data, by):
    """Write (or complete) ``activity``'s report from ReportForm.cleaned_data; the pact's pages are dropped."""
    from .core.invalidation import group_changed

    with transaction.atomic():
        report, _created = ActivityReport.objects.update_or_create(
            activity=activity,
            defaults={
                "text": data["text"],
                "participants": data["participants"],
                "hours": data["hours"],
                "written_by": by,
                "written_at": timezone.now(),
            },
        )
        removed = ActivityPhoto.objects.filter(report=report, pk__in=data.get("removed", []))
        images = list(removed.values_list("image_id", flat=True))
        removed.delete()
        if images:
            from wagtail.images import get_image_model

            # Only the photos uploaded here go with their report: an image of the library may be used elsewhere.
            get_image_model().objects.filter(pk__in=images, collection__name=PHOTO_COLLECTION).delete()
        order = report.photos.count()
        for photo, alt in data.get("new_photos", []):
            image = store_photo(photo, f"{activity.title}: {alt}")
            ActivityPhoto.objects.create(report=report, image=image, alt_text=alt, sort_order=order)
            order += 1
        group_changed(activity.group_id)
    return report


def activities_to_report(keys):
    """{pact key: [past activities, each with ``has_report``]}: the newest first, at most 20 a pact. One query."""
    found = {}
    rows = (
        Activity.objects.filter(held_q(), group__in=keys)
        .annotate(reported=Count("report"))
        .order_by("-starts_at", "-pk")
    )
    for activity in rows:
        listed = found.setdefault(activity.group_id, [])
        if len(listed) < 20:
            listed.append(activity)
    return found


def report_admin_view(request, page_id, activity_id):
    """The report of a past activity of a pact the user coordinates (403 for another pact's)."""
    from .pact_proposals import pact_or_403

    page = pact_or_403(request, page_id)
    activity = get_object_or_404(Activity, pk=activity_id, group=page.group_key)
    if not Activity.objects.filter(held_q(), pk=activity.pk).exists():
        messages.warning(request, _("Only an activity that has taken place can have a report."))
        return redirect("pact_coordination")
    report = ActivityReport.objects.filter(activity=activity).first()
    initial = {"text": report.text, "participants": report.participants, "hours": report.hours} if report else None
    form = ReportForm(request.POST or None, request.FILES or None, report=report, initial=initial)
    if request.method == "POST" and form.is_valid():
        save_report(activity, form.cleaned_data, request.user)
        messages.success(request, _("The report is on the pact's page."))
        return redirect("pact_coordination")
    return TemplateResponse(
        request,
        "participation/admin/pact_activity_report.html",
        {"page": page, "activity": activity, "form": form, "report": report},
        status=400 if form.errors else 200,
    )
