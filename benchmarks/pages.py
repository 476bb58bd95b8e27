"""How page time and query count behave as participation grows (not part of `make test`).

Builds the demo site in a throwaway SQLite database, then renders the Parco Dora page (comment
thread) and the layout poll (results) with growing numbers of comments and votes, and prints the
median render time and the query count for each size. Query counts must stay flat; times should
grow only with what is shown (one page of threads), not with the total.

    make bench            # or: .venv/bin/python benchmarks/pages.py [--sizes 0 100 1000]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "civic_site.settings.test")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 100, 1000])
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    from participation.models import ParticipationComment, PollPage, PollVote, PollVoteChoice

    setup_test_environment()
    call_command("migrate", verbosity=0)
    call_command("seed_demo", stdout=StringIO())
    User = get_user_model()
    poll = PollPage.objects.get(locale__language_code="it")
    PollPage.objects.filter(translation_key=poll.translation_key).update(results_visibility="always")
    consultation = poll.get_parent().specific
    options = list(poll.options.all())
    template = ParticipationComment.objects.filter(group=consultation.translation_key).first()
    client = Client()

    def measure(url):
        client.get(url)
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        query_count = len(queries.captured_queries)  # read now: each request resets the query log
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            assert client.get(url).status_code == 200
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times), query_count

    print(f"{'size':>6} | {'discussion ms':>13} {'queries':>7} | {'poll ms':>8} {'queries':>7}")
    made = 0
    for size in sorted(args.sizes):
        users = [User(username=f"bench{n}", email=f"bench{n}@example.org") for n in range(made, size)]
        User.objects.bulk_create(users)
        users = list(User.objects.filter(username__startswith="bench").order_by("pk")[made:size])
        for user in users:
            comment = ParticipationComment(
                content_type_id=template.content_type_id,
                object_pk=template.object_pk,
                group_id=consultation.translation_key,
                site_id=template.site_id,
                user=user,
                comment=f"Commento di prova {user.pk}",
                submit_date=template.submit_date,
                language="it",
            )
            comment.save()
            vote = PollVote.objects.create(group=poll.ensure_group(), user=user, language="it")
            PollVoteChoice.objects.create(vote=vote, option_key=options[user.pk % len(options)].translation_key)
        made = size
        discussion = measure(consultation.url)
        results = measure(poll.url)
        print(f"{size:>6} | {discussion[0]:>13.1f} {discussion[1]:>7} | {results[0]:>8.1f} {results[1]:>7}")


if __name__ == "__main__":
    main()
