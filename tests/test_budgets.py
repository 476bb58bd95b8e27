"""AxTO budgets: the basket, the ballot, every rule on the server, one ballot per citizen, the count."""

from datetime import datetime, time, timedelta
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from participation import budgeting
from participation.budgets import (
    BallotRejected,
    budget_results,
    change_basket,
    checkout,
    counted_ballots,
    pabulib_text,
    withdraw,
)
from participation.models import Ballot, BallotProject, BudgetPage
from tests.factories import (
    UserFactory,
    build_budget,
    district,
    project_category,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """Messages are matched in English (the pages' own language is the URL's)."""
    with translation.override("en"):
        yield


@pytest.fixture
def categories(db):
    return {
        "theatre": project_category("Teatro", "Theatre"),
        "music": project_category("Musica", "Music"),
    }


def projects_spec(categories, *costs_and_groups):
    """[(cost, category name, district number)] as ProjectPageFactory fields."""
    return [
        {"cost": Decimal(cost), "category": categories[category], "district": district(number)}
        for cost, category, number in costs_and_groups
    ]


@pytest.fixture
def axto(tree, categories):
    """€100 budget, the AxTO rule (at most 1 per category in each district, at most 3 overall)."""
    return build_budget(
        tree["consultation"],
        projects_spec(
            categories,
            ("40.00", "theatre", 6),
            ("30.00", "theatre", 6),  # same group as the first
            ("30.00", "music", 6),
            ("30.00", "theatre", 7),
            ("0.01", "music", 7),
        ),
        total_budget=Decimal("100.00"),
        max_projects=3,
        max_per_group=1,
    )


def add(budget, user, project):
    return change_basket(budget=budget, user=user, project_id=project.pk, add=True)


def test_a_ballot_filled_in_english_and_cast_in_italian_is_one_ballot_counted_once(axto, citizen):
    p_it, p_en = axto["projects"]["it"], axto["projects"]["en"]
    add(axto["en"], citizen, p_en[0])
    add(axto["it"], citizen, p_it[2])
    ballot = checkout(budget=axto["it"], user=citizen)
    assert ballot.is_cast and ballot.receipt
    assert Ballot.objects.count() == 1
    assert set(BallotProject.objects.values_list("project_key", flat=True)) == {
        p_it[0].translation_key,
        p_it[2].translation_key,
    }
    for code in ("it", "en"):
        results = budget_results(BudgetPage.objects.get(pk=axto[code].pk))
        votes = {str(row.page.translation_key): row.votes for row in results["rows"]}
        assert votes[str(p_it[0].translation_key)] == 1 and votes[str(p_it[2].translation_key)] == 1
        assert results["ballots"] == 1 and results["online"] == 1


def test_the_budget_holds_to_the_cent(tree, categories, citizen):
    budget = build_budget(
        tree["consultation"],
        projects_spec(categories, ("60.00", "theatre", 6), ("40.00", "music", 6), ("0.01", "theatre", 7)),
        total_budget=Decimal("100.00"),
    )
    pages = budget["projects"]["it"]
    add(budget["it"], citizen, pages[0])
    add(budget["it"], citizen, pages[1])  # exactly the budget
    with pytest.raises(BallotRejected, match="0.01"):
        add(budget["it"], citizen, pages[2])  # one cent over
    assert checkout(budget=budget["it"], user=citizen).is_cast


def test_the_group_limit_takes_the_kth_project_and_refuses_the_next(axto, citizen):
    pages = axto["projects"]["it"]
    add(axto["it"], citizen, pages[0])
    with pytest.raises(BallotRejected, match="Theatre"):
        add(axto["it"], citizen, pages[1])  # theatre in district 6 again
    add(axto["it"], citizen, pages[3])  # theatre in district 7: another group
    assert Ballot.objects.get().projects.count() == 2


def test_the_most_projects_overall(tree, categories, citizen):
    budget = build_budget(
        tree["consultation"],
        projects_spec(categories, *[("1.00", "theatre", n) for n in range(1, 5)]),
        max_projects=3,
    )
    pages = budget["projects"]["it"]
    for page in pages[:3]:
        add(budget["it"], citizen, page)
    with pytest.raises(BallotRejected, match="at most 3"):
        add(budget["it"], citizen, pages[3])


def test_approval_rules_check_the_fewest_at_checkout(tree, categories, citizen):
    budget = build_budget(
        tree["consultation"],
        projects_spec(categories, *[("90000.00", "theatre", n) for n in range(1, 5)]),
        voting_rule=BudgetPage.RULE_APPROVAL,
        min_projects=2,
        max_projects=3,
        total_budget=Decimal("100.00"),
    )
    pages = budget["projects"]["it"]
    add(budget["it"], citizen, pages[0])  # cost is ignored: 90,000 > 100 is fine
    with pytest.raises(BallotRejected):
        checkout(budget=budget["it"], user=citizen)  # 1 < 2
    assert not Ballot.objects.get().is_cast
    add(budget["it"], citizen, pages[1])
    assert checkout(budget=budget["it"], user=citizen).is_cast


def test_the_least_share_of_the_budget_is_checked_at_checkout(tree, categories, citizen):
    budget = build_budget(
        tree["consultation"],
        projects_spec(categories, ("49.99", "theatre", 1), ("0.01", "music", 1)),
        total_budget=Decimal("100.00"),
        min_percent=Decimal("50"),
    )
    pages = budget["projects"]["it"]
    add(budget["it"], citizen, pages[0])
    with pytest.raises(BallotRejected, match="50"):
        checkout(budget=budget["it"], user=citizen)
    add(budget["it"], citizen, pages[1])  # exactly 50 %
    assert checkout(budget=budget["it"], user=citizen).is_cast


def test_withdraw_and_vote_again_keeps_one_ballot(axto, citizen):
    pages = axto["projects"]["it"]
    add(axto["it"], citizen, pages[0])
    first = checkout(budget=axto["it"], user=citizen).receipt
    with pytest.raises(BallotRejected, match="withdraw"):
        add(axto["it"], citizen, pages[2])
    withdraw(budget=axto["it"], user=citizen)
    assert counted_ballots(axto["it"])["online"] == 0  # a withdrawn ballot does not count
    add(axto["it"], citizen, pages[2])
    second = checkout(budget=axto["it"], user=citizen).receipt
    assert first != second
    assert Ballot.objects.count() == 1
    assert counted_ballots(axto["it"])["ballots"] == [
        (tuple(sorted([str(pages[0].translation_key), str(pages[2].translation_key)])), 1)
    ]


def test_the_window_and_the_budget_are_enforced(axto, tree, categories, citizen):
    other = build_budget(tree["consultation"], projects_spec(categories, ("1.00", "theatre", 1)))
    with pytest.raises(BallotRejected):
        add(axto["it"], citizen, other["projects"]["it"][0])  # a project of another budget
    BudgetPage.objects.filter(translation_key=axto["it"].translation_key).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    closed = BudgetPage.objects.get(pk=axto["it"].pk)
    with pytest.raises(BallotRejected, match="closed"):
        add(closed, citizen, axto["projects"]["it"][0])


def test_the_database_allows_one_ballot_per_citizen_per_budget(axto, citizen):
    group = axto["it"].ensure_group()
    Ballot.objects.create(group=group, user=citizen, language="it")
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(group=group, user=citizen, language="en")
    # Paper ballots have no citizen: as many as were entered.
    Ballot.objects.create(
        group=group, channel=Ballot.PAPER, checked_out_at=timezone.now(), receipt="P-1", language="it"
    )
    Ballot.objects.create(
        group=group, channel=Ballot.PAPER, checked_out_at=timezone.now(), receipt="P-2", language="it"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(group=group, user=citizen, checked_out_at=timezone.now(), language="it")  # no receipt


def test_greedy_results_skip_what_does_not_fit_and_match_the_counting_module(axto):
    pages = axto["projects"]["it"]
    ballots = [[0, 2], [0, 3], [0], [1], [1], [1], [4]]
    for number, chosen in enumerate(ballots):
        voter = UserFactory(username=f"voter{number}", email=f"voter{number}@example.org")
        for index in chosen:
            add(axto["it"], voter, pages[index])
        checkout(budget=axto["it"], user=voter)
    results = budget_results(axto["it"])
    funded = [str(row.page.translation_key) for row in results["rows"] if row.funded]
    keys = [str(page.translation_key) for page in pages]
    projects = [
        budgeting.Project(id=key, cost=int(page.cost * 100), order=i)
        for i, (key, page) in enumerate(zip(keys, pages, strict=True))
    ]
    expected = budgeting.greedy(projects, [[keys[i] for i in ballot] for ballot in ballots], 10000)
    assert funded == expected
    # 3 votes each: the cheaper (30 €) first, then 40 €; with 30 € left, the 30 € projects do not fit
    # (30 - 0.01 after the cheapest one-vote project) and are skipped.
    assert expected == [keys[1], keys[0], keys[4]]
    assert results["spent"] == 7001 and results["left"] == 2999
    # Per group (district, category): theatre in district 6 has two projects, 6 votes, both funded (70 €).
    theatre_6 = next(g for g in results["groups"] if g["district"].number == 6 and g["category"].name == "Theatre")
    assert (theatre_6["projects"], theatre_6["votes"], theatre_6["funded"], theatre_6["amount"]) == (2, 6, 2, 7000)


def test_anonymous_budget_page_lists_projects_without_a_form(client, axto):
    response = client.get(axto["it"].url)
    assert response.status_code == 200
    soup = BeautifulSoup(response.content, "html.parser")
    assert len(soup.select("article.budget-project")) == 5
    # No voting form (the page clarity question under every page posts without a token: feedback/views.py)
    assert not soup.select("main form[method=post]")
    assert not soup.select("input[name=csrfmiddlewaretoken]")
    assert "csrftoken" not in response.cookies


def test_a_citizen_votes_without_javascript(client, axto, citizen):
    client.force_login(citizen)
    pages = axto["projects"]["en"]
    response = client.post(axto["en"].url + "basket/", {"project": pages[0].pk, "action": "add"})
    assert response.status_code == 302
    page = client.get(axto["en"].url)
    soup = BeautifulSoup(page.content, "html.parser")
    basket = soup.select_one("#basket")
    assert pages[0].title in basket.get_text()
    assert "€\xa040 of €\xa0100 used" in basket.get_text()
    refused = client.post(axto["en"].url + "basket/", {"project": pages[1].pk, "action": "add"})
    assert refused.status_code == 400
    assert (
        "at most 1 project of" in BeautifulSoup(refused.content, "html.parser").select_one("#budget-errors").get_text()
    )
    response = client.post(axto["en"].url + "checkout/")
    assert response.status_code == 302
    page = client.get(axto["en"].url)
    assert Ballot.objects.get(user=citizen).receipt in page.content.decode()


def test_hostile_project_ids_are_refused_cleanly(client, axto, citizen):
    client.force_login(citizen)
    for value in ["", "abc", "²", "9" * 40, "-1", "1.5", "99999"]:
        response = client.post(axto["it"].url + "basket/", {"project": value, "action": "add"})
        assert response.status_code == 400, value
    assert not BallotProject.objects.exists()


def test_the_filters_narrow_the_list(client, axto):
    pages = axto["projects"]["it"]
    seven = district(7)
    response = client.get(axto["it"].url, {"district": seven.pk, "max_cost": "1"})
    soup = BeautifulSoup(response.content, "html.parser")
    titles = [a.get_text() for a in soup.select("article.budget-project h3 a")]
    assert titles == [pages[4].title]
    response = client.get(axto["it"].url, {"district": "x", "category": "'--", "max_cost": "NaN", "q": "<b>"})
    assert response.status_code == 200


def test_results_are_hidden_from_citizens_until_the_vote_closes(client, axto, citizen):
    client.force_login(citizen)
    assert not BeautifulSoup(client.get(axto["it"].url).content, "html.parser").select("#results")
    BudgetPage.objects.filter(translation_key=axto["it"].translation_key).update(
        closes_at=timezone.now() - timedelta(minutes=1)
    )
    assert BeautifulSoup(client.get(axto["it"].url).content, "html.parser").select("#results table")


def budget_form(phase, **overrides):
    zone = timezone.get_current_timezone()
    opens = timezone.make_aware(datetime.combine(phase.start, time(9)), zone)
    closes = timezone.make_aware(datetime.combine(phase.end, time(18)), zone)
    data = {
        "title": "Progetti culturali",
        "slug": "progetti-culturali",
        "intro": "",
        "eligibility": "Residenti dai 16 anni.",
        "phase_key": str(phase.translation_key),
        "opens_at": f"{opens:%Y-%m-%d %H:%M}",
        "closes_at": f"{closes:%Y-%m-%d %H:%M}",
        "total_budget": "300000.00",
        "voting_rule": "knapsack",
        "min_percent": "0",
        "min_projects": "1",
        "max_projects": "8",
        "max_per_group": "1",
        "results_method": "greedy",
        "citizen_weight": "100",
        "action-publish": "action-publish",
    }
    data.update(overrides)
    return data


def test_editors_create_a_budget_and_a_project_in_the_admin(client, tree, categories, admin_user):
    from django.urls import reverse

    from participation.models import ProjectPage

    client.force_login(admin_user)
    parent = tree["consultation"]["it"]
    phase = [phase for phase in parent.phases.all() if not phase.is_results][-1]
    add = reverse("wagtailadmin_pages:add", args=["participation", "budgetpage", parent.pk])
    assert client.get(add).status_code == 200
    refused = client.post(add, budget_form(phase, voting_rule="approval", max_projects="", min_percent="10"))
    assert refused.status_code == 200
    assert not BudgetPage.objects.filter(slug="progetti-culturali").exists()
    assert client.post(add, budget_form(phase)).status_code == 302
    budget = BudgetPage.objects.get(slug="progetti-culturali")

    add_project = reverse("wagtailadmin_pages:add", args=["participation", "projectpage", budget.pk])
    assert client.get(add_project).status_code == 200
    project = {
        "title": "Teatro nei cortili",
        "slug": "teatro-nei-cortili",
        "code": "A01",
        "organisation": "Compagnia Fuori Margine",
        "summary": "Spettacoli nei cortili.",
        "cost": "42000.00",
        "category": categories["theatre"].pk,
        "district": district(6).pk,
        "location": "",
        "technical_score": "88",
        "body-count": "0",
        "milestones-TOTAL_FORMS": "0",
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "1000",
        "action-publish": "action-publish",
    }
    response = client.post(add_project, project)
    assert response.status_code == 302, response.content.decode()[:3000]
    same_code = {**project, "slug": "altro", "code": "a01"}
    assert client.post(add_project, same_code).status_code == 200  # the code is taken in this budget
    assert ProjectPage.objects.child_of(budget).count() == 1


def test_rules_cannot_change_once_someone_voted(client, axto, citizen, admin_user):
    add(axto["it"], citizen, axto["projects"]["it"][0])
    checkout(budget=axto["it"], user=citizen)
    form_class = BudgetPage.get_edit_handler().get_form_class()
    page = BudgetPage.objects.get(pk=axto["it"].pk)
    data = budget_form(
        next(p for p in page.get_parent().specific.phases.all() if not p.is_results),
        title=page.title,
        slug=page.slug,
        total_budget="200.00",
    )
    form = form_class(data, instance=page, parent_page=page.get_parent().specific, for_user=admin_user)
    assert not form.is_valid()
    assert "total_budget" in form.errors


def test_the_pabulib_export_reads_back_passes_the_checker_and_names_nobody(tree, categories, tmp_path):
    import json

    from django.core.management import call_command
    from pabulib.checker import Checker

    from participation.budgeting import read_pabulib

    axto = build_budget(
        tree["consultation"],
        projects_spec(
            categories,
            ("40.00", "theatre", 6),
            ("30.00", "theatre", 6),
            ("30.00", "music", 6),
            ("30.00", "theatre", 7),
            ("1.00", "music", 7),
        ),
        total_budget=Decimal("100.00"),
        max_projects=3,
        max_per_group=1,
    )
    pages = axto["projects"]["it"]
    chosen = [[0, 2], [0, 3], [1], [1, 4], [2]]
    for number, indexes in enumerate(chosen):
        voter = UserFactory(username=f"elettore{number}", email=f"elettore{number}@example.org")
        for index in indexes:
            add(axto["it"], voter, pages[index])
        checkout(budget=axto["it"], user=voter)
    group = axto["it"].ensure_group()
    paper = Ballot.objects.create(
        group=group, channel=Ballot.PAPER, checked_out_at=timezone.now(), receipt="CARTA-1", language="it"
    )
    BallotProject.objects.create(ballot=paper, project_key=pages[3].translation_key)
    BudgetPage.objects.filter(translation_key=group.pk).update(closes_at=timezone.now() - timedelta(minutes=1))

    output = tmp_path / "axto.pb"
    call_command("export_pabulib", axto["en"].url, output=str(output))  # any translation's address
    text = output.read_text(encoding="utf-8")
    instance = read_pabulib(text)
    codes = [page.code for page in pages]
    assert sorted(sorted(vote.approved) for vote in instance.votes) == sorted(
        [sorted(codes[i] for i in indexes) for indexes in chosen] + [[codes[3]]]
    )
    assert [vote.voting_method for vote in instance.votes].count("paper") == 1
    assert instance.budget == 10000
    assert "elettore" not in text and "@" not in text
    assert all(
        str(vote.voter_id) not in {str(u) for u in Ballot.objects.values_list("user_id", flat=True)}
        for vote in instance.votes
    )
    results = Checker().process_files([text])
    assert results["metadata"]["valid"] == 1, json.dumps(results, default=str)[:2000]
    # The same pseudonyms in a second export: ballots can be compared across files.
    assert read_pabulib(pabulib_text(axto["it"])).votes == instance.votes


def test_paper_ballots_import_whole_or_not_at_all_with_line_numbers(client, axto, citizen):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.factories import ResultsFactory

    pages = axto["projects"]["it"]
    codes = [page.code for page in pages]
    url = reverse("budget_paper_ballots", args=[axto["it"].pk])
    client.force_login(citizen)
    assert client.get(url).status_code in (302, 403)  # citizens never reach it
    staff = ResultsFactory()
    client.force_login(staff)
    assert client.get(url).status_code == 200
    bad = "\n".join(
        [
            "progetti;punto_di_voto",
            f"{codes[0]} {codes[2]};Biblioteca Primo Levi",
            f"{codes[0]},{codes[1]};Biblioteca Primo Levi",  # line 3: two theatre projects in district 6
            "ZZZ;Casa del Quartiere",  # line 4: no such project
            f"{codes[3]};",  # line 5: no voting point
        ]
    )
    response = client.post(url, {"action": "import", "file": SimpleUploadedFile("schede.csv", bad.encode())})
    assert response.status_code == 400
    errors = BeautifulSoup(response.content, "html.parser").select_one("#paper-errors").get_text()
    assert "3" in errors and "ZZZ" in errors and "5" in errors
    assert not Ballot.objects.filter(channel=Ballot.PAPER).exists()  # nothing half-imported

    good = (
        "\ufeffprojects,voting_point\n"
        + f'"{codes[0]}, {codes[2]}",Biblioteca Primo Levi\n{codes[4]},Casa del Quartiere\n'
    )
    response = client.post(url, {"action": "import", "file": SimpleUploadedFile("ballots.csv", good.encode())})
    assert response.status_code == 302
    paper = Ballot.objects.filter(channel=Ballot.PAPER)
    assert paper.count() == 2 and all(b.entered_by == staff and b.user is None for b in paper)

    response = client.post(url, {"action": "single", "voting_point": "Vallette", "projects": [codes[1], codes[3]]})
    assert response.status_code == 302
    counted = counted_ballots(axto["it"])
    assert counted["paper"] == 3 and counted["online"] == 0
    results = budget_results(axto["it"])
    assert results["paper"] == 3 and sum(row.votes for row in results["rows"]) == 5
    download = client.get(reverse("budget_pabulib", args=[axto["it"].pk]))
    assert download.status_code == 200 and download.content.decode().count(";paper") == 3
    client.force_login(citizen)
    assert client.get(reverse("budget_pabulib", args=[axto["it"].pk])).status_code in (302, 403)


def test_live_results_before_the_close_are_for_editors_and_the_results_group_only(client, axto):
    from tests.factories import EditorFactory, ModeratorFactory, ResultsFactory

    for user, sees in ((EditorFactory(), True), (ResultsFactory(), True), (ModeratorFactory(), False)):
        client.force_login(user)
        soup = BeautifulSoup(client.get(axto["it"].url).content, "html.parser")
        assert bool(soup.select("#results table")) is sees, user


def test_the_budget_page_costs_the_same_queries_with_5_or_30_projects(client, axto, citizen, categories, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ProjectPageFactory, translate_project

    settings.PAGE_CACHE = {**settings.PAGE_CACHE, "ENABLED": False}
    client.force_login(citizen)
    add(axto["it"], citizen, axto["projects"]["it"][0])

    def count():
        client.get(axto["en"].url)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(axto["en"].url).status_code == 200
        return len(queries)

    few = count()
    for _ in range(25):
        project = ProjectPageFactory(parent=axto["it"], category=categories["music"], district=district(8))
        translate_project(project)
    assert count() == few <= 15


def cast(budget, ballots):
    """Cast ``ballots`` (each a list of project indexes) on ``budget``, one new citizen each."""
    pages = budget["projects"]["it"]
    for number, indexes in enumerate(ballots):
        voter = UserFactory(username=f"cittadino{number}", email=f"cittadino{number}@example.org")
        for index in indexes:
            add(budget["it"], voter, pages[index])
        checkout(budget=budget["it"], user=voter)


def test_the_combined_score_weighs_votes_and_the_technical_assessment(tree, categories):
    budget = build_budget(
        tree["consultation"],
        [
            {**spec, "technical_score": score}
            for spec, score in zip(
                projects_spec(categories, ("50", "theatre", 1), ("50", "theatre", 2), ("50", "theatre", 3)),
                (20, 100, None),
                strict=True,
            )
        ],
        total_budget=Decimal("100"),
        results_method=BudgetPage.METHOD_COMBINED,
        citizen_weight=60,
    )
    cast(budget, [[0], [0], [0], [0], [1], [1], [2]])  # votes 4, 2, 1
    rows = {row.page.code: row for row in budget_results(budget["it"])["rows"]}
    codes = [page.code for page in budget["projects"]["it"]]
    # Citizens: 100, 50, 25 (the most-voted is 100); technical 20, 100, not assessed (0).
    assert [rows[code].citizen_score for code in codes] == [100, 50, 25]
    assert [rows[code].combined for code in codes] == [68, 70, 15]
    # Funded from the highest combined score down: the second (70), then the first (68); 100 € used.
    assert [rows[code].funded for code in codes] == [True, True, False]
    assert [row.page.code for row in budget_results(budget["it"])["rows"]][:2] == [codes[1], codes[0]]


def test_equal_shares_on_the_page_is_the_counting_modules_result(tree, categories):
    from participation.budgeting import equal_shares

    budget = build_budget(
        tree["consultation"],
        projects_spec(
            categories, ("60", "theatre", 1), ("40", "theatre", 2), ("40", "theatre", 3), ("20", "theatre", 4)
        ),
        total_budget=Decimal("100"),
        results_method=BudgetPage.METHOD_EQUAL_SHARES,
    )
    ballots = [[0], [0], [0], [0], [0], [0], [1, 3], [1, 3], [2, 3], [2]]
    cast(budget, ballots)
    pages = budget["projects"]["it"]
    keys = [str(page.translation_key) for page in pages]
    results = budget_results(budget["it"])
    funded = [str(row.page.translation_key) for row in results["rows"] if row.funded]
    projects = [
        budgeting.Project(id=key, cost=int(page.cost * 100), order=i)
        for i, (key, page) in enumerate(zip(keys, pages, strict=True))
    ]
    assert funded == equal_shares(projects, [[keys[i] for i in ballot] for ballot in ballots], 10000)
    # Each voter holds 10 €: the six fund the 60 € project, and three of the other four the 20 € one
    # they chose together.
    assert funded[:2] == [keys[0], keys[3]]
    assert results["details"].voters == 10


def test_a_project_page_shows_its_place_on_a_map_and_in_words(client, axto):
    import json

    from participation.models import ProjectPage

    project = axto["projects"]["en"][0]
    ProjectPage.objects.filter(translation_key=project.translation_key).update(
        location="SRID=4326;POINT(7.6948 45.0889)"
    )
    soup = BeautifulSoup(client.get(project.url).content, "html.parser")
    config = json.loads(soup.select_one("#project-map")["data-map"])
    assert config["centre"] == [45.0889, 7.6948] and config["idea"] is True
    assert "latitude 45.08890, longitude 7.69480" in soup.get_text()
    without = BeautifulSoup(client.get(axto["projects"]["en"][1].url).content, "html.parser")
    assert not without.select("#project-map") and not without.select("script[src*=leaflet]")
