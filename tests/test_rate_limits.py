"""Rate limits per citizen and per client address: comments, reactions, reports and votes
(participation/core/ratelimit.py, PARTICIPATION_RATE_LIMITS), and allauth's sign-up, login and
password reset (ACCOUNT_RATE_LIMITS). A refused request gets a 429 with Retry-After and the
message in the citizen's language, with what they typed kept.

The participation windows run on a clock that stands still one second into every window
(``rate_limit_clock`` in conftest.py): a ten-minute window has 599 seconds left.
"""

import threading
import time
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from civic_site.checks import check_rate_limits
from participation.core import ratelimit
from participation.models import CommentReaction, CommentReport, ParticipationComment, PollVote
from tests.conftest import RATE_LIMIT_CLOCK
from tests.factories import CommentFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME = "198.51.100.10"  # one household, school or office: one address for several citizens
ELSEWHERE = "203.0.113.20"


def limits(**actions):
    """PARTICIPATION_RATE_LIMITS with some actions changed."""
    return override_settings(PARTICIPATION_RATE_LIMITS={**settings.PARTICIPATION_RATE_LIMITS, **actions})


def html(response):
    return BeautifulSoup(response.content.decode(), "html.parser")


def comment(client, page, text, ip=HOME, language="it"):
    return client.post(f"/{language}/comments/post/", {"page": page.pk, "comment": text}, REMOTE_ADDR=ip)


def react(client, target, ip=HOME, language="it"):
    return client.post(f"/{language}/comments/{target.pk}/reaction/", {"reaction": "like"}, REMOTE_ADDR=ip)


def report(client, target, text="", ip=HOME, language="it"):
    data = {"reason": "other", "text": text or "Contiene un numero di telefono"}
    return client.post(f"/{language}/comments/{target.pk}/report/", data, REMOTE_ADDR=ip)


def vote(client, poll, option, ip=HOME):
    return client.post(poll.url + "vote/", {"options": [str(option.pk)]}, REMOTE_ADDR=ip)


@pytest.fixture
def parco(tree):
    return tree["consultation"]


@pytest.fixture
def poll(tree):
    return tree["poll"]


def assert_limited(response, retry_after=599):
    assert response.status_code == 429
    assert response["Retry-After"] == str(retry_after)


# --- the helper ----------------------------------------------------------------------------------


def test_rates_are_written_like_allauths():
    assert ratelimit.parse_rates("5/10m/user, 20/10m/ip") == [
        ratelimit.Rate(5, 600, "user"),
        ratelimit.Rate(20, 600, "ip"),
    ]
    assert ratelimit.parse_rates("3/h/ip,1/30s/user,100/d/user") == [
        ratelimit.Rate(3, 3600, "ip"),
        ratelimit.Rate(1, 30, "user"),
        ratelimit.Rate(100, 86400, "user"),
    ]
    assert ratelimit.parse_rates("") == []
    for wrong in ("5/10m", "5/10m/key", "cinque/m/user", "5/10x/user", "5/0m/user"):
        with pytest.raises(ValueError):
            ratelimit.parse_rates(wrong)


def test_every_action_has_a_limit_per_citizen_and_per_address():
    for action in ("comment", "reaction", "report", "vote"):
        pers = {rate.per for rate in ratelimit.rates_for(action)}
        assert pers == {"user", "ip"}, action


def test_an_action_missing_from_the_setting_or_malformed_is_a_configuration_error(citizen):
    with pytest.raises(ImproperlyConfigured, match="sondaggio"):
        ratelimit.check(action="sondaggio", user=citizen)
    with limits(comment="5 a minute"), pytest.raises(ImproperlyConfigured, match="comment"):
        ratelimit.check(action="comment", user=citizen)
    with limits(comment=""):  # written out as none: no limit
        assert all(ratelimit.check(action="comment", user=citizen) is None for _ in range(50))


def test_a_malformed_or_missing_limit_stops_the_start():
    assert check_rate_limits() == []
    with limits(comment="5/10m/people", ideas="3/h/user"):
        [error] = check_rate_limits()
    assert error.id == "civic_site.E003" and "comment" in error.msg
    without_votes = {action: rates for action, rates in settings.PARTICIPATION_RATE_LIMITS.items() if action != "vote"}
    with override_settings(PARTICIPATION_RATE_LIMITS=without_votes):
        [error] = check_rate_limits()
    assert '"vote"' in error.msg


def test_check_counts_per_citizen_and_per_address(citizen, marco):
    with limits(comment="2/10m/user,3/10m/ip"):
        assert ratelimit.check(action="comment", user=citizen, ip=HOME) is None
        assert ratelimit.check(action="comment", user=citizen, ip=ELSEWHERE) is None
        refused = ratelimit.check(action="comment", user=citizen, ip=ELSEWHERE)  # the citizen's third
        assert refused == ratelimit.RateLimited("comment", 599)
        assert ratelimit.check(action="comment", user=marco, ip=HOME) is None  # HOME's second
        assert ratelimit.check(action="comment", user=marco, ip=HOME) is None  # HOME's third
        assert ratelimit.check(action="comment", user=marco, ip=HOME)  # HOME's fourth: the address is full
        assert ratelimit.check(action="comment", user=UserFactory(), ip=ELSEWHERE) is None  # ELSEWHERE's third


def test_ipv6_addresses_count_per_network(citizen, marco):
    """One home or phone holds a whole /64 (as in allauth's limits)."""
    with limits(comment="100/10m/user,1/10m/ip"):
        assert ratelimit.check(action="comment", user=citizen, ip="2001:db8:1:2::10") is None
        assert ratelimit.check(action="comment", user=marco, ip="2001:db8:1:2:ffff::1")
        assert ratelimit.check(action="comment", user=marco, ip="2001:db8:1:3::1") is None


def test_the_window_ends_on_the_clock_and_retry_after_counts_down(citizen, rate_limit_clock):
    with limits(comment="1/10m/user"):
        assert ratelimit.check(action="comment", user=citizen) is None
        rate_limit_clock.return_value = RATE_LIMIT_CLOCK + 299
        assert ratelimit.check(action="comment", user=citizen).retry_after == 300
        rate_limit_clock.return_value = RATE_LIMIT_CLOCK + 598.5
        assert ratelimit.check(action="comment", user=citizen).retry_after == 1
        rate_limit_clock.return_value = RATE_LIMIT_CLOCK + 599  # the next window
        assert ratelimit.check(action="comment", user=citizen) is None
        assert ratelimit.check(action="comment", user=citizen).retry_after == 600


def test_retry_after_is_the_longest_wait_of_the_full_buckets(citizen):
    with limits(comment="1/m/user,1/h/ip"):
        assert ratelimit.check(action="comment", user=citizen, ip=HOME) is None
        assert ratelimit.check(action="comment", user=citizen, ip=HOME).retry_after == 3599
        assert ratelimit.check(action="comment", user=citizen, ip=ELSEWHERE).retry_after == 59


def test_concurrent_hits_are_counted_exactly(citizen):
    """cache.add + cache.incr: of 40 hits at once with a limit of 25, exactly 25 pass."""
    results = []
    barrier = threading.Barrier(40)

    def hit():
        barrier.wait()
        results.append(ratelimit.check(action="comment", user=citizen, ip=HOME))

    with limits(comment="25/10m/user"):
        threads = [threading.Thread(target=hit) for _ in range(40)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results.count(None) == 25


def test_the_wait_in_words():
    from django.utils import translation

    cases = {1: ("1 secondo", "1 second"), 45: ("45 secondi", "45 seconds"), 61: ("2 minuti", "2 minutes")}
    cases |= {599: ("10 minuti", "10 minutes"), 3599: ("60 minuti", "60 minutes"), 7300: ("3 ore", "3 hours")}
    for seconds, (italian, english) in cases.items():
        limited = ratelimit.RateLimited("comment", seconds)
        with translation.override("it"):
            assert limited.wait() == italian
        with translation.override("en"):
            assert limited.wait() == english


# --- comments ------------------------------------------------------------------------------------


def test_the_sixth_comment_in_ten_minutes_is_refused_with_retry_after_and_the_text_kept(client, citizen, parco):
    client.force_login(citizen)
    for number in range(5):
        assert comment(client, parco["it"], f"commento {number}").status_code == 302

    response = comment(client, parco["it"], "Il mio sesto commento, da non perdere")

    assert_limited(response)
    page = html(response)
    assert page.select_one("#comment-comment").get_text().strip() == "Il mio sesto commento, da non perdere"
    assert "Hai pubblicato molti commenti in poco tempo. Riprova tra 10 minuti." in page.get_text()
    assert not ParticipationComment.objects.filter(comment__startswith="Il mio sesto").exists()

    english = comment(client, parco["en"], "My sixth comment", language="en")
    assert_limited(english)
    assert "You have posted many comments in a short time. Please try again in 10 minutes." in html(english).get_text()
    assert "My sixth comment" in html(english).select_one("#comment-comment").get_text()


def test_a_second_account_from_the_same_address_is_limited_too(client, citizen, marco, parco):
    with limits(comment="5/10m/user,3/10m/ip"):
        client.force_login(citizen)
        for number in range(3):
            assert comment(client, parco["it"], f"da casa {number}").status_code == 302
        client.force_login(marco)
        assert_limited(comment(client, parco["it"], "anche io da casa"))
        assert comment(client, parco["it"], "io da un'altra rete", ip=ELSEWHERE).status_code == 302


@override_settings(TRUSTED_PROXIES=["10.0.0.0/24"])
def test_behind_the_load_balancer_the_address_is_the_forwarded_one(client, citizen, marco, parco):
    """Every request comes from the balancer; the client is the last X-Forwarded-For entry, as for allauth."""
    balancer = "10.0.0.2"
    with limits(comment="5/10m/user,1/10m/ip"):
        client.force_login(citizen)
        response = client.post(
            "/it/comments/post/",
            {"page": parco["it"].pk, "comment": "dal parco"},
            REMOTE_ADDR=balancer,
            HTTP_X_FORWARDED_FOR=HOME,
        )
        assert response.status_code == 302
        assert ParticipationComment.objects.get(comment="dal parco").ip_address == HOME
        client.force_login(marco)
        for address, status in ((ELSEWHERE, 302), (HOME, 429)):
            data = {"page": parco["it"].pk, "comment": f"da {address}"}
            assert (
                client.post("/it/comments/post/", data, REMOTE_ADDR=balancer, HTTP_X_FORWARDED_FOR=address).status_code
                == status
            )


def test_limits_are_read_from_the_setting(client, citizen, parco):
    client.force_login(citizen)
    with limits(comment="2/m/user,20/10m/ip"):
        assert comment(client, parco["it"], "uno").status_code == 302
        assert comment(client, parco["it"], "due").status_code == 302
        assert_limited(comment(client, parco["it"], "tre"), retry_after=59)


def test_comments_are_accepted_again_when_the_window_ends(client, citizen, parco, rate_limit_clock):
    client.force_login(citizen)
    with limits(comment="1/10m/user,20/10m/ip"):
        assert comment(client, parco["it"], "prima").status_code == 302
        assert_limited(comment(client, parco["it"], "troppo presto"))
        rate_limit_clock.return_value = RATE_LIMIT_CLOCK + 599
        assert comment(client, parco["it"], "dopo dieci minuti").status_code == 302


def test_other_refusals_stay_400_without_retry_after(client, citizen, parco):
    client.force_login(citizen)
    response = comment(client, parco["it"], "parola " * 500)
    assert response.status_code == 400
    assert "Retry-After" not in response


# --- reactions and reports -----------------------------------------------------------------------


@pytest.fixture
def comments(parco):
    """Three comments by another citizen, to agree with and report."""
    author = UserFactory()
    return [CommentFactory(page=parco["it"], user=author, text=f"idea {n}") for n in range(3)]


def test_reactions_are_limited_per_citizen_then_per_address(client, citizen, marco, comments):
    with limits(reaction="2/10m/user,3/10m/ip"):
        client.force_login(citizen)
        assert react(client, comments[0]).status_code == 302
        assert react(client, comments[1]).status_code == 302
        response = react(client, comments[2])
        assert_limited(response)
        assert "Troppe azioni in poco tempo. Riprova tra 10 minuti." in html(response).get_text()
        client.force_login(marco)
        # The address's third: the citizen's refused third did not use it up.
        assert react(client, comments[0]).status_code == 302
        english = react(client, comments[1], language="en")  # the fourth from that address
        assert_limited(english)
        assert "Too many actions in a short time. Please try again in 10 minutes." in html(english).get_text()
        assert react(client, comments[1], ip=ELSEWHERE).status_code == 302
    assert CommentReaction.objects.filter(user=citizen).count() == 2
    assert CommentReaction.objects.filter(user=marco).count() == 2


def test_reports_are_limited_and_the_report_is_kept(client, citizen, marco, comments):
    with limits(report="2/10m/user,3/10m/ip"):
        client.force_login(citizen)
        assert report(client, comments[0]).status_code == 302
        assert report(client, comments[1]).status_code == 302
        response = report(client, comments[2], text="Insulta un vicino di casa")
        assert_limited(response)
        form = html(response).select_one("form.report-form")
        assert form.select_one("textarea[name=text]").get_text().strip() == "Insulta un vicino di casa"
        assert form.select_one("input[value=other]").has_attr("checked")
        assert "Troppe azioni in poco tempo. Riprova tra 10 minuti." in form.get_text()
        client.force_login(marco)
        assert report(client, comments[0]).status_code == 302
        english = report(client, comments[1], text="Off topic", language="en")
        assert_limited(english)
        assert "Please try again in 10 minutes." in html(english).select_one("form.report-form").get_text()
    assert CommentReport.objects.count() == 3


def test_reactions_and_reports_are_counted_apart(client, citizen, comments):
    with limits(reaction="1/10m/user,20/10m/ip", report="1/10m/user,20/10m/ip"):
        client.force_login(citizen)
        assert react(client, comments[0]).status_code == 302
        assert report(client, comments[0]).status_code == 302
        assert_limited(react(client, comments[1]))
        assert_limited(report(client, comments[1]))


def test_an_incomplete_report_does_not_count(client, citizen, comments):
    with limits(report="1/10m/user,20/10m/ip"):
        client.force_login(citizen)
        assert client.post(f"/it/comments/{comments[0].pk}/report/", {}, REMOTE_ADDR=HOME).status_code == 400
        assert report(client, comments[0]).status_code == 302


# --- votes ---------------------------------------------------------------------------------------


def test_votes_are_limited_per_citizen_with_the_choice_kept(client, citizen, poll):
    options = list(poll["it"].options.order_by("sort_order"))
    client.force_login(citizen)
    with limits(vote="2/10m/user,100/10m/ip"):
        assert vote(client, poll["it"], options[0]).status_code == 302
        assert vote(client, poll["it"], options[1]).status_code == 302
        response = vote(client, poll["it"], options[2])
    assert_limited(response)
    page = html(response)
    assert page.select_one(f"#option-{options[2].pk}").has_attr("checked")
    assert "Troppi tentativi in poco tempo. Riprova tra 10 minuti." in page.select_one("#vote-errors").get_text()
    [stored] = PollVote.objects.filter(user=citizen)
    assert [choice.option_key for choice in stored.choices.all()] == [options[1].translation_key]


def test_votes_from_one_address_are_limited_across_accounts(client, poll):
    english = list(poll["en"].options.order_by("sort_order"))
    with limits(vote="30/10m/user,2/10m/ip"):
        for voter in (UserFactory(), UserFactory()):
            client.force_login(voter)
            assert vote(client, poll["en"], english[0]).status_code == 302
        third = UserFactory()
        client.force_login(third)
        response = vote(client, poll["en"], english[0])
        assert_limited(response)
        assert "Too many attempts in a short time. Please try again in 10 minutes." in response.content.decode()
        assert vote(client, poll["en"], english[0], ip=ELSEWHERE).status_code == 302
    assert PollVote.objects.count() == 3


def test_the_default_vote_limit_is_thirty_in_ten_minutes(client, citizen, poll):
    option = poll["it"].options.first()
    client.force_login(citizen)
    statuses = [vote(client, poll["it"], option).status_code for _ in range(31)]
    assert statuses == [302] * 30 + [429]


# --- allauth: sign-up, login, password reset -----------------------------------------------------


def test_signup_has_an_explicit_limit_per_address():
    from allauth.account import app_settings as allauth_settings

    assert allauth_settings.RATE_LIMITS["signup"] == "20/h/ip"


def assert_allauth_limited(response, longest):
    """allauth's 429: our page in the visitor's language and Retry-After (allauth's own sends none)."""
    assert response.status_code == 429
    assert longest - 5 <= int(response["Retry-After"]) <= longest


def test_signups_from_one_address_get_429_with_retry_after(client):
    signup = {"email": "", "password1": "x", "password2": "y", "display_name": "Nuovo"}
    for _attempt in range(20):  # attempts count, accounts made or not
        assert client.post("/it/accounts/signup/", signup, REMOTE_ADDR=HOME).status_code == 200

    response = client.post("/it/accounts/signup/", signup, REMOTE_ADDR=HOME)

    assert_allauth_limited(response, 3600)
    text = html(response).get_text()
    assert "Troppi tentativi in poco tempo" in text and "Riprova tra 60 minuti." in text
    assert client.post("/it/accounts/signup/", signup, REMOTE_ADDR=ELSEWHERE).status_code == 200


@override_settings(ACCOUNT_RATE_LIMITS={"login": "2/m/ip", "login_failed": "10/m/ip,5/5m/key"})
def test_logins_from_one_address_get_429_with_retry_after(client):
    data = {"login": "nessuno@example.org", "password": "sbagliata"}
    for _attempt in range(2):
        assert client.post("/en/accounts/login/", data, REMOTE_ADDR=HOME).status_code == 200
    response = client.post("/en/accounts/login/", data, REMOTE_ADDR=HOME)
    assert_allauth_limited(response, 60)
    assert "Please try again in" in html(response).get_text()


def test_password_resets_for_one_account_get_429_with_retry_after(client):
    UserFactory(email="giulia@example.org")
    for _attempt in range(5):  # allauth's 5/m/key: the same address asked for five times
        response = client.post("/it/accounts/password/reset/", {"email": "giulia@example.org"}, REMOTE_ADDR=HOME)
        assert response.status_code == 302
    response = client.post("/it/accounts/password/reset/", {"email": "Giulia@example.org "}, REMOTE_ADDR=ELSEWHERE)
    assert_allauth_limited(response, 60)


def test_allauths_retry_after_follows_its_sliding_window(client):
    """The oldest hit in the window decides: 40 seconds after the first of two, 20 seconds are left."""
    real = time.time
    offset = [0.0]
    with (
        override_settings(ACCOUNT_RATE_LIMITS={"login": "2/m/ip", "login_failed": "10/m/ip,5/5m/key"}),
        mock.patch("time.time", lambda: real() + offset[0]),
    ):
        data = {"login": "nessuno@example.org", "password": "sbagliata"}
        client.post("/en/accounts/login/", data, REMOTE_ADDR=HOME)
        offset[0] = 30
        client.post("/en/accounts/login/", data, REMOTE_ADDR=HOME)
        offset[0] = 40
        response = client.post("/en/accounts/login/", data, REMOTE_ADDR=HOME)
        assert response.status_code == 429
        assert 19 <= int(response["Retry-After"]) <= 20
