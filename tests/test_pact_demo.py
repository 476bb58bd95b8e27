"""seed_demo's collaboration pact: under Parco Dora in both languages, its signatories and coordinators, eight
activities to come (one full with a waiting list), two held with reports and photos; a second run adds nothing."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from participation.models import Activity, ActivityReport, ActivitySignup, IdeaMapPage, PactPage, PactStatus
from participation.pact_demo import COORDINATORS

pytestmark = pytest.mark.django_db


def test_seed_demo_makes_the_pillars_pact(seeded):
    pages = {page.locale.language_code: page for page in PactPage.objects.select_related("locale")}
    assert pages["it"].title == "Patto di collaborazione: l'area dei pilastri"
    assert pages["en"].title == "Collaboration pact: the pillars area"
    assert pages["it"].translation_key == pages["en"].translation_key
    idea_map = IdeaMapPage.objects.filter(locale__language_code="it").first()
    assert pages["it"].get_parent().pk == idea_map.get_parent().pk and pages["it"].area == idea_map.area
    assert pages["it"].status == PactStatus.ACTIVE and pages["it"].coordinators.name == COORDINATORS
    assert len(pages["it"].commitments) == 3 and len(pages["en"].commitments) == 3
    assert [s.name for s in pages["en"].signatories.order_by("sort_order")][1] == "Spina 3 Committee"
    activities = Activity.objects.filter(group=pages["it"].translation_key)
    now = timezone.now()
    coming = activities.filter(starts_at__gt=now)
    assert coming.count() == 8 and all(a.starts_at <= now + timezone.timedelta(days=62) for a in coming)
    assert activities.filter(ends_at__lt=now).count() == 2
    assert ActivityReport.objects.filter(activity__in=activities).count() == 2
    assert all(report.photos.exists() for report in ActivityReport.objects.filter(activity__in=activities))
    full = [a for a in coming if a.capacity and a.signups.filter(status=ActivitySignup.CONFIRMED).count() == a.capacity]
    assert len(full) == 1 and full[0].signups.filter(status=ActivitySignup.WAITING).exists()


def test_a_second_run_changes_nothing(seeded):
    before = (PactPage.objects.count(), Activity.objects.count(), ActivitySignup.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (PactPage.objects.count(), Activity.objects.count(), ActivitySignup.objects.count()) == before
