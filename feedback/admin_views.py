"""The editors' report: the answers to the clarity question, per page, with averages and follow-up counts,
the latest texts, and a CSV of the answers.

Who may read it: holders of ``feedback.view_pagefeedback`` (the Editors group, feedback/migrations/0002) and
administrators. The answers are anonymous; their texts are still citizens' words, escaped on output and
neutralised in the CSV (a cell starting with = + - @ would be a formula in a spreadsheet).
"""

import csv
import datetime
import uuid

from django import forms
from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Max, Q
from django.http import Http404, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.menu import MenuItem
from wagtail.models import Locale, Page

from .models import NEGATIVE_ANSWERS, NEGATIVE_UP_TO, POSITIVE_ANSWERS, SCORES, PageFeedback, answer_label

PERMISSION = "feedback.view_pagefeedback"
LATEST_TEXTS = 50
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def may_view(user):
    return user.is_active and user.has_perm(PERMISSION)


class FeedbackMenuItem(MenuItem):
    def is_shown(self, request):
        return may_view(request.user)


def menu_item():
    return FeedbackMenuItem(
        gettext_lazy("Page feedback"), reverse("feedback_report"), name="page-feedback", icon_name="help", order=1000
    )


class FilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Page title"), required=False, max_length=200)
    since = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def filter(self, answers):
        """``answers`` within the dates asked for (whole days in Europe/Rome); all of them when the form is invalid."""
        if not self.is_valid():
            return answers
        zone = timezone.get_current_timezone()
        if self.cleaned_data["since"]:
            start = datetime.datetime.combine(self.cleaned_data["since"], datetime.time.min, zone)
            answers = answers.filter(created__gte=start)
        if self.cleaned_data["until"]:
            end = datetime.datetime.combine(
                self.cleaned_data["until"] + datetime.timedelta(days=1), datetime.time.min, zone
            )
            answers = answers.filter(created__lt=end)
        return answers


def page_titles(keys):
    """{translation_key: the page's title}: in the editor's language if there is one, else the default locale's."""
    language = translation.get_language()
    default = Locale.get_default().pk
    titles = {}
    ranks = {}
    for key, title, locale_id, code in Page.objects.filter(translation_key__in=keys).values_list(
        "translation_key", "title", "locale_id", "locale__language_code"
    ):
        rank = 0 if code == language else 1 if locale_id == default else 2
        if key not in ranks or rank < ranks[key]:
            ranks[key], titles[key] = rank, title
    return titles


def summary(answers):
    """Answers, average score and the counts per score and per follow-up choice of ``answers``."""
    totals = answers.aggregate(
        count=Count("pk"),
        average=Avg("score"),
        **{f"score_{score}": Count("pk", filter=Q(score=score)) for score in SCORES},
    )
    counted = {}
    for positive, scored in (
        (True, answers.filter(score__gt=NEGATIVE_UP_TO)),
        (False, answers.filter(score__lte=NEGATIVE_UP_TO)),
    ):
        for answer, count in scored.exclude(answer="").order_by().values_list("answer").annotate(count=Count("pk")):
            counted[(positive, answer)] = count
    return {
        "count": totals["count"],
        "average": round(totals["average"], 1) if totals["average"] is not None else None,
        "scores": [(score, totals[f"score_{score}"]) for score in SCORES],
        "positive": [(label, counted.get((True, code), 0)) for code, label in POSITIVE_ANSWERS],
        "negative": [(label, counted.get((False, code), 0)) for code, label in NEGATIVE_ANSWERS],
        "without_answer": totals["count"] - sum(counted.values()),
    }


def _check(request):
    if not may_view(request.user):
        raise PermissionDenied


def report_view(request):
    """Every rated page: answers, average, low and high scores, the last answer; filtered by title and dates."""
    _check(request)
    form = FilterForm(request.GET or None)
    answers = form.filter(PageFeedback.objects.all())
    rows = list(
        answers.values("translation_key")
        .annotate(
            count=Count("pk"),
            average=Avg("score"),
            negative=Count("pk", filter=Q(score__lte=NEGATIVE_UP_TO)),
            positive=Count("pk", filter=Q(score__gt=NEGATIVE_UP_TO)),
            last=Max("created"),
        )
        .order_by("-count", "-last")
    )
    titles = page_titles([row["translation_key"] for row in rows])
    query = form.cleaned_data.get("q", "").strip().lower() if form.is_bound and form.is_valid() else ""
    dates = {key: request.GET[key] for key in ("since", "until") if request.GET.get(key)}
    for row in rows:
        row["title"] = titles.get(row["translation_key"]) or _("(deleted page)")
        row["average"] = round(row["average"], 1)
        row["url"] = reverse("feedback_page_report", args=[row["translation_key"]])
        if dates:
            row["url"] += "?" + urlencode(dates)
    if query:
        rows = [row for row in rows if query in row["title"].lower()]
    return TemplateResponse(
        request,
        "feedback/admin/report.html",
        {
            "form": form,
            "rows": rows,
            "total": summary(answers),
            "csv_url": reverse("feedback_csv") + ("?" + urlencode(dates) if dates else ""),
        },
    )


def page_report_view(request, key):
    """One page (all its translations): the numbers, the follow-up counts and the latest texts."""
    _check(request)
    form = FilterForm(request.GET or None)
    answers = form.filter(PageFeedback.objects.filter(translation_key=key))
    title = page_titles([key]).get(key)
    if title is None and not PageFeedback.objects.filter(translation_key=key).exists():
        raise Http404
    texts = list(answers.exclude(text="")[:LATEST_TEXTS])
    dates = {name: request.GET[name] for name in ("since", "until") if request.GET.get(name)}
    return TemplateResponse(
        request,
        "feedback/admin/page_report.html",
        {
            "form": form,
            "title": title or _("(deleted page)"),
            "pages": Page.objects.filter(translation_key=key)
            .select_related("locale")
            .order_by("locale__language_code"),
            "total": summary(answers),
            "texts": texts,
            "latest": LATEST_TEXTS,
            "report_url": reverse("feedback_report"),
            "csv_url": reverse("feedback_csv") + "?" + urlencode({"page": key, **dates}),
        },
    )


def neutralised(text):
    """Citizens' text as a CSV cell no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


class _Line:
    def write(self, text):
        return text


def csv_view(request):
    """The answers (of one page with ``page=<translation key>``; within ``since``/``until``) as CSV, streamed."""
    _check(request)
    form = FilterForm(request.GET or None)
    answers = form.filter(PageFeedback.objects.all())
    key = request.GET.get("page", "")
    if key:
        try:
            answers = answers.filter(translation_key=uuid.UUID(key))
        except ValueError:  # not a translation key
            raise Http404 from None
    answers = answers.order_by("created", "pk")
    titles = page_titles(list(answers.values_list("translation_key", flat=True).distinct()))
    writer = csv.writer(_Line())
    zone = timezone.get_current_timezone()

    def rows():
        yield "\ufeff" + writer.writerow(
            ["sent", "page", "translation_key", "page_id", "language", "score", "answer", "answer_label", "details"]
        )
        for answer in answers.iterator(chunk_size=500):
            yield writer.writerow(
                [
                    answer.created.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
                    neutralised(titles.get(answer.translation_key, "")),
                    str(answer.translation_key),
                    answer.page_id or "",
                    answer.language,
                    answer.score,
                    answer.answer,
                    str(answer_label(answer.score, answer.answer)) if answer.answer else "",
                    neutralised(answer.text),
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="page-feedback.csv"'
    return response
