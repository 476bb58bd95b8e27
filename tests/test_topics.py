"""Topics from the "Modello Comuni" vocabulary (criterion C.SI.1.5): loaded by a migration in both languages,
picked by editors, shown in each page's language, the topics page and its data-element attributes."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import translation

from consultations.models import ConsultationPage, Topic
from consultations.topics import VOCABULARY, ensure_vocabulary

pytestmark = pytest.mark.django_db

ITALIAN = {italian for italian, _english in VOCABULARY}
ENGLISH = {english for _italian, english in VOCABULARY}


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def test_the_vocabulary_is_loaded_in_both_languages_sharing_translation_keys():
    ensure_vocabulary()  # a no-op after the migration (rows are only missing after a flushed test database)
    assert ensure_vocabulary() == 0
    italian = {t.translation_key: t.name for t in Topic.objects.filter(locale__language_code="it")}
    english = {t.translation_key: t.name for t in Topic.objects.filter(locale__language_code="en")}
    assert set(italian.values()) == ITALIAN and set(english.values()) == ENGLISH
    assert italian.keys() == english.keys()
    pairs = {italian[key]: english[key] for key in italian}
    assert pairs["Spazio verde"] == "Green spaces" and pairs["Urbanizzazione"] == "Urban development"


def test_topics_page_addresses_are_per_language():
    for code, expected in (("it", "/it/argomenti/"), ("en", "/en/topics/")):
        with translation.override(code):
            assert reverse("topics") == expected


@pytest.mark.parametrize(("code", "names", "process"), [("it", ITALIAN, "Parco Dora"), ("en", ENGLISH, "Parco Dora")])
def test_topics_page_lists_the_vocabulary_and_the_processes(client, site_tree, code, names, process):
    response = client.get({"it": "/it/argomenti/", "en": "/en/topics/"}[code])
    assert response.status_code == 200
    html = soup(response)
    elements = html.select('a[data-element="topic-element"]')
    shown = {a.get_text(strip=True) for a in elements}
    assert shown and shown <= names  # only the vocabulary's names, in the page's language
    index = site_tree["index"][code]
    assert all(a["href"].startswith(index.url + "?topic=") for a in elements)
    assert process in html.get_text()
    other = {a.get_text(strip=True) for a in html.select(".topics-others .chip-label")}
    assert shown | other == names and not shown & other


@pytest.mark.parametrize("code", ["it", "en"])
def test_home_page_links_all_topics(client, site_tree, code):
    html = soup(client.get(site_tree["home"][code].url))
    link = html.select_one('a[data-element="all-topics"]')
    assert link["href"] == {"it": "/it/argomenti/", "en": "/en/topics/"}[code]


PARCO_TOPICS = {"it": {"Spazio verde", "Urbanizzazione"}, "en": {"Green spaces", "Urban development"}}


@pytest.mark.parametrize(("code", "names"), PARCO_TOPICS.items())
def test_process_page_and_cards_show_topics_in_their_language(client, site_tree, code, names):
    parco = site_tree["consultations"][code][0]
    html = soup(client.get(parco.url))
    links = html.select('.consultation-facts a[data-element="topic-element"]')
    assert {a.get_text(strip=True) for a in links} == names
    index = site_tree["index"][code]
    html = soup(client.get(index.url))
    card = next(card for card in html.select("article.card") if parco.title in card.get_text())
    assert {a.get_text(strip=True) for a in card.select('a[data-element="topic-element"]')} == names
    # The filter takes the slug in the page's language.
    slug = Topic.objects.get(locale__language_code=code, name=sorted(names)[0]).slug
    filtered = soup(client.get(index.url, {"topic": slug}))
    assert parco.title in [a.get_text(strip=True) for a in filtered.select(".card-title a")]


def test_english_pages_follow_the_italian_topics(site_tree):
    """Topics are synchronised: the English page links the same rows, shown with the English names."""
    italian, english = site_tree["consultations"]["it"][0], site_tree["consultations"]["en"][0]
    keys = lambda page: {t.translation_key for t in ConsultationPage.objects.get(pk=page.pk).topics.all()}  # noqa: E731
    assert keys(italian) == keys(english)


@pytest.mark.parametrize(("code", "names"), [("it", ITALIAN), ("en", ENGLISH)])
def test_admin_offers_the_topics_of_the_pages_language_as_checkboxes(site_tree, code, names):
    from django.contrib.auth import get_user_model
    from django.forms import CheckboxSelectMultiple

    page = ConsultationPage.objects.get(pk=site_tree["consultations"][code][0].pk)
    form_class = ConsultationPage.get_edit_handler().get_form_class()
    user = get_user_model().objects.filter(is_superuser=True).first()
    form = form_class(instance=page, for_user=user, parent_page=page.get_parent())
    field = form.fields["topics"]
    assert isinstance(field.widget, CheckboxSelectMultiple)
    assert {topic.name for topic in field.queryset} == names
    # The chosen topics show in the page's language, whichever language's rows the page links.
    assert {topic.name for topic in form.initial["topics"]} == PARCO_TOPICS[code]
