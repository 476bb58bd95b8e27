"""Demo participation content for seed_demo: the Parco Dora poll (a ranked vote, with demo ballots), the
garden-name poll of the process that is over (a single choice, closed, with its votes and discussion), a few
comment threads and the django.contrib.sites record comments point at.

Idempotent: looked up first, created only when missing.
"""

import json
import random
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site as DjangoSite
from django.utils import timezone, translation

from accounts.demo import ensure_demo_verified
from consultations.models import ConsultationPage

from .comments import post_comment
from .core import ratelimit
from .core.invalidation import comments_changed, group_changed
from .models import ParticipationComment, PollOption, PollPage, PollVote, PollVoteChoice

CONTENT = json.loads((Path(__file__).resolve().parent / "demo.json").read_text(encoding="utf-8"))


def poll_window(phase):
    """The demo poll is open for its whole phase: from 9:00 on the first day to 18:00 on the last (Rome)."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(phase.start, time(9)), zone),
        timezone.make_aware(datetime.combine(phase.end, time(18)), zone),
    )


def ensure_poll(consultation, images, data=None):
    """A poll under ``consultation``, in both languages; returns (pages, created). ``data``: its demo.json
    entry, by default "poll" (Parco Dora's layout poll); options share translation keys across languages.

    It belongs to the process's phase number ``data["phase"]`` and is open for the whole phase; when seed_demo
    runs on a later day and the phases move, the poll moves with them (on the same day nothing changes).
    """
    data = CONTENT["poll"] if data is None else data
    pages, created, translation_key = {}, 0, None
    option_keys = []
    for code in ("it", "en"):
        parent = ConsultationPage.objects.get(pk=consultation[code].pk)
        phase = list(parent.phases.all())[data["phase"]]
        opens_at, closes_at = poll_window(phase)
        page = PollPage.objects.child_of(parent).filter(slug=data[code]["slug"]).first()
        if page is None:
            page = PollPage(
                locale=parent.locale,
                title=data[code]["title"],
                slug=data[code]["slug"],
                intro=data[code]["intro"],
                question=data[code]["question"],
                max_choices=1,
                ranked=data.get("ranked", False),
                phase_key=phase.translation_key,
                opens_at=opens_at,
                closes_at=closes_at,
                results_visibility=data.get("results_visibility", PollPage.RESULTS_AFTER_VOTE),
            )
            if translation_key:
                page.translation_key = translation_key
            for order, option in enumerate(data["options"]):
                poll_option = PollOption(
                    locale=parent.locale,
                    sort_order=order,
                    label=option[code]["label"],
                    description=option[code]["description"],
                    image=images.get(option.get("image")),
                )
                if option_keys:
                    poll_option.translation_key = option_keys[order]
                page.options.add(poll_option)
            parent.add_child(instance=page)
            page.save_revision().publish()
            created += 1
        elif (page.phase_key, page.opens_at, page.closes_at) != (phase.translation_key, opens_at, closes_at):
            page.phase_key, page.opens_at, page.closes_at = phase.translation_key, opens_at, closes_at
            page.save_revision().publish()
            created += 1
        ranked = data.get("ranked", False)
        if page.ranked != ranked and not PollVote.objects.filter(group=page.translation_key).exists():
            # A demo seeded before the poll became ranked: switched while nobody has voted (as the admin allows).
            page.ranked = ranked
            page.save_revision().publish()
            created += 1
        translation_key = page.translation_key
        option_keys = [option.translation_key for option in page.options.order_by("sort_order")]
        pages[code] = page
    return pages, created


def ensure_ballots(poll, data=None):
    """The demo voters' votes on a poll, each voter's once; returns how many were made or moved.

    ``data``: the poll's demo.json entry (by default "poll"), whose "ballots" are each a ``ranking`` (option
    indexes, favourite first) for a ranked poll or ``choices`` otherwise, and how many ``voters`` cast it.
    Demo voters are ``demo_voters``' accounts (verified, no usable password: nobody logs in as them), so
    Giulia and Marco, the demo citizens, still find the poll without a vote of theirs. Written directly,
    as cast_vote would store them (ranks 1..k, or none), without its rate limit and voting window, and dated
    inside the window (``vote_times``): when seed_demo runs on a later day, the dates move with the poll.
    """
    data = CONTENT["poll"] if data is None else data
    page = poll["it"]
    ranked = data.get("ranked", False)
    if page.ranked != ranked:
        return 0
    chosen = [
        entry.get("ranking") or entry["choices"] for entry in data.get("ballots", []) for _ in range(entry["voters"])
    ]
    voters = demo_voters(len(chosen))
    options = [option.translation_key for option in page.options.order_by("sort_order")]
    group = page.ensure_group()
    have = {vote.user_id: vote for vote in PollVote.objects.filter(group=group, user__in=voters)}
    created = 0
    for voter, indexes, cast_at in zip(voters, chosen, vote_times(page, len(chosen)), strict=True):
        vote = have.get(voter.pk)
        changed = vote is None
        if vote is None:
            vote = PollVote.objects.create(group=group, user=voter, language="it")
            PollVoteChoice.objects.bulk_create(
                PollVoteChoice(vote=vote, option_key=options[index], rank=rank if ranked else None)
                for rank, index in enumerate(indexes, start=1)
            )
        if cast_at is not None and (vote.created_at, vote.updated_at) != (cast_at, cast_at):
            PollVote.objects.filter(pk=vote.pk).update(created_at=cast_at, updated_at=cast_at)
            changed = True
        created += changed
    if created:
        from civic_site import pagecache

        from .polls import votes_tag

        pagecache.changed(votes_tag(group.pk))
        group_changed(group.pk)
    return created


def vote_times(page, count):
    """When the ``count`` demo votes on ``page`` were cast: whole minutes spread over the part of its voting
    window before today, in an order drawn with a fixed seed (so the choices interleave). The same all day;
    all None when the poll opened today (the votes keep the time they were stored at)."""
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(), time(0)), timezone.get_current_timezone())
    opens_at = page.opens_at.astimezone(UTC)  # in UTC: adding to Rome's wall clock would skip DST changes
    minutes = int((min(page.closes_at, midnight) - opens_at).total_seconds() // 60)
    if minutes <= 0 or not count:
        return [None] * count
    times = [opens_at + timedelta(minutes=minutes * (2 * number + 1) // (2 * count)) for number in range(count)]
    random.Random(f"votes-{page.translation_key}").shuffle(times)
    return times


def ensure_closed_poll(consultation):
    """The garden-name poll under the process that is over (demo.json "closed_poll"), in both languages: a
    single choice, closed at the end of the process's vote phase and showing its final results, with the
    demo voters' votes and a short discussion held while it was open. Returns (pages, created)."""
    data = CONTENT["closed_poll"]
    pages, created = ensure_poll(consultation, {}, data)
    created += ensure_ballots(pages, data)
    created += ensure_past_comments(pages, data.get("comments", []))
    return pages, created


def ensure_past_comments(page_group, threads):
    """A discussion held on a page while its process was open, now that it is over: posted once through a
    thread opened for the purpose (comments on a process that is over are refused), then dated in the
    page's voting window, a few days apart (moved with the window on a later day). Returns how many made or
    moved."""
    from .models import CommentThread

    page = page_group["it"]
    group = page.ensure_group()
    posted = 0
    if (
        not ParticipationComment.objects.filter(group=group).exists()
        and not CommentThread.objects.filter(group=group).exists()
    ):  # an editor's setting for the thread is left alone
        thread = CommentThread.objects.create(page=page, group=group, state=CommentThread.OPEN)
        try:
            posted = post_discussion(threads, page_group)
        finally:
            thread.delete()
    moved = 0
    for number, comment in enumerate(ParticipationComment.objects.filter(group=group).order_by("pk")):
        posted_at = page.opens_at.astimezone(UTC) + timedelta(days=2 + 3 * number, hours=1 + 2 * number)
        if posted_at < page.closes_at and comment.submit_date != posted_at:
            ParticipationComment.objects.filter(pk=comment.pk).update(submit_date=posted_at)
            moved += 1
    if moved:
        comments_changed(group.pk)
    return posted or moved


def ensure_comment_site():
    """django.contrib.sites' record, which comments point at (permalinks use its domain). Returns 1 if changed."""
    site, made = DjangoSite.objects.get_or_create(
        pk=settings.SITE_ID, defaults={"domain": "127.0.0.1:8000", "name": settings.WAGTAIL_SITE_NAME}
    )
    if not made and site.domain == "example.com":
        site.domain, site.name = "127.0.0.1:8000", settings.WAGTAIL_SITE_NAME
        site.save()
        made = True
    return int(made)


def ensure_comments(page_group):
    """A short bilingual discussion on a page (by the demo citizens), once."""
    if ParticipationComment.objects.filter(group=page_group["it"].translation_key).exists():
        return 0
    return post_discussion(CONTENT["comments"], page_group)


def post_discussion(threads, owners):
    """Post ``threads`` (each: author, language, text, replies) on ``owners`` ({language: page or idea thread})
    by the first two demo citizens; the rate limit, which counts what citizens post themselves, is reset."""
    citizens = list(get_user_model().objects.filter(is_staff=False, display_name__gt="").order_by("pk")[:2])
    if len(citizens) < 2:
        return 0
    created = 0
    for thread in threads:
        parent_id = None
        for item in [thread, *thread.get("replies", [])]:
            author = citizens[item["author"]]
            with translation.override(item["language"]):
                comment = post_comment(
                    page=owners[item["language"]], user=author, text=item["text"], parent_id=parent_id, notify=False
                )
            ratelimit.reset("comment", user=author)
            parent_id = parent_id or comment.pk
            created += 1
    return created


IDEAS = json.loads((Path(__file__).resolve().parent / "demo_ideas.json").read_text(encoding="utf-8"))


def ensure_idea_map(consultation, images):
    """ "Your ideas for Parco Dora" under the process, in both languages, open for the process's ideas
    phase, with its categories, named places and about twenty ideas (every status answered). Returns
    (pages, created). Like the poll, it moves with the phases when seed_demo runs on a later day."""
    from .models import IdeaCategory, IdeaMapPage, IdeaPlace

    data = IDEAS["page"]
    pages, created, translation_key = {}, 0, None
    category_keys, place_keys = [], []
    for code in ("it", "en"):
        parent = ConsultationPage.objects.get(pk=consultation[code].pk)
        phase = list(parent.phases.all())[1]
        opens_at, closes_at = poll_window(phase)
        page = IdeaMapPage.objects.child_of(parent).filter(slug=data[code]["slug"]).first()
        if page is None:
            page = IdeaMapPage(
                locale=parent.locale,
                title=data[code]["title"],
                slug=data[code]["slug"],
                intro=data[code]["intro"],
                location=data["location"],
                zoom=data["zoom"],
                area=json.dumps(data["area"]),
                phase_key=phase.translation_key,
                opens_at=opens_at,
                closes_at=closes_at,
            )
            if translation_key:
                page.translation_key = translation_key
            for order, category in enumerate(IDEAS["categories"]):
                row = IdeaCategory(
                    locale=parent.locale,
                    sort_order=order,
                    name=category[code],
                    colour=category["colour"],
                    icon=category["icon"],
                )
                if category_keys:
                    row.translation_key = category_keys[order]
                page.categories.add(row)
            for order, place in enumerate(IDEAS["places"]):
                row = IdeaPlace(locale=parent.locale, sort_order=order, name=place[code])
                row.latitude, row.longitude = place["lat"], place["lng"]
                if place_keys:
                    row.translation_key = place_keys[order]
                page.places.add(row)
            parent.add_child(instance=page)
            page.save_revision().publish()
            created += 1
        elif (page.phase_key, page.opens_at, page.closes_at) != (phase.translation_key, opens_at, closes_at):
            page.phase_key, page.opens_at, page.closes_at = phase.translation_key, opens_at, closes_at
            page.save_revision().publish()
            created += 1
        translation_key = page.translation_key
        category_keys = [row.translation_key for row in page.categories.order_by("sort_order")]
        place_keys = [row.translation_key for row in page.places.order_by("sort_order")]
        pages[code] = page
    created += ensure_ideas(pages["it"], category_keys, place_keys, images)
    created += ensure_idea_comments(pages)
    return pages, created


def ensure_ideas(page, category_keys, place_keys, images):
    """The demo citizens' ideas, supports and the City's answers, once."""
    from .models import Idea, IdeaSupport

    if Idea.objects.filter(group=page.translation_key).exists():
        return 0
    citizens = list(get_user_model().objects.filter(is_staff=False, display_name__gt="").order_by("pk")[:2])
    if len(citizens) < 2:
        return 0
    group = page.ensure_group()
    now = timezone.now()
    created = 0
    for number, item in enumerate(IDEAS["ideas"]):
        place = IDEAS["places"][item["place"]] if "place" in item else None
        idea = Idea.objects.create(
            group=group,
            user=citizens[item["author"]],
            title=item["title"],
            description=item["description"],
            category_key=category_keys[item["category"]],
            latitude=place["lat"] if place else item["lat"],
            longitude=place["lng"] if place else item["lng"],
            place_key=place_keys[item["place"]] if place else None,
            photo=images.get(item.get("photo")),
            language=item["language"],
            status=item["status"],
            answer=item.get("answer", ""),
            answer_en=item.get("answer_en", ""),
            answered_by=IDEAS["office"] if item.get("answer") else "",
            answered_at=now if item.get("answer") else None,
            created_at=now - timedelta(days=30 - number),
        )
        for supporter in item["supporters"]:
            IdeaSupport.objects.create(idea=idea, user=citizens[supporter])
        idea.support_count = len(item["supporters"])
        idea.save(update_fields=["support_count"])
        created += 1
    return created


def ensure_idea_comments(pages):
    """The demo discussions on some ideas (``comments`` in demo_ideas.json), once."""
    from .ideas import IdeaThread
    from .models import Idea

    ideas = list(Idea.objects.filter(group=pages["it"].translation_key).order_by("created_at", "pk"))
    if (
        len(ideas) != len(IDEAS["ideas"])
        or ParticipationComment.objects.filter(group__in=[idea.key for idea in ideas]).exists()
    ):
        return 0
    created = 0
    for idea, item in zip(ideas, IDEAS["ideas"], strict=True):
        if item.get("comments"):
            owners = {code: IdeaThread(page, idea) for code, page in pages.items()}
            created += post_discussion(item["comments"], owners)
    return created


# --- AxTO: participatory budgets ------------------------------------------------------------------

BUDGETS = json.loads((Path(__file__).resolve().parent / "demo_budget.json").read_text(encoding="utf-8"))
# Demo ballots: (online, in person) on the open budget and on the closed first round.
DEMO_BALLOTS = {"open": (180, 40), "closed": (120, 30)}


def _translated_snippets(model, rows, lookup, fields):
    """{id: {"it": snippet, "en": snippet}} for ``rows``, created when missing (English a translation of
    the Italian one). ``lookup(row)`` finds the Italian one's filter; ``fields(row, code)`` its values."""
    from wagtail.models import Locale

    locales = {code: Locale.objects.get(language_code=code) for code in ("it", "en")}
    made, created = {}, 0
    for row in rows:
        italian = model.objects.filter(locale=locales["it"], **lookup(row)).first()
        if italian is None:
            italian = model.objects.create(locale=locales["it"], **fields(row, "it"))
            created += 1
        english = italian.get_translation_or_none(locales["en"])
        if english is None:
            english = italian.copy_for_translation(locales["en"])
            for name, value in fields(row, "en").items():
                setattr(english, name, value)
            english.save()
            created += 1
        made[lookup(row).get("number") or row["key"]] = {"it": italian, "en": english}
    return made, created


def ensure_budget_vocabulary():
    """Turin's eight Circoscrizioni and the project categories, in Italian and English.
    Returns (districts by number, categories by key, created)."""
    from .models import District, ProjectCategory

    districts, made_districts = _translated_snippets(
        District,
        BUDGETS["districts"],
        lambda row: {"number": row["number"]},
        lambda row, code: {"number": row["number"], "name": row["name"]},
    )
    categories, made_categories = _translated_snippets(
        ProjectCategory,
        BUDGETS["categories"],
        lambda row: {"name": row["it"]},
        lambda row, code: {"name": row[code]},
    )
    return districts, categories, made_districts + made_categories


def _ensure_project(parent, code, data, districts, categories, translation_key):
    from .models import ProjectMilestone, ProjectPage

    page = ProjectPage.objects.child_of(parent).filter(code=data["code"]).first()
    if page is not None:
        return page, 0
    page = ProjectPage(
        locale=parent.locale,
        title=data[code]["title"],
        slug=data[code]["slug"],
        code=data["code"],
        organisation=data["organisation"],
        summary=data[code]["summary"],
        cost=data["cost"],
        category=categories[data["category"]][code],
        district=districts[data["district"]][code],
        location=data.get("location", ""),
        technical_score=data.get("technical_score"),
        body=[{"type": "paragraph", "value": f"<p>{data[code]['body']}</p>"}],
    )
    if translation_key:
        page.translation_key = translation_key
    today = timezone.localdate()
    for order, milestone in enumerate(data.get("milestones", [])):
        page.milestones.add(
            ProjectMilestone(
                locale=parent.locale,
                sort_order=order,
                date=today - timedelta(days=milestone["days_ago"]),
                title=milestone[code]["title"],
                description=milestone[code]["description"],
                percent_done=milestone["percent_done"],
            )
        )
    parent.add_child(instance=page)
    page.save_revision().publish()
    return page, 1


def _ensure_budget(consultation, data, phase_index, districts, categories, **rules):
    """One budget in both languages with its projects, in the process's phase ``phase_index``; moves with
    the phases when seed_demo runs on a later day. Returns ({"it", "en"}, created)."""
    from .models import BudgetPage

    pages, created, translation_key = {}, 0, None
    project_keys = {}
    for code in ("it", "en"):
        parent = ConsultationPage.objects.get(pk=consultation[code].pk)
        phase = list(parent.phases.all())[phase_index]
        opens_at, closes_at = poll_window(phase)
        page = BudgetPage.objects.child_of(parent).filter(slug=data[code]["slug"]).first()
        if page is None:
            page = BudgetPage(
                locale=parent.locale,
                title=data[code]["title"],
                slug=data[code]["slug"],
                intro=data[code]["intro"],
                eligibility=data[code]["eligibility"],
                total_budget=data["total_budget"],
                max_projects=data.get("max_projects"),
                max_per_group=data.get("max_per_group"),
                citizen_weight=data.get("citizen_weight", 100),
                phase_key=phase.translation_key,
                opens_at=opens_at,
                closes_at=closes_at,
                **rules,
            )
            if translation_key:
                page.translation_key = translation_key
            parent.add_child(instance=page)
            page.save_revision().publish()
            created += 1
        elif (page.phase_key, page.opens_at, page.closes_at) != (phase.translation_key, opens_at, closes_at):
            page.phase_key, page.opens_at, page.closes_at = phase.translation_key, opens_at, closes_at
            page.save_revision().publish()
            created += 1
        translation_key = page.translation_key
        for project in data["projects"]:
            made_page, made = _ensure_project(
                page, code, project, districts, categories, project_keys.get(project["code"])
            )
            project_keys[project["code"]] = made_page.translation_key
            created += made
        pages[code] = BudgetPage.objects.get(pk=page.pk)
    return pages, created


def ensure_budgets(consultation):
    """Under AxTO: the open budget vote (the process's voting phase) and a first round already closed, with
    published results and the funded projects' milestones. Returns ({"open", "closed"}, created)."""
    from .models import BudgetPage

    districts, categories, created = ensure_budget_vocabulary()
    open_data = {**BUDGETS["budget"], "projects": BUDGETS["projects"]}
    # AxTO: one real person, one vote (participation.core.eligibility); the demo voters are verified residents.
    residents_16 = {"who_may_take_part": "resident", "minimum_age": 16}
    open_budget, made = _ensure_budget(consultation, open_data, 1, districts, categories, **residents_16)
    created += made
    closed, made = _ensure_budget(
        consultation,
        BUDGETS["closed_budget"],
        0,
        districts,
        categories,
        results_method=BudgetPage.METHOD_COMBINED,
        **residents_16,
    )
    created += made
    budgets = {"open": open_budget, "closed": closed}
    for kind, (online, paper) in DEMO_BALLOTS.items():
        created += ensure_budget_ballots(budgets[kind]["it"], online, paper, seed=kind)
    return budgets, created


DEMO_VOTER_RESIDENTS = 10  # demo voters are the demo register's people from number 10 on (accounts.demo)


def demo_voters(count):
    """``count`` demo voter accounts (verified, no usable password), the poll's first ones included."""
    from allauth.account.models import EmailAddress

    User = get_user_model()
    emails = [f"votante.demo{number}@example.org" for number in range(1, count + 1)]
    existing = {user.email: user for user in User.objects.filter(email__in=emails)}
    missing = []
    for number, email in enumerate(emails, start=1):
        if email not in existing:
            user = User(username=f"votante.demo{number}", email=email, display_name=f"Votante demo {number}")
            user.set_unusable_password()
            missing.append(user)
    if missing:
        User.objects.bulk_create(missing)
        made = User.objects.filter(email__in=[user.email for user in missing])
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in made
        )
        existing.update({user.email: user for user in made})
    return [existing[email] for email in emails]


def ensure_budget_ballots(budget, online, paper, seed):
    """Demo ballots on ``budget``: ``online`` by demo voters and ``paper`` entered from in-person points,
    each a valid ballot under the budget's rules (drawn with a fixed seed, the same on every run).
    Written as checkout would store them, without its rate limit and voting window. Returns how many made."""
    import random

    from . import budgeting
    from .budgets import ballot_rules, basket_limits, budget_projects, new_receipt
    from .models import Ballot, BallotProject

    with translation.override("it"):
        projects = budget_projects(budget)
    rules, limits = ballot_rules(budget), basket_limits(budget)
    keys = list(projects.model)
    # Popularity follows the technical score, roughly: better projects draw more votes.
    weights = [max(projects.by_key[key].technical_score or 50, 1) ** 2 for key in keys]
    draw = random.Random(f"axto-{seed}")

    def ballot():
        chosen = []
        wanted = draw.randint(1, rules.max_choices or 8)
        for key in draw.choices(keys, weights, k=40):
            if len(chosen) >= wanted:
                break
            if key not in chosen and not budgeting.check_ballot(
                [*chosen, key],
                projects.model,
                limits,
            ):
                chosen.append(key)
        return chosen

    group = budget.ensure_group()
    created = 0
    cast_at = budget.opens_at + timedelta(hours=1)
    voters = demo_voters(online)
    ensure_demo_verified(voters, first_number=DEMO_VOTER_RESIDENTS)
    have = set(Ballot.objects.filter(group=group, user__in=voters).values_list("user_id", flat=True))
    drawn = [ballot() for _ in range(online + paper)]  # drawn in full every run: the same ballots each time
    for voter, chosen in zip(voters, drawn[:online], strict=True):
        if voter.pk in have or not chosen:
            continue
        row = Ballot.objects.create(
            group=group, user=voter, language="it", checked_out_at=cast_at, receipt=new_receipt()
        )
        BallotProject.objects.bulk_create(BallotProject(ballot=row, project_key=key) for key in chosen)
        created += 1
    points = ["Biblioteca civica Primo Levi", "Casa del Quartiere di Barriera", "Circoscrizione 5 – Vallette"]
    entered = Ballot.objects.filter(group=group, channel=Ballot.PAPER).count()
    for number, chosen in enumerate(drawn[online + entered :], start=entered):
        if not chosen:
            continue
        row = Ballot.objects.create(
            group=group,
            channel=Ballot.PAPER,
            voting_point=points[number % len(points)],
            language="it",
            checked_out_at=cast_at,
            receipt=new_receipt(),
        )
        BallotProject.objects.bulk_create(BallotProject(ballot=row, project_key=key) for key in chosen)
        created += 1
    if created:
        from civic_site import pagecache

        from .polls import votes_tag

        pagecache.changed(votes_tag(group.pk))
        group_changed(group.pk)
    return created
