"""The demo's collaboration pact: "the pillars area" of Parco Dora, co-managed after the process co-designed it.

Under the Parco Dora process (the one with the idea map), in Italian and English (one translation group), over
the idea map's area: active from the day seed_demo first runs, for two years; two fictional signatory
associations; a coordinators group; eight activities over the coming two months (some with sign-ups by demo
voters, one full with a waiting list), two already held with their reports and photos, and a proposal of each
kind. Activities are written in Italian (``language="it"``: the English page marks them so).

Idempotent: looked up first, created only when missing; a later run leaves the dates as they were.
"""

import json
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from consultations.models import ConsultationPage

from .demo import IDEAS, demo_voters
from .models import (
    Activity,
    ActivityPhoto,
    ActivityProposal,
    ActivityReport,
    ActivitySignup,
    PactPage,
    PactSignatory,
    PactStatus,
)

COORDINATORS = "Coordinatori – Patto area dei pilastri"
SIGNATORIES = [
    ("Associazione Amici del Parco Dora", "Friends of Parco Dora Association"),
    ("Comitato Spina 3", "Spina 3 Committee"),
]
PAGE = {
    "it": {
        "title": "Patto di collaborazione: l'area dei pilastri",
        "slug": "patto-area-pilastri",
        "intro": "Cittadini, associazioni e Città si prendono cura insieme dell'area dei pilastri dello Strippaggio.",
        "purpose": "<p>Curare il verde, tenere pulita l'area e animarla con attività aperte a tutti, come deciso "
        "insieme durante la co-progettazione del parco.</p>",
        "contact": "Ufficio Beni comuni, benicomuni@comune.torino.it",
        "commitments": [
            ("city", "<p>Fornisce attrezzi, sacchi e la raccolta dei rifiuti; cura la manutenzione straordinaria.</p>"),
            ("signatories", "<p>Coordinano le attività, tengono il calendario e ne rendono conto ogni anno.</p>"),
            ("volunteers", "<p>Partecipano alle attività iscrivendosi, nel rispetto delle regole di sicurezza.</p>"),
        ],
    },
    "en": {
        "title": "Collaboration pact: the pillars area",
        "slug": "pact-pillars-area",
        "intro": "Citizens, associations and the City look after the Strippaggio pillars area together.",
        "purpose": "<p>Caring for the greenery, keeping the area clean and bringing it to life with activities open "
        "to all, as decided together while co-designing the park.</p>",
        "contact": "Commons Office, benicomuni@comune.torino.it",
        "commitments": [
            ("city", "<p>Provides tools, bags and waste collection; takes care of major maintenance.</p>"),
            ("signatories", "<p>Coordinate the activities, keep the calendar and report on them every year.</p>"),
            ("volunteers", "<p>Take part in the activities by signing up, following the safety rules.</p>"),
        ],
    },
}
# (days from today, start hour, hours long, title, description, place, capacity, confirmed, waiting)
ACTIVITIES = [
    (
        -14,
        9,
        3,
        "Cura delle aiuole",
        "Diserbo e pacciamatura delle aiuole tra i pilastri.",
        "Aiuole dei pilastri",
        None,
        0,
        0,
    ),
    (
        -7,
        10,
        2,
        "Pulizia del prato",
        "Raccolta dei rifiuti sul prato e lungo la Dora.",
        "Prato dei pilastri",
        None,
        0,
        0,
    ),
    (4, 9, 3, "Cura dell'orto condiviso", "Semina e irrigazione nell'orto condiviso.", "Orto condiviso", 12, 5, 0),
    (
        9,
        10,
        2,
        "Pulizia della passeggiata lungo la Dora",
        "Raccolta dei rifiuti lungo la riva.",
        "Passeggiata lungo la Dora",
        None,
        3,
        0,
    ),
    (
        15,
        15,
        2,
        "Laboratorio per bambini: costruiamo casette per uccelli",
        "Un pomeriggio per bambini dai 6 ai 10 anni, con un adulto.",
        "Prato dei pilastri",
        6,
        6,
        3,
    ),
    (21, 9, 3, "Cura delle aiuole", "Potatura leggera e nuove piantine.", "Aiuole dei pilastri", 15, 2, 0),
    (
        28,
        21,
        2,
        "Cinema sotto le stelle",
        "Proiezione all'aperto di un film per tutti: portate una coperta.",
        "Prato dei pilastri",
        None,
        4,
        0,
    ),
    (
        36,
        10,
        2,
        "Pulizia straordinaria dopo il cinema",
        "Pulizia del prato e dei vialetti.",
        "Prato dei pilastri",
        None,
        0,
        0,
    ),
    (
        45,
        9,
        3,
        "Cura dell'orto condiviso",
        "Raccolto e preparazione delle aiuole per la nuova stagione.",
        "Orto condiviso",
        12,
        1,
        0,
    ),
    (
        55,
        17,
        2,
        "Passeggiata botanica",
        "Alla scoperta delle piante del parco con una guida.",
        "Ingresso di via Livorno",
        25,
        0,
        0,
    ),
]
REPORTS = {
    0: (
        "Abbiamo liberato sei aiuole dalle erbacce e sparso la pacciamatura.",
        9,
        Decimal("27"),
        "parco-dora.jpg",
        "Volontari al lavoro nelle aiuole tra i pilastri",
    ),
    1: (
        "Raccolti quindici sacchi di rifiuti, di cui cinque di plastica.",
        12,
        Decimal("24"),
        "torino.jpg",
        "Sacchi di rifiuti raccolti sul prato",
    ),
}


def ensure_pact(consultation, idea_map, images):
    """The pact page under ``consultation`` ({"it", "en"}) over ``idea_map``'s area, its activities and
    reports. Returns (pages, created)."""
    group = ensure_coordinators()
    pages, created, keys = {}, 0, {}
    today = timezone.localdate()
    for code in ("it", "en"):
        parent = ConsultationPage.objects.get(pk=consultation[code].pk)
        data = PAGE[code]
        page = PactPage.objects.child_of(parent).filter(slug=data["slug"]).first()
        if page is None:
            italian = pages.get("it")
            page = PactPage(
                locale=parent.locale,
                title=data["title"],
                slug=data["slug"],
                intro=data["intro"],
                purpose=data["purpose"],
                commitments=json.dumps(
                    [
                        {"type": "commitment", "value": {"party": party, "text": text}}
                        for party, text in data["commitments"]
                    ]
                ),
                area=idea_map["it"].area if idea_map else json.dumps(IDEAS["page"]["area"]),
                starts_on=italian.starts_on if italian else today,
                ends_on=italian.ends_on if italian else today.replace(year=today.year + 2) - timedelta(days=1),
                status=PactStatus.ACTIVE,
                contact=data["contact"],
                coordinators=group,
            )
            if italian:
                page.translation_key = italian.translation_key
            for order, names in enumerate(SIGNATORIES):
                row = PactSignatory(locale=parent.locale, sort_order=order, name=names[0 if code == "it" else 1])
                if code in keys:
                    row.translation_key = keys[code][order]
                elif "it" in keys:
                    row.translation_key = keys["it"][order]
                page.signatories.add(row)
            parent.add_child(instance=page)
            page.save_revision().publish()
            created += 1
        keys[code] = [row.translation_key for row in page.signatories.order_by("sort_order")]
        pages[code] = page
    created += ensure_activities(pages["it"], images)
    return pages, created


def ensure_coordinators():
    """The pact's coordinators group: they reach the admin (to answer proposals and write reports), nothing more."""
    group, _made = Group.objects.get_or_create(name=COORDINATORS)
    access = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin").first()
    if access is not None:
        group.permissions.add(access)
    return group


def _at(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


def ensure_activities(page, images):
    """The activities, their sign-ups, the two reports and three proposals, once."""
    if Activity.objects.filter(group=page.translation_key).exists():
        return 0
    group = page.ensure_group()
    today = timezone.localdate()
    voters = demo_voters(12)
    created = 0
    for number, (days, hour, length, title, text, place, capacity, confirmed, waiting) in enumerate(ACTIVITIES):
        starts = _at(today + timedelta(days=days), hour)
        activity = Activity.objects.create(
            group=group,
            title=title,
            description=text,
            language="it",
            place_name=place,
            starts_at=starts,
            ends_at=starts + timedelta(hours=length),
            capacity=capacity,
            what_to_bring="Guanti e scarpe comode." if "Cura" in title or "Pulizia" in title else "",
        )
        created += 1
        for index, voter in enumerate(voters[: confirmed + waiting]):
            ActivitySignup.objects.create(
                activity=activity,
                user=voter,
                status=ActivitySignup.CONFIRMED if index < confirmed else ActivitySignup.WAITING,
                signed_up_at=timezone.now() - timedelta(hours=confirmed + waiting - index),
            )
        if number in REPORTS:
            summary, people, hours, photo, alt = REPORTS[number]
            report = ActivityReport.objects.create(activity=activity, text=summary, participants=people, hours=hours)
            if images.get(photo) is not None:
                ActivityPhoto.objects.create(report=report, image=images[photo], alt_text=alt, sort_order=0)
    created += ensure_proposals(group, voters, today)
    return created


def ensure_proposals(group, voters, today):
    """A proposal waiting, one accepted (it became the children's workshop) and one declined with its reason."""
    workshop = Activity.objects.filter(group=group, title__startswith="Laboratorio").first()
    rows = [
        dict(
            title="Yoga al mattino sul prato",
            description="Una lezione di yoga gratuita la domenica mattina.",
            language="it",
            proposed_date=today + timedelta(days=20),
            place_name="Prato dei pilastri",
        ),
        dict(
            title="Casette per uccelli con i bambini",
            description="Un laboratorio per bambini con materiali di recupero.",
            language="it",
            proposed_date=today + timedelta(days=15),
            place_name="Prato dei pilastri",
            status=ActivityProposal.ACCEPTED,
            activity=workshop,
            decided_at=timezone.now(),
        ),
        dict(
            title="Barbecue sotto i pilastri",
            description="A barbecue for the neighbours on a Saturday evening.",
            language="en",
            proposed_date=today + timedelta(days=30),
            place_name="Pillars' lawn",
            status=ActivityProposal.DECLINED,
            decided_at=timezone.now(),
            reason="Il regolamento del parco non permette fuochi né barbecue. Proponete una merenda condivisa!",
        ),
    ]
    for number, row in enumerate(rows):
        ActivityProposal.objects.create(group=group, user=voters[number], **row)
    return len(rows)
