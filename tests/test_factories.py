"""The factories build a routable bilingual tree, verified and unverified citizens, polls and comments."""

import pytest
from allauth.account.models import EmailAddress
from bs4 import BeautifulSoup

from participation.models import ParticipationComment
from tests.factories import CommentFactory, PollPageFactory, UserFactory, translate

pytestmark = pytest.mark.django_db


def test_every_page_of_the_tree_is_routable_in_both_languages(client, tree):
    for kind, pages in tree.items():
        assert pages["it"].translation_key == pages["en"].translation_key, kind
        for code, page in pages.items():
            assert page.locale.language_code == code
            assert page.url.startswith(f"/{code}/"), page.url
            response = client.get(page.url)
            assert response.status_code == 200, (kind, code, page.url)
            assert BeautifulSoup(response.content.decode(), "html.parser").html["lang"] == code
    assert tree["home"]["it"].url == "/it/" and tree["home"]["en"].url == "/en/"


def test_translations_share_keys_down_to_options_and_phases(tree):
    poll = tree["poll"]
    italian, english = list(poll["it"].options.order_by("sort_order")), list(poll["en"].options.order_by("sort_order"))
    assert len(italian) == len(english) == 3
    assert [o.translation_key for o in italian] == [o.translation_key for o in english]
    assert {o.locale.language_code for o in english} == {"en"}
    assert english[0].label == "Open meadow" and italian[0].label != english[0].label
    assert poll["it"].is_open and poll["en"].is_open

    consultation = tree["consultation"]
    it_phases, en_phases = list(consultation["it"].phases.all()), list(consultation["en"].phases.all())
    assert [p.translation_key for p in it_phases] == [p.translation_key for p in en_phases]
    assert [p.name for p in en_phases] == ["Ideas"]
    assert consultation["it"].is_open and consultation["en"].is_open


def test_users_verified_or_not():
    citizen, newcomer = UserFactory(), UserFactory(verified=False)
    assert EmailAddress.objects.get(user=citizen).verified
    assert EmailAddress.objects.get(user=citizen).email == citizen.email
    assert not EmailAddress.objects.get(user=newcomer).verified
    assert citizen.check_password("partecipa-torino-2026")


def test_comments_go_to_the_translation_group(tree):
    root = CommentFactory(page=tree["consultation"]["en"], text="Benches, please")
    reply = CommentFactory(page=tree["consultation"]["it"], parent=root)
    assert root.group_id == reply.group_id == tree["consultation"]["it"].translation_key
    assert (root.language, reply.language) == ("en", "it")
    assert reply.level == 1 and reply.thread_id == root.pk
    assert ParticipationComment.objects.filter(group=tree["consultation"]["it"].translation_key).count() == 2


def test_a_second_poll_and_its_translation(client, tree):
    poll = PollPageFactory(parent=tree["consultation"]["it"], options=["Sì", "No"], closed=True)
    english = translate(poll, title="Second poll", options=["Yes", "No"])
    assert not poll.is_open and not english.is_open
    assert client.get(english.url).status_code == 200
    assert [o.label for o in english.options.order_by("sort_order")] == ["Yes", "No"]
