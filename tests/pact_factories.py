"""Collaboration pacts for tests: a bilingual pact page under a process, activities, verified residents.

Kept beside tests/factories.py (which builds the rest of the tree) so that the pacts' builders stay in one place.
"""

import json
from datetime import date, timedelta

import factory
from django.contrib.auth.models import Group
from django.utils import timezone
from factory.django import DjangoModelFactory

from accounts.residents import check_character, identity_hash, verify
from participation.models.pacts import Activity, PactPage, PactSignatory
from tests.factories import PARK_AREA, LocalizedPageFactory, translate

COMMITMENTS = json.dumps(
    [
        {"type": "commitment", "value": {"party": "city", "text": "<p>Fornire attrezzi e acqua.</p>"}},
        {"type": "commitment", "value": {"party": "signatories", "text": "<p>Coordinare i turni.</p>"}},
        {"type": "commitment", "value": {"party": "volunteers", "text": "<p>Curare le aiuole.</p>"}},
    ]
)


class PactPageFactory(LocalizedPageFactory):
    """An active pact over PARK_AREA (a year from last month), with one signatory."""

    class Meta:
        model = PactPage

    title = factory.Sequence(lambda n: f"Patto {n}")
    slug = factory.Sequence(lambda n: f"patto-{n}")
    intro = "Curiamo insieme il parco."
    purpose = "<p>La cura condivisa delle aiuole del parco.</p>"
    commitments = COMMITMENTS
    area = factory.LazyFunction(lambda: json.dumps(PARK_AREA))
    starts_on = factory.LazyFunction(lambda: date.today() - timedelta(days=30))
    ends_on = factory.LazyFunction(lambda: date.today() + timedelta(days=335))
    status = "active"
    contact = "patti@comune.torino.it"

    @factory.post_generation
    def signatories(obj, create, extracted, **kwargs):
        if not create:
            return
        for order, name in enumerate(["Comitato Parco Dora"] if extracted is None else extracted):
            PactSignatory.objects.create(
                page=obj, locale_id=obj.locale_id, sort_order=order, name=name, url="https://example.org/"
            )


def build_pact(consultation, coordinators=None, **fields):
    """{"it": pact, "en": its translation} under ``consultation`` ({"it", "en"} process pages)."""
    page = PactPageFactory(parent=consultation["it"], coordinators=coordinators, **fields)
    page.ensure_group()
    english = translate(page, "en", title=f"{page.title} (EN)", slug=f"{page.slug}-en", intro="Caring for the park.")
    return {"it": PactPage.objects.get(pk=page.pk), "en": english}


def coordinators_group(name):
    return Group.objects.get_or_create(name=name)[0]


class ActivityFactory(DjangoModelFactory):
    """An activity of ``group`` (a pact's translation key) tomorrow at 10:00-12:00, 5 places."""

    class Meta:
        model = Activity

    title = factory.Sequence(lambda n: f"Cura delle aiuole {n}")
    description = "Puliamo e piantiamo."
    language = "it"
    place_name = "Prato dei pilastri"
    latitude = 45.0880
    longitude = 7.6650
    starts_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=2))
    ends_at = factory.LazyAttribute(lambda obj: obj.starts_at + timedelta(hours=2))
    capacity = 5
    what_to_bring = "Guanti"


_resident_numbers = iter(range(1, 100))


def make_resident(user):
    """Verify ``user`` as a resident (each their own codice fiscale)."""
    first15 = f"BNCLRA85B41L2{next(_resident_numbers):02d}"
    verify(user, identity=identity_hash(first15 + check_character(first15)), method="desk")
    user.__dict__.pop("_resident_verification", None)
    return user
