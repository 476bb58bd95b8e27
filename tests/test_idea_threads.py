"""Each idea has its own discussion: the comment machinery keyed to the idea, shared by /it/ and /en/,
counted in the map's list and feed, moved across when the idea is merged, moderated like any thread."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation

from participation import moderation
from participation.comments import post_comment
from participation.ideas import IdeaThread, merge
from participation.models import CommentThread, Idea, IdeaMapPage, ModerationReason, ParticipationComment
from tests.factories import IdeaFactory, IdeaMapPageFactory, ModeratorFactory, translate
from tests.test_ideas import count_queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def ideas_map(tree):
    italian = IdeaMapPageFactory(parent=tree["consultation"]["it"], revision=True)
    english = translate(italian, "en", title="Your ideas", slug="your-ideas", categories=["Green", "Play", "Sport"])
    return {"it": IdeaMapPage.objects.get(pk=italian.pk), "en": IdeaMapPage.objects.get(pk=english.pk)}


@pytest.fixture
def idea(ideas_map):
    return IdeaFactory(page=ideas_map["it"], title="Alberi sotto i pilastri")


def idea_url(page, idea):
    return f"{page.url}{idea.pk}/"


def post(client, language, page, idea, text, parent=None):
    data = {"page": page.pk, "idea": idea.pk, "comment": text}
    if parent:
        data["parent"] = parent
    return client.post(f"/{language}/comments/post/", data)


def soup(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def test_a_comment_on_an_idea_is_on_its_page_in_both_languages_and_nowhere_else(client, citizen, ideas_map, idea):
    client.force_login(citizen)
    response = post(client, "en", ideas_map["en"], idea, "Yes, with benches in the shade.")
    comment = ParticipationComment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{idea_url(ideas_map['en'], idea)}#c{comment.pk}"
    assert comment.group_id == idea.key and comment.language == "en"
    for page in ideas_map.values():
        item = soup(Client().get(idea_url(page, idea))).select_one(f"#c{comment.pk}")
        assert "benches in the shade" in item.get_text()
    other = IdeaFactory(page=ideas_map["it"], title="Un campo da bocce")
    assert "benches in the shade" not in Client().get(idea_url(ideas_map["it"], other)).content.decode()
    assert "benches in the shade" not in Client().get(ideas_map["it"].url).content.decode()


def test_the_list_and_the_feed_count_each_ideas_comments_and_follow_changes(citizen, marco, ideas_map, idea):
    visitor = Client()
    card = soup(visitor.get(ideas_map["en"].url)).find(id=f"idea-{idea.pk}")
    assert "0 comments" in card.get_text()
    feed_url = ideas_map["en"].url + "ideas.geojson"
    assert visitor.get(feed_url).json()["features"][0]["properties"]["comments"] == 0
    author = Client()
    author.force_login(citizen)
    post(author, "it", ideas_map["it"], idea, "Sono d'accordo.")
    post(author, "it", ideas_map["it"], idea, "Anche con una fontana.")
    card = soup(visitor.get(ideas_map["en"].url)).find(id=f"idea-{idea.pk}")  # the stored copy was dropped
    assert "2 comments" in card.get_text()
    assert visitor.get(feed_url).json()["features"][0]["properties"]["comments"] == 2
    moderation.hide([ParticipationComment.objects.first()], ModeratorFactory(), reason=ModerationReason.SPAM)
    assert "1 comment" in soup(visitor.get(ideas_map["en"].url)).find(id=f"idea-{idea.pk}").get_text()
    assert visitor.get(feed_url).json()["features"][0]["properties"]["comments"] == 1


def test_anonymous_visitors_see_a_new_comment_on_a_stored_idea_page(client, citizen, ideas_map, idea):
    visitor = Client()
    url = idea_url(ideas_map["it"], idea)
    assert visitor.get(url)["X-Page-Cache"] == "miss"
    assert visitor.get(url)["X-Page-Cache"] == "hit"
    client.force_login(citizen)
    post(client, "it", ideas_map["it"], idea, "Serve anche una fontanella.")
    response = visitor.get(url)
    assert response["X-Page-Cache"] == "miss" and "Serve anche una fontanella." in response.content.decode()


def test_a_refused_comment_comes_back_on_the_idea_page_with_the_text_kept(client, citizen, ideas_map, idea, settings):
    client.force_login(citizen)
    text = "x" * (settings.COMMENT_MAX_LENGTH + 1)
    response = post(client, "en", ideas_map["en"], idea, text)
    assert response.status_code == 400
    page = soup(response)
    assert page.find("h1").get_text() == idea.title
    assert page.select_one("#comment-form textarea").get_text().strip() == text
    assert page.select_one("#comment-form input[name=idea]")["value"] == str(idea.pk)
    assert not ParticipationComment.objects.exists()


def test_replies_reactions_and_the_reply_email_point_at_the_idea(
    client, citizen, marco, ideas_map, idea, django_capture_on_commit_callbacks
):
    first = post_comment(page=IdeaThread(ideas_map["it"], idea), user=citizen, text="Idea ottima.")
    client.force_login(marco)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, "en", ideas_map["en"], idea, "Agreed.", parent=first.pk)
    assert response.status_code == 302
    reply = ParticipationComment.objects.get(comment="Agreed.")
    assert reply.parent_id == first.pk and reply.group_id == idea.key
    [email] = mail.outbox
    assert idea.title in email.subject
    assert f"{idea_url(ideas_map[first.language], idea)}#c{reply.pk}" in email.body
    response = client.post(reverse("comment_reaction", args=[first.pk]), {"reaction": "like"})
    assert response.status_code == 302 and response["Location"] == f"{idea_url(ideas_map['en'], idea)}#c{first.pk}"
    assert first.reactions.get().user == marco
    with translation.override("it"):
        assert first.get_absolute_url() == f"{idea_url(ideas_map['it'], idea)}#c{first.pk}"


def test_ideas_the_public_cannot_see_take_no_comments(client, citizen, ideas_map, idea, tree):
    client.force_login(citizen)
    comment = post_comment(page=IdeaThread(ideas_map["it"], idea), user=citizen, text="Prima del nascondimento.")
    Idea.objects.filter(pk=idea.pk).update(is_hidden=True)
    assert post(client, "it", ideas_map["it"], idea, "Dopo.").status_code == 404
    assert client.post(reverse("comment_reaction", args=[comment.pk]), {"reaction": "like"}).status_code == 404
    unapproved = IdeaFactory(page=ideas_map["it"], user=citizen, is_approved=False)
    assert post(client, "it", ideas_map["it"], unapproved, "Mia.").status_code == 404
    elsewhere = IdeaMapPageFactory(parent=tree["consultation"]["it"], title="Altra mappa", slug="altra-mappa")
    other = IdeaFactory(page=elsewhere)
    assert post(client, "it", ideas_map["it"], other, "Mappa sbagliata.").status_code == 404
    assert post(client, "it", tree["consultation"]["it"], other, "Non una mappa.").status_code == 404
    bad = {"page": ideas_map["it"].pk, "idea": "1e5", "comment": "x"}
    assert client.post("/it/comments/post/", bad).status_code == 404
    assert ParticipationComment.objects.count() == 1


def test_an_ideas_thread_closes_with_its_maps_thread(client, citizen, ideas_map, idea):
    CommentThread.objects.create(page=ideas_map["en"], state=CommentThread.CLOSED)
    client.force_login(citizen)
    response = post(client, "it", ideas_map["it"], idea, "Chiuso?")
    assert response.status_code == 400 and not ParticipationComment.objects.exists()
    assert "Comments on this page are closed" in client.get(idea_url(ideas_map["en"], idea)).content.decode()


def test_a_merged_ideas_discussion_is_read_on_the_original(citizen, marco, ideas_map):
    page = ideas_map["en"]
    original, duplicate = IdeaFactory(page=page, title="Originale"), IdeaFactory(page=page, title="Doppione")
    on_original = post_comment(page=IdeaThread(page, original), user=citizen, text="Sull'originale.")
    on_duplicate = post_comment(page=IdeaThread(page, duplicate), user=marco, text="Sul doppione.")
    reply = post_comment(page=IdeaThread(page, duplicate), user=citizen, text="Risposta.", parent_id=on_duplicate.pk)
    visitor = Client()
    visitor.get(idea_url(page, original))  # a stored copy, which the merge must drop
    merge(duplicate, original)
    text = visitor.get(idea_url(page, original)).content.decode()
    assert "Sull&#x27;originale." in text and "Sul doppione." in text and "Risposta." in text
    assert "3 comments" in text
    for comment in (reply, on_original, on_duplicate):
        comment.refresh_from_db()
    assert reply.group_id == original.key and reply.parent_id == on_duplicate.pk
    assert on_original.get_absolute_url().startswith(idea_url(page, original))
    assert on_duplicate.get_absolute_url() == f"{idea_url(page, original)}#c{on_duplicate.pk}"
    feed = visitor.get(page.url + "ideas.geojson").json()
    assert [(f["id"], f["properties"]["comments"]) for f in feed["features"]] == [(original.pk, 3)]


def test_moderators_see_the_ideas_title_beside_its_comments(client, citizen, ideas_map, idea):
    post_comment(page=IdeaThread(ideas_map["it"], idea), user=citizen, text="Da moderare.")
    client.force_login(ModeratorFactory())
    response = client.get(reverse("wagtailsnippets_participation_participationcomment:list"))
    assert response.status_code == 200
    assert idea.title in response.content.decode()


def test_an_idea_page_costs_the_same_queries_with_one_comment_or_many(citizen, marco, ideas_map, idea, settings):
    from tests.test_query_budget import BUDGET

    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    settings.PARTICIPATION_RATE_LIMITS = {**settings.PARTICIPATION_RATE_LIMITS, "comment": "1000/10m/user"}
    thread = IdeaThread(ideas_map["it"], idea)
    post_comment(page=thread, user=marco, text="Uno.")
    signed_in = Client()
    signed_in.force_login(citizen)
    url = idea_url(ideas_map["en"], idea)
    few = (count_queries(Client(), url), count_queries(signed_in, url))
    for number in range(40):
        parent = post_comment(page=thread, user=marco, text=f"Commento {number}.", notify=False)
        post_comment(page=thread, user=marco, text="Risposta.", parent_id=parent.pk, notify=False)
    many = (count_queries(Client(), url), count_queries(signed_in, url))
    assert many == few and max(many) <= BUDGET
