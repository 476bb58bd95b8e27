"""Page clarity feedback (feedback/, Designers Italia "Modello Comuni" C.SI.2.5): the question under every page,
with the data-element names the national validator reads; the answers without JavaScript, step by step; bad
input, rate limits, anonymity and the page cache; the editors' report and its CSV."""

import csv
import io
import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, get_page_models

from feedback.models import PageFeedback
from tests.factories import AdminFactory, EditorFactory, ModeratorFactory, StandardPageFactory, UserFactory

pytestmark = pytest.mark.django_db

TITLES = {
    "it": "Quanto sono chiare le informazioni su questa pagina?",
    "en": "How clear is the information on this page?",
}
# The criteria's wording, which the validator compares word for word (italia/pa-website-validator).
ITALIAN = {
    "positive": (
        "Quali sono stati gli aspetti che hai preferito?",
        [
            "Le indicazioni erano chiare",
            "Le indicazioni erano complete",
            "Capivo sempre che stavo procedendo correttamente",
            "Non ho avuto problemi tecnici",
            "Altro",
        ],
    ),
    "negative": (
        "Dove hai incontrato le maggiori difficoltà?",
        [
            "A volte le indicazioni non erano chiare",
            "A volte le indicazioni non erano complete",
            "A volte non capivo se stavo procedendo correttamente",
            "Ho avuto problemi tecnici",
            "Altro",
        ],
    ),
}
ENGLISH_QUESTIONS = {"positive": "What did you like most?", "negative": "Where did you meet the most difficulties?"}


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def element(tree, name):
    return tree.select(f'[data-element="{name}"]')


def check_widget(response, code):
    """The component as the validator reads it: one of it, its title, five rates, both follow-ups, one text box."""
    tree = soup(response)
    [widget] = element(tree, "feedback")
    [title] = element(widget, "feedback-title")
    assert title.get_text().strip() == TITLES[code]
    for n in range(1, 6):
        [rate] = element(widget, f"feedback-rate-{n}")
        star = widget.select_one(f"#{rate['for']}")
        assert star["type"] == "radio" and star["name"] == "score" and star["value"] == str(n)
    stars = " ".join(label.get_text(" ", strip=True) for label in widget.select(".feedback-stars label"))
    assert (
        ("Valuta 1 stella su 5" in stars and "Valuta 5 stelle su 5" in stars)
        if code == "it"
        else "Rate 2 stars" in stars
    )
    for polarity in ("positive", "negative"):
        [fieldset] = element(widget, f"feedback-rating-{polarity}")
        assert fieldset.has_attr("hidden")  # shown by the stars (JavaScript) or on the next page (without)
        [question] = element(fieldset, "feedback-rating-question")
        answers = [label.get_text().strip() for label in element(fieldset, "feedback-rating-answer")]
        if code == "it":
            assert (question.get_text().strip(), answers) == ITALIAN[polarity]
        else:
            assert question.get_text().strip() == ENGLISH_QUESTIONS[polarity]
            assert len(answers) == 5
    [text] = element(widget, "feedback-input-text")
    assert text["maxlength"] == "200" and text["name"] == "text"
    form = widget.select_one("form")
    assert form["method"] == "post" and form["action"] == f"/{code}/page-feedback/"
    assert not form.select('[name="csrfmiddlewaretoken"]')
    return widget


# --- on every page ------------------------------------------------------------------------------------


def test_the_widget_is_under_every_page_type_in_both_languages(seeded, client):
    seen = set()
    for model in get_page_models():
        if model is Page:
            continue
        for code in ("it", "en"):
            page = model.objects.live().filter(locale__language_code=code).first()
            if page is None:
                continue
            response = client.get(page.url)
            assert response.status_code == 200, page.url
            widget = check_widget(response, code)
            assert widget.select_one('[name="page"]')["value"] == str(page.pk)
            seen.add((model.__name__, code))
    for name in ("HomePage", "StandardPage", "ConsultationIndexPage", "ConsultationPage", "PollPage", "BudgetPage"):
        assert {(name, "it"), (name, "en")} <= seen, name
    assert {"ProjectPage", "ReportingPage", "IdeaMapPage"} <= {name for name, _ in seen}


def test_the_widget_is_rendered_once_per_language_and_given_each_pages_id(tree, client, settings):
    from feedback.templatetags import feedback_tags

    settings.DEBUG = False
    feedback_tags._rendered.clear()
    pages = [tree["home"]["it"], tree["index"]["it"], tree["home"]["en"], tree["index"]["en"]]
    for page in pages:
        widget = check_widget(client.get(page.url), page.locale.language_code)
        assert widget.select_one('[name="page"]')["value"] == str(page.pk)
    assert sorted(language for _release, language in feedback_tags._rendered) == ["en", "it"]


def test_no_widget_where_there_is_no_page(tree, client):
    for url in ("/it/search/?q=parco", "/en/accounts/login/", "/it/non-esiste/"):
        assert not element(soup(client.get(url)), "feedback"), url


def test_the_cached_page_is_the_same_for_every_visitor(tree):
    home = tree["home"]["it"]
    first, second = Client().get(home.url), Client().get(home.url)
    assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert not first.cookies and not second.cookies
    assert b"csrfmiddlewaretoken" not in first.content
    assert element(soup(second), "feedback")


# --- without JavaScript ---------------------------------------------------------------------------


def post(client, data, code="it", json_answer=False):
    extra = {"HTTP_ACCEPT": "application/json"} if json_answer else {}
    return client.post(f"/{code}/page-feedback/", data, **extra)


@pytest.mark.parametrize(
    ("score", "polarity"), [(1, "negative"), (2, "negative"), (3, "negative"), (4, "positive"), (5, "positive")]
)
def test_the_stars_bring_the_follow_up_question_for_that_score(tree, client, score, polarity):
    page = tree["consultation"]["it"]
    response = post(client, {"page": page.pk, "step": "score", "score": score, "text": ""})
    assert response.status_code == 200
    tree_ = soup(response)
    [fieldset] = tree_.select("[data-feedback-polarity]")
    assert fieldset["data-feedback-polarity"] == polarity and not fieldset.has_attr("hidden")
    question, answers = ITALIAN[polarity]
    assert fieldset.select_one('[data-element="feedback-rating-question"]').get_text().strip() == question
    assert [label.get_text().strip() for label in fieldset.select("label")] == answers
    assert tree_.select_one('input[name="score"]')["value"] == str(score)
    assert tree_.select_one('input[name="step"]')["value"] == "final"
    assert tree_.select_one("#feedback-text")
    assert not PageFeedback.objects.exists()  # nothing stored until the answer is sent


def test_the_whole_answer_without_javascript_is_stored_once(tree, client):
    page = tree["poll"]["en"]
    response = post(client, {"page": page.pk, "step": "score", "score": 2}, code="en")
    assert ENGLISH_QUESTIONS["negative"] in response.content.decode()
    response = post(
        client,
        {"page": page.pk, "step": "final", "score": 2, "answer": "unclear", "text": "  Too many\tsteps\x07.\r\n "},
        code="en",
    )
    assert response.status_code == 303
    assert response["Location"] == f"{reverse('feedback:thanks')}?page={page.pk}".replace("/it/", "/en/")
    [answer] = PageFeedback.objects.all()
    assert (answer.translation_key, answer.page_id, answer.language) == (page.translation_key, page.pk, "en")
    assert (answer.score, answer.answer, answer.text) == (2, "unclear", "Too many steps.")
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "Thank you, your opinion will help us improve the site!" in thanks.content.decode()
    assert f'href="{page.url}"' in thanks.content.decode()


def test_a_score_alone_is_an_answer(tree, client):
    page = tree["home"]["it"]
    assert post(client, {"page": page.pk, "step": "final", "score": 4, "answer": "", "text": ""}).status_code == 303
    assert PageFeedback.objects.get().answer == "" and PageFeedback.objects.get().score == 4


def test_with_javascript_the_answer_comes_back_as_json(tree, client):
    page = tree["index"]["en"]
    response = post(
        client, {"page": page.pk, "step": "final", "score": 5, "answer": "clear", "text": "Nice"}, "en", True
    )
    assert response.status_code == 200
    assert response.json() == {"ok": True, "message": "Thank you, your opinion will help us improve the site!"}
    assert PageFeedback.objects.get().language == "en"


BAD = [
    ({"score": 0}, "score", "Choose how many stars, from 1 to 5."),
    ({"score": 6}, "score", "Choose how many stars, from 1 to 5."),
    ({"score": "tre"}, "score", "Choose how many stars, from 1 to 5."),
    ({"score": ""}, "score", "Choose how many stars, from 1 to 5."),
    ({"score": 2, "text": "x" * 201}, "text", "Write at most 200 characters (you wrote 201)."),
    ({"score": 2, "text": "ciao\x00"}, "text", "Null characters are not allowed."),
    ({"score": 5, "answer": "unclear"}, "answer", "Choose one of the answers shown."),
    ({"score": 1, "answer": "drop table"}, "answer", "Choose one of the answers shown."),
]


@pytest.mark.parametrize(("data", "field", "message"), BAD)
def test_bad_input_is_refused_with_a_message_and_nothing_stored(tree, client, data, field, message):
    page = tree["consultation"]["en"]
    response = post(client, {"page": page.pk, "step": "final", "answer": "", "text": "", **data}, "en")
    assert response.status_code == 400
    assert message in response.content.decode()
    response = post(client, {"page": page.pk, "step": "final", "answer": "", "text": "", **data}, "en", True)
    assert response.status_code == 400
    assert response.json()["errors"][field] == [message]
    assert not PageFeedback.objects.exists()


def test_bad_input_keeps_the_answer_and_the_text_and_speaks_the_visitors_language(tree, client):
    page = tree["consultation"]["it"]
    data = {"page": page.pk, "step": "final", "score": 2, "answer": "lost", "text": "Il mio testo\x00"}
    response = post(client, data)
    assert response.status_code == 400
    assert "I caratteri null non sono ammessi." in response.content.decode()  # Django's own Italian
    assert soup(response).select_one("#feedback-text")["value"] == "Il mio testo"  # kept, without the NUL
    assert soup(response).select_one("#feedback-negative-lost").has_attr("checked")
    assert soup(response).select_one("#feedback-text")["aria-invalid"] == "true"


def test_the_first_step_without_stars_asks_again(tree, client):
    page = tree["consultation"]["it"]
    response = post(client, {"page": page.pk, "step": "score"})
    assert response.status_code == 400
    assert soup(response).select('input[name="score"][type="radio"]')


@pytest.mark.parametrize("page_id", ["999999", "x", "", "1"])
def test_only_live_pages_can_be_rated(tree, client, page_id):
    response = post(client, {"page": page_id, "step": "final", "score": 3})
    assert response.status_code == 400
    assert post(client, {"page": page_id, "step": "final", "score": 3}, json_answer=True).json()["ok"] is False
    assert not PageFeedback.objects.exists()


def test_a_draft_page_cannot_be_rated(tree, client):
    draft = StandardPageFactory(parent=tree["home"]["it"], slug="bozza", title="Bozza", live=False)
    assert post(client, {"page": draft.pk, "step": "final", "score": 3}).status_code == 400
    assert not PageFeedback.objects.exists()


def test_a_get_is_not_an_answer(client, tree):
    assert client.get("/it/page-feedback/").status_code == 405


def test_answers_are_rate_limited_per_address(tree, client):
    page = tree["home"]["it"]
    for _ in range(10):
        assert post(client, {"page": page.pk, "step": "final", "score": 3}).status_code == 303
    response = post(client, {"page": page.pk, "step": "final", "score": 3, "text": "ancora"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert soup(response).select_one("#feedback-message").get_text().strip()
    assert soup(response).select_one("#feedback-text")["value"] == "ancora"
    response = post(client, {"page": page.pk, "step": "final", "score": 3}, json_answer=True)
    assert response.status_code == 429 and response.json()["message"]
    assert PageFeedback.objects.count() == 10
    # Another address is not affected.
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert post(other, {"page": page.pk, "step": "final", "score": 3}).status_code == 303


def test_answers_are_anonymous(tree, client):
    client.force_login(UserFactory())
    post(client, {"page": tree["home"]["it"].pk, "step": "final", "score": 3, "text": "firmato"})
    fields = {field.name for field in PageFeedback._meta.get_fields()}
    assert fields == {"id", "translation_key", "page", "language", "score", "answer", "text", "created"}


def test_deleting_the_translation_keeps_the_answers(tree, client):
    page = StandardPageFactory(parent=tree["home"]["it"], slug="da-cancellare", title="Da cancellare")
    post(client, {"page": page.pk, "step": "final", "score": 1})
    key = page.translation_key
    page.delete()
    answer = PageFeedback.objects.get()
    assert answer.page_id is None and answer.translation_key == key


# --- the editors' report -----------------------------------------------------------------------------


@pytest.fixture
def answers(tree):
    consultation, poll = tree["consultation"], tree["poll"]
    now = timezone.now()

    def make(page, score, answer="", text="", days=0):
        return PageFeedback.objects.create(
            translation_key=page.translation_key,
            page=page,
            language=page.locale.language_code,
            score=score,
            answer=answer,
            text=text,
            created=now - timedelta(days=days),
        )

    make(consultation["it"], 1, "unclear", "Non si capisce")
    make(consultation["en"], 2, "unclear", '=HYPERLINK("http://evil.example")')
    make(consultation["it"], 5, "clear")
    make(consultation["it"], 4, "", "", days=30)
    make(poll["it"], 3, "technical_problems", "<script>alert(1)</script>")
    return tree


def test_the_report_counts_per_page(client, answers):
    client.force_login(EditorFactory())
    response = client.get(reverse("feedback_report"))
    assert response.status_code == 200
    rows = {row["title"]: row for row in response.context["rows"]}
    process = rows["Parco Dora: co-progettiamo l'area"]
    assert (process["count"], process["average"], process["negative"], process["positive"]) == (4, 3.0, 2, 2)
    assert rows["Disposizione del parco"]["count"] == 1
    assert response.context["total"]["count"] == 5
    # Filtered by date: the answer of a month ago goes.
    since = (timezone.localdate() - timedelta(days=2)).isoformat()
    response = client.get(reverse("feedback_report"), {"since": since})
    rows = {row["title"]: row for row in response.context["rows"]}
    assert rows["Parco Dora: co-progettiamo l'area"]["count"] == 3
    # Filtered by title.
    response = client.get(reverse("feedback_report"), {"q": "disposizione"})
    assert [row["title"] for row in response.context["rows"]] == ["Disposizione del parco"]


def test_the_page_report_has_the_follow_up_counts_and_the_texts(client, answers):
    client.force_login(EditorFactory())
    key = answers["consultation"]["it"].translation_key
    response = client.get(reverse("feedback_page_report", args=[key]))
    assert response.status_code == 200
    total = response.context["total"]
    assert total["count"] == 4 and total["average"] == 3.0
    assert dict(total["scores"]) == {1: 1, 2: 1, 3: 0, 4: 1, 5: 1}
    assert [count for _, count in total["negative"]] == [2, 0, 0, 0, 0]
    assert [count for _, count in total["positive"]] == [1, 0, 0, 0, 0]
    assert total["without_answer"] == 1
    assert [answer.text for answer in response.context["texts"]][0] in (
        "Non si capisce",
        '=HYPERLINK("http://evil.example")',
    )
    poll_key = answers["poll"]["it"].translation_key
    body = client.get(reverse("feedback_page_report", args=[poll_key])).content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


def test_the_csv_neutralises_formulas(client, answers):
    client.force_login(EditorFactory())
    key = answers["consultation"]["it"].translation_key
    response = client.get(reverse("feedback_csv"), {"page": str(key)})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 4
    assert {row["details"] for row in rows} >= {"Non si capisce", '\'=HYPERLINK("http://evil.example")'}
    assert {row["language"] for row in rows} == {"it", "en"}
    assert all(row["translation_key"] == str(key) for row in rows)
    every = b"".join(client.get(reverse("feedback_csv")).streaming_content).decode("utf-8-sig")
    assert len(list(csv.DictReader(io.StringIO(every)))) == 5
    assert client.get(reverse("feedback_csv"), {"page": "not-a-key"}).status_code == 404


def test_the_report_is_for_editors_and_administrators_only(client, answers):
    key = answers["consultation"]["it"].translation_key
    urls = [reverse("feedback_report"), reverse("feedback_page_report", args=[key]), reverse("feedback_csv")]
    for user in (EditorFactory(), AdminFactory()):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(ModeratorFactory())
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403), url
        if response.status_code == 302:
            assert response["Location"] == reverse("wagtailadmin_home")
    for user in (UserFactory(), None):
        client.logout()
        if user:
            client.force_login(user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302 and "/login/" in response["Location"], url


def test_the_menu_item_is_shown_to_editors_only(answers):
    from django.test import RequestFactory
    from wagtail.admin.menu import reports_menu

    request = RequestFactory().get("/admin/")
    request.user = EditorFactory()
    names = [item.name for item in reports_menu.menu_items_for_request(request)]
    assert "page-feedback" in names
    request.user = ModeratorFactory()
    assert "page-feedback" not in [item.name for item in reports_menu.menu_items_for_request(request)]


def test_json_keys(tree, client):
    """The JSON answer's shape, which static/js/feedback.js reads."""
    response = post(client, {"page": tree["home"]["en"].pk, "step": "final", "score": 9}, "en", True)
    assert set(json.loads(response.content)) == {"ok", "message", "errors"}
