"""Collaboration pacts: citizens join a pact as volunteers, sign up for its activities (with a waiting list), and
read its calendar (an ``.ics`` per activity and the pact's feed); coordinators publish the activities.

**Who.** Joining a pact needs a verified resident (the pact is an agreement with the City's residents:
``accounts.residents.verification_of``); signing up for an activity needs an account with a confirmed email
address only (an activity is an open event: a friend from the next town may come to weed the garden).

**Places.** A sign-up locks the activity's row (``select_for_update``) and counts its confirmed sign-ups under
the lock: two citizens signing up for the last place at once are served one after the other, so the capacity
holds on every database. A cancelled confirmed place goes, in the same transaction, to the first one waiting,
who is emailed after the commit. The ``one_signup_per_citizen`` constraint turns a double click into a friendly
"already signed up".

Every write drops the pact's cached pages (``group_changed``), so anonymous visitors see the new counts at once.
"""

import hashlib
import json
import logging
import zoneinfo
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Q, Window
from django.db.models.signals import post_delete, post_save
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.text import compress_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.residents import verification_of
from civic_site import pagecache

from . import pact_permissions
from .comments import has_verified_email
from .core import ratelimit
from .core.eligibility import verify_url
from .core.errors import Rejected
from .core.invalidation import cached_for_group, group_changed
from .models.pacts import Activity, ActivitySignup, CommitmentBlock, PactMembership, PactPage, PactStatus

logger = logging.getLogger(__name__)

UPCOMING_SHOWN = 10  # the next activities on the pact's page; the rest on its list of activities
ACTIVITIES_PER_PAGE = 20  # that list's page
PAST_SHOWN = 10  # past activities listed on the pact's page
NAMES_SHOWN = 200  # volunteers' names listed (those who chose to be shown)
REMINDER_AHEAD = timedelta(hours=24)  # "the day before": reminders go once an activity starts within this
ROME = zoneinfo.ZoneInfo("Europe/Rome")


class PactRejected(Rejected):
    """Joining, leaving, signing up or cancelling refused, with the reason to show the citizen."""


def pact_changed(group_key):
    """Drop the cached pages of the pact (its page, activities, calendars)."""
    group_changed(group_key)


# --- volunteers ---------------------------------------------------------------------------------------------


class JoinForm(forms.Form):
    accept = forms.BooleanField(
        label=gettext_lazy("I have read the commitments of the pact and I accept those of the volunteers"),
        error_messages={"required": gettext_lazy("To join, tick the box to accept the commitments of the pact.")},
    )
    show_name = forms.BooleanField(
        label=gettext_lazy("Show my public name among the volunteers"),
        required=False,
        help_text=gettext_lazy("If you leave it unticked you are only counted, never named."),
    )


def check_may_join(page, user):
    if not user.is_authenticated:
        raise PactRejected(_("Log in to join the pact."))
    if verification_of(user) is None:
        raise PactRejected(_("Only verified residents can join a pact: verify your account first."))
    if page.current_status == PactStatus.EXPIRED:
        raise PactRejected(_("This pact has expired: it takes no new volunteers."))


def join(page, user, *, show_name=False, ip_address=None):
    """``user`` joins the pact as a volunteer (once: a second join changes nothing but ``show_name``)."""
    check_may_join(page, user)
    ratelimit.enforce(
        "signup",
        PactRejected,
        gettext_lazy("Too many attempts in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    group = page.ensure_group()
    try:
        with transaction.atomic():
            membership = PactMembership.objects.create(group=group, user=user, show_name=show_name)
    except IntegrityError:  # already a volunteer (a double click): keep the row, take the new choice
        membership = PactMembership.objects.get(group=group, user=user)
        if membership.show_name != show_name:
            PactMembership.objects.filter(pk=membership.pk).update(show_name=show_name)
            membership.show_name = show_name
    pact_changed(group.pk)
    return membership


def leave(page, user):
    """``user`` is no longer a volunteer of the pact; their activity sign-ups stay (they may still come)."""
    deleted, _rows = PactMembership.objects.filter(group=page.group_key, user=user).delete()
    if deleted:
        pact_changed(page.group_key)
    return bool(deleted)


# --- activities: places and the waiting list ----------------------------------------------------------------


def check_may_sign_up(activity, user):
    if not user.is_authenticated:
        raise PactRejected(_("Log in to sign up."))
    if not has_verified_email(user):
        raise PactRejected(_("Confirm your email address before signing up: we sent you a link."))
    if activity.status == Activity.CANCELLED:
        raise PactRejected(_("This activity has been cancelled."))
    if activity.starts_at <= timezone.now():
        raise PactRejected(_("This activity has already started: sign-ups are closed."))


def sign_up(activity, user, *, ip_address=None):
    """Sign ``user`` up for ``activity``: a confirmed place while there is one, else the waiting list.

    The activity's row is locked while its confirmed sign-ups are counted and the new one written, so
    concurrent sign-ups never take more places than ``capacity``."""
    check_may_sign_up(activity, user)
    ratelimit.enforce(
        "signup",
        PactRejected,
        gettext_lazy("You have signed up many times in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    try:
        with transaction.atomic():
            locked = Activity.objects.select_for_update().get(pk=activity.pk)
            check_may_sign_up(locked, user)  # cancelled meanwhile?
            taken = ActivitySignup.objects.filter(activity=locked, status=ActivitySignup.CONFIRMED).count()
            full = locked.capacity is not None and taken >= locked.capacity
            signup = ActivitySignup.objects.create(
                activity=locked,
                user=user,
                status=ActivitySignup.WAITING if full else ActivitySignup.CONFIRMED,
                language=translation.get_language() or settings.LANGUAGE_CODE,
            )
    except IntegrityError:
        raise PactRejected(_("You are already signed up for this activity.")) from None
    pact_changed(activity.group_id)
    return signup


def cancel(activity, user):
    """``user`` cancels their sign-up; a confirmed place goes to the first one waiting (emailed after the commit).
    Returns the promoted sign-up or None."""
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        signup = ActivitySignup.objects.filter(activity=locked, user=user).first()
        if signup is None:
            raise PactRejected(_("You were not signed up for this activity."))
        signup.delete()
        promoted = fill_places(locked)
    pact_changed(activity.group_id)
    return promoted[0] if promoted else None


def fill_places(activity):
    """Give the free places of ``activity`` (locked by the caller) to the first ones waiting, in order of
    sign-up, and email them once the transaction commits. Returns the promoted sign-ups."""
    waiting = ActivitySignup.objects.filter(activity=activity, status=ActivitySignup.WAITING).order_by(
        "signed_up_at", "pk"
    )
    if activity.capacity is not None:
        taken = ActivitySignup.objects.filter(activity=activity, status=ActivitySignup.CONFIRMED).count()
        waiting = waiting[: max(activity.capacity - taken, 0)]
    promoted = list(waiting.select_related("user", "activity"))
    if promoted:
        ActivitySignup.objects.filter(pk__in=[signup.pk for signup in promoted]).update(status=ActivitySignup.CONFIRMED)
        if activity.starts_at > timezone.now() and activity.status == Activity.SCHEDULED:
            for signup in promoted:
                signup.status = ActivitySignup.CONFIRMED
                transaction.on_commit(lambda signup=signup: tell_promoted(signup))
    return promoted


def signups_of_deleted_user(user):
    """Before an account goes: its confirmed places go to those waiting (accounts.registry anonymise)."""
    activity_ids = list(
        ActivitySignup.objects.filter(user=user, status=ActivitySignup.CONFIRMED).values_list("activity", flat=True)
    )
    with transaction.atomic():
        ActivitySignup.objects.filter(user=user).delete()
        for activity in Activity.objects.select_for_update().filter(pk__in=activity_ids):
            fill_places(activity)
            pact_changed(activity.group_id)
    # Their name leaves the pacts' lists of volunteers, cached ones too.
    memberships = PactMembership.objects.filter(user=user)
    pacts = set(memberships.values_list("group", flat=True))
    memberships.delete()
    for group_key in pacts:
        pact_changed(group_key)


# --- emails -------------------------------------------------------------------------------------------------


def activity_page(activity, language):
    """The live pact page of ``activity`` in ``language``, else any live translation."""
    from .core.groups import live_translation

    return live_translation(PactPage.objects.all(), activity.group_id, (language,))


def activity_url(page, activity_id):
    return page.url + page.reverse_subpage("activity", kwargs={"activity_id": activity_id})


def _mail(signup, template, subject):
    """Email the citizen of ``signup`` about its activity, in the language they signed up in."""
    from .notifications import mail_later

    user, activity = signup.user, signup.activity
    language = signup.language or activity.language or settings.LANGUAGE_CODE
    with translation.override(language):
        page = activity_page(activity, language)
        if page is None or not user.email:
            return False
        body = render_to_string(
            template,
            {
                "user": user,
                "activity": activity,
                "pact": page,
                "url": settings.WAGTAILADMIN_BASE_URL + activity_url(page, activity.pk),
                "site_name": settings.SITE_DISPLAY_NAME,
            },
        )
        mail_later(subject(activity), body, [user.email])
    return True


def tell_promoted(signup):
    """Email a citizen who was waiting that they now have a place."""
    _mail(
        signup,
        "participation/notifications/activity_place.txt",
        lambda activity: _("You have a place: %(title)s") % {"title": activity.title},
    )


def send_reminders(now=None):
    """Email each confirmed sign-up of the activities starting within the next day, once per activity
    (``reminder_sent_at``); run by the hourly ``send_notifications``. Returns the number of emails."""
    now = now or timezone.now()
    sent = 0
    due = Activity.objects.filter(
        status=Activity.SCHEDULED, reminder_sent_at__isnull=True, starts_at__gt=now, starts_at__lte=now + REMINDER_AHEAD
    )
    for activity in due:
        with transaction.atomic():
            # Claimed first: a second run (or a second server) finds it taken and sends nothing.
            if not Activity.objects.filter(pk=activity.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now):
                continue
            signups = ActivitySignup.objects.filter(
                activity=activity, status=ActivitySignup.CONFIRMED, user__is_active=True
            ).select_related("user")
            for signup in signups:
                signup.activity = activity
                sent += _mail(
                    signup,
                    "participation/notifications/activity_reminder.txt",
                    lambda activity: _("Tomorrow: %(title)s") % {"title": activity.title},
                )
    return sent


# --- the pact's page ----------------------------------------------------------------------------------------


def with_places(activities):
    """Annotate ``confirmed`` and ``waiting`` (one query for the whole list)."""
    return activities.annotate(
        confirmed=Count("signups", filter=Q(signups__status=ActivitySignup.CONFIRMED)),
        waiting=Count("signups", filter=Q(signups__status=ActivitySignup.WAITING)),
    )


def decorate(activities, user):
    """Set ``places_left`` (None: no limit), ``is_full`` and the user's ``my_status`` (one query when logged in)."""
    mine = {}
    if getattr(user, "is_authenticated", False) and activities:
        mine = dict(
            ActivitySignup.objects.filter(user=user, activity__in=[a.pk for a in activities]).values_list(
                "activity", "status"
            )
        )
    for activity in activities:
        confirmed = getattr(activity, "confirmed", 0)
        activity.places_left = None if activity.capacity is None else max(activity.capacity - confirmed, 0)
        activity.is_full = activity.places_left == 0
        activity.my_status = mine.get(activity.pk)
    return activities


def commitments_by_party(page):
    """[(party label, [rich texts])] in the parties' order: the city, the signatories, the volunteers."""
    labels = dict(CommitmentBlock.base_blocks["party"].field.choices)
    grouped = {}
    for block in page.commitments:
        grouped.setdefault(block.value["party"], []).append(block.value["text"])
    return [(labels.get(party, party), texts) for party, texts in grouped.items()]


def map_config(page, activities=()):
    """What the map script reads (the page's data-map attribute, never an inline script)."""
    from . import geometry

    points = [
        {"lat": a.latitude, "lng": a.longitude, "name": f"{a.title} – {a.place_name}"}
        for a in activities
        if a.latitude is not None and a.longitude is not None
    ]
    return {
        "centre": list(geometry.centre(page.area_polygons)),
        "zoom": 16,
        "area": json.loads(page.area),
        "points": points,
        "tiles": settings.GEO_WIDGET_LEAFLET_TILE_LAYER,
        "attribution": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("attribution", ""),
        "maxZoom": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("maxZoom", 19),
    }


def volunteer_names(page):
    """The names of the volunteers who chose to be shown (the first NAMES_SHOWN to join): the same for every
    visitor, so kept in the cache under the pact's version (joining, leaving, an account deleted bump it)."""

    def names():
        members = PactMembership.objects.filter(group=page.group_key, show_name=True).select_related("user")
        return [row.user.public_name for row in members.order_by("joined_at", "pk")[:NAMES_SHOWN]]

    return cached_for_group(page.group_key, "pact-volunteers", names)


def activity_lists(page, now):
    """(the next UPCOMING_SHOWN activities with their places counted, the last PAST_SHOWN): the same for every
    visitor until the pact's participation changes (an activity saved, a sign-up: the group's version) or the
    first of those shown ends, so kept in the cache that long (two queries otherwise). Each upcoming row also
    counts every upcoming one (``upcoming_total``, a window over the same query): the page's cost stays flat
    however many activities a pact plans, and the link to the rest says how many there are."""
    tag = pagecache.group_tag(page.group_key)
    key = f"{pagecache.KEY_PREFIX}:pact-activities:{page.group_key}:{pagecache.versions([tag])[tag]}"
    found = cache.get(key)
    if found is not None and (found[2] is None or found[2] > now):
        return found[0], found[1]
    activities = Activity.objects.filter(group=page.group_key)
    upcoming = with_places(activities.filter(ends_at__gte=now)).annotate(upcoming_total=Window(Count("pk")))
    upcoming = list(upcoming[:UPCOMING_SHOWN])
    past = list(activities.filter(ends_at__lt=now).order_by("-starts_at", "-pk")[:PAST_SHOWN])
    # The lists change when an upcoming activity ends: the first of those shown, or one further down the
    # list (ordered by start) that ends sooner; the next to end is asked for only when one could.
    next_end = min((activity.ends_at for activity in upcoming), default=None)
    if next_end is not None and len(upcoming) < upcoming[0].upcoming_total:
        next_end = min(next_end, activities.filter(ends_at__gte=now).aggregate(first=Min("ends_at"))["first"])
    timeout = settings.PAGE_CACHE["TIMEOUT"]
    if next_end is not None:
        timeout = max(1, min(timeout, int((next_end - now).total_seconds())))
    cache.set(key, (upcoming, past, next_end), timeout)
    return upcoming, past


def page_signatories(page):
    """The pact's signatories with their logos' renditions: kept in the cache until the content changes (they
    are part of the page, saved with it); a preview's, in memory, as they are."""
    return pagecache.saved_with_page(
        "pact-signatories",
        page,
        page.signatories.all(),
        lambda chosen: list(chosen.select_related("logo").prefetch_related("logo__renditions")),
    )


def pact_context(page, request):
    user = request.user
    now = timezone.now()
    shown, past = activity_lists(page, now)
    upcoming = decorate(shown, user)
    members = PactMembership.objects.filter(group=page.group_key)
    # The count and the citizen's own membership in one query; the names shown only up to NAMES_SHOWN rows.
    mine = Q(user=user) if user.is_authenticated else Q(pk__in=[])
    counted = members.aggregate(total=Count("pk"), joined_at=Max("joined_at", filter=mine))
    membership = {"joined_at": counted["joined_at"]} if counted["joined_at"] else None
    shown = volunteer_names(page)
    signatories = page_signatories(page)
    return {
        "status": page.current_status,
        "status_label": PactStatus(page.current_status).label,
        "commitment_groups": commitments_by_party(page),
        "signatories": signatories,
        "volunteer_count": counted["total"],
        "volunteer_names": shown,
        "membership": membership,
        "upcoming": upcoming,
        "upcoming_total": upcoming[0].upcoming_total if upcoming else 0,
        "pact_url": page.url,
        "activities_url": page.url + page.reverse_subpage("activities"),
        "past": past,
        "map_json": json.dumps(map_config(page, upcoming)),
        "places": sorted({a.place_name for a in upcoming}),
        "join_url": page.url + page.reverse_subpage("join"),
        "leave_url": page.url + page.reverse_subpage("leave"),
        "calendar_url": page.url + "calendar.ics",
        "verify_url": verify_url(page.url) if user.is_authenticated and verification_of(user) is None else "",
    }


# --- views --------------------------------------------------------------------------------------------------


def _render_join(page, request, form, status=200, refusal=None):
    context = page.get_context(request)
    context.update({"join_form": form, "refusal": refusal})
    return TemplateResponse(request, "participation/pact_page.html", context, status=status)


def join_view(page, request):
    if not request.user.is_authenticated:
        return redirect_to_login(page.url)
    if request.method != "POST":
        return HttpResponseRedirect(page.url + "#join")
    form = JoinForm(request.POST)
    if not form.is_valid():
        return _render_join(page, request, form, status=400)
    try:
        join(page, request.user, show_name=form.cleaned_data["show_name"], ip_address=ratelimit.client_ip(request))
    except PactRejected as rejection:
        response = _render_join(page, request, form, status=rejection.status, refusal=str(rejection))
        return ratelimit.respond(response, rejection) if rejection.limited else response
    messages.success(request, _("Thank you: you are a volunteer of this pact. You can leave it at any time."))
    return HttpResponseRedirect(page.url + "#join")


def leave_view(page, request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return redirect_to_login(page.url)
    if leave(page, request.user):
        messages.success(request, _("You have left the pact."))
    return HttpResponseRedirect(page.url + "#join")


def _activity_or_404(page, activity_id):
    activity = Activity.objects.filter(group=page.group_key, pk=activity_id).first()
    if activity is None:
        raise Http404
    return activity


def activities_view(page, request):
    """Every upcoming activity of the pact, ACTIVITIES_PER_PAGE at a time, soonest first."""
    upcoming = with_places(Activity.objects.filter(group=page.group_key, ends_at__gte=timezone.now()))
    listing = Paginator(upcoming.order_by("starts_at", "pk"), ACTIVITIES_PER_PAGE).get_page(request.GET.get("page"))
    context = page.get_context(request, with_pact=False)
    context.update(
        {
            "listing": listing,
            "activities": decorate(list(listing.object_list), request.user),
            "pact_url": page.url,
            "calendar_url": page.url + "calendar.ics",
            "pages_label": _("Pages of activities"),
        }
    )
    return TemplateResponse(request, "participation/pact_activities.html", context)


def activity_view(page, request, activity_id, *, error=None, status=200):
    activity = _activity_or_404(page, activity_id)
    activity = decorate(list(with_places(Activity.objects.filter(pk=activity.pk))), request.user)[0]
    user = request.user
    context = page.get_context(request, with_pact=False)
    context.update(
        {
            "activity": activity,
            "error": error,
            "signup_url": activity_url(page, activity.pk) + "signup/",
            "ics_url": page.url + f"activities/{activity.pk}.ics",
            "can_sign_up": user.is_authenticated
            and has_verified_email(user)
            and activity.status == Activity.SCHEDULED
            and activity.starts_at > timezone.now(),
            "is_past": activity.starts_at <= timezone.now(),
            "map_json": json.dumps(map_config(page, [activity])),
        }
    )
    return TemplateResponse(request, "participation/pact_activity.html", context, status=status)


def signup_view(page, request, activity_id):
    """POST ``action=signup`` or ``action=cancel``."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    activity = _activity_or_404(page, activity_id)
    url = activity_url(page, activity.pk)
    if not request.user.is_authenticated:
        return redirect_to_login(url)
    try:
        if request.POST.get("action") == "cancel":
            cancel(activity, request.user)
            messages.success(request, _("Your sign-up is cancelled."))
        else:
            signup = sign_up(activity, request.user, ip_address=ratelimit.client_ip(request))
            if signup.status == ActivitySignup.CONFIRMED:
                messages.success(request, _("You are signed up. We will remind you by email the day before."))
            else:
                messages.success(
                    request,
                    _("The activity is full: you are on the waiting list. We will email you if a place frees up."),
                )
    except PactRejected as rejection:
        response = activity_view(page, request, activity.pk, error=str(rejection), status=rejection.status)
        return ratelimit.respond(response, rejection) if rejection.limited else response
    return HttpResponseRedirect(url)


# --- calendars ----------------------------------------------------------------------------------------------


def _event(activity, page, request):
    from icalendar import Event

    event = Event()
    host = request.get_host().split(":")[0] if request is not None else "torino.partecipa"
    event.add("uid", f"pact-activity-{activity.pk}@{host}")
    event.add("dtstamp", activity.created_at or timezone.now())
    event.add("dtstart", activity.starts_at.astimezone(ROME))
    event.add("dtend", activity.ends_at.astimezone(ROME))
    event.add("summary", activity.title)
    description = activity.description
    if activity.what_to_bring:
        description += "\n\n" + _("What to bring:") + " " + activity.what_to_bring
    event.add("description", description)
    event.add("location", activity.place_name)
    if activity.latitude is not None and activity.longitude is not None:
        event.add("geo", (activity.latitude, activity.longitude))
    event.add("url", request.build_absolute_uri(activity_url(page, activity.pk)))
    event.add("status", "CANCELLED" if activity.status == Activity.CANCELLED else "CONFIRMED")
    return event


def _calendar(page, activities, request):
    from icalendar import Calendar

    calendar = Calendar()
    calendar.add("prodid", "-//Città di Torino//Torino Partecipa//IT")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", page.title)
    calendar.add("x-wr-timezone", "Europe/Rome")
    for activity in activities:
        calendar.add_component(_event(activity, page, request))
    calendar.add_missing_timezones()
    return calendar


CALENDAR_TIMEOUT = 60 * 60  # the window (the last 90 days) moves on by itself: an hour late is harmless


def _ics_response(request, body, filename, gzipped=None):
    from .ideas import feed_response

    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    response = feed_response(request, body, gzipped or compress_string(body), etag, "text/calendar; charset=utf-8")
    if response.status_code == 200:
        response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def activity_ics_view(page, request, activity_id):
    activity = _activity_or_404(page, activity_id)
    return _ics_response(request, _calendar(page, [activity], request).to_ical(), f"activity-{activity.pk}.ics")


def calendar_feed(page, request):
    """The pact's activities of the last 90 days and to come as iCalendar bytes and gzipped, built once and
    kept in the cache under the content and the pact's versions (an activity published, changed or cancelled
    bumps the pact's): calendar apps poll it, and it is the same for everyone."""
    tags = [pagecache.CONTENT, pagecache.group_tag(page.group_key)]
    versions = pagecache.versions(tags)
    # The events' addresses and UIDs are absolute, from the request's scheme and host.
    stamp = ":".join([request.scheme, request.get_host(), *(str(versions[tag]) for tag in tags)])
    key = f"pacts:calendar:{pagecache.release()}:{page.pk}:{hashlib.sha256(stamp.encode()).hexdigest()[:16]}"

    def build():
        since = timezone.now() - timedelta(days=90)
        body = _calendar(page, Activity.objects.filter(group=page.group_key, ends_at__gte=since), request).to_ical()
        return (body, compress_string(body))

    return cache.get_or_set(key, build, CALENDAR_TIMEOUT)


def calendar_view(page, request):
    """The pact's activities of the last 90 days and to come, for a calendar app to subscribe to."""
    body, gzipped = calendar_feed(page, request)
    return _ics_response(request, body, "calendar.ics", gzipped)


# --- signals ------------------------------------------------------------------------------------------------


def _activity_changed(sender, instance, **kwargs):
    # An activity published, changed or deleted in the admin: the pact's page and calendars change.
    pact_changed(instance.group_id)


def _activity_saved(sender, instance, created=False, **kwargs):
    # More places given in the admin go to those waiting, at once.
    if not created and instance.status == Activity.SCHEDULED:
        with transaction.atomic():
            fill_places(Activity.objects.select_for_update().get(pk=instance.pk))
    _activity_changed(sender, instance)


def connect():
    post_save.connect(_activity_saved, sender=Activity, dispatch_uid="pact-activity-save")
    post_delete.connect(_activity_changed, sender=Activity, dispatch_uid="pact-activity-delete")
    # A pact saved or deleted may have a new coordinators group: who coordinates what is asked again.
    post_save.connect(pact_permissions.pacts_changed, sender=PactPage, dispatch_uid="pact-page-save")
    post_delete.connect(pact_permissions.pacts_changed, sender=PactPage, dispatch_uid="pact-page-delete")


# --- personal data (accounts.registry) ----------------------------------------------------------------------


def membership_items(user, limit):
    from accounts.registry import Item

    from .personal_data import limited, titled

    for row in limited(titled(PactMembership.objects.filter(user=user)).order_by("-joined_at", "-pk"), limit):
        yield Item(kind="pacts", kind_label=str(_("Pact volunteer")), title=row.page_title or "", date=row.joined_at)


def membership_export(user):
    from .personal_data import moment, titled

    for row in titled(PactMembership.objects.filter(user=user)).order_by("joined_at"):
        yield {"pact": row.page_title, "joined": moment(row.joined_at), "name_shown": row.show_name}


def signup_items(user, limit):
    from accounts.registry import Item

    from .personal_data import limited

    labels = dict(ActivitySignup.STATUSES)
    found = ActivitySignup.objects.filter(user=user).select_related("activity").order_by("-signed_up_at", "-pk")
    for row in limited(found, limit):
        yield Item(
            kind="activity_signups",
            kind_label=str(_("Activity sign-up")),
            title=row.activity.title,
            date=row.signed_up_at,
            status=str(labels.get(row.status, row.status)),
        )


def signup_export(user):
    from .personal_data import moment

    for row in ActivitySignup.objects.filter(user=user).select_related("activity").order_by("signed_up_at"):
        yield {
            "activity": row.activity.title,
            "starts": moment(row.activity.starts_at),
            "status": row.status,
            "signed_up": moment(row.signed_up_at),
        }


def register_personal_data():
    from accounts.registry import Holding, not_personal, register

    register(
        Holding(
            "pacts",
            _("Collaboration pacts and their activities"),
            (("participation.PactMembership", "user"), ("participation.ActivitySignup", "user")),
            _(
                "The pacts you joined as a volunteer (and whether your name is shown), and the activities you "
                "signed up for, to keep your place and remind you the day before."
            ),
            items=lambda user, limit: sorted(
                [*membership_items(user, limit), *signup_items(user, limit)], key=lambda item: item.date, reverse=True
            )[:limit],
            export=lambda user: [*membership_export(user), *signup_export(user)],
            anonymise=signups_of_deleted_user,
            order=65,
            when_deleted=_(
                "You leave the pacts you joined and your sign-ups are cancelled: your places go to those waiting."
            ),
        )
    )
    not_personal("participation.Activity", "created_by", "who published it, among the City's staff and coordinators")
