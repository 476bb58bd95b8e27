"""Ideas on a map: submitting (with similar ideas shown first), supporting, the list, the detail, the feed.

Every write checks the citizen (logged in, verified email), the rate limit through the shared
helper, and the submission window of the map's rules page; it then drops the cached pages of the
map's translation group (``group_changed``), so anonymous visitors see it at the next request.
"""

import hashlib
import io
import json
import re
import unicodedata

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.paginator import Paginator
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.text import compress_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civic_site import pagecache

from . import geometry
from .comments import has_verified_email
from .core import ratelimit
from .core.eligibility import (
    check_eligible,
    counted_votes_q,
    eligibility_for,
    may_be_counted,
    rule_text,
    rules_pages,
)
from .core.errors import Rejected
from .core.groups import group_for, live_translation
from .core.invalidation import cached_status_counts, group_changed, page_and_process_changed
from .models.ideas import DESCRIPTION_MAX_LENGTH, TITLE_MAX_LENGTH, Idea, IdeaStatus, IdeaSupport
from .notifications import follow_automatically

PER_PAGE = 30
NEARBY_METRES = 50
SIMILAR_LIMIT = 5
PHOTO_MAX_BYTES = 8 * 1024 * 1024
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
PHOTO_MAX_SIDE = 2400  # pixels: larger photos are scaled down before storing
PHOTO_COLLECTION = "Citizens' photos"
FEED_TIMEOUT = 24 * 60 * 60


class IdeaRejected(Rejected):
    """An idea or a support refused, with the reason to show the citizen."""


# --- the form -------------------------------------------------------------------------------------


class IdeaForm(forms.Form):
    """Where (a click on the map, a named place, or typed coordinates), what, and an optional photo."""

    title = forms.CharField(label=gettext_lazy("Title"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label=gettext_lazy("Description"), max_length=DESCRIPTION_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 5})
    )
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    place = forms.TypedChoiceField(
        label=gettext_lazy("Named place"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("Choose a place from the list, or give the coordinates below, or click the map."),
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
    photo = forms.FileField(
        label=gettext_lazy("Photo (optional)"),
        required=False,
        help_text=gettext_lazy("JPEG, PNG or WebP, at most 8 MB. Its location data is removed before it is stored."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, page, **kwargs):
        super().__init__(*args, **kwargs)
        self.page = page
        self.categories = {category.pk: category for category in page.category_list}
        self.places = {place.pk: place for place in page.place_list}
        self.fields["category"].choices = [("", _("Choose a category"))] + [
            (pk, category.name) for pk, category in self.categories.items()
        ]
        self.fields["place"].choices = [("", _("No named place"))] + [
            (pk, place.name) for pk, place in self.places.items()
        ]
        if not self.places:
            del self.fields["place"]

    def clean_title(self):
        return _clean_text(self.cleaned_data["title"])

    def clean_description(self):
        return _clean_text(self.cleaned_data["description"])

    def clean_photo(self):
        photo = self.cleaned_data.get("photo")
        return clean_photo(photo) if photo else None

    def clean(self):
        cleaned = super().clean()
        place = self.places.get(cleaned.get("place")) if cleaned.get("place") else None
        lat, lng = cleaned.get("latitude"), cleaned.get("longitude")
        if place is not None:
            lat, lng = place.latitude, place.longitude
        elif lat is None or lng is None:
            if "latitude" not in self.errors and "longitude" not in self.errors:
                self.add_error(
                    None,
                    _("Say where: click the map, choose a named place, or give both latitude and longitude."),
                )
            return cleaned
        if not self.page.contains(lat, lng):
            self.add_error(
                None,
                _("That point is outside the area of this map. Choose a point inside the area shown."),
            )
            return cleaned
        cleaned["position"] = (lat, lng)
        cleaned["place_key"] = place.translation_key if place is not None else None
        category = self.categories.get(cleaned.get("category"))
        if category is not None:
            cleaned["category_key"] = category.translation_key
        return cleaned


CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean_text(text):
    text = CONTROL.sub("", text).strip()
    if not text:
        raise forms.ValidationError(_("This field is required."), code="required")
    return text


def clean_photo(upload):
    """The upload checked by its content (not its name) and re-encoded without any metadata (EXIF,
    GPS, XMP), oriented as the camera meant, at most PHOTO_MAX_SIDE pixels a side."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if upload.size > PHOTO_MAX_BYTES:
        raise forms.ValidationError(_("The photo is larger than 8 MB. Choose a smaller one."), code="too_large")
    try:
        upload.seek(0)
        with Image.open(upload) as probe:
            kind = probe.format
            probe.verify()
        upload.seek(0)
        with Image.open(upload) as image:
            if kind not in PHOTO_FORMATS or image.width * image.height > 50_000_000:
                raise forms.ValidationError(_("The photo must be a JPEG, PNG or WebP image."), code="invalid_format")
            image = ImageOps.exif_transpose(image)
            image.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
            if kind == "JPEG" and image.mode not in ("RGB", "L"):
                image = image.convert("RGB")
            out = io.BytesIO()
            # A new image object carries no info dict: nothing of the original's metadata is written.
            clean = Image.new(image.mode, image.size)
            clean.paste(image)
            if image.mode == "P" and image.getpalette():
                clean.putpalette(image.getpalette())
            clean.save(out, format=kind, **({"quality": 85} if kind in ("JPEG", "WEBP") else {}))
    except forms.ValidationError:
        raise
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        raise forms.ValidationError(
            _("This file is not an image we can read. Choose a JPEG, PNG or WebP photo."), code="invalid_image"
        ) from None
    extension = PHOTO_FORMATS[kind]
    return SimpleUploadedFile(
        f"idea.{extension}", out.getvalue(), content_type=f"image/{extension.replace('jpg', 'jpeg')}"
    )


def store_photo(upload, title):
    """A Wagtail image in the citizens' photos collection (renditions for display come from it)."""
    from wagtail.images import get_image_model
    from wagtail.models import Collection

    root = Collection.get_first_root_node()
    collection = Collection.objects.filter(name=PHOTO_COLLECTION).first() or root.add_child(name=PHOTO_COLLECTION)
    image = get_image_model()(title=title[:255], file=upload, collection=collection)
    image.save()
    return image


# --- what citizens do -----------------------------------------------------------------------------


def ideas_changed(group_key):
    """Drop the cached pages showing this map's ideas: the map (its list, ideas, feed) and its process
    page, which shows the ideas' counts by status."""
    page_and_process_changed(group_key)


def check_can_submit(page, user, ip_address=None):
    if not user.is_authenticated:
        raise IdeaRejected(_("Log in to add an idea."))
    if not has_verified_email(user):
        raise IdeaRejected(_("Confirm your email address before adding an idea: we sent you a link."))
    rules = page.rules
    now = timezone.now()
    if now < rules.opens_at:
        raise IdeaRejected(_("Ideas can be added from %(date)s.") % {"date": _local(rules.opens_at)})
    if now >= rules.closes_at:
        raise IdeaRejected(_("The time for new ideas is over."))


def _local(moment):
    from civic_site.templatetags.civic_dates import long_datetime

    return long_datetime(moment)


def submit_idea(*, page, user, data, photo=None, ip_address=None):
    """Store a citizen's idea (``data``: IdeaForm.cleaned_data), all or nothing."""
    check_can_submit(page, user)
    ratelimit.enforce(
        "idea",
        IdeaRejected,
        gettext_lazy("You have added several ideas in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    lat, lng = data["position"]
    group = page.ensure_group()
    with transaction.atomic():
        image = store_photo(photo, data["title"]) if photo else None
        idea = Idea.objects.create(
            group=group,
            user=user,
            title=data["title"],
            description=data["description"],
            category_key=data["category_key"],
            latitude=lat,
            longitude=lng,
            place_key=data.get("place_key"),
            photo=image,
            language=translation.get_language() or "it",
            is_approved=not page.rules.moderate_first,
        )
        ideas_changed(group.pk)
    follow_automatically(user, page)
    return idea


def set_support(*, idea, user, support, ip_address=None, page=None):
    """``user`` supports ``idea`` (``support=True``) or withdraws; at most one support each, counted once.

    Supports are taken, and withdrawn, in the map's window for ideas (``page``: the map, else looked up):
    once it closes the counts are what the City's offices assess, and they no longer move. Only citizens the
    map's rule on who may take part lets in may support; anyone may withdraw a support. ``support_count`` holds
    the supports that count under that rule (see :func:`recount_supports`).
    """
    if not user.is_authenticated:
        raise IdeaRejected(_("Log in to support an idea."))
    if not has_verified_email(user):
        raise IdeaRejected(_("Confirm your email address before supporting ideas: we sent you a link."))
    if page is None:
        from .models.ideas import IdeaMapPage

        page = IdeaMapPage.objects.filter(translation_key=idea.group_id).first()
    rules = page.rules if page is not None else None
    if rules is None or not rules.is_open:
        raise IdeaRejected(supports_closed_message(rules))
    if support:
        check_eligible(page, user, IdeaRejected)
    ratelimit.enforce(
        "support",
        IdeaRejected,
        gettext_lazy("Too many attempts in a short time. Please try again in %(wait)s."),
        user=user,
        ip=ip_address,
    )
    with transaction.atomic():
        if support:
            try:
                with transaction.atomic():
                    IdeaSupport.objects.create(idea=idea, user=user)
            except IntegrityError:
                return False  # already supported (perhaps by a double click a moment ago)
            Idea.objects.filter(pk=idea.pk).update(support_count=F("support_count") + 1)
            follow_automatically(user, page)
        else:
            deleted, _rows = IdeaSupport.objects.filter(idea=idea, user=user).delete()
            if not deleted:
                return False
            if may_be_counted(page, user):  # a support the rule left out was never in the count
                Idea.objects.filter(pk=idea.pk).update(support_count=F("support_count") - 1)
        ideas_changed(idea.group_id)
    return True


def recount_supports(page, ideas=None):
    """Set ``support_count`` of the map's ideas (``ideas``: some of their pks) to the supports that count under
    the map's rule on who may take part: after the rule changes (the map is published) or a supporter's
    verification does. One UPDATE."""
    counted = (
        IdeaSupport.objects.filter(idea=OuterRef("pk"))
        .filter(counted_votes_q(page))
        .order_by()
        .values("idea")
        .annotate(n=Count("pk"))
        .values("n")
    )
    found = Idea.objects.filter(group=page.group_key)
    if ideas is not None:
        found = found.filter(pk__in=list(ideas))
    found.update(support_count=Coalesce(Subquery(counted), 0))


def map_published(sender, instance, **kwargs):
    """Signal receiver (page_published, IdeaMapPage): its rule on who may take part may have changed, so its
    ideas' supports are counted again, and the pages showing them dropped."""
    page = instance.specific
    recount_supports(page)
    ideas_changed(page.translation_key)


def supports_closed_message(rules):
    if rules is not None and timezone.now() < rules.opens_at:
        return _("Ideas can be supported from %(date)s.") % {"date": _local(rules.opens_at)}
    if rules is not None:
        return _("Supports closed on %(date)s: the counts are final.") % {"date": _local(rules.closes_at)}
    return _("This idea can no longer be supported.")


# --- similar ideas --------------------------------------------------------------------------------

STOPWORDS = set(
    """il lo la i gli le un uno una di a da in con su per tra fra e o ma che non del della dei degli delle al
    allo alla ai agli alle dal dalla nel nella nei sul sulla questo questa quello quella più piu come anche
    sono essere c'è ci si the an of to and or in on at for with by from is are be this that it as more
    some new nuovo nuova nuovi nuove""".split()
)


def words(text, stem=True):
    """Normalised words of ``text``: lower case, no accents, no stop words, cut to a common stem of
    five letters ("panchine"/"panchina", "benches"/"bench"); Italian and English alike. ``stem=False``:
    the whole words, in order (for PostgreSQL's trigrams, which compare word parts themselves)."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(char for char in text if not unicodedata.combining(char))
    found = [word for word in re.findall(r"[a-z0-9]+", text) if len(word) > 2 and word not in STOPWORDS]
    if not stem:
        return list(dict.fromkeys(found))
    return {word[:5] for word in found}


def text_score(query_words, title, description):
    if not query_words:
        return 0.0
    title_words, all_words = words(title), words(f"{title} {description}")
    return (len(query_words & title_words) * 2 + len(query_words & all_words)) / (3 * len(query_words))


TEXT_THRESHOLD = 0.3


def similar_ideas(page, *, lat=None, lng=None, category_key=None, text=""):
    """(nearby, alike): published ideas of the category within NEARBY_METRES of the point, and ideas
    anywhere on the map whose words are close to ``text``; best first, a few of each."""
    published = Idea.objects.published().filter(group=page.group_key)
    nearby = []
    if lat is not None and lng is not None and category_key is not None:
        south, north, west, east = geometry.box_around(lat, lng, NEARBY_METRES)
        candidates = published.filter(
            category_key=category_key, latitude__range=(south, north), longitude__range=(west, east)
        )
        for idea in candidates:
            idea.distance = round(geometry.distance_m(lat, lng, idea.latitude, idea.longitude))
            if idea.distance <= NEARBY_METRES:
                nearby.append(idea)
        nearby.sort(key=lambda idea: (idea.distance, -idea.support_count))
        nearby = nearby[:SIMILAR_LIMIT]
    alike = []
    # Control characters (NUL: PostgreSQL refuses it in a query) mean nothing to a comparison of words.
    text = CONTROL.sub("", text or "").strip()[: TITLE_MAX_LENGTH + DESCRIPTION_MAX_LENGTH]
    if text:
        seen = {idea.pk for idea in nearby}
        alike = [idea for idea in _alike(published, text) if idea.pk not in seen][:SIMILAR_LIMIT]
    return nearby, alike


_TRIGRAMS = {}


def trigrams_available():
    """Whether PostgreSQL's pg_trgm is installed (the migration creates it where the role may)."""
    if connection.vendor != "postgresql":
        return False
    if connection.alias not in _TRIGRAMS:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            _TRIGRAMS[connection.alias] = cursor.fetchone() is not None
    return _TRIGRAMS[connection.alias]


def _alike(published, text):
    if trigrams_available():
        from django.contrib.postgres.search import TrigramWordSimilarity
        from django.db.models import TextField, Value
        from django.db.models.functions import Concat, Lower

        query = " ".join(words(text, stem=False)) or text.lower()
        both = Lower(Concat("title", Value(" "), "description", output_field=TextField()))
        return list(
            published.annotate(score=TrigramWordSimilarity(query, both))
            .filter(score__gte=0.35)
            .order_by("-score", "-support_count")[: SIMILAR_LIMIT * 2]
        )
    query_words = words(text)
    if not query_words:
        return []
    scored = []
    for pk, title, description in published.values_list("pk", "title", "description").iterator(chunk_size=2000):
        score = text_score(query_words, title, description)
        if score >= TEXT_THRESHOLD:
            scored.append((score, pk))
    scored.sort(reverse=True)
    order = [pk for _score, pk in scored[: SIMILAR_LIMIT * 2]]
    by_pk = published.in_bulk(order)
    return [by_pk[pk] for pk in order if pk in by_pk]


# --- reading --------------------------------------------------------------------------------------


def category_map(page):
    """{category translation_key: category row in the page's language}."""
    return {category.translation_key: category for category in page.category_list}


def decorate(ideas, page):
    categories, places = category_map(page), {place.translation_key: place for place in page.place_list}
    for idea in ideas:
        idea.category = categories.get(idea.category_key)
        idea.place = places.get(idea.place_key)
        idea.url = page.url + page.reverse_subpage("idea", kwargs={"idea_id": idea.pk})
    return ideas


def map_context(page, request):
    user = request.user
    categories = page.category_list
    by_key = {str(category.translation_key): category for category in categories}
    chosen_category = request.GET.get("category", "")
    chosen_status = request.GET.get("status", "")
    ideas = Idea.objects.published().filter(group=page.group_key).with_comment_count()
    if chosen_category in by_key:
        ideas = ideas.filter(category_key=by_key[chosen_category].translation_key)
    else:
        chosen_category = ""
    if chosen_status in IdeaStatus.values:
        ideas = ideas.filter(status=chosen_status)
    else:
        chosen_status = ""
    counts = _status_counts(page)
    paginator = Paginator(ideas.order_by("-support_count", "-created_at", "-pk"), PER_PAGE)
    if not chosen_category:  # the cached counts by status already say how many (counting scans them all)
        paginator.__dict__["count"] = counts[chosen_status] if chosen_status else sum(counts.values())
    listing = paginator.get_page(request.GET.get("page"))
    listed = decorate(list(listing.object_list), page)
    supported = set()
    if user.is_authenticated and listed:
        supported = set(
            IdeaSupport.objects.filter(user=user, idea__in=[idea.pk for idea in listed]).values_list("idea", flat=True)
        )
    for idea in listed:
        idea.supported = idea.pk in supported
    rules = page.rules
    return {
        "rules": rules,
        "categories": categories,
        "statuses": IdeaStatus.choices,
        "chosen_category": chosen_category,
        "chosen_status": chosen_status,
        "filter_query": urlencode(
            {name: value for name, value in (("category", chosen_category), ("status", chosen_status)) if value}
        ),
        "listing": listing,
        "ideas": listed,
        "status_rows": [(value, label, counts[value]) for value, label in IdeaStatus.choices if counts[value]],
        "total_ideas": sum(counts.values()),
        "can_submit": rules.is_open and user.is_authenticated and has_verified_email(user),
        "support_rule": rule_text(rules),  # proposing an idea needs a confirmed email only
        "map_json": json.dumps(map_config(page)),
    }


def _status_counts(page):
    """{status: published ideas} of a map (cached under the map group's version)."""
    return cached_status_counts(page, "ideas", Idea.objects.published(), IdeaStatus.values)


def status_counts_for(page):
    """[(status label, count)] for a process page's summary of its idea maps."""
    counts = _status_counts(page)
    return [(label, counts[value]) for value, label in IdeaStatus.choices if counts[value]]


def feed_url(page):
    """``<map url>ideas.geojson``: Wagtail's own URLs end with a slash, so civic_site/urls.py routes this one."""
    return f"{page.url}ideas.geojson"


def map_config(page):
    """What the map script reads from the page (a data attribute, never an inline script)."""
    lat, lng = page.centre
    return {
        "centre": [lat, lng],
        "zoom": page.zoom,
        "area": json.loads(page.area),
        "feed": feed_url(page),
        "tiles": settings.GEO_WIDGET_LEAFLET_TILE_LAYER,
        "attribution": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("attribution", ""),
        "maxZoom": settings.GEO_WIDGET_LEAFLET_TILE_LAYER_OPTIONS.get("maxZoom", 19),
        "text": {
            "supporters": _("supporters: %(count)s"),
            "comments": _("comments: %(count)s"),
            "picked": _("Your idea is placed at latitude %(lat)s, longitude %(lng)s."),
            "similar": _("Similar ideas already proposed:"),
            "instead": _("support this one instead"),
        },
    }


def feed(page):
    """The published ideas as an RFC 7946 FeatureCollection (bytes) and its ETag, kept in the cache
    under the content and group versions (every write to the map bumps the group's)."""
    return pagecache.until_changed(
        "ideas-feed",
        [pagecache.group_tag(page.group_key)],
        [page.pk, translation.get_language()],
        lambda: _build_feed(page),
        FEED_TIMEOUT,
    )


def _build_feed(page):
    categories = category_map(page)
    base = page.url
    features = []
    rows = (
        Idea.objects.published()
        .filter(group=page.group_key)
        .with_comment_count()
        .order_by("pk")
        .values_list("pk", "title", "category_key", "status", "support_count", "comment_count", "latitude", "longitude")
    )
    labels = dict(IdeaStatus.choices)
    for pk, title, category_key, status, supporters, comments, lat, lng in rows.iterator(chunk_size=5000):
        category = categories.get(category_key)
        features.append(
            {
                "type": "Feature",
                "id": pk,
                "geometry": {"type": "Point", "coordinates": [round(lng, 7), round(lat, 7)]},
                "properties": {
                    "title": title,
                    "category": category.name if category else "",
                    "category_key": str(category_key),
                    "colour": category.colour if category else "grey",
                    "status": status,
                    "status_label": str(labels[status]),
                    "supporters": supporters,
                    "comments": comments,
                    "url": f"{base}{pk}/",
                },
            }
        )
    body = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, separators=(",", ":"))
    return feed_entry(body.encode())


# --- views ----------------------------------------------------------------------------------------


def geojson_view(page, request):
    """The feed from its own cache, compressed once when it was built: the page cache (which stores pages as
    they are and leaves compression to the middleware, on every hit) is not used for it."""
    return geojson_response(request, *feed(page))


def geojson_response(request, body, gzipped, etag):
    """A GeoJSON feed (an idea map's, a reporting page's) with its ETag, gzipped when the client takes it."""
    return feed_response(request, body, gzipped, etag, "application/geo+json; charset=utf-8")


def feed_entry(body):
    """What a feed keeps in the cache: (its bytes, gzipped, its ETag)."""
    return (body, compress_string(body), f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def feed_response(request, body, gzipped, etag, content_type, vary="Accept-Encoding"):
    """A public feed built once and kept in the cache (GeoJSON, a pact's calendar, Open311 requests): the same
    bytes for every visitor, logged in or not, answered 304 when the client holds its ETag and gzipped when it
    takes gzip. ``vary``: the request headers the bytes depend on."""
    pagecache.not_stored(request)
    # Each encoding is its own representation, with its own validator (as Apache names them).
    use_gzip = "gzip" in request.headers.get("Accept-Encoding", "") and len(gzipped) < len(body)
    gzip_etag = f'{etag[:-1]}-gzip"'
    if pagecache.etag_matches(request, etag) or pagecache.etag_matches(request, gzip_etag):
        response = HttpResponse(status=304)
    elif use_gzip:
        response = HttpResponse(gzipped, content_type=content_type)
        response["Content-Encoding"] = "gzip"  # the gzip middleware leaves an encoded response alone
    else:
        response = HttpResponse(body, content_type=content_type)
    response["ETag"] = gzip_etag if use_gzip else etag
    response["Vary"] = vary
    response["Cache-Control"] = "public, max-age=60"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _published_or_404(page, idea_id, user=None):
    idea = Idea.objects.filter(group=page.group_key, pk=idea_id).select_related("photo", "merged_into", "user").first()
    if idea is None or idea.is_hidden:
        raise Http404
    if not idea.is_approved and not (user is not None and user.is_authenticated and idea.user_id == user.pk):
        raise Http404
    return idea


def idea_url(page, idea_id):
    return page.url + page.reverse_subpage("idea", kwargs={"idea_id": idea_id})


def idea_view(page, request, idea_id):
    idea = _published_or_404(page, idea_id, request.user)
    if idea.merged_into_id:
        original = idea.merged_into
        while original.merged_into_id:  # a chain of merges ends at one idea
            original = Idea.objects.get(pk=original.merged_into_id)
        return HttpResponseRedirect(idea_url(page, original.pk), status=301)
    return idea_response(request, IdeaThread(page, idea))


def idea_response(request, thread, extra_context=None, status=200):
    """An idea's page: photo, small map, supporters, the City's answer and its own comment thread.

    ``extra_context`` carries what the comment views send back (a rejected comment or report, kept).
    Stored for anonymous visitors under the map's group and the idea's own (its thread's) group.
    """
    page, idea = thread.map_page, thread.idea
    pagecache.depends_on(request, pagecache.group_tag(thread.translation_key))
    decorate([idea], page)
    user = request.user
    idea.supported = user.is_authenticated and IdeaSupport.objects.filter(idea=idea, user=user).exists()
    answer, answer_language = idea.answer_in(translation.get_language())
    eligibility = eligibility_for(page, user, next_url=f"{idea_url(page, idea.pk)}#support")
    context = page.get_context(request, with_list=False)
    context.update(
        {
            "idea": idea,
            "thread": thread,
            "map_json": json.dumps(
                {**map_config(page), "centre": [idea.latitude, idea.longitude], "zoom": 18, "idea": True}
            ),
            "answer": answer,
            "answer_language": answer_language,
            "eligibility": eligibility,
            # Withdrawing stays open to a supporter the map's rule no longer lets in (their support is not counted).
            "can_support": user.is_authenticated
            and has_verified_email(user)
            and (eligibility.may_take_part or idea.supported),
            "supports_closed": None if page.rules.is_open else supports_closed_message(page.rules),
            "is_author": user.is_authenticated and idea.user_id == user.pk,
            **(extra_context or {}),
        }
    )
    return TemplateResponse(request, "participation/idea_detail.html", context, status=status)


class IdeaThread:
    """An idea's own comment thread, for the comment machinery (participation/comments.py) in place of a page.

    Keyed to the idea's ``key`` as a translation group of its own (the same idea in /it/ and /en/, one
    thread); open and closed by the rules of its map's thread (thread_state of the map page), and closed
    for good once the idea is merged into another (its comments then show on that one).
    """

    group_model = Idea  # what ensure_group() records as the group's content type

    def __init__(self, map_page, idea):
        self.map_page, self.idea = map_page, idea
        self.translation_key = idea.key
        self.pk = map_page.pk  # the comment form's ``page``; ``idea`` says which idea's thread
        self.idea_id = idea.pk
        self.title = idea.title
        self.url = idea_url(map_page, idea.pk)

    def thread_state(self):
        from .comments import thread_state

        is_open, state = thread_state(self.map_page)
        return self._open_here(is_open), state

    def shown_thread_state(self):
        """``thread_state()`` for showing the thread: the map's from the cache (participation.comments)."""
        from .comments import shown_thread_state

        versions = pagecache.versions([pagecache.CONTENT, pagecache.group_tag(self.map_page.group_key)])
        is_open, state = shown_thread_state(self.map_page, versions)
        return self._open_here(is_open), state

    def _open_here(self, map_open):
        idea = self.idea
        return map_open and idea.is_approved and not idea.is_hidden and not idea.merged_into_id

    def respond(self, request, extra_context, status=200):
        return idea_response(request, self, extra_context, status)


def idea_thread(page, idea_id):
    """The thread of idea number ``idea_id`` on the live map ``page``; Http404 if the public cannot see it."""
    from .models.ideas import IdeaMapPage

    if not isinstance(page, IdeaMapPage):
        raise Http404
    idea = Idea.objects.published().filter(group=page.group_key, pk=idea_id).first()
    if idea is None:
        raise Http404
    return IdeaThread(page, idea)


def thread_for_key(key, language_codes):
    """The public thread of the idea whose ``key`` is ``key`` (a comment's group), or None."""
    idea = Idea.objects.published().filter(key=key).first()
    if idea is None:
        return None
    page = public_map_for(idea, language_codes)
    return IdeaThread(page, idea) if page is not None else None


def support_view(page, request, idea_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    idea = _published_or_404(page, idea_id)
    url = page.url + page.reverse_subpage("idea", kwargs={"idea_id": idea.pk})
    if not request.user.is_authenticated:
        return redirect_to_login(url)
    support = request.POST.get("support") != "withdraw"
    try:
        set_support(idea=idea, user=request.user, support=support, ip_address=ratelimit.client_ip(request), page=page)
    except IdeaRejected as rejection:
        messages.error(request, str(rejection))
        response = HttpResponseRedirect(url)
        if rejection.limited:
            return ratelimit.respond(TemplateResponse(request, "429.html", {"message": str(rejection)}), rejection)
        return response
    if support:
        messages.success(request, _("Thank you: you support this idea. You can withdraw your support at any time."))
    else:
        messages.success(request, _("You no longer support this idea."))
    next_url = request.POST.get("next", "")
    if next_url == "list":
        return HttpResponseRedirect(page.url + f"#idea-{idea.pk}")
    return HttpResponseRedirect(url)


def new_idea_view(page, request):
    if not request.user.is_authenticated:
        return redirect_to_login(page.url + page.reverse_subpage("new_idea"))
    refusal = None
    try:
        check_can_submit(page, request.user)
    except IdeaRejected as rejection:
        refusal = str(rejection)
    nearby, alike, photo_again = [], [], False
    if request.method == "POST" and refusal is None:
        form = IdeaForm(request.POST, request.FILES, page=page)
        if form.is_valid():
            data = form.cleaned_data
            lat, lng = data["position"]
            if request.POST.get("confirm") != "1":
                nearby, alike = similar_ideas(
                    page,
                    lat=lat,
                    lng=lng,
                    category_key=data["category_key"],
                    text=f"{data['title']} {data['description']}",
                )
            if nearby or alike:
                decorate(nearby + alike, page)
                photo_again = bool(data.get("photo"))
            else:
                try:
                    idea = submit_idea(
                        page=page,
                        user=request.user,
                        data=data,
                        photo=data.get("photo"),
                        ip_address=ratelimit.client_ip(request),
                    )
                except IdeaRejected as rejection:
                    form.add_error(None, str(rejection))
                    context = _form_context(page, request, form)
                    return ratelimit.respond(
                        TemplateResponse(request, "participation/idea_form.html", context), rejection
                    )
                if idea.is_approved:
                    messages.success(request, _("Thank you: your idea is on the map."))
                else:
                    messages.success(
                        request, _("Thank you: your idea will appear on the map once a moderator has read it.")
                    )
                return HttpResponseRedirect(page.url + page.reverse_subpage("idea", kwargs={"idea_id": idea.pk}))
        status = 200 if (nearby or alike) and not form.errors else 400
    else:
        form = IdeaForm(page=page, initial=_initial_position(request))
        status = 200
    context = _form_context(page, request, form)
    context.update({"refusal": refusal, "nearby": nearby, "alike": alike, "photo_again": photo_again})
    return TemplateResponse(request, "participation/idea_form.html", context, status=status if refusal is None else 403)


def _initial_position(request):
    initial = {}
    for name in ("latitude", "longitude"):
        try:
            initial[name] = float(request.GET.get(name, ""))
        except ValueError:
            pass
    return initial


def _form_context(page, request, form):
    context = page.get_context(request, with_list=False)
    context.update(
        {
            "form": form,
            "form_url": page.url + page.reverse_subpage("new_idea"),
            "similar_url": page.url + page.reverse_subpage("similar"),
            "map_json": json.dumps(map_config(page)),
            "rules": page.rules,
        }
    )
    return context


def similar_view(page, request):
    """JSON for the form's live check: {"nearby": [...], "alike": [...]}."""
    try:
        lat = float(request.GET["latitude"])
        lng = float(request.GET["longitude"])
        if not page.contains(lat, lng):
            raise ValueError
    except (KeyError, ValueError, OverflowError):
        lat = lng = None
        place = {str(place.pk): place for place in page.place_list}.get(request.GET.get("place", ""))
        if place is not None:
            lat, lng = place.latitude, place.longitude
    categories = {str(category.pk): category for category in page.category_list}
    category = categories.get(request.GET.get("category", ""))
    text = request.GET.get("text", "")[: TITLE_MAX_LENGTH + DESCRIPTION_MAX_LENGTH]
    nearby, alike = similar_ideas(
        page, lat=lat, lng=lng, category_key=category.translation_key if category else None, text=text
    )
    decorate(nearby + alike, page)

    def row(idea):
        return {
            "id": idea.pk,
            "title": idea.title,
            "url": idea.url,
            "category": idea.category.name if idea.category else "",
            "supporters": idea.support_count,
            "distance": getattr(idea, "distance", None),
        }

    response = JsonResponse({"nearby": [row(i) for i in nearby], "alike": [row(i) for i in alike]})
    response["Cache-Control"] = "private, no-store"
    return response


# --- the City's answers and merges (participation/idea_admin.py) ------------------------------------


def public_map_for(idea, language_codes):
    """The live idea map showing ``idea``: in the first of ``language_codes`` that has one, else any translation."""
    from .models.ideas import IdeaMapPage

    return live_translation(IdeaMapPage.objects.all(), idea.group_id, language_codes)


def merge(duplicate, original):
    """``duplicate`` now points at ``original``: its supporters move there, each counted once, and its
    discussion joins the original's (each thread whole, in its place by date)."""
    from .models import IdeaMapPage, ParticipationComment

    with transaction.atomic():
        already = IdeaSupport.objects.filter(idea=original).values("user")
        IdeaSupport.objects.filter(idea=duplicate).exclude(user__in=already).update(idea=original)
        IdeaSupport.objects.filter(idea=duplicate).delete()
        page = rules_pages(IdeaMapPage, [original.group_id]).get(original.group_id)
        if page is not None:  # counted under the map's rule on who may take part
            recount_supports(page, [original.pk, duplicate.pk])
        else:
            for idea in (original, duplicate):
                Idea.objects.filter(pk=idea.pk).update(support_count=IdeaSupport.objects.filter(idea=idea).count())
        moved = ParticipationComment.objects.filter(group=duplicate.key)
        if moved.exists():
            group_for(original.key, Idea)
            moved.update(group=original.key, object_pk=str(original.key))
        Idea.objects.filter(pk=duplicate.pk).update(merged_into=original)
        group_changed(duplicate.key, original.key)
        ideas_changed(original.group_id)
