"""Demo neighbourhood reports for seed_demo: "Segnala un problema nel tuo quartiere" under the reporting
process, its offices and eight categories (both languages), and about thirty reports across the eight
Circoscrizioni in every state, with the City's public updates, photos and "me too"s.

Idempotent: looked up first, created only when missing. Reports are written as the services would store
them, with their past dates, without rate limits or emails.
"""

import io
import json
import random
from datetime import timedelta
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consultations.models import ConsultationPage

CONTENT = json.loads((Path(__file__).resolve().parent / "demo_reports.json").read_text(encoding="utf-8"))


def ensure_offices():
    from .models import ReportOffice

    offices, created = {}, 0
    for row in CONTENT["offices"]:
        office, made = ReportOffice.objects.get_or_create(
            name=row["name"], defaults={"name_en": row["name_en"], "email": row["email"]}
        )
        offices[row["key"]] = office
        created += made
    return offices, created


def _questions(row, code):
    return [
        {
            "type": "question",
            "id": f"{row['key']}-{index}",
            "value": {
                "label": question[code]["label"],
                "kind": question["kind"],
                "choices": "\n".join(question[code].get("choices", [])),
                "required": bool(question.get("required")),
            },
        }
        for index, question in enumerate(row.get("questions", []))
    ]


def ensure_categories(offices):
    """The eight categories in Italian and English (the English a translation: same key, same question ids)."""
    from wagtail.models import Locale

    from .models import ReportCategory

    locales = {code: Locale.objects.get(language_code=code) for code in ("it", "en")}
    categories, created = {}, 0
    for order, row in enumerate(CONTENT["categories"]):
        italian = ReportCategory.objects.filter(locale=locales["it"], service_code=row["service_code"]).first()
        if italian is None:
            italian = ReportCategory.objects.create(
                locale=locales["it"],
                sort_order=order,
                name=row["it"]["name"],
                description=row["it"]["description"],
                service_code=row["service_code"],
                office=offices[row["office"]],
                colour=row["colour"],
                questions=_questions(row, "it"),
            )
            created += 1
        english = italian.get_translation_or_none(locales["en"])
        if english is None:
            english = italian.copy_for_translation(locales["en"])
            english.name, english.description = row["en"]["name"], row["en"]["description"]
            english.questions = _questions(row, "en")
            english.save()
            created += 1
        categories[row["key"]] = italian
    return categories, created


def ensure_reporting_page(consultation):
    """The reporting page under the process, in both languages. Returns ({"it", "en"}, created)."""
    from .models import ReportingPage

    data = CONTENT["page"]
    pages, created, translation_key = {}, 0, None
    for code in ("it", "en"):
        parent = ConsultationPage.objects.get(pk=consultation[code].pk)
        page = ReportingPage.objects.child_of(parent).first()
        if page is None:
            page = ReportingPage(
                locale=parent.locale,
                title=data[code]["title"],
                slug=data[code]["slug"],
                intro=data[code]["intro"],
                location=data["location"],
                zoom=data["zoom"],
            )
            if translation_key:
                page.translation_key = translation_key
            parent.add_child(instance=page)
            page.save_revision().publish()
            created += 1
        translation_key = page.translation_key
        pages[code] = page
    return pages, created


# --- demo photos: drawn, not taken (no real place, person or number plate) ---------------------------------


def demo_photo(kind, seed):
    """A small JPEG drawn for ``kind`` (pothole, streetlight, waste, graffiti)."""
    from PIL import Image, ImageDraw

    draw_random = random.Random(f"{kind}-{seed}")
    image = Image.new("RGB", (800, 600), (120, 120, 125))
    pen = ImageDraw.Draw(image)
    for _ in range(400):  # asphalt grain
        x, y = draw_random.randrange(800), draw_random.randrange(600)
        shade = draw_random.randrange(95, 150)
        pen.point((x, y), fill=(shade, shade, shade + 4))
    if kind == "pothole":
        pen.ellipse((230, 260, 590, 430), fill=(45, 42, 40), outline=(80, 76, 70), width=8)
        pen.rectangle((0, 540, 800, 560), fill=(240, 240, 240))
    elif kind == "streetlight":
        pen.rectangle((0, 0, 800, 600), fill=(25, 30, 55))
        pen.rectangle((385, 120, 405, 600), fill=(70, 70, 75))
        pen.rectangle((330, 100, 470, 130), fill=(90, 90, 95))
    elif kind == "waste":
        for index in range(6):
            x = 120 + index * 95 + draw_random.randrange(-20, 20)
            pen.rounded_rectangle((x, 330, x + 110, 460), radius=20, fill=(30 + index * 20, 60, 40))
        pen.rectangle((560, 200, 700, 460), fill=(60, 110, 70))
    else:  # graffiti
        pen.rectangle((0, 0, 800, 450), fill=(214, 196, 170))
        for _ in range(5):
            points = [(draw_random.randrange(100, 700), draw_random.randrange(60, 400)) for _ in range(5)]
            pen.line(points, fill=(draw_random.randrange(255), 30, draw_random.randrange(255)), width=14)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=80)
    return SimpleUploadedFile(f"{kind}.jpg", out.getvalue(), content_type="image/jpeg")


# --- the reports ----------------------------------------------------------------------------------


def ensure_reports(pages, categories, citizens, neighbours):
    """The demo reports, once. ``citizens``: the two demo citizens; ``neighbours``: accounts for "me too"s."""
    from .ideas import store_photo
    from .models import Report, ReportFollower, ReportPhoto, ReportUpdate
    from .reports import reference_for, streets

    page = pages["it"]
    if Report.objects.filter(group=page.translation_key).exists() or len(citizens) < 2:
        return 0
    group = page.ensure_group()
    by_name = {street["name"]: street for street in streets()}
    now = timezone.now()
    made, created = [], 0
    for number, item in enumerate(CONTENT["reports"]):
        category = categories[item["category"]]
        street = by_name[item["street"]]
        created_at = now - timedelta(days=item["days_ago"], hours=number % 9, minutes=7 * number % 60)
        codes = [block.id for block in category.questions]
        answers = {
            codes[int(index)]: value for index, value in item.get("answers", {}).items() if int(index) < len(codes)
        }
        author = citizens[item["author"]]
        address = f"{street['name']}, {item['house_number']}" if item.get("house_number") else street["name"]
        report = Report.objects.create(
            group=group,
            category_key=category.translation_key,
            office=category.office,
            user=author,
            is_anonymous=item.get("private", False),
            title=item["title"],
            description=item["description"],
            answers=answers,
            latitude=item["lat"],
            longitude=item["lng"],
            address=address,
            district=street["district"],
            language=item["language"],
            created_at=created_at,
            status_changed_at=created_at,
        )
        report.reference = reference_for(report)
        report.save(update_fields=["reference"])
        ReportFollower.objects.create(report=report, user=author, is_reporter=True, language=item["language"])
        if item.get("photo"):
            image = store_photo(demo_photo(item["photo"], number), item["title"])
            ReportPhoto.objects.create(report=report, image=image, sort_order=0)
        for neighbour in neighbours[: item.get("me_too", 0)]:
            ReportFollower.objects.create(report=report, user=neighbour, language="it")
        report.follower_count = min(item.get("me_too", 0), len(neighbours))
        for update in item.get("updates", []):
            moment = created_at + timedelta(days=update["days_after"], hours=2)
            from_reporter = bool(update.get("from_reporter"))
            ReportUpdate.objects.create(
                report=report,
                status=update.get("status", ""),
                message=update["message"],
                office_name="" if from_reporter else category.office.name,
                office_name_en="" if from_reporter else category.office.name_en,
                from_reporter=from_reporter,
                created_at=moment,
            )
            if not from_reporter and report.first_response_at is None:
                report.first_response_at = moment
            if update.get("status"):
                report.status, report.status_changed_at = update["status"], moment
                report.resolved_at = moment if update["status"] == "resolved" else None
        if "duplicate_of" in item:
            report.duplicate_of = made[item["duplicate_of"]]
        if "fixed" in item:
            report.fixed = item["fixed"]
            report.questionnaire_sent_at = report.fixed_answered_at = report.status_changed_at
        report.save()
        made.append(report)
        created += 1
    return created


def ensure_neighbourhood_reports(consultation):
    """Everything of the demo's reporting service. Returns (pages, created)."""
    from django.contrib.auth import get_user_model

    from .demo import demo_voters

    offices, created = ensure_offices()
    categories, made = ensure_categories(offices)
    created += made
    pages, made = ensure_reporting_page(consultation)
    created += made
    citizens = list(get_user_model().objects.filter(is_staff=False, display_name__gt="").order_by("pk")[:2])
    neighbours = demo_voters(12)
    created += ensure_reports(pages, categories, citizens, neighbours)
    return pages, created
