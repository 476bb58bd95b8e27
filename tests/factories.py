"""Factories for tests: people, locales and the bilingual page tree, built without the demo seed.

In the style of torchbox.com's ``tbx/core/factories.py``: factory-boy for plain models,
wagtail-factories for pages (``parent=`` places a page in the tree). Tests build what they need:

    tree = build_tree()                         # homes, index, a process with phases, a poll: it + en
    citizen = UserFactory()                     # verified email; UserFactory(verified=False) is not
    moderator = ModeratorFactory()              # with an authenticator app; ModeratorFactory(two_factor=False): none
    poll = PollPageFactory(parent=tree["consultation"]["it"])
    english = translate(poll, title="Layout", options=["Meadow", "Gardens", "Square"])

Every poll in the suite is made here (PollPageFactory / translate): when the poll model changes
(its stable key, its phase), this file is the one place to adapt.
"""

import json
import time
from datetime import timedelta
from decimal import Decimal
from importlib import import_module

import factory
import wagtail_factories
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value
from django.apps import apps as django_apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone, translation
from factory.django import DjangoModelFactory
from wagtail.models import Collection, Locale, Page, Site

from consultations.models import ConsultationIndexPage, ConsultationPage, ConsultationPhase, Topic
from consultations.schedule import phase_bounds
from consultations.topics import ensure_vocabulary
from home.models import HomePage, HomePageFeaturedPage, SiteLinks, StandardPage
from participation.comments import post_comment
from participation.core import ratelimit
from participation.models import (
    BudgetPage,
    CommentThread,
    District,
    Idea,
    IdeaCategory,
    IdeaMapPage,
    IdeaPlace,
    ParticipationComment,
    PollOption,
    PollPage,
    ProjectCategory,
    ProjectPage,
    Report,
    ReportCategory,
    ReportingPage,
    ReportOffice,
)

PASSWORD = "partecipa-torino-2026"
LANGUAGES = ("it", "en")


# --- locales ----------------------------------------------------------------------------------


def locale(code="it"):
    """The Locale row for ``code``. Italian comes from the migrations (LANGUAGE_CODE); English is made
    on first use, and both are remade after a transactional test has flushed the database."""
    return Locale.objects.get_or_create(language_code=code)[0]


def locales():
    return {code: locale(code) for code in LANGUAGES}


# --- people -----------------------------------------------------------------------------------


class EmailAddressFactory(DjangoModelFactory):
    """allauth's record of a user's address: verified unless told otherwise."""

    class Meta:
        model = EmailAddress

    user = None
    email = factory.LazyAttribute(lambda obj: obj.user.email)
    verified = True
    primary = True


class UserFactory(DjangoModelFactory):
    """A citizen with a verified email address (``verified=False``: signed up, not confirmed yet)."""

    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    class Params:
        verified = True

    username = factory.Sequence(lambda n: f"cittadino{n}")
    email = factory.LazyAttribute(lambda obj: f"{obj.username}@example.org")
    display_name = factory.Sequence(lambda n: f"Cittadina {n}.")
    password = factory.django.Password(PASSWORD)
    email_address = factory.RelatedFactory(
        EmailAddressFactory,
        factory_related_name="user",
        email=factory.SelfAttribute("..email"),
        verified=factory.SelfAttribute("..verified"),
    )


# The authenticator app's secret (base32) for every user the factories give two-factor to.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret=TOTP_SECRET, offset=0):
    """The code an authenticator app shows now for ``secret`` (``offset``: that many periods later).

    Within the last 3 seconds of a period it waits for the next one, as a person would: allauth accepts
    only the current period's code (no tolerance), and a code typed as its period ends would be refused
    by the time the request arrives (a browser test failed that way once in many runs)."""
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < 3:
        time.sleep(left + 0.05)
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + offset
    return format_hotp_value(hotp_value(secret, counter))


def activate_two_factor(user, secret=TOTP_SECRET):
    """Two-factor on, as allauth's activation page leaves it: an authenticator app and recovery codes."""
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return user


def two_factor(obj, create, extracted, **kwargs):
    """Post-generation for staff who must use two-factor (accounts/mfa.py): on unless ``two_factor=False``."""
    if create and extracted is not False:
        activate_two_factor(obj)


class AdminFactory(UserFactory):
    """A superuser (Wagtail admin, everything allowed) with two-factor on (``two_factor=False``: not set up yet)."""

    username = factory.Sequence(lambda n: f"admin{n}")
    display_name = "Redazione Torino Partecipa"
    is_staff = True
    is_superuser = True
    two_factor = factory.PostGeneration(two_factor)


def group(name):
    """The staff role ``name`` (Editors, Moderators, Results), as the roles data migration defines it on every
    database; defined again if a transactional test flushed the database."""
    if not Group.objects.filter(name=name).exists():
        import_module("accounts.migrations.0003_roles").define_roles(django_apps, None)
    return Group.objects.get(name=name)


def in_group(name):
    """A post-generation step putting the new user in the staff group ``name``."""

    def add(obj, create, extracted, **kwargs):
        if create:
            obj.groups.add(group(name))

    return factory.PostGeneration(add)


class EditorFactory(UserFactory):
    username = factory.Sequence(lambda n: f"redattore{n}")
    groups = in_group("Editors")


class ModeratorFactory(UserFactory):
    """A Moderator with two-factor on (``two_factor=False``: not set up yet)."""

    username = factory.Sequence(lambda n: f"moderatrice{n}")
    two_factor = factory.PostGeneration(two_factor)
    groups = in_group("Moderators")


class ResultsFactory(UserFactory):
    """A member of Results with two-factor on (``two_factor=False``: not set up yet)."""

    username = factory.Sequence(lambda n: f"risultati{n}")
    two_factor = factory.PostGeneration(two_factor)
    groups = in_group("Results")


# --- pages ------------------------------------------------------------------------------------


def site_root():
    """The tree's root, emptied: Wagtail's "Welcome to your new Wagtail site!" page (or an earlier tree) goes."""
    root = Page.get_first_root_node()
    if root is None:  # a transactional test flushed the database
        root = Page.add_root(instance=Page(title="Root", locale=locale("it")))
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    for page in root.get_children():
        Site.objects.filter(root_page=page).delete()
        page.delete()
    return root


class LocalizedPageFactory(wagtail_factories.PageFactory):
    """A page in a locale (Italian unless ``locale=`` says otherwise); ``revision=True`` adds a published revision."""

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    locale = factory.LazyFunction(locale)

    @factory.post_generation
    def revision(obj, create, extracted, **kwargs):
        # wagtail-factories saves the page live with no revision, which is what most tests need; the
        # admin and wagtail-localize cope with that. ``revision=True`` gives it a published revision.
        if create and extracted:
            obj.save_revision().publish()


class HomePageFactory(LocalizedPageFactory):
    class Meta:
        model = HomePage

    title = "Torino Partecipa"
    slug = factory.LazyAttribute(lambda obj: obj.locale.language_code)
    hero_title = "Decidiamo insieme la città"
    intro = "Partecipa alle scelte della Città di Torino."


class StandardPageFactory(LocalizedPageFactory):
    class Meta:
        model = StandardPage

    title = factory.Sequence(lambda n: f"Pagina {n}")
    intro = "Informazioni."


class ConsultationIndexPageFactory(LocalizedPageFactory):
    class Meta:
        model = ConsultationIndexPage

    title = "Partecipa"
    intro = "I processi partecipativi della Città di Torino."
    show_in_menus = True


def phase(name, start, end, is_results=False, description=""):
    """A phase spec for ``ConsultationPageFactory(phases=[...])``: start and end in days from today (or dates)."""
    return {"name": name, "start": start, "end": end, "is_results": is_results, "description": description}


class ConsultationPhaseFactory(DjangoModelFactory):
    """A phase of a process; ``start``/``end`` may be dates or days from today (Europe/Rome)."""

    class Meta:
        model = ConsultationPhase

    page = None
    locale = factory.LazyAttribute(lambda obj: obj.page.locale)
    name = factory.Sequence(lambda n: f"Fase {n}")
    start = -10
    end = 20
    is_results = False
    sort_order = factory.LazyAttribute(lambda obj: obj.page.phases.count())

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        today = timezone.localdate()
        for name in ("start", "end"):
            if isinstance(kwargs[name], int):
                kwargs[name] = today + timedelta(days=kwargs[name])
        return super()._create(model_class, *args, **kwargs)


def topic(name, code="it"):
    """The vocabulary's topic named ``name`` (Italian) in ``code``: the migration's rows, reloaded after a flush."""
    italian = Topic.objects.filter(locale__language_code="it", name=name).first()
    if italian is None:
        ensure_vocabulary()
        italian = Topic.objects.get(locale__language_code="it", name=name)
    if code == "it":
        return italian
    return Topic.objects.get(translation_key=italian.translation_key, locale__language_code=code)


class ConsultationPageFactory(LocalizedPageFactory):
    """A process open now (one phase from 10 days ago to 20 days ahead) unless ``phases=[phase(...), ...]``."""

    class Meta:
        model = ConsultationPage

    title = factory.Sequence(lambda n: f"Processo {n}")
    summary = factory.LazyAttribute(lambda obj: f"{obj.title}: partecipa anche tu.")
    organiser = "Città di Torino"
    contact_email = "partecipa@comune.torino.it"

    @factory.post_generation
    def phases(obj, create, extracted, **kwargs):
        if not create:
            return
        specs = [phase("Raccolta di idee", -10, 20)] if extracted is None else extracted
        for order, spec in enumerate(specs):
            ConsultationPhaseFactory(page=obj, sort_order=order, **spec)

    @factory.post_generation
    def topics(obj, create, extracted, **kwargs):
        """Italian names from the topics vocabulary (consultations/topics.py)."""
        if create and extracted:
            obj.topics.set([topic(name) for name in extracted])
            obj.save()


DEFAULT_OPTIONS = ["Prato libero", "Orti condivisi", "Piazza coperta"]


def phase_holding(process, opens_at, closes_at):
    """The first non-results phase of ``process`` whose whole days hold [opens_at, closes_at], else None."""
    for candidate in getattr(process, "phases", ConsultationPhase.objects.none()).all():
        lower, upper = phase_bounds(candidate.start, candidate.end)
        if not candidate.is_results and lower <= opens_at and closes_at <= upper:
            return candidate
    return None


def join_phase(page, chosen=None):
    """A participation page with a window belongs to ``chosen``, else to the phase of its process that holds
    its window (none: left without one). For the factories' ``phase`` post-generation."""
    if page.phase_key:
        return
    chosen = chosen or phase_holding(page.get_parent().specific, page.opens_at, page.closes_at)
    if chosen is not None:
        page.phase_key = chosen.translation_key
        type(page).objects.filter(pk=page.pk).update(phase_key=page.phase_key)


class PollPageFactory(LocalizedPageFactory):
    """A poll open now (opened a day ago, closes in 30 days) with three options, results after voting.

    ``options=["A", "B"]`` sets the labels; ``opens_at``/``closes_at`` the window; the poll belongs to the
    phase of its process holding that window (``phase=`` to choose one). The one place polls are built
    for tests.
    """

    class Meta:
        model = PollPage

    class Params:
        closed = factory.Trait(
            opens_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=10)),
            closes_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1)),
        )
        upcoming = factory.Trait(
            opens_at=factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1)),
            closes_at=factory.LazyFunction(lambda: timezone.now() + timedelta(days=10)),
        )

    title = factory.Sequence(lambda n: f"Sondaggio {n}")
    intro = "Scegli la disposizione che preferisci."
    question = "Quale disposizione preferisci?"
    max_choices = 1
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))
    results_visibility = PollPage.RESULTS_AFTER_VOTE

    @factory.post_generation
    def options(obj, create, extracted, **kwargs):
        if not create:
            return
        for order, label in enumerate(DEFAULT_OPTIONS if extracted is None else extracted):
            PollOption.objects.create(page=obj, locale_id=obj.locale_id, sort_order=order, label=label)

    @factory.post_generation
    def phase(obj, create, extracted, **kwargs):
        """The poll belongs to the phase of its process that holds its window (``phase=`` a phase to choose)."""
        if create:
            join_phase(obj, extracted)


# A park-sized area (lon/lat pairs, as GeoJSON writes them): a box 7.6600–7.6760 E, 45.0850–45.0950 N whose
# east side has a notch (concave) reaching in to (7.6700, 45.0900): (45.0900, 7.6740) lies in the notch, outside.
PARK_AREA = {
    "type": "Polygon",
    "coordinates": [
        [
            [7.6600, 45.0850],
            [7.6760, 45.0850],
            [7.6760, 45.0890],
            [7.6700, 45.0900],
            [7.6760, 45.0910],
            [7.6760, 45.0950],
            [7.6600, 45.0950],
            [7.6600, 45.0850],
        ]
    ],
}
DEFAULT_CATEGORIES = ["Verde", "Gioco", "Sport"]
DEFAULT_PLACES = [("Ingresso via Livorno", 45.0860, 7.6740), ("Pilastri dello Strippaggio", 45.0900, 7.6650)]


class IdeaMapPageFactory(LocalizedPageFactory):
    """An idea map open now (opened a day ago, closes in 30 days) over PARK_AREA, with three categories and
    two named places. ``categories=[...]``/``places=[(name, lat, lng)]`` set them."""

    class Meta:
        model = IdeaMapPage

    class Params:
        closed = factory.Trait(
            opens_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=10)),
            closes_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1)),
        )

    title = factory.Sequence(lambda n: f"Idee {n}")
    slug = factory.Sequence(lambda n: f"idee-{n}")
    intro = "Metti la tua idea sulla mappa."
    location = "SRID=4326;POINT(7.6650 45.0880)"
    zoom = 16
    area = factory.LazyFunction(lambda: json.dumps(PARK_AREA))
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))

    @factory.post_generation
    def categories(obj, create, extracted, **kwargs):
        if not create:
            return
        colours = ["green", "orange", "blue", "purple", "grey"]
        for order, name in enumerate(DEFAULT_CATEGORIES if extracted is None else extracted):
            IdeaCategory.objects.create(
                page=obj, locale_id=obj.locale_id, sort_order=order, name=name, colour=colours[order % 5]
            )

    @factory.post_generation
    def places(obj, create, extracted, **kwargs):
        if not create:
            return
        for order, (name, lat, lng) in enumerate(DEFAULT_PLACES if extracted is None else extracted):
            IdeaPlace.objects.create(
                page=obj, locale_id=obj.locale_id, sort_order=order, name=name, latitude=lat, longitude=lng
            )

    @factory.post_generation
    def phase(obj, create, extracted, **kwargs):
        if create:
            join_phase(obj, extracted)


# --- participatory budgets --------------------------------------------------------------------


def project_category(name, english=None):
    """A budget project category in Italian, with its English translation when ``english`` is given."""
    category = ProjectCategory.objects.create(name=name, locale=locale("it"))
    if english:
        copy = category.copy_for_translation(locale("en"))
        copy.name = english
        copy.save()
    return category


def district(number, name=None):
    """A Circoscrizione in Italian and English (same name)."""
    found = District.objects.filter(number=number, locale=locale("it")).first()
    if found:
        return found
    made = District.objects.create(number=number, name=name or f"Circoscrizione {number}", locale=locale("it"))
    copy = made.copy_for_translation(locale("en"))
    copy.save()
    return made


def in_language(snippet, code):
    """The ``code`` translation of a translatable snippet (or the snippet itself)."""
    return snippet.get_translation_or_none(locale(code)) or snippet


class BudgetPageFactory(LocalizedPageFactory):
    """A budget open now (opened a day ago, closes in 30 days): €300,000, within the budget, no other limit.

    The one place budgets are built for tests; pass the rule fields to change the rules."""

    class Meta:
        model = BudgetPage

    class Params:
        closed = factory.Trait(
            opens_at=factory.LazyFunction(lambda: timezone.now() - timedelta(days=10)),
            closes_at=factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1)),
        )

    title = factory.Sequence(lambda n: f"Bilancio {n}")
    slug = factory.Sequence(lambda n: f"bilancio-{n}")
    intro = "Scegli i progetti da finanziare."
    total_budget = Decimal("300000.00")
    opens_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    closes_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))

    @factory.post_generation
    def phase(obj, create, extracted, **kwargs):
        if create:
            join_phase(obj, extracted)


class ProjectPageFactory(LocalizedPageFactory):
    class Meta:
        model = ProjectPage

    title = factory.Sequence(lambda n: f"Progetto {n}")
    slug = factory.Sequence(lambda n: f"progetto-{n}")
    code = factory.Sequence(lambda n: f"P{n:03d}")
    organisation = "Associazione Il Cortile"
    summary = "Laboratori nel cortile."
    cost = Decimal("10000.00")
    category = factory.LazyFunction(lambda: ProjectCategory.objects.filter(locale=locale("it")).first())
    district = factory.LazyFunction(lambda: district(6))


def translate_project(project, title=None):
    """The English translation of a budget project, pointing at the English category and district."""
    project = project.specific
    return translate(
        project,
        "en",
        title=title or f"{project.title} (EN)",
        category=in_language(project.category, "en"),
        district=in_language(project.district, "en"),
    )


def build_budget(consultation, projects=(), **rules):
    """A bilingual budget under ``consultation`` ({"it", "en"}) with ``projects``: each a dict of
    ProjectPageFactory fields (cost, category, district...). Returns {"it", "en", "projects": {"it": [...],
    "en": [...]}} re-read from the database."""
    budget_it = BudgetPageFactory(parent=consultation["it"], **rules)
    budget_en = translate(budget_it, "en", title=f"{budget_it.title} (EN)")
    made = {"it": [], "en": []}
    for fields in projects:
        project = ProjectPageFactory(parent=budget_it, **fields)
        made["it"].append(project)
    budget_en = BudgetPage.objects.get(pk=budget_en.pk)
    for project in made["it"]:
        made["en"].append(translate_project(project))
    return {
        "it": BudgetPage.objects.get(pk=budget_it.pk),
        "en": BudgetPage.objects.get(pk=budget_en.pk),
        "projects": {code: [ProjectPage.objects.get(pk=p.pk) for p in pages] for code, pages in made.items()},
    }


class IdeaFactory(DjangoModelFactory):
    """An idea on ``page`` (an IdeaMapPage, any translation) by a new citizen, in its first category."""

    class Meta:
        model = Idea
        exclude = ["page"]

    page = None
    group = factory.LazyAttribute(lambda o: o.page.ensure_group())
    user = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Idea {n}")
    description = "Più alberi e panchine all'ombra."
    category_key = factory.LazyAttribute(lambda o: o.page.categories.order_by("sort_order").first().translation_key)
    latitude = 45.0880
    longitude = 7.6650
    language = "it"


# --- neighbourhood reports --------------------------------------------------------------------------

PIAZZA_CASTELLO = (45.0711, 7.6857)


def report_office(name="Servizio Manutenzione Strade", email="strade@example.org", name_en="Roads maintenance"):
    office, _ = ReportOffice.objects.get_or_create(name=name, defaults={"email": email, "name_en": name_en})
    return office


def report_category(name="Buche", english="Potholes", service_code=None, office=None, questions=(), order=0):
    """A report category in Italian and English; ``questions``: [(label, kind, choices, required)], the
    same labels in both languages (the English copy keeps the block ids: the questions' codes)."""
    office = office or report_office()
    stream = [
        {"type": "question", "value": {"label": label, "kind": kind, "choices": "\n".join(choices), "required": req}}
        for label, kind, choices, req in questions
    ]
    category = ReportCategory.objects.create(
        name=name,
        locale=locale("it"),
        service_code=service_code or name.lower().replace(" ", "-"),
        office=office,
        sort_order=order,
        questions=stream,
    )
    copy = category.copy_for_translation(locale("en"))
    copy.name = english or name
    copy.save()
    return ReportCategory.objects.get(pk=category.pk)


class ReportingPageFactory(LocalizedPageFactory):
    """A reporting page with Turin's boundary (the default), centred on Piazza Castello."""

    class Meta:
        model = ReportingPage

    title = factory.Sequence(lambda n: f"Segnalazioni {n}")
    slug = factory.Sequence(lambda n: f"segnalazioni-{n}")
    intro = "Segnala un problema nel tuo quartiere."
    location = "SRID=4326;POINT(7.6857 45.0711)"
    zoom = 13


class ReportFactory(DjangoModelFactory):
    """A report on ``page`` (a ReportingPage) in ``category`` (default: the first category), by a new
    citizen, at Piazza Castello, with its reference."""

    class Meta:
        model = Report
        exclude = ["page", "category"]

    page = None
    category = factory.LazyFunction(lambda: ReportCategory.objects.order_by("sort_order", "pk").first())
    group = factory.LazyAttribute(lambda o: o.page.ensure_group())
    user = factory.SubFactory(UserFactory)
    category_key = factory.LazyAttribute(lambda o: o.category.translation_key)
    office = factory.LazyAttribute(lambda o: o.category.office)
    title = factory.Sequence(lambda n: f"Buca {n}")
    description = "Una buca profonda in mezzo alla carreggiata."
    latitude = PIAZZA_CASTELLO[0]
    longitude = PIAZZA_CASTELLO[1]
    district = 1
    language = "it"

    @factory.post_generation
    def numbered(obj, create, extracted, **kwargs):
        if create and not obj.reference:
            from participation.reports import reference_for

            obj.reference = reference_for(obj)
            obj.save(update_fields=["reference"])


# --- translations -----------------------------------------------------------------------------

# Inline children whose labels a translation may override, in their editors' order.
CHILD_TEXT = {
    "options": ("options", "sort_order", "label"),
    "phases": ("phases", "sort_order", "name"),
    "categories": ("categories", "sort_order", "name"),
    "places": ("places", "sort_order", "name"),
}


def translate(page, code="en", *, options=None, phases=None, categories=None, places=None, publish=True, **fields):
    """The ``code`` translation of ``page``: wagtail-localize's way (``copy_for_translation``), so it shares
    ``translation_key`` with ``page`` and its translatable children (poll options, phases) share theirs.

    ``fields`` override copied values (title, slug, intro…); ``options``/``phases`` are the translated
    option labels / phase names in order (a process's topics are the same in every language). Live unless
    ``publish=False``. The parent must be translated.
    """
    page = page.specific
    copy = page.copy_for_translation(locale(code)).specific
    for name, value in fields.items():
        setattr(copy, name, value)
    copy.save()
    for key, labels in (("options", options), ("phases", phases), ("categories", categories), ("places", places)):
        if labels is None:
            continue
        relation, order, text = CHILD_TEXT[key]
        for child, label in zip(getattr(copy, relation).order_by(order), labels, strict=True):
            setattr(child, text, label)
            child.save(update_fields=[text])
    if publish:
        copy.save_revision().publish()
    return copy.__class__.objects.get(pk=copy.pk)


def translated_pair(page, **english):
    """{"it": page, "en": its English translation}."""
    return {"it": page, "en": translate(page, "en", **english)}


# --- the site ---------------------------------------------------------------------------------


def build_site():
    """Both home pages under the root, the Italian one the default Site's root. Returns {"it": …, "en": …}."""
    locales()
    root = site_root()
    home_it = HomePageFactory(parent=root, locale=locale("it"), slug="it")
    home_en = translate(
        home_it,
        "en",
        slug="en",
        title="Torino Partecipa",
        hero_title="Let's decide on the city together",
        intro="Take part in the City of Turin's decisions.",
    )
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(
            hostname="localhost", port=80, root_page=home_it, is_default_site=True, site_name="Torino Partecipa"
        )
    else:
        site.root_page, site.site_name = home_it, settings.WAGTAIL_SITE_NAME
        site.save()
    return {"it": home_it, "en": home_en}


def build_tree(poll=True):
    """The smallest bilingual tree with every page type participation needs.

    {"home", "index", "consultation", "poll"}: each {"it": page, "en": page}, English pages being
    translations (same ``translation_key``). The process is open now (one phase); the poll is open now.
    """
    home = build_site()
    index = translated_pair(
        ConsultationIndexPageFactory(parent=home["it"], slug="partecipa"), title="Take part", slug="take-part"
    )
    consultation = translated_pair(
        ConsultationPageFactory(
            parent=index["it"],
            title="Parco Dora: co-progettiamo l'area",
            slug="parco-dora",
            summary="Idee per il parco.",
            phases=[phase("Raccolta di idee", -10, 40)],
        ),
        title="Parco Dora: let's design the area together",
        summary="Ideas for the park.",
        phases=["Ideas"],
    )
    tree = {"home": home, "index": index, "consultation": consultation}
    if poll:
        tree["poll"] = translated_pair(
            PollPageFactory(parent=consultation["it"], title="Disposizione del parco", slug="disposizione"),
            title="Park layout",
            question="Which layout do you prefer?",
            options=["Open meadow", "Shared gardens", "Covered square"],
        )
    # Re-read: parents held in memory have stale tree counters (numchild) once children were added.
    return {
        kind: {code: page.specific_class.objects.get(pk=page.pk) for code, page in pair.items()}
        for kind, pair in tree.items()
    }


# Footer pages Italian public sites must link: role -> (Italian title, slug), (English title, slug).
FOOTER_PAGES = {
    "privacy": (("Informativa sulla privacy", "privacy"), ("Privacy notice", "privacy")),
    "legal": (("Note legali", "note-legali"), ("Legal notes", "legal-notes")),
    "accessibility": (
        ("Dichiarazione di accessibilità", "accessibilita"),
        ("Accessibility statement", "accessibility"),
    ),
}


def build_site_links(home, report_page=None):
    """The footer's standard pages in both languages and the SiteLinks setting pointing at the Italian ones.

    ``home`` is {"it": …, "en": …}; returns {role: {"it": page, "en": page}}.
    """
    pages = {}
    for role, ((it_title, it_slug), (en_title, en_slug)) in FOOTER_PAGES.items():
        italian = StandardPageFactory(parent=home["it"], title=it_title, slug=it_slug)
        pages[role] = {"it": italian, "en": translate(italian, title=en_title, slug=en_slug)}
    SiteLinks.objects.update_or_create(
        site=Site.objects.get(root_page=home["it"]),
        defaults={
            "privacy_page": pages["privacy"]["it"],
            "legal_page": pages["legal"]["it"],
            "accessibility_page": pages["accessibility"]["it"],
            "report_page": report_page,
            "contact_email": "partecipa@comune.torino.it",
        },
    )
    return pages


def feature(home, pages):
    """Put ``pages`` (each {"it": …, "en": …}) on both home pages, in this order."""
    for code, home_page in home.items():
        for order, pair in enumerate(pages):
            HomePageFeaturedPage.objects.create(home_page=home_page, page=pair[code], sort_order=order)


# --- comments ---------------------------------------------------------------------------------


class CommentFactory(factory.Factory):
    """A citizen's comment posted the way the site posts it (``post_comment``: canonical page, threading).

    ``CommentFactory(page=…, user=…, text=…, parent=comment, language="en")``. The page's thread must be open.
    """

    class Meta:
        model = ParticipationComment

    page = None
    user = factory.SubFactory(UserFactory)
    text = factory.Sequence(lambda n: f"Commento {n}")
    parent = None
    language = factory.LazyAttribute(lambda obj: obj.page.locale.language_code)

    @classmethod
    def _create(cls, model_class, page, user, text, parent, language):
        with translation.override(language):
            comment = post_comment(
                page=page, user=user, text=text, parent_id=parent.pk if parent else None, notify=False
            )
        ratelimit.reset("comment", user=user)  # comments made here do not count against the citizen
        return comment

    _build = _create


def open_thread(page):
    """Open a page's comment thread by hand (for pages outside an open process)."""
    from participation.core.groups import ensure_group

    group = ensure_group(page)
    return CommentThread.objects.update_or_create(group=group, defaults={"page": page, "state": CommentThread.OPEN})[0]


# --- admin forms ------------------------------------------------------------------------------


def new_poll_form(phase_obj, opens_at, closes_at, labels=("Mattina", "Sera")):
    """The admin's POST data for a new poll "Quale orario?" in ``phase_obj`` (None: no phase chosen).

    ``opens_at``/``closes_at`` are datetimes (Europe/Rome). Add ``"action-publish"`` to publish.
    """
    data = {
        "title": "Quale orario?",
        "slug": "quale-orario",
        "intro": "",
        "question": "Quale orario preferisci?",
        "phase_key": str(phase_obj.translation_key) if phase_obj else "",
        "opens_at": f"{timezone.localtime(opens_at):%Y-%m-%d %H:%M}",
        "closes_at": f"{timezone.localtime(closes_at):%Y-%m-%d %H:%M}",
        "max_choices": "1",
        "results_visibility": "always",
        "options-TOTAL_FORMS": str(len(labels)),
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "2",
        "options-MAX_NUM_FORMS": "10",
    }
    for index, label in enumerate(labels):
        data.update(
            {
                f"options-{index}-label": label,
                f"options-{index}-description": "",
                f"options-{index}-image": "",
                f"options-{index}-ORDER": str(index + 1),
                f"options-{index}-DELETE": "",
                f"options-{index}-id": "",
            }
        )
    return data
