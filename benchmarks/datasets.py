"""What `make bench` loads and measures: one entry per page type, with its data, its pages and its exports.

The run (benchmarks/run.py) seeds the demo, then calls every dataset's ``load`` in order, then measures
every dataset's ``pages`` and ``exports``. A new page type (idea map, budget, reports...) appends its own
:class:`Dataset` to ``DATASETS`` here: its bulk loader, its pages (listing or detail, both languages) and,
when results land, its exports. The run loop never changes.

Loaders add a LARGE dataset quickly: ``bulk_create`` (and, for django-comments-xtd's three-table
inheritance, one multi-row INSERT per table), never one ``save()`` per row. Sizes are the full-size
numbers of issue 13, multiplied by ``--scale`` (``--small`` uses 1 %).
"""

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

DETAIL, LISTING = "detail", "listing"  # the logged-in targets differ: ≥ 5 % (detail) and ≥ 2.6 % (listings)
FEED = "feed"  # open data (GeoJSON, Open311): under 150 ms warm with ETag and 304, not a share of the bare view


@dataclass(frozen=True)
class PageSpec:
    """One public URL to measure. ``kind`` says which logged-in target applies."""

    name: str
    url: str
    kind: str = DETAIL


@dataclass(frozen=True)
class Export:
    """An export to measure in-process: ``run()`` returns an iterable of ``bytes`` chunks (what a
    ``StreamingHttpResponse`` would stream, e.g. ``response.streaming_content``).

    The run records the time to the first chunk, the total time, the bytes, the peak of Python
    allocations during the export (tracemalloc) and the process's peak resident memory (VmHWM).
    Target (issue 13): 100,000 rows under 150 MB peak, first byte within a second.
    """

    name: str
    run: Callable[[], Iterable[bytes]]
    rows: int | None = None


@dataclass
class Dataset:
    """A page type's share of the benchmark.

    ``sizes``: full-size row counts (scaled by ``--scale``); ``prepare(ctx)`` sets what the pages should show
    (e.g. poll results always visible), before the seed-size query count; ``load(ctx)`` adds the rows and
    returns what it made (for the JSON); ``pages(ctx)`` lists the URLs to measure; ``exports(ctx)`` the exports to
    measure (participation/exports.py tables, streamed as CSV: ``exports=poll_exports``).
    """

    name: str
    pages: Callable[["Context"], list[PageSpec]]
    load: Callable[["Context"], dict] = lambda ctx: {}
    prepare: Callable[["Context"], None] = lambda ctx: None
    sizes: dict[str, int] = field(default_factory=dict)
    exports: Callable[["Context"], list[Export]] = lambda ctx: []


class Context:
    """What loaders share: the scale, the languages measured, and the bulk-made citizens."""

    def __init__(self, scale=1.0, languages=("it", "en"), sizes=None):
        self.scale = scale
        self.languages = tuple(languages)
        self.sizes = dict(sizes or {})  # {"<dataset>.<name>": rows}: exact counts, not scaled (--ballots)
        self._citizens = []

    def size(self, dataset, name):
        exact = self.sizes.get(f"{dataset.name}.{name}")
        if exact is not None:
            return exact
        return max(1, round(dataset.sizes[name] * self.scale))

    def citizens(self, count):
        """``count`` citizens as (id, public name), created in bulk the first time they are needed.

        Datasets share them (the commenters are also voters, as in life). They have an unusable
        password and no email address: nobody logs in as them.
        """
        from django.contrib.auth import get_user_model
        from django.contrib.auth.hashers import make_password

        User = get_user_model()
        made = len(self._citizens)
        if count > made:
            password = make_password(None)  # unusable; hashing 50,000 real passwords would take minutes
            new = [
                User(
                    username=f"bench-citizen-{n}",
                    email=f"bench-citizen-{n}@example.org",
                    password=password,
                    display_name=f"Cittadina {n}" if n % 2 else f"Cittadino {n}",
                )
                for n in range(made, count)
            ]
            User.objects.bulk_create(new, batch_size=2000)
            self._citizens += list(
                User.objects.filter(username__startswith="bench-citizen-")
                .order_by("pk")
                .values_list("pk", "display_name")[made:count]
            )
        return self._citizens[:count]


def in_language(queryset, language):
    return queryset.get(locale__language_code=language)


def parco_dora(language):
    from consultations.models import ConsultationPage

    return in_language(ConsultationPage.objects.filter(slug="parco-dora"), language)


def demo_poll(language):
    from participation.models import PollPage

    return in_language(PollPage.objects.child_of(parco_dora(language)), language)  # the open one, ranked


def insert_own_table(model, objs):
    """Insert only ``model``'s own table for objects whose parent rows exist already.

    ``bulk_create`` refuses multi-table inheritance (ParticipationComment → XtdComment → Comment); this
    is what ``Model.save()`` does per parent, with many rows per INSERT.
    """
    from django.db import connection

    fields = model._meta.local_concrete_fields
    batch = connection.ops.bulk_batch_size(fields, objs) or len(objs)
    for start in range(0, len(objs), batch):
        model._base_manager._insert(objs[start : start + batch], fields=fields)


# --- the site's pages (demo seed only) ---


def site_pages(ctx):
    from django.urls import reverse
    from django.utils import translation

    from consultations.models import ConsultationIndexPage
    from home.models import HomePage, StandardPage

    pages = []
    for language in ctx.languages:
        with translation.override(language):
            search = reverse("search") + "?q=parco"
        pages += [
            PageSpec(f"home ({language})", in_language(HomePage.objects.all(), language).url, LISTING),
            PageSpec(f"index ({language})", in_language(ConsultationIndexPage.objects.all(), language).url, LISTING),
            PageSpec(f"search ({language})", search, LISTING),
            PageSpec(f"privacy ({language})", in_language(StandardPage.objects.filter(slug="privacy"), language).url),
        ]
    return pages


# --- a participatory process: Parco Dora and its comment thread ---


def load_process(ctx):
    """10,000 comments on Parco Dora's thread: two replies under every third comment, a quarter in English."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone
    from django_comments.models import Comment
    from django_comments_xtd.models import XtdComment

    from participation.core.groups import ensure_group
    from participation.models import ParticipationComment, TranslationGroup

    count = ctx.size(PROCESS, "comments")
    group = ensure_group(parco_dora("it"))
    content_type = ContentType.objects.get_for_model(TranslationGroup)
    start = timezone.now() - timedelta(days=30)
    citizens = ctx.citizens(count)
    with transaction.atomic():
        comments = Comment.objects.bulk_create(
            [
                Comment(
                    content_type=content_type,
                    object_pk=str(group.pk),
                    site_id=settings.SITE_ID,
                    user_id=user_id,
                    user_name=name[:50],
                    comment=f"Commento {n} sul progetto del parco: più alberi, panchine e percorsi per tutti.",
                    submit_date=start + timedelta(minutes=n),
                    is_public=True,
                )
                for n, (user_id, name) in enumerate(citizens)
            ],
            batch_size=1000,
        )
        threads, roots = [], {}
        for n, comment in enumerate(comments):
            if n % 3 == 0:
                root = roots[comment.pk] = XtdComment(comment_ptr_id=comment.pk, thread_id=comment.pk)
                root.parent_id, root.level, root.order, root.nested_count = comment.pk, 0, 1, 0
                threads.append(root)
            else:
                root = threads[-1]
                root.nested_count += 1
                threads.append(
                    XtdComment(
                        comment_ptr_id=comment.pk,
                        thread_id=root.thread_id,
                        parent_id=root.thread_id,
                        level=1,
                        order=1 + root.nested_count,
                    )
                )
        insert_own_table(XtdComment, threads)
        insert_own_table(
            ParticipationComment,
            [
                ParticipationComment(xtdcomment_ptr_id=comment.pk, group_id=group.pk, language="en" if n % 4 else "it")
                for n, comment in enumerate(comments)
            ],
        )
    return {"comments": count, "threads": len(roots), "citizens": len(citizens)}


def process_pages(ctx):
    return [PageSpec(f"process ({language})", parco_dora(language).url) for language in ctx.languages]


# --- a poll: Parco Dora's layout poll, results always shown ---


def show_poll_results(ctx):
    """Results always visible, so every visitor's page renders the tally."""
    from participation.models import PollPage

    poll = demo_poll("it")
    PollPage.objects.filter(translation_key=poll.translation_key).update(results_visibility=PollPage.RESULTS_ALWAYS)


def load_poll(ctx):
    """50,000 votes (one per citizen) on the demo poll, skewed across its options."""
    from django.db import transaction

    from participation.models import PollVote, PollVoteChoice

    count = ctx.size(POLL, "votes")
    poll = demo_poll("it")
    group = poll.ensure_group()
    options = [option.translation_key for option in poll.options.order_by("sort_order")]
    weights = [option for index, option in enumerate(options) for _ in range(len(options) - index)]
    with transaction.atomic():
        votes = PollVote.objects.bulk_create(
            [
                PollVote(group=group, user_id=user_id, language="en" if n % 4 == 0 else "it")
                for n, (user_id, _name) in enumerate(ctx.citizens(count))
            ],
            batch_size=2000,
        )
        PollVoteChoice.objects.bulk_create(
            [PollVoteChoice(vote_id=vote.pk, option_key=weights[n % len(weights)]) for n, vote in enumerate(votes)],
            batch_size=2000,
        )
    return {"votes": count, "options": len(options)}


def poll_pages(ctx):
    return [PageSpec(f"poll ({language})", demo_poll(language).url) for language in ctx.languages]


# --- ideas on a map: Parco Dora's idea map ---


def demo_map(language):
    from participation.models import IdeaMapPage

    return in_language(IdeaMapPage.objects.all(), language)


def load_ideas(ctx):
    """10,000 ideas spread over the map's area (all five categories and six statuses) and 10,000 supports."""
    import random

    from django.db import transaction

    from participation import geometry
    from participation.models import Idea, IdeaStatus, IdeaSupport

    count, supports = ctx.size(IDEAS, "ideas"), ctx.size(IDEAS, "supports")
    page = demo_map("it")
    area = page.area_polygons
    south, west, north, east = geometry.bounds(area)
    categories = [category.translation_key for category in page.categories.order_by("sort_order")]
    statuses = IdeaStatus.values
    citizens = ctx.citizens(max(count, supports))
    chance = random.Random(14)  # noqa: S311 - the same spread every run
    ideas = []
    while len(ideas) < count:
        lat, lng = chance.uniform(south, north), chance.uniform(west, east)
        if not geometry.contains(area, lng, lat):
            continue
        n = len(ideas)
        ideas.append(
            Idea(
                group_id=page.translation_key,
                user_id=citizens[n][0],
                title=f"Idea {n}: più alberi, panchine e ombra",
                description="Una proposta del benchmark, con qualche parola in più per il confronto per parole.",
                category_key=categories[n % len(categories)],
                latitude=lat,
                longitude=lng,
                language="en" if n % 4 == 0 else "it",
                status=statuses[n % len(statuses)],
            )
        )
    with transaction.atomic():
        made = Idea.objects.bulk_create(ideas, batch_size=2000)
        rows = [IdeaSupport(idea_id=made[n % len(made)].pk, user_id=citizens[n][0]) for n in range(supports)]
        IdeaSupport.objects.bulk_create(rows, batch_size=2000)
        per_idea = Counter(row.idea_id for row in rows)
        counted = [Idea(pk=pk, support_count=supporters) for pk, supporters in per_idea.items()]
        Idea.objects.bulk_update(counted, ["support_count"], batch_size=2000)
    return {"ideas": count, "supports": supports}


def idea_pages(ctx):
    from participation.models import Idea

    pages = []
    for language in ctx.languages:
        page = demo_map(language)
        idea = Idea.objects.published().filter(group=page.translation_key).order_by("-support_count", "pk").first()
        pages += [
            PageSpec(f"idea map ({language})", page.url, LISTING),
            PageSpec(f"idea ({language})", f"{page.url}{idea.pk}/"),
            PageSpec(f"ideas.geojson ({language})", f"{page.url}ideas.geojson", FEED),
        ]
    return pages


# --- AxTO: the open budget vote and the closed first round with its results ---


def demo_budget(language, closed=False):
    from participation.models import BudgetPage

    slugs = ["prima-edizione", "first-round"] if closed else ["scegli-i-progetti", "choose-the-projects"]
    return in_language(BudgetPage.objects.filter(slug__in=slugs), language)


def load_ballots(ctx):
    """20,000 ballots on each demo budget (the open vote and the closed round, whose page shows the count),
    each 1 to 8 projects within the rules, skewed towards some projects; a tenth entered on paper."""
    import random

    from django.db import transaction
    from django.utils import timezone

    from participation import budgeting
    from participation.budgets import basket_limits, budget_projects
    from participation.models import Ballot, BallotProject

    count = ctx.size(BUDGETS, "ballots")
    citizens = ctx.citizens(count)
    chance = random.Random(15)  # noqa: S311 - the same ballots every run
    made = {}
    for closed in (False, True):
        budget = demo_budget("it", closed)
        projects = budget_projects(budget, "it")
        upper = basket_limits(budget)
        keys = list(projects.model)
        weights = [len(keys) - index for index in range(len(keys))]
        now = timezone.now()
        ballots, chosen_sets = [], []
        for n, (user_id, _name) in enumerate(citizens):
            chosen = []
            for key in chance.choices(keys, weights, k=chance.randint(1, 10)):
                if key not in chosen and not budgeting.check_ballot([*chosen, key], projects.model, upper):
                    chosen.append(key)
            paper = n % 10 == 0
            ballots.append(
                Ballot(
                    group_id=budget.translation_key,
                    user_id=None if paper else user_id,
                    channel=Ballot.PAPER if paper else Ballot.ONLINE,
                    voting_point="Biblioteca civica" if paper else "",
                    language="en" if n % 4 == 0 else "it",
                    checked_out_at=now,
                    receipt=f"BENCH-{int(closed)}-{n}",
                )
            )
            chosen_sets.append(chosen)
        with transaction.atomic():
            Ballot.objects.filter(group_id=budget.translation_key).delete()  # the demo's few hundred
            rows = Ballot.objects.bulk_create(ballots, batch_size=2000)
            BallotProject.objects.bulk_create(
                [
                    BallotProject(ballot_id=row.pk, project_key=key)
                    for row, chosen in zip(rows, chosen_sets, strict=True)
                    for key in chosen
                ],
                batch_size=5000,
            )
        made["closed" if closed else "open"] = count
    return made


def budget_pages(ctx):
    pages = []
    for language in ctx.languages:
        budget, closed = demo_budget(language), demo_budget(language, closed=True)
        project = budget.get_children().live().order_by("path").first()
        pages += [
            PageSpec(f"budget ({language})", budget.url, LISTING),
            PageSpec(f"budget results ({language})", closed.url, LISTING),
            PageSpec(f"budget project ({language})", project.url),
        ]
    return pages


# --- neighbourhood reports: "Segnala un problema nel tuo quartiere" ---


def demo_reporting(language):
    from participation.models import ReportingPage

    return in_language(ReportingPage.objects.all(), language)


def load_reports(ctx):
    """10,000 reports over the city (every category and status, near the listed streets) and 10,000 "me too"s."""
    import random

    from django.db import transaction

    from participation.models import Report, ReportFollower, ReportStatus
    from participation.reports import categories_in, streets

    count, followers = ctx.size(REPORTS, "reports"), ctx.size(REPORTS, "followers")
    page = demo_reporting("it")
    categories = categories_in("it")
    places = streets()
    statuses = ReportStatus.values
    citizens = ctx.citizens(max(count, followers))
    chance = random.Random(16)  # noqa: S311 - the same spread every run
    reports = []
    for n in range(count):
        street, category = places[n % len(places)], categories[n % len(categories)]
        status = statuses[n % len(statuses)]
        reports.append(
            Report(
                group_id=page.translation_key,
                reference=f"TO-2025-{900000 + n:06d}",
                category_key=category.translation_key,
                office_id=category.office_id,
                user_id=citizens[n][0],
                title=f"Segnalazione {n}: buca, lampione o rifiuti in {street['name']}",
                description="Una segnalazione del benchmark, con qualche parola in più.",
                latitude=street["lat"] + chance.uniform(-0.0008, 0.0008),
                longitude=street["lng"] + chance.uniform(-0.0008, 0.0008),
                address=street["name"],
                district=street["district"],
                language="en" if n % 5 == 0 else "it",
                status=status,
                duplicate_of_id=None,
            )
        )
    with transaction.atomic():
        for report in reports:  # duplicates need an original: the benchmark's are simply closed
            if report.status == ReportStatus.DUPLICATE:
                report.status = ReportStatus.CLOSED
        made = Report.objects.bulk_create(reports, batch_size=2000)
        rows = [
            ReportFollower(report_id=made[n % len(made)].pk, user_id=citizens[n][0], language="it")
            for n in range(followers)
        ]
        ReportFollower.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        per_report = Counter(row.report_id for row in rows)
        Report.objects.bulk_update(
            [Report(pk=pk, follower_count=n) for pk, n in per_report.items()], ["follower_count"], batch_size=2000
        )
    return {"reports": count, "followers": followers}


def report_pages(ctx):
    from participation.models import Report

    pages = []
    for language in ctx.languages:
        page = demo_reporting(language)
        report = Report.objects.public().filter(group=page.translation_key).order_by("-follower_count", "pk").first()
        pages += [
            PageSpec(f"reports ({language})", page.url, LISTING),
            PageSpec(f"report ({language})", f"{page.url}{report.pk}/"),
            PageSpec(f"reports.geojson ({language})", f"{page.url}reports.geojson", FEED),
        ]
    # Open311 GeoReport v2's requests list (issue 13: under 150 ms), one for both languages (no prefix).
    pages.append(PageSpec("open311 requests.json", "/open311/v2/requests.json", FEED))
    return pages


# --- collaboration pacts: the pillars area of Parco Dora ---


def demo_pact(language):
    from participation.models import PactPage

    return in_language(PactPage.objects.all(), language)


def load_pact(ctx):
    """200 activities (half past, with reports), each with sign-ups (some full, with a waiting list), and
    2,000 volunteers who joined the pact."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from participation.models import Activity, ActivityReport, ActivitySignup, PactMembership

    page = demo_pact("it")
    activities, volunteers = ctx.size(PACTS, "activities"), ctx.size(PACTS, "volunteers")
    signups = ctx.size(PACTS, "signups")
    citizens = ctx.citizens(max(volunteers, signups))
    now = timezone.now()
    with transaction.atomic():
        made = Activity.objects.bulk_create(
            [
                Activity(
                    group_id=page.translation_key,
                    title=f"Attività del benchmark {n}",
                    description="Cura del verde e pulizia dell'area, con qualche parola in più.",
                    language="it",
                    place_name="Prato dei pilastri",
                    starts_at=now + timedelta(days=n - activities // 2, hours=2),
                    ends_at=now + timedelta(days=n - activities // 2, hours=4),
                    capacity=20 if n % 3 else None,
                )
                for n in range(activities)
            ],
            batch_size=2000,
        )
        rows = []
        for n in range(signups):
            activity = made[n % len(made)]
            confirmed = activity.capacity is None or n // len(made) < activity.capacity
            status = ActivitySignup.CONFIRMED if confirmed else ActivitySignup.WAITING
            rows.append(ActivitySignup(activity=activity, user_id=citizens[n][0], status=status, language="it"))
        ActivitySignup.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        ActivityReport.objects.bulk_create(
            [
                ActivityReport(activity=activity, text="Fatto.", participants=12, hours=24)
                for activity in made
                if activity.ends_at < now
            ],
            batch_size=2000,
        )
        PactMembership.objects.bulk_create(
            [PactMembership(group_id=page.translation_key, user_id=pk) for pk, _name in citizens[:volunteers]],
            batch_size=2000,
            ignore_conflicts=True,
        )
    return {"activities": activities, "signups": signups, "volunteers": volunteers}


def pact_pages(ctx):
    from django.utils import timezone

    from participation.models import Activity

    pages = []
    for language in ctx.languages:
        page = demo_pact(language)
        activity = Activity.objects.filter(group=page.translation_key, starts_at__gt=timezone.now()).first()
        pages += [
            PageSpec(f"pact ({language})", page.url),
            PageSpec(f"activity ({language})", f"{page.url}activities/{activity.pk}/"),
            PageSpec(f"pact activities ({language})", f"{page.url}activities/", LISTING),
            PageSpec(f"pact calendar.ics ({language})", f"{page.url}calendar.ics", FEED),
        ]
    return pages


def pact_exports(ctx):
    return [csv_export("pact activities (csv)", lambda: demo_pact("it"), "activities", ctx.size(PACTS, "activities"))]


# --- exports (participation/exports.py): each page type's biggest table, streamed as CSV ---


def csv_export(name, page, table_name, rows=None):
    """An :class:`Export` of ``page()``'s table ``table_name`` as the CSV a download streams."""

    def run():
        from participation.exports import exporter_for, stream_csv_table

        [table] = [table for table in exporter_for(page()).tables() if table.name == table_name]
        return stream_csv_table(table)

    return Export(name, run, rows)


def poll_exports(ctx):
    return [csv_export("poll votes (csv)", lambda: demo_poll("it"), "votes", ctx.size(POLL, "votes"))]


def idea_exports(ctx):
    return [csv_export("ideas (csv)", lambda: demo_map("it"), "ideas", ctx.size(IDEAS, "ideas"))]


def budget_exports(ctx):
    return [csv_export("budget ballots (csv)", lambda: demo_budget("it"), "ballots", ctx.size(BUDGETS, "ballots"))]


def report_exports(ctx):
    return [csv_export("reports (csv)", lambda: demo_reporting("it"), "reports", ctx.size(REPORTS, "reports"))]


SITE = Dataset("site", pages=site_pages)
PROCESS = Dataset("process", pages=process_pages, load=load_process, sizes={"comments": 10_000})
POLL = Dataset(
    "poll", pages=poll_pages, prepare=show_poll_results, load=load_poll, sizes={"votes": 50_000}, exports=poll_exports
)
IDEAS = Dataset(
    "ideas", pages=idea_pages, load=load_ideas, sizes={"ideas": 10_000, "supports": 10_000}, exports=idea_exports
)
BUDGETS = Dataset("budgets", pages=budget_pages, load=load_ballots, sizes={"ballots": 20_000}, exports=budget_exports)
REPORTS = Dataset(
    "reports",
    pages=report_pages,
    load=load_reports,
    sizes={"reports": 10_000, "followers": 10_000},
    exports=report_exports,
)

PACTS = Dataset(
    "pacts",
    pages=pact_pages,
    load=load_pact,
    sizes={"activities": 200, "signups": 4_000, "volunteers": 2_000},
    exports=pact_exports,
)

# In the order they are loaded and measured. Later page types append theirs, with their exports.
DATASETS = [SITE, PROCESS, POLL, IDEAS, BUDGETS, REPORTS, PACTS]
