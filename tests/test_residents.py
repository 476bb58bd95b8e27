"""Verified residents (issue "One real person, one vote", parts 2 and 3): the codice fiscale's normal form and
keyed hash, the register of residents imported as a stream (accounts/census.py, `import_residents`), the
citizen's census check (participation/verification.py) and the Registry's desk (accounts/census_admin.py), and the
system check that wants RESIDENT_IDENTITY_KEY in production.

A clear codice fiscale must never be stored: the 100,000-row import is followed by a scan of every table."""

import io
import re
import tracemalloc
from unittest import mock

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection
from django.test import override_settings
from django.urls import reverse
from wagtail.models import ModelLogEntry
from wagtail.users.models import UserProfile

from accounts import census, census_admin, residents
from accounts.models import CensusImport, CensusResident, ResidentVerification
from civic_site import checks
from tests.factories import EditorFactory, ResultsFactory, UserFactory, activate_two_factor

pytestmark = pytest.mark.django_db

CODE_SHAPE = re.compile(r"[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]", re.I)


def make_code(number, year=85, month="T", day=10, place="L219"):
    """A valid codice fiscale, one per ``number`` (its six name letters are ``number`` in base 26): born on
    ``day`` of ``month`` (a letter: T is December) of 19``year`` in ``place`` (L219: Torino)."""
    letters = ""
    for _ in range(6):
        letters += chr(ord("A") + number % 26)
        number //= 26
    first15 = f"{letters}{year:02d}{month}{day:02d}{place}"
    return first15 + residents.check_character(first15)


def omocode(code, positions=(14,)):
    """An omocode variant of ``code``: the digits at ``positions`` written as letters, the check character redone."""
    chars = list(code[:15])
    for position in positions:
        chars[position] = residents.OMOCODE_LETTERS[int(chars[position])]
    first15 = "".join(chars)
    return first15 + residents.check_character(first15)


def csv_file(text):
    return io.BytesIO(text.encode("utf-8"))


def import_text(text, **kwargs):
    return census.import_residents(csv_file(text), **kwargs)


GIULIA = make_code(1001, year=85, month="T", day=50)  # a woman: day + 40
MARCO = make_code(1002, year=90, month="A", day=1)


@pytest.fixture
def register():
    """A register with Giulia (postcode 10121, born 1985) and Marco (10153, born 1990)."""
    return import_text(f"codice_fiscale;cap;data_nascita\n{GIULIA};10121;1985-12-10\n{MARCO};10153;01/01/1990\n")


# --- the codice fiscale ----------------------------------------------------------------------------------------


def test_a_valid_code_is_normalised_and_hashed_the_same_however_it_is_typed():
    assert residents.is_valid_code(GIULIA)
    assert residents.is_valid_code(f" {GIULIA.lower()[:8]} {GIULIA.lower()[8:]}")
    assert residents.identity_hash(GIULIA.lower()) == residents.identity_hash(GIULIA)
    assert len(residents.identity_hash(GIULIA)) == 64
    assert residents.identity_hash(GIULIA) != residents.identity_hash(MARCO)


def test_a_wrong_check_character_is_refused():
    wrong = GIULIA[:15] + ("A" if GIULIA[15] != "A" else "B")
    assert not residents.is_valid_code(wrong)
    with pytest.raises(residents.InvalidCode):
        residents.identity_hash(wrong)


def test_omocode_variants_are_the_same_person():
    variant = omocode(GIULIA, positions=(14, 13, 7))
    assert variant != GIULIA
    assert residents.is_valid_code(variant)
    assert residents.normalise(variant) == GIULIA
    assert residents.identity_hash(variant) == residents.identity_hash(GIULIA)


def test_the_birth_date_comes_from_the_code_and_the_registers_year():
    import datetime

    assert residents.birth_date_from_code(GIULIA, 1985) == datetime.date(1985, 12, 10)
    assert residents.birth_date_from_code(GIULIA, 1986) is None


# --- importing the register ------------------------------------------------------------------------------------


def stored():
    return {(row.identity, row.postcode, row.birth_year) for row in CensusResident.objects.all()}


def test_semicolons_iso_dates_and_a_byte_order_mark():
    report = census.import_residents(
        io.BytesIO(f"\ufeffcodice_fiscale;cap;data_nascita\r\n{GIULIA};10121;1985-12-10\r\n".encode())
    )
    assert (report.read, report.stored, report.refused_total) == (1, 1, 0)
    assert stored() == {(residents.identity_hash(GIULIA), "10121", 1985)}


def test_commas_italian_dates_other_column_names_and_order():
    report = import_text(
        f"birth_date,Postcode,Codice_Fiscale\n10/12/1985,10121,{GIULIA.lower()}\n\n1/1/1990,10153,{MARCO}\n"
    )
    assert (report.read, report.stored) == (2, 2)
    assert stored() == {
        (residents.identity_hash(GIULIA), "10121", 1985),
        (residents.identity_hash(MARCO), "10153", 1990),
    }
    assert report.record == census.current_import()
    assert (report.record.rows_read, report.record.rows_stored, report.record.rows_refused) == (2, 2, 0)


def test_bad_rows_are_refused_by_line_and_reason_without_the_code():
    bad_check = GIULIA[:15] + ("A" if GIULIA[15] != "A" else "B")
    text = (
        "codice_fiscale;cap;data_nascita\n"
        f"{GIULIA};10121;1985-12-10\n"  # line 2: stored
        f"{bad_check};10121;1985-12-10\n"  # 3: bad code
        f"{MARCO};1015;1990-01-01\n"  # 4: bad postcode
        f"{MARCO};10153;31/02/1990\n"  # 5: bad date
        f"{omocode(GIULIA)};10122;1985-12-10\n"  # 6: Giulia again (an omocode)
        f"{MARCO};10153\n"  # 7: no date
        f"{MARCO};10153;1990-01-01\n"  # 8: stored
    )
    report = import_text(text)
    assert (report.read, report.stored, report.refused_total) == (7, 2, 5)
    assert report.listed() == [
        (3, census.REASONS["code"]),
        (4, census.REASONS["postcode"]),
        (5, census.REASONS["birth_date"]),
        (6, census.REASONS["duplicate"]),
        (7, census.REASONS["birth_date"]),
    ]
    shown = " ".join(f"{line} {reason}" for line, reason in report.listed()) + str(report.refused_by_reason())
    assert not CODE_SHAPE.search(shown)


def test_duplicates_across_batches_are_found(monkeypatch):
    monkeypatch.setattr(census, "BATCH_SIZE", 2)
    lines = [f"{make_code(n)};10121;1985-12-10" for n in range(5)] + [f"{make_code(1)};10122;1985-12-10"]
    report = import_text("codice_fiscale;cap;data_nascita\n" + "\n".join(lines) + "\n")
    assert (report.stored, report.refused["duplicate"]) == (5, 1)
    assert report.listed() == [(7, census.REASONS["duplicate"])]


def test_an_import_replaces_the_register_and_keeps_verifications(register, citizen):
    census.check_census(citizen, GIULIA, "10121")
    report = import_text(f"codice_fiscale;cap;data_nascita\n{MARCO};10153;1990-01-01\n")
    assert stored() == {(residents.identity_hash(MARCO), "10153", 1990)}
    assert CensusResident.objects.get().batch == report.record == census.current_import()
    assert ResidentVerification.objects.filter(user=citizen).exists()
    assert census.register_size() == 1


def test_a_file_that_fails_half_way_changes_nothing(register, monkeypatch):
    monkeypatch.setattr(census, "BATCH_SIZE", 10)
    good = "".join(f"{make_code(n)};10121;1985-12-10\n" for n in range(50))
    data = ("codice_fiscale;cap;data_nascita\n" + good).encode() + b"\xff\xfe broken\n"
    before, imports = stored(), CensusImport.objects.count()
    with pytest.raises(census.CensusFileError, match="UTF-8"):
        census.import_residents(io.BytesIO(data))
    assert stored() == before
    assert CensusImport.objects.count() == imports


@pytest.mark.parametrize(
    "text",
    ["", "\n", "cf;cap\nX;10121\n", "nome;cognome;indirizzo\nMario;Rossi;via Roma 1\n"],
)
def test_a_file_without_the_columns_is_refused_whole(register, text):
    before = stored()
    with pytest.raises(census.CensusFileError):
        import_text(text)
    assert stored() == before


def test_the_import_is_in_the_audit_log_with_counts_only(register):
    entry = ModelLogEntry.objects.get(action=census.IMPORT_LOG_ACTION)
    assert entry.data["stored"] == 2
    assert not CODE_SHAPE.search(str(entry.data))


def test_the_command_prints_counts_and_lines_never_codes(tmp_path):
    path = tmp_path / "residenti.csv"
    path.write_text(f"codice_fiscale;cap;data_nascita\n{GIULIA};10121;1985-12-10\n{GIULIA[:15]}Z;10121;1985-12-10\n")
    out = io.StringIO()
    call_command("import_residents", str(path), stdout=out)
    text = out.getvalue()
    assert "Rows read: 2; stored: 1; refused: 1." in text
    assert "line 3: not a valid codice fiscale" in text
    assert not CODE_SHAPE.search(text)
    assert census.register_size() == 1


def test_the_command_refuses_a_file_it_cannot_use(tmp_path):
    path = tmp_path / "residenti.csv"
    path.write_text("nome;cognome\nMario;Rossi\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_residents", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_residents", str(tmp_path / "missing.csv"), stdout=io.StringIO())


ROWS = 100_000


def file_code(number):
    """The codice fiscale on line ``number + 2`` of the 100,000-row file."""
    return make_code(number, year=40 + number % 60)


def is_file_code(text):
    """Whether ``text`` (anything shaped like a codice fiscale) is one of the file's codes."""
    text = text.upper()
    number = sum((ord(char) - ord("A")) * 26**index for index, char in enumerate(text[:6]))
    return number < ROWS and file_code(number) == text


def every_text_value():
    """Every value of every row of every table of the database, as text."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a table's name
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        yield bytes(value).decode("latin-1")
                    elif value is not None:
                        yield str(value)


def test_a_100000_row_import_streams_in_bounded_memory_and_stores_no_code(tmp_path, caplog):
    path = tmp_path / "residenti.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("codice_fiscale;cap;data_nascita\n")
        for number in range(ROWS):
            handle.write(
                f"{make_code(number, year=40 + number % 60)};{10121 + number % 36};19{40 + number % 60}-12-10\n"
            )
    caplog.set_level("DEBUG")
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        with path.open("rb") as handle:
            report = census.import_residents(handle)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert (report.read, report.stored, report.refused_total) == (ROWS, ROWS, 0)
    assert CensusResident.objects.count() == ROWS
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1024 / 1024:.1f} MB above the baseline"
    # No clear codice fiscale anywhere: not in any table, not in the logs.
    found = [match for text in every_text_value() for match in CODE_SHAPE.findall(text) if is_file_code(match)]
    assert found == []
    assert not [match for match in CODE_SHAPE.findall(caplog.text) if is_file_code(match)]
    # And the rows are the people of the file.
    assert CensusResident.objects.filter(identity=residents.identity_hash(file_code(ROWS - 1))).exists()


# --- the citizen's census check --------------------------------------------------------------------------------


VERIFY_URL = "/en/accounts/verify/"


def post(client, code, postcode, **extra):
    return client.post(VERIFY_URL, {"codice_fiscale": code, "postcode": postcode, **extra})


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def test_the_page_needs_a_login(client):
    response = client.get(VERIFY_URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_explains_the_ways_and_is_in_the_account_nav(client, citizen):
    client.force_login(citizen)
    response = client.get(VERIFY_URL)
    assert response.status_code == 200
    html = page(response)
    assert html.select_one('nav.account-nav a[aria-current="page"]')["href"] == VERIFY_URL
    code_input = html.select_one("input[name=codice_fiscale]")
    assert code_input["autocomplete"] == "off"
    assert html.select_one(f"label[for={code_input['id']}]")
    assert html.select_one("input[name=postcode]")["inputmode"] == "numeric"
    assert "piazza Palazzo di Città" in response.content.decode()
    assert not html.select("script:not([src])") and not html.select("[style]")
    assert reverse("accounts_verify") == VERIFY_URL


def test_a_match_verifies_the_account_with_birth_date_and_postcode(client, citizen, register):
    client.force_login(citizen)
    response = post(client, omocode(GIULIA).lower(), "10121")
    assert response.status_code == 302 and response["Location"] == VERIFY_URL
    verification = ResidentVerification.objects.get(user=citizen)
    assert verification.method == "census"
    assert verification.identity == residents.identity_hash(GIULIA)
    assert str(verification.birth_date) == "1985-12-10"
    assert verification.postcode == "10121"
    response = client.get(VERIFY_URL)
    assert "Your account is verified" in response.content.decode()
    assert not page(response).select("input[name=codice_fiscale]")


def neutral_alert(response):
    return " ".join(page(response).select_one("main .alert-warning").get_text().split())


def test_no_match_says_the_same_whether_the_code_exists_or_the_postcode_is_wrong(client, citizen, register):
    client.force_login(citizen)
    unknown = post(client, make_code(4242), "10121")
    wrong_postcode = post(client, GIULIA, "10122")
    assert unknown.status_code == wrong_postcode.status_code == 200
    assert neutral_alert(unknown) == neutral_alert(wrong_postcode)
    assert "desk" in neutral_alert(unknown)
    assert not ResidentVerification.objects.exists()


def test_a_malformed_code_is_explained_and_kept(client, citizen, register):
    client.force_login(citizen)
    with mock.patch.object(census, "check_census") as looked_up:
        response = post(client, "RSSMRA85T10L219", "10121")
    looked_up.assert_not_called()
    html = page(response)
    field = html.select_one("input[name=codice_fiscale]")
    assert field["value"] == "RSSMRA85T10L219"
    assert field["aria-invalid"] == "true"
    summary_link = html.select_one("#error-summary a")
    assert summary_link["href"] == f"#{field['id']}"
    assert "not a valid codice fiscale" in summary_link.get_text()
    assert field["aria-describedby"].split()[0] == html.select_one(".invalid-feedback")["id"]


def test_the_sixth_attempt_in_an_hour_is_refused_with_the_wait(client, citizen, register):
    client.force_login(citizen)
    for _ in range(5):
        assert post(client, make_code(4242), "10121").status_code == 200
    response = post(client, GIULIA, "10121")  # right this time, but too late
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "try again in" in response.content.decode()
    assert page(response).select_one("input[name=codice_fiscale]")["value"] == GIULIA
    assert not ResidentVerification.objects.exists()


def test_malformed_attempts_count_too_and_the_address_has_its_own_limit(client, register):
    for _user in range(4):
        client.force_login(UserFactory())
        for _ in range(5):
            assert post(client, "not a code", "10121").status_code == 200
    client.force_login(UserFactory())
    assert post(client, GIULIA, "10121").status_code == 429  # the 21st from this address


def test_a_person_verified_on_another_account_is_offered_that_login_not_its_email(client, citizen, marco, register):
    census.check_census(marco, GIULIA, "10121")
    client.force_login(citizen)
    response = post(client, GIULIA, "10121")
    text = response.content.decode()
    assert "already verified on another account" in text
    html = page(response)
    hrefs = {link["href"] for link in html.select("main .alert-warning a")}
    assert reverse("account_login") in hrefs and reverse("account_reset_password") in hrefs
    assert marco.email not in text and marco.username not in text
    assert not ResidentVerification.objects.filter(user=citizen).exists()


def test_next_sends_back_to_the_vote_and_an_unsafe_next_is_ignored(client, citizen, marco, register):
    client.force_login(citizen)
    response = client.get(VERIFY_URL + "?next=/en/take-part/poll/")
    assert page(response).select_one("input[name=next]")["value"] == "/en/take-part/poll/"
    response = post(client, GIULIA, "10121", next="/en/take-part/poll/")
    assert response["Location"] == "/en/take-part/poll/"
    client.force_login(marco)
    response = post(client, MARCO, "10153", next="https://evil.example/")
    assert response["Location"] == VERIFY_URL
    response = client.get(VERIFY_URL + "?next=//evil.example/")
    assert not page(response).select("input[name=next]")


# --- the desk --------------------------------------------------------------------------------------------------


def registry_member():
    """A member of Registry, with two-factor on and the admin in English (assertions read the source strings)."""
    user = UserFactory(username="anagrafe")
    user.groups.add(Group.objects.get(name="Registry"))
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = "en"
    profile.save()
    return activate_two_factor(user)


@pytest.fixture
def clerk(client):
    user = registry_member()
    client.force_login(user)
    return user


def test_the_registry_sees_the_register_and_imports_a_file(client, clerk, register):
    response = client.get(reverse("accounts_residents"))
    assert response.status_code == 200
    assert ">2<" in response.content.decode().replace(" ", "")
    upload = io.BytesIO(f"codice_fiscale;cap;data_nascita\n{MARCO};10153;1990-01-01\nX;1;2\n".encode())
    upload.name = "residenti.csv"
    response = client.post(reverse("accounts_residents"), {"file": upload})
    assert response.status_code == 200
    text = " ".join(page(response).get_text().split())
    assert "Rows read: 2. Stored: 1. Refused: 1." in text
    assert "Line 3:" in text
    assert census.register_size() == 1
    assert census.current_import().imported_by == clerk


@override_settings(FILE_UPLOAD_MAX_MEMORY_SIZE=10)
def test_a_large_upload_is_streamed_from_its_temporary_file(client, clerk):
    upload = io.BytesIO(f"codice_fiscale;cap;data_nascita\n{MARCO};10153;1990-01-01\n".encode())
    upload.name = "residenti.csv"
    response = client.post(reverse("accounts_residents"), {"file": upload})
    assert response.status_code == 200
    assert census.register_size() == 1


def test_a_bad_upload_changes_nothing_and_says_why(client, clerk, register):
    upload = io.BytesIO(b"nome;cognome\nMario;Rossi\n")
    upload.name = "residenti.csv"
    response = client.post(reverse("accounts_residents"), {"file": upload})
    assert "Nothing was imported" in response.content.decode()
    assert census.register_size() == 2


def test_the_desk_finds_an_account_by_exact_email_only(client, clerk, citizen):
    response = client.get(reverse("accounts_residents_desk"), {"q": citizen.email.upper()})
    assert citizen.email in response.content.decode()
    response = client.get(reverse("accounts_residents_desk"), {"q": "giulia"})
    assert citizen.email not in response.content.decode()


def test_the_desk_verifies_with_the_register_filling_the_gaps(client, clerk, citizen, register):
    url = reverse("accounts_residents_verify", args=[citizen.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"codice_fiscale": GIULIA, "birth_date": "", "postcode": ""})
    assert response.status_code == 302
    verification = ResidentVerification.objects.get(user=citizen)
    assert (verification.method, verification.verified_by, verification.postcode) == ("desk", clerk, "10121")
    assert str(verification.birth_date) == "1985-12-10"
    entry = ModelLogEntry.objects.get(action=census.VERIFY_LOG_ACTION)
    assert (entry.user_id, entry.object_id) == (clerk.pk, str(citizen.pk))
    assert not CODE_SHAPE.search(f"{entry.label} {entry.data}")


def test_the_desk_verifies_a_person_not_in_the_register(client, clerk, citizen):
    url = reverse("accounts_residents_verify", args=[citizen.pk])
    response = client.post(url, {"codice_fiscale": MARCO, "birth_date": "1990-01-01", "postcode": "10153"})
    assert response.status_code == 302
    verification = ResidentVerification.objects.get(user=citizen)
    assert (str(verification.birth_date), verification.postcode) == ("1990-01-01", "10153")


def test_the_desk_refuses_a_bad_code_and_a_person_on_another_account(client, clerk, citizen, marco):
    url = reverse("accounts_residents_verify", args=[citizen.pk])
    response = client.post(url, {"codice_fiscale": MARCO[:15] + "Z", "birth_date": "", "postcode": ""})
    assert "not a valid codice fiscale" in response.content.decode()
    residents.verify(marco, identity=residents.identity_hash(MARCO), method="census")
    response = client.post(url, {"codice_fiscale": MARCO, "birth_date": "", "postcode": ""})
    text = response.content.decode()
    assert "already verified on another account" in text
    assert marco.email not in text
    assert not ResidentVerification.objects.filter(user=citizen).exists()


def test_the_desk_removes_a_verification_after_confirming(client, clerk, citizen):
    residents.verify(citizen, identity=residents.identity_hash(GIULIA), method="census")
    url = reverse("accounts_residents_unverify", args=[citizen.pk])
    response = client.get(url)
    assert response.status_code == 200 and "Yes, remove the verification" in response.content.decode()
    assert ResidentVerification.objects.filter(user=citizen).exists()
    assert client.post(url).status_code == 302
    assert not ResidentVerification.objects.filter(user=citizen).exists()
    entry = ModelLogEntry.objects.get(action=census.UNVERIFY_LOG_ACTION)
    assert (entry.user_id, entry.object_id) == (clerk.pk, str(citizen.pk))


@pytest.mark.parametrize("who", ["citizen", "editor", "results"])
def test_no_one_else_reaches_the_registry(client, citizen, who):
    user = {"citizen": lambda: citizen, "editor": EditorFactory, "results": ResultsFactory}[who]()
    client.force_login(user)
    urls = [
        reverse("accounts_residents"),
        reverse("accounts_residents_desk"),
        reverse("accounts_residents_verify", args=[citizen.pk]),
        reverse("accounts_residents_unverify", args=[citizen.pk]),
    ]
    for url in urls:
        for response in (client.get(url), client.post(url, {"codice_fiscale": GIULIA})):
            assert response.status_code in (302, 403), (who, url)
            if response.status_code == 302:  # to the login (citizens) or the dashboard (staff)
                assert response["Location"].startswith(("/admin/login/", "/en/", "/it/", "/admin/?")) or response[
                    "Location"
                ] == reverse("wagtailadmin_home"), response["Location"]
    assert not ResidentVerification.objects.exists()
    assert not census_admin.may_manage(user)


def test_the_residents_menu_is_the_registrys():
    from django.test import RequestFactory

    item = census_admin.menu_item()
    request = RequestFactory().get("/admin/")
    request.user = registry_member()
    assert item.is_shown(request)
    request.user = EditorFactory()
    assert not item.is_shown(request)


# --- the system check ------------------------------------------------------------------------------------------


def errors():
    return [message.id for message in checks.check_resident_identity_key()]


@override_settings(DEBUG=False, RESIDENT_IDENTITY_KEY="")
def test_production_refuses_imported_residents_without_the_key(register):
    assert errors() == ["civic_site.E004"]
    with override_settings(RESIDENT_IDENTITY_KEY="a-long-random-secret"):
        assert errors() == []
    with override_settings(DEBUG=True):
        assert errors() == []


@override_settings(DEBUG=False, RESIDENT_IDENTITY_KEY="")
def test_production_refuses_verifications_without_the_key(citizen):
    assert errors() == []
    residents.verify(citizen, identity=residents.identity_hash(GIULIA), method="desk")
    assert errors() == ["civic_site.E004"]


@override_settings(DEBUG=False, RESIDENT_IDENTITY_KEY="")
def test_the_check_does_not_crash_without_the_tables(register):
    with mock.patch.object(connection.introspection, "table_names", return_value=[]):
        assert errors() == []
    with mock.patch.object(connection.introspection, "table_names", side_effect=DatabaseError("no database")):
        assert errors() == []
