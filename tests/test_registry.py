"""The registry of what the site holds about a person (accounts/registry.py): every user foreign key is covered,
and each kind lists, exports and anonymises what it holds; deleting a citizen who took part in everything
leaves every tally as it was and their email and name nowhere in the database."""

import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from wagtail.images import get_image_model
from wagtail.models import ModelLogEntry

from accounts import registry
from accounts.deletion import LOG_ACTION, delete_account
from participation.budgets import budget_results, change_basket, checkout
from participation.models import (
    Ballot,
    CommentReaction,
    CommentReport,
    Idea,
    IdeaSupport,
    ParticipationComment,
    PollVote,
    Report,
    ReportFollower,
)
from participation.polls import cast_vote, tally
from tests.factories import CommentFactory, IdeaFactory, ReportFactory, UserFactory
from tests.test_exports import site  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db

SECRET_EMAIL = "ermengarda.piccioni@segretissimo.example"
SECRET_NAMES = ("Ermengarda", "Piccioni", "Ermengarda Piccioni")
SECRET_IP = "198.51.100.199"


def user_foreign_keys():
    """(model label, field name) of every user foreign key (and many-to-many) declared by any model."""
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    found = set()
    for model in apps.get_models():
        for field in [*model._meta.local_fields, *model._meta.local_many_to_many]:
            if field.is_relation and field.related_model is user_model:
                found.add((model._meta.label, field.name))
    return found


def test_every_user_foreign_key_is_in_a_registration():
    covered = registry.covered_fields()
    missing = sorted(user_foreign_keys() - set(covered))
    assert not missing, f"register these with accounts.registry (a Holding or not_personal): {missing}"


def test_every_registration_names_a_real_field():
    stale = sorted(set(registry.covered_fields()) - user_foreign_keys())
    assert not stale, stale


def test_each_kind_says_on_the_privacy_page_what_it_stores():
    for holding in registry.holdings():
        assert str(holding.stored).strip() and str(holding.label).strip(), holding.key


@pytest.fixture
def citizen(site):  # noqa: F811
    """A citizen who took part in everything the site has, with a distinctive email, name and IP address."""
    person = UserFactory(
        username="ermengarda_p",
        email=SECRET_EMAIL,
        first_name=SECRET_NAMES[0],
        last_name=SECRET_NAMES[1],
        display_name=SECRET_NAMES[2],
    )
    poll = site["poll"]["it"]
    cast_vote(poll=poll, user=person, option_ids=[poll.options.first().pk], ip_address=SECRET_IP)
    budget, projects = site["budget"]["it"], site["budget"]["projects"]["it"]
    change_basket(budget=budget, user=person, project_id=projects[0].pk, add=True)
    checkout(budget=budget, user=person)
    image = get_image_model().objects.create(
        title="foto", file="original_images/foto.jpg", width=1, height=1, uploaded_by_user=person
    )
    idea = IdeaFactory(page=site["ideas"], user=person, title="Fontanella nuova", photo=image)
    shown = Idea.objects.get(title="Panchine ombreggiate")
    IdeaSupport.objects.create(idea=shown, user=person)
    Idea.objects.filter(pk=shown.pk).update(support_count=4)
    report = ReportFactory(
        page=site["reporting"], user=person, contact_name=SECRET_NAMES[2], contact_email=SECRET_EMAIL, title="Buca"
    )
    ReportFollower.objects.create(report=report, user=person, is_reporter=True, language="it")
    other_report = Report.objects.exclude(pk=report.pk).first()
    ReportFollower.objects.create(report=other_report, user=person, language="it")
    Report.objects.filter(pk=other_report.pk).update(follower_count=2)
    comment = CommentFactory(page=poll, user=person, text="Scrive una cittadina")
    ParticipationComment.objects.filter(pk=comment.pk).update(
        user_name=SECRET_NAMES[2], user_email=SECRET_EMAIL, ip_address=SECRET_IP
    )
    other = ParticipationComment.objects.exclude(user=person).first()
    CommentReaction.objects.create(comment=other, user=person, value=CommentReaction.LIKE)
    CommentReport.objects.create(comment=other, user=person, reason="spam")
    return {"user": person, "idea": idea, "report": report, "comment": comment}


def test_my_participation_lists_every_kind_newest_first(citizen):
    found = registry.items(citizen["user"])
    kinds = {item.kind for item in found}
    assert kinds == {"comments", "poll_votes", "ballots", "ideas", "supports", "reports"}
    dates = [item.date for item in found]
    assert dates == sorted(dates, reverse=True)
    comment = next(item for item in found if item.kind == "comments")
    assert comment.title == "Scrive una cittadina" and comment.can_edit and comment.can_delete
    assert all(item.url for item in found)


def test_items_link_to_their_pages(client, citizen):
    client.force_login(citizen["user"])
    for item in registry.items(citizen["user"]):
        response = client.get(item.url)
        assert response.status_code == 302, item
    stranger = UserFactory()
    client.force_login(stranger)
    comment = next(item for item in registry.items(citizen["user"]) if item.kind == "comments")
    assert client.get(comment.url).status_code == 404  # someone else's: not found


def test_pages_of_items_cost_one_query_per_kind_however_much_a_citizen_did(citizen, django_assert_max_num_queries):
    person = citizen["user"]
    with django_assert_max_num_queries(len(registry.holdings()) + 2):
        first = registry.page_of_items(person, 1, per_page=3)
    for number in range(30):
        CommentFactory(page=citizen["comment"].group.page_in("it").specific, user=person, text=f"Ancora {number}")
    with django_assert_max_num_queries(len(registry.holdings()) + 2):
        page = registry.page_of_items(person, 2, per_page=3)
    assert first.has_next and page.has_next and page.has_previous and len(page.items) == 3


def test_the_export_holds_everything_and_is_json(citizen):
    exported = registry.export(citizen["user"])
    text = json.dumps(exported, cls=DjangoJSONEncoder, ensure_ascii=False)
    for expected in (SECRET_EMAIL, "Scrive una cittadina", "Fontanella nuova", SECRET_IP, "spam", "like"):
        assert expected in text, expected
    assert exported["account"]["records"][0]["email"] == SECRET_EMAIL
    assert exported["ballots"]["records"][0]["receipt"]
    assert {record.get("report") for record in exported["reports"]["records"]} >= {citizen["report"].reference}


def tallies(site):  # noqa: F811
    poll = site["poll"]["it"]
    rows, voters = tally(poll, list(poll.options.all()))
    results = budget_results(site["budget"]["it"])
    return {
        "poll": [(row["option"].pk, row["count"]) for row in rows],
        "voters": voters,
        "poll_votes": PollVote.objects.count(),
        "ballots": results["ballots"],
        "budget": [(row.page.pk, row.votes) for row in results["rows"]],
        "supports": list(Idea.objects.order_by("pk").values_list("pk", "support_count")),
        "support_rows": IdeaSupport.objects.count(),
        "reactions": CommentReaction.objects.count(),
        "comments": ParticipationComment.objects.count(),
        "me_too": list(Report.objects.order_by("pk").values_list("pk", "follower_count")),
        "ideas": Idea.objects.count(),
        "reports": Report.objects.count(),
    }


def text_fields(model):
    return [
        field.name
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField, models.GenericIPAddressField)) and not field.choices
    ]


def rows_mentioning(secrets):
    """{model label: rows} of every model whose text columns contain any of ``secrets``."""
    found = {}
    for model in apps.get_models():
        names = text_fields(model)
        if not names or model._meta.proxy:
            continue
        condition = Q()
        for name in names:
            for secret in secrets:
                condition |= Q(**{f"{name}__icontains": secret})
        count = model._base_manager.filter(condition).count()
        if count:
            found[model._meta.label] = count
    return found


def test_deleting_a_citizen_keeps_every_tally_and_leaves_nothing_that_names_them(site, citizen):  # noqa: F811
    secrets = (SECRET_EMAIL, *SECRET_NAMES, SECRET_IP, "ermengarda_p")
    assert rows_mentioning(secrets)  # the check finds them while the account exists
    before = tallies(site)
    person_id = citizen["user"].pk
    delete_account(citizen["user"])

    assert tallies(site) == before
    assert rows_mentioning(secrets) == {}
    comment = ParticipationComment.objects.get(pk=citizen["comment"].pk)
    with translation.override("en"):
        assert comment.user_id is None and str(comment.author_name) == "Former participant"
    assert comment.ip_address is None and comment.user_name == "" and comment.comment == "Scrive una cittadina"
    assert Ballot.objects.filter(user__isnull=True, channel=Ballot.ONLINE, checked_out_at__isnull=False).exists()
    assert get_image_model().objects.get(title="foto").uploaded_by_user_id is None
    entry = ModelLogEntry.objects.get(action=LOG_ACTION)
    assert entry.label == f"#{person_id}" and entry.data == {"user_id": person_id}


def test_deleting_drops_baskets_never_cast(site):  # noqa: F811
    person = UserFactory()
    budget, projects = site["budget"]["it"], site["budget"]["projects"]["it"]
    change_basket(budget=budget, user=person, project_id=projects[0].pk, add=True)
    before = budget_results(budget)["ballots"]
    delete_account(person)
    assert not Ballot.objects.filter(checked_out_at__isnull=True, user__isnull=True).exists()
    assert budget_results(budget)["ballots"] == before
    assert timezone.now() and Decimal(1)
