"""Ranked polls (preferential vote, Schulze method): the method on worked examples, then the poll."""

import time
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from participation.models import PollPage, PollVote, PollVoteChoice
from participation.polls import VoteRejected, cast_vote, ranked_tally
from participation.schulze import group_ballots, schulze
from tests.factories import UserFactory, new_poll_form


def ranked(order, weight=1):
    """``"ACBED"`` → [{"A": 1, "C": 2, "B": 3, "E": 4, "D": 5}] × weight."""
    return [{candidate: rank for rank, candidate in enumerate(order, start=1)}] * weight


# --- the method, on examples from the literature --------------------------------------------------

# Wikipedia, "Schulze method", the 45-voter example (also in Schulze's paper, section 3.1).
WIKIPEDIA = [
    *ranked("ACBED", 5),
    *ranked("ADECB", 5),
    *ranked("BEDAC", 8),
    *ranked("CABED", 3),
    *ranked("CAEBD", 7),
    *ranked("CBADE", 2),
    *ranked("DCEBA", 7),
    *ranked("EBADC", 8),
]


def matrix(result, rows):
    return [[rows[x][y] if x != y else None for y in result.candidates] for x in result.candidates]


def test_wikipedia_example_45_voters():
    result = schulze(WIKIPEDIA, "ABCDE")
    assert matrix(result, result.d) == [
        [None, 20, 26, 30, 22],
        [25, None, 16, 33, 18],
        [19, 29, None, 17, 24],
        [15, 12, 28, None, 14],
        [23, 27, 21, 31, None],
    ]
    assert matrix(result, result.p) == [
        [None, 28, 28, 30, 24],
        [25, None, 28, 33, 24],
        [25, 29, None, 29, 24],
        [25, 28, 28, None, 24],
        [25, 28, 28, 31, None],
    ]
    assert result.winners == ["E"]
    assert result.ranking == [["E"], ["A"], ["C"], ["B"], ["D"]]


def test_a_condorcet_cycle_is_a_tie_in_the_given_order():
    # A > B by 2:1, B > C by 2:1, C > A by 2:1: every strongest path is 2.
    result = schulze([*ranked("ABC"), *ranked("BCA"), *ranked("CAB")], "ABC")
    assert result.d["A"]["B"] == result.d["B"]["C"] == result.d["C"]["A"] == 2
    assert result.winners == ["A", "B", "C"]
    assert result.ranking == [["A", "B", "C"]]


def test_a_cycle_broken_by_strength():
    # Rock-paper-scissors with unequal margins: A>B 6:3, B>C 7:2, C>A 5:4. The weakest link (C>A) breaks.
    ballots = [*ranked("ABC", 4), *ranked("BCA", 3), *ranked("CAB", 2)]
    result = schulze(ballots, "ABC")
    assert (result.d["A"]["B"], result.d["B"]["C"], result.d["C"]["A"]) == (6, 7, 5)
    assert result.p["A"]["C"] == 6 and result.p["C"]["A"] == 5  # A reaches C through B, at strength 6
    assert result.winners == ["A"]
    assert result.ranking == [["A"], ["B"], ["C"]]


def test_ties_are_reported_as_ties():
    result = schulze([*ranked("AB"), *ranked("BA")], "ABC")
    assert result.winners == ["A", "B"]
    assert result.ranking == [["A", "B"], ["C"]]
    assert schulze([], "XYZ").ranking == [["X", "Y", "Z"]]  # no ballots: everyone tied, in the given order


def test_partial_rankings_put_unranked_options_below_and_tied():
    # Two voters rank only B; one ranks C then A. B beats both (2:1), A and C: one voter prefers C.
    result = schulze([{"B": 1}, {"B": 1}, {"C": 1, "A": 2}], "ABC")
    assert result.d["B"] == {"A": 2, "B": 0, "C": 2}
    assert result.d["A"]["C"] == 0 and result.d["C"]["A"] == 1
    assert result.ranking == [["B"], ["C"], ["A"]]
    # a ballot ranking nobody changes nothing; one ranking A alone makes A beat every other option
    assert schulze([{}], "AB").d == {"A": {"A": 0, "B": 0}, "B": {"A": 0, "B": 0}}
    assert schulze([{"A": 1}], "ABC").d["A"] == {"A": 0, "B": 1, "C": 1}


def test_equal_ranks_on_a_ballot_express_no_preference_between_them():
    result = schulze([{"A": 1, "B": 1, "C": 2}], "ABC")
    assert result.d["A"]["B"] == result.d["B"]["A"] == 0
    assert result.ranking == [["A", "B"], ["C"]]


def test_fifty_thousand_ballots_are_grouped_and_tallied_quickly():
    patterns = [ranked(order)[0] for order in ("ABCDEFGH", "HGFEDCBA", "CAB", "D", "EDCBAHGF", "BADC")]
    ballots = [patterns[n % len(patterns)] for n in range(50_000)]
    start = time.perf_counter()
    grouped = group_ballots(ballots)
    result = schulze(None, "ABCDEFGH", grouped=grouped)
    elapsed = time.perf_counter() - start
    assert len(grouped) == len(patterns)
    assert sum(grouped.values()) == 50_000
    assert result.d["A"]["B"] + result.d["B"]["A"] <= 50_000
    assert elapsed < 5, f"{elapsed:.2f}s"  # well under a second on a laptop; loose for a busy CI box


@pytest.mark.parametrize("seed", range(3))
def test_the_winner_is_the_condorcet_winner_when_there_is_one(seed):
    import random

    generator = random.Random(seed)
    ballots = [ranked("".join(generator.sample("ABCD", generator.randint(1, 4))))[0] for _ in range(61)]
    result = schulze(ballots, "ABCD")
    condorcet = [x for x in "ABCD" if all(result.d[x][y] > result.d[y][x] for y in "ABCD" if y != x)]
    if condorcet:
        assert result.winners == condorcet
    # the ranking is a partition of the candidates, and no candidate of a tier is beaten by a later one
    assert sorted(sum(result.ranking, [])) == list("ABCD")
    for upper, tier in enumerate(result.ranking):
        for lower in result.ranking[upper + 1 :]:
            assert all(not result.beats(y, x) for x in tier for y in lower)


# --- ranked polls on the site ---------------------------------------------------------------------


@pytest.fixture
def poll(tree):
    """The tree's open poll (Italian and English, three options), switched to a ranked vote, results always shown."""
    PollPage.objects.filter(translation_key=tree["poll"]["it"].translation_key).update(
        ranked=True, results_visibility=PollPage.RESULTS_ALWAYS
    )
    return {code: PollPage.objects.get(pk=page.pk) for code, page in tree["poll"].items()}


def options(page):
    return list(page.options.order_by("sort_order"))


def ranks_of(page, *order):
    """{option pk: rank} giving 1, 2… to the options at these indexes (the others not ranked)."""
    page_options = options(page)
    return {page_options[index].pk: rank for rank, index in enumerate(order, start=1)}


def post_ranks(client, page, values):
    """The no-JavaScript form: one field per option, "rank-<pk>", a number or "" (not ranked)."""
    data = {f"rank-{option.pk}": "" for option in options(page)}
    data.update({f"rank-{pk}": str(value) for pk, value in values.items()})
    return client.post(page.url + "vote/", data)


def stored(user):
    return sorted(PollVoteChoice.objects.filter(vote__user=user).values_list("option_key", "rank"), key=lambda r: r[1])


def keys(page, *order):
    return [(options(page)[index].translation_key, rank) for rank, index in enumerate(order, start=1)]


@pytest.mark.django_db
def test_the_database_refuses_one_rank_twice_in_a_vote_and_rank_zero(poll, citizen, marco):
    group = poll["it"].ensure_group()
    first, second, third = (option.translation_key for option in options(poll["it"]))
    vote = PollVote.objects.create(group=group, user=citizen, language="it")
    PollVoteChoice.objects.create(vote=vote, option_key=first, rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PollVoteChoice.objects.create(vote=vote, option_key=second, rank=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        PollVoteChoice.objects.create(vote=vote, option_key=third, rank=0)
    # another citizen may give the same rank; unranked rows (single/multiple choice) are not constrained
    other = PollVote.objects.create(group=group, user=marco, language="en")
    PollVoteChoice.objects.create(vote=other, option_key=first, rank=1)
    PollVoteChoice.objects.create(vote=other, option_key=second, rank=None)
    PollVoteChoice.objects.create(vote=other, option_key=third, rank=None)


@pytest.mark.django_db
def test_the_voting_method_is_synchronised_not_translated():
    from wagtail_localize.fields import get_translatable_fields

    page = PollPage()
    fields = {field.field_name: field for field in get_translatable_fields(PollPage)}
    assert fields["ranked"].is_synchronized(page)
    assert not fields["ranked"].is_overridable(page) and not fields["ranked"].is_translated(page)


@pytest.mark.django_db
def test_ballots_on_both_languages_count_in_one_schulze_tally(poll, citizen, marco):
    cast_vote(poll=poll["en"], user=citizen, ranking=ranks_of(poll["en"], 2, 0, 1))
    cast_vote(poll=poll["it"], user=marco, ranking=ranks_of(poll["it"], 2, 1))
    third = UserFactory()
    cast_vote(poll=poll["it"], user=third, ranking=ranks_of(poll["it"], 0))
    assert PollVote.objects.values("group").distinct().count() == 1
    for page in poll.values():
        rows, voters, result = ranked_tally(page)
        assert voters == 3
        assert [row["count"] for row in rows] == [1, 0, 2]  # first preferences
        assert [row["option"].label for row in rows] == [o.label for o in options(page)]
        meadow, gardens, square = (o.translation_key for o in options(page))
        assert result.d[square][meadow] == 2 and result.d[meadow][square] == 1
        assert result.d[meadow][gardens] == 2  # the third voter ranked only the meadow: gardens below it
        assert result.winners == [square]
        assert result.ranking == [[square], [meadow], [gardens]]


@pytest.mark.django_db
def test_a_new_ranking_replaces_the_old_one_from_either_language(client, poll, citizen):
    client.force_login(citizen)
    assert post_ranks(client, poll["en"], ranks_of(poll["en"], 0, 1, 2)).status_code == 302
    assert stored(citizen) == keys(poll["it"], 0, 1, 2)
    assert post_ranks(client, poll["it"], ranks_of(poll["it"], 2)).status_code == 302
    assert PollVote.objects.filter(user=citizen).count() == 1
    assert PollVote.objects.get(user=citizen).language == "it"
    assert stored(citizen) == keys(poll["it"], 2)
    rows, voters, _result = ranked_tally(poll["en"])
    assert voters == 1 and [row["count"] for row in rows] == [0, 0, 1]


@pytest.mark.django_db
def test_the_form_without_javascript_one_labelled_select_per_option(client, poll, citizen):
    client.force_login(citizen)
    html = BeautifulSoup(client.get(poll["en"].url).content.decode(), "html.parser")
    selects = html.select("#vote select")
    assert [select["name"] for select in selects] == [f"rank-{o.pk}" for o in options(poll["en"])]
    for select, option in zip(selects, options(poll["en"]), strict=True):
        label = html.select_one(f"label[for={select['id']}]")
        assert option.label in label.get_text()
        assert [o["value"] for o in select.select("option")] == ["", "1", "2", "3"]
        assert select.select_one("option").get_text() == "Not ranked"
        assert not select.has_attr("disabled")
    assert not html.select("#vote input[name=options]")
    script = html.select_one("script[src$='ranked-poll.js']")
    assert script is not None and script.has_attr("defer")  # the enhancement, from a static file
    assert not [tag for tag in html.select("main script") if not tag.has_attr("src")]  # no inline script

    response = post_ranks(client, poll["en"], ranks_of(poll["en"], 1, 2))
    assert response.status_code == 302 and response["Location"].endswith("#vote")
    html = BeautifulSoup(client.get(poll["en"].url).content.decode(), "html.parser")
    chosen = [select.select_one("option[selected]") for select in html.select("#vote select")]
    assert [option["value"] if option else "" for option in chosen] == ["", "1", "2"]
    assert "your rank: 1" in html.select_one(f"#option-{options(poll['en'])[1].pk}-label").get_text()
    assert "Change my vote" in html.select_one("#vote button[type=submit]").get_text()


@pytest.mark.django_db
def test_a_visitor_sees_disabled_selects_and_no_script(client, poll):
    html = BeautifulSoup(client.get(poll["it"].url).content.decode(), "html.parser")
    assert all(select.has_attr("disabled") for select in html.select("#vote select"))
    assert html.select_one("script[src$='ranked-poll.js']") is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "ranks", "message"),
    [
        ("it", {0: "1", 1: "1"}, "Hai dato il numero 1 a più di un'opzione"),
        ("en", {0: "1", 1: "1"}, "You gave rank 1 to more than one option"),
        ("it", {0: "1", 2: "3"}, "manca il numero 2"),
        ("en", {0: "2"}, "rank 1 is missing"),
        ("en", {}, "Rank at least one option"),
        ("it", {}, "Metti in ordine almeno un'opzione"),
        ("en", {0: "4"}, "Each rank must be a number from 1 to 3"),
        ("en", {0: "0"}, "Each rank must be a number from 1 to 3"),
        ("en", {0: "abc"}, "Each rank must be a number from 1 to 3"),
        ("en", {0: "²"}, "Each rank must be a number from 1 to 3"),
        ("en", {0: " 1"}, "Each rank must be a number from 1 to 3"),
        ("it", {0: "1_0"}, "ogni posizione deve essere un numero da 1 a 3"),
    ],
)
def test_invalid_rankings_are_refused_with_the_ranks_kept(client, poll, citizen, code, ranks, message):
    client.force_login(citizen)
    cast_vote(poll=poll["it"], user=citizen, ranking=ranks_of(poll["it"], 2, 1, 0))
    before = stored(citizen)
    page = poll[code]
    values = {options(page)[index].pk: value for index, value in ranks.items()}
    response = post_ranks(client, page, values)
    assert response.status_code == 400
    html = BeautifulSoup(response.content.decode(), "html.parser")
    assert message.lower() in html.select_one("#vote-errors").get_text().lower()
    assert html.select_one("#vote fieldset")["aria-describedby"] == "vote-errors"
    for option in options(page):  # what was typed is shown again (when it is one of the choices)
        select = html.select_one(f"#rank-{option.pk}")
        assert select["aria-invalid"] == "true"
        chosen = select.select_one("option[selected]")
        typed = values.get(option.pk, "")
        assert (chosen["value"] if chosen else "") == (typed if typed in ("1", "2", "3") else "")
    assert stored(citizen) == before  # the earlier ballot is untouched: nothing half-saved


@pytest.mark.django_db
def test_unknown_options_and_options_of_another_translation_are_refused(client, poll, citizen):
    client.force_login(citizen)
    for data in ({"rank-999999": "1"}, {"rank-abc": "1"}, {"rank-²": "1"}, {f"rank-{options(poll['en'])[0].pk}": "1"}):
        response = client.post(poll["it"].url + "vote/", data)
        assert response.status_code == 400
        assert "non esiste" in response.content.decode() or "does not exist" in response.content.decode()
    # the option list of a single-choice form means nothing to a ranked poll
    response = client.post(poll["it"].url + "vote/", {"options": [str(options(poll["it"])[0].pk)]})
    assert response.status_code == 400
    assert not PollVote.objects.exists() and not PollVoteChoice.objects.exists()


@pytest.mark.django_db
def test_the_service_refuses_the_same_rules_as_the_form(poll, citizen):
    italian = options(poll["it"])
    for ranking in ({italian[0].pk: 1, italian[1].pk: 1}, {italian[0].pk: 2}, {}, None, {italian[0].pk: 9}):
        with pytest.raises(VoteRejected):
            cast_vote(poll=poll["it"], user=citizen, ranking=ranking)
    assert not PollVote.objects.exists()
    cast_vote(poll=poll["it"], user=citizen, ranking={italian[2].pk: 1, italian[0].pk: 2})
    assert stored(citizen) == keys(poll["it"], 2, 0)


@pytest.mark.django_db
def test_rank_fields_sent_to_a_single_choice_poll_are_ignored(client, tree, citizen):
    client.force_login(citizen)
    page = tree["poll"]["it"]
    response = client.post(page.url + "vote/", {f"rank-{options(page)[0].pk}": "1"})
    assert response.status_code == 400 and "Scegli un'opzione" in response.content.decode()


@pytest.mark.django_db
def test_results_winner_ranking_matrix_and_explanation(client, poll, citizen, marco):
    cast_vote(poll=poll["it"], user=citizen, ranking=ranks_of(poll["it"], 1, 0, 2))
    cast_vote(poll=poll["en"], user=marco, ranking=ranks_of(poll["en"], 1, 2))
    html = BeautifulSoup(client.get(poll["en"].url).content.decode(), "html.parser")
    labels = [o.label for o in options(poll["en"])]  # meadow, gardens, square
    results = html.select_one("#results")
    assert "2 people have voted" in results.get_text()
    assert "Winner: Shared gardens" in " ".join(html.select_one("#ranked-winner").get_text().split())
    places = [" ".join(li.get_text().split()) for li in results.select(".ranked-ranking li")]
    assert places == ["1. Shared gardens", "2. Open meadow, Covered square tied"]  # 1:1 between those two
    # first preferences: text and table, bars as <meter>s
    first = results.select("#first-preferences tbody tr")
    assert [(row.th.get_text(), row.td.get_text()) for row in first] == list(zip(labels, ["0", "2", "0"], strict=True))
    assert [meter["value"] for meter in results.select(".poll-results meter")] == ["0.0", "100.0", "0.0"]
    # the pairwise matrix: a caption, column and row headers with scope, the counts
    matrix = results.select_one("table#pairwise")
    assert matrix.caption.get_text().strip()
    assert [th["scope"] for th in matrix.select("thead th")] == ["col"] * 4
    assert [th.get_text() for th in matrix.select("thead th")][1:] == [f"over “{label}”" for label in labels]
    rows = matrix.select("tbody tr")
    assert [row.th["scope"] for row in rows] == ["row"] * 3
    counts = [[td.get_text(" ", strip=True) for td in row.select("td")] for row in rows]
    assert counts == [
        ["— not applicable", "0", "1"],
        ["2 (wins)", "— not applicable", "2 (wins)"],
        ["1", "0", "— not applicable"],
    ]
    assert "Schulze method" in html.select_one("#ranked-method").get_text()
    assert not html.select("#results [style]") and not html.select("#vote [style]")

    italian = BeautifulSoup(client.get(poll["it"].url).content.decode(), "html.parser")
    assert "metodo Schulze" in italian.select_one("#ranked-method").get_text()
    assert "Vince: Orti condivisi" in " ".join(italian.select_one("#ranked-winner").get_text().split())


@pytest.mark.django_db
def test_a_tie_is_shown_as_a_tie(client, poll, citizen, marco):
    cast_vote(poll=poll["it"], user=citizen, ranking=ranks_of(poll["it"], 0, 1))
    cast_vote(poll=poll["it"], user=marco, ranking=ranks_of(poll["it"], 1, 0))
    html = BeautifulSoup(client.get(poll["en"].url).content.decode(), "html.parser")
    assert "Tie for first place" in html.select_one("#ranked-winner").get_text()
    places = [" ".join(li.get_text().split()) for li in html.select(".ranked-ranking li")]
    assert places == ["1. Open meadow, Shared gardens tied", "3. Covered square"]


@pytest.mark.django_db
def test_results_follow_the_visibility_rules(client, poll, citizen, marco):
    PollPage.objects.filter(translation_key=poll["it"].translation_key).update(
        results_visibility=PollPage.RESULTS_AFTER_VOTE
    )
    cast_vote(poll=poll["it"], user=marco, ranking=ranks_of(poll["it"], 0))
    client.force_login(citizen)
    html = BeautifulSoup(client.get(poll["en"].url).content.decode(), "html.parser")
    assert html.select_one("#pairwise") is None and html.select_one("#ranked-method") is not None
    cast_vote(poll=poll["it"], user=citizen, ranking=ranks_of(poll["it"], 1))
    assert BeautifulSoup(client.get(poll["en"].url).content.decode(), "html.parser").select_one("#pairwise")


@pytest.mark.django_db
def test_ranked_poll_page_queries_do_not_grow_with_ballots(client, poll, citizen):
    client.force_login(citizen)
    cast_vote(poll=poll["it"], user=citizen, ranking=ranks_of(poll["it"], 0, 1))
    client.get(poll["en"].url)
    recount(poll["it"].translation_key)  # both renders count the ballots (a real vote drops the cached counts too)
    with CaptureQueriesContext(connection) as few:
        client.get(poll["en"].url)
    group = poll["it"].ensure_group()
    option_keys = [o.translation_key for o in options(poll["it"])]
    for number in range(40):
        vote = PollVote.objects.create(group=group, user=UserFactory(), language="it")
        order = option_keys[number % 3 :] + option_keys[: number % 3]
        PollVoteChoice.objects.bulk_create(
            [PollVoteChoice(vote=vote, option_key=key, rank=rank) for rank, key in enumerate(order, 1) if rank <= 2]
        )
    recount(poll["it"].translation_key)
    with CaptureQueriesContext(connection) as many:
        response = client.get(poll["en"].url)
    assert "41 people have voted" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries) <= 15


def recount(key):
    """Drop the cached counts of the poll's group, as cast_vote does (these tests insert ballots directly)."""
    from civic_site import pagecache
    from participation.polls import votes_tag

    pagecache.bump(votes_tag(key))


def edit_data(page, **changes):
    from tests.test_polls import edit_form_data

    data = edit_form_data(page)
    if page.ranked:
        data["ranked"] = "on"
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.django_db
def test_editors_create_a_ranked_poll(client, tree, admin_user):
    client.force_login(admin_user)
    parent = tree["consultation"]["it"]
    phase = list(parent.phases.all())[0]
    now = timezone.now()
    data = new_poll_form(phase, now + timedelta(hours=1), now + timedelta(days=3), labels=("Mattina", "Sera", "Notte"))
    add = reverse("wagtailadmin_pages:add", args=["participation", "pollpage", parent.pk])
    response = client.post(add, {**data, "ranked": "on", "action-publish": "action-publish"})
    assert response.status_code == 302
    assert PollPage.objects.get(slug="quale-orario").ranked


@pytest.mark.django_db
def test_the_method_cannot_change_once_the_poll_has_votes(client, tree, admin_user, citizen):
    client.force_login(admin_user)
    page = tree["poll"]["it"]
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    # no votes yet: single choice → ranked is allowed, and back
    assert client.post(edit, {**edit_data(page, ranked="on"), "action-publish": "action-publish"}).status_code == 302
    page = PollPage.objects.get(pk=page.pk)
    assert page.ranked
    cast_vote(poll=page, user=citizen, ranking=ranks_of(page, 0))
    for changes in ({"ranked": None}, {"ranked": None, "max_choices": "2"}):
        response = client.post(edit, {**edit_data(page, **changes), "action-publish": "action-publish"})
        assert response.status_code == 200
        body = response.content.decode()
        assert "already has votes" in body or "ha già ricevuto voti" in body
        assert PollPage.objects.get(pk=page.pk).ranked
    # other edits still go through
    response = client.post(edit, {**edit_data(page, question="Nuova domanda?"), "action-publish": "action-publish"})
    assert response.status_code == 302


@pytest.mark.django_db
def test_a_single_choice_poll_with_votes_cannot_become_multiple_choice(client, tree, admin_user, citizen):
    page = tree["poll"]["it"]
    cast_vote(poll=page, user=citizen, option_ids=[options(page)[0].pk])
    client.force_login(admin_user)
    edit = reverse("wagtailadmin_pages:edit", args=[page.pk])
    response = client.post(edit, {**edit_data(page, max_choices="2"), "action-publish": "action-publish"})
    assert response.status_code == 200
    assert PollPage.objects.get(pk=page.pk).max_choices == 1
