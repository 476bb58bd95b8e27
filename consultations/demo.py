"""Demo content of the consultations app for seed_demo: the "Partecipa" index, the four Turin
processes (text in consultations/demo.json) and their details: phases, organiser, contact, topics, area.
Three are open; the fourth (naming the Borgo Vittoria garden) is over, with its results published.

Idempotent: each page and detail is created only when missing, phase dates follow the day the command
runs, and a page gets a new published revision only when something changed, so a second run on the same
day changes nothing and returns 0.
"""

import json
from datetime import date, timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from .models import ConsultationIndexPage, ConsultationPage, ConsultationPhase, Topic
from .topics import ensure_vocabulary

CONTENT = json.loads((Path(__file__).resolve().parent / "demo.json").read_text(encoding="utf-8"))

# The address the demo pages' own text gives ("Per informazioni: partecipa@comune.torino.it").
CONTACT_EMAIL = "partecipa@comune.torino.it"


def ensure_consultation_pages(tree, homes):
    """The index under both home pages and the four processes under it, through home's ``DemoTree``.

    Returns (index {"it": …, "en": …}, [process {"it": …, "en": …}, …]) in demo order
    [Parco Dora, AxTO, reports, garden name].
    """
    index = tree.ensure_translated_children(homes, ConsultationIndexPage, [CONTENT["consultation_index"]])[0]
    consultations = tree.ensure_translated_children(index, ConsultationPage, CONTENT["consultations"])
    return index, consultations


def _phase(it, en, start, end, description_it="", description_en="", is_results=False):
    return {
        "name": {"it": it, "en": en},
        "description": {"it": description_it, "en": description_en},
        "start": start,
        "end": end,
        "is_results": is_results,
    }


def demo_details(today: date) -> list[dict]:
    """What each demo process gets, in seed_demo's order [Parco Dora, AxTO, Segnalazioni, garden name]
    (the same order as "consultations" in demo.json: the two are paired by position).

    Dates are relative to ``today`` so that the site shows Parco Dora's layout choice (with its poll) and
    AxTO's vote as open now, and the garden's name vote as over, its results published (status "results",
    so the page has its Open data section); seeding again on a later day moves them.
    """
    day = timedelta(days=1)
    return [
        {
            "organiser": {
                "it": "Città di Torino – Divisione Urbanistica",
                "en": "City of Turin – Urban Planning Division",
            },
            "contact_email": CONTACT_EMAIL,
            "topics": ["Spazio verde", "Urbanizzazione"],
            "location": "SRID=4326;POINT(7.6695 45.0875)",
            "zoom": 15,
            "phases": [
                _phase(
                    "Informazione",
                    "Information",
                    today - 60 * day,
                    today - 41 * day,
                    "Presentiamo l'area, i vincoli e il budget disponibile.",
                    "We present the area, its constraints and the available budget.",
                ),
                _phase(
                    "Raccolta di idee",
                    "Ideas",
                    today - 40 * day,
                    # Still open beside the layout choice, so the demo's idea map takes new pins.
                    today + 20 * day,
                    "Metti le tue idee sulla mappa del parco e sostieni quelle degli altri.",
                    "Put your ideas on the map of the park and support other people's.",
                ),
                _phase(
                    "Scelta della disposizione",
                    "Choice of layout",
                    today - 3 * day,
                    today + 40 * day,
                    "Scegli tra le disposizioni che il Comune ha preparato a partire dalle idee raccolte.",
                    "Choose between the layouts the City has drawn up from the ideas collected.",
                ),
                _phase(
                    "Risultati",
                    "Results",
                    today + 41 * day,
                    today + 70 * day,
                    "Il Comune pubblica la disposizione scelta e i prossimi passi.",
                    "The City publishes the chosen layout and the next steps.",
                    is_results=True,
                ),
            ],
        },
        {
            "organiser": {
                "it": "Città di Torino – Area Periferie e AxTO",
                "en": "City of Turin – Outer Neighbourhoods and AxTO Department",
            },
            "contact_email": CONTACT_EMAIL,
            "topics": ["Patrimonio culturale", "Associazioni", "Tempo libero"],
            "location": "SRID=4326;POINT(7.6869 45.0703)",
            "zoom": 12,
            "phases": [
                _phase(
                    "Presentazione dei progetti",
                    "Project presentation",
                    today - 30 * day,
                    today - 8 * day,
                    "Le associazioni presentano i loro progetti culturali per le periferie.",
                    "Associations present their cultural projects for the suburbs.",
                ),
                _phase(
                    "Voto",
                    "Vote",
                    today - 7 * day,
                    today + 21 * day,
                    "Scegli i progetti da finanziare entro il budget disponibile.",
                    "Choose the projects to fund within the available budget.",
                ),
                _phase(
                    "Risultati",
                    "Results",
                    today + 22 * day,
                    today + 60 * day,
                    "Pubblichiamo i progetti più votati che il Comune finanzierà.",
                    "We publish the projects with the most votes, which the City will fund.",
                    is_results=True,
                ),
            ],
        },
        {
            "organiser": {
                "it": "Città di Torino – Servizio Decentramento e Circoscrizioni",
                "en": "City of Turin – Decentralisation and District Councils Service",
            },
            "contact_email": CONTACT_EMAIL,
            "topics": ["Urbanizzazione", "Gestione rifiuti"],
            "location": "SRID=4326;POINT(7.6858 45.0705)",
            "zoom": 12,
            "phases": [
                _phase(
                    "Sempre aperto",
                    "Always open",
                    date(today.year - 1, 1, 1),
                    date(today.year + 5, 12, 31),
                    "Puoi segnalare un problema del tuo quartiere in qualsiasi momento.",
                    "You can report a problem in your neighbourhood at any time.",
                ),
            ],
        },
        {
            "organiser": {
                "it": "Città di Torino – Circoscrizione 5",
                "en": "City of Turin – District 5",
            },
            "contact_email": CONTACT_EMAIL,
            "topics": ["Spazio verde", "Urbanizzazione"],
            # Borgo Vittoria, near Piazza Chiesa della Salute.
            "location": "SRID=4326;POINT(7.6752 45.0967)",
            "zoom": 16,
            "phases": [
                _phase(
                    "Informazione",
                    "Information",
                    today - 90 * day,
                    today - 61 * day,
                    "Presentiamo il nuovo giardino e le tre proposte di nome.",
                    "We present the new garden and the three proposed names.",
                ),
                _phase(
                    "Voto",
                    "Vote",
                    today - 60 * day,
                    today - 31 * day,
                    "Scegli il nome del giardino tra le tre proposte.",
                    "Choose the garden's name from the three proposals.",
                ),
                _phase(
                    "Risultati",
                    "Results",
                    today - 30 * day,
                    today + 30 * day,
                    "Pubblichiamo il nome scelto, che passa alla Commissione di toponomastica.",
                    "We publish the chosen name, which goes to the street-naming committee.",
                    is_results=True,
                ),
            ],
        },
    ]


def _ensure_page(page: ConsultationPage, code: str, details: dict, source_phases: list | None) -> tuple[int, list]:
    """Fill in what ``page`` lacks and move its phases to today's dates; publish a revision if anything changed.

    Returns (changes, phases)."""
    changes = 0
    changed_page = False
    for name, value in (
        ("organiser", details["organiser"][code]),
        ("contact_email", details["contact_email"]),
        ("location", details["location"]),
        ("zoom", details["zoom"]),
    ):
        if not getattr(page, name):
            setattr(page, name, value)
            changed_page = True
    if not page.topics.exists():
        # The vocabulary's rows in the page's language (consultations/topics.py, loaded by a migration).
        keys = Topic.objects.filter(locale__language_code="it", name__in=details["topics"]).values("translation_key")
        page.topics.set(Topic.objects.filter(locale_id=page.locale_id, translation_key__in=keys))
        changed_page = True
    changes += changed_page

    phases = list(page.phases.all())
    for phase, data in zip(phases, details["phases"], strict=False):
        # Keep the demo current: on a later day the same phases move with today (same day: no change).
        if (phase.start, phase.end) != (data["start"], data["end"]):
            phase.start, phase.end = data["start"], data["end"]
            changes += 1
    if changes > changed_page:
        page.phases.set(phases)
    if not phases:
        for order, data in enumerate(details["phases"]):
            phase = ConsultationPhase(
                locale_id=page.locale_id,
                sort_order=order,
                name=data["name"][code],
                description=data["description"][code],
                start=data["start"],
                end=data["end"],
                is_results=data["is_results"],
            )
            if source_phases is not None and order < len(source_phases):
                # The English phase is the translation of the Italian one in the same position.
                phase.translation_key = source_phases[order].translation_key
            phases.append(phase)
        page.phases.set(phases)
        changes += len(phases)

    if changes:
        page.save_revision().publish()
        phases = list(ConsultationPage.objects.get(pk=page.pk).phases.all())
    return changes, phases


def ensure_consultation_details(consultations: list[dict[str, ConsultationPage]]) -> int:
    """Give seed_demo's processes ([Parco Dora, AxTO, Segnalazioni, garden name], each {"it": page, "en": page}) their
    phases, organiser, contact, topics and area. Returns the number of objects created or changed (0 when the
    details are already there)."""
    today = timezone.localdate()
    changes = 0
    with transaction.atomic():
        changes += ensure_vocabulary()  # loaded by a migration; again after a test database was flushed
        for pages, details in zip(consultations, demo_details(today), strict=False):
            source_phases = None
            for code in ("it", "en"):
                if code not in pages:
                    continue
                page = ConsultationPage.objects.get(pk=pages[code].pk)  # the live row, not a stale copy
                made, phases = _ensure_page(page, code, details, source_phases)
                changes += made
                if code == "it":
                    source_phases = phases
    return changes
