from pathlib import Path

import polib
import pytest

LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


@pytest.mark.parametrize("language", ["it"])
def test_every_interface_string_is_translated(language):
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / "django.po"
    catalogue = polib.pofile(str(po_path))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries() if not entry.obsolete]
    assert not missing, f"untranslated in {language}: {missing}"
    assert not fuzzy, f"fuzzy in {language}: {fuzzy}"


@pytest.mark.parametrize("language", ["it"])
def test_compiled_catalogue_matches_the_po_file(language):
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    compiled = polib.mofile(str(folder / "django.mo"))
    source = polib.pofile(str(folder / "django.po"))
    # Keyed by context too: "Open" (a process) and "Open" (reports) may be translated differently.
    expected = {(e.msgctxt, e.msgid): e.msgstr for e in source.translated_entries() if not e.msgid_plural}
    actual = {(e.msgctxt, e.msgid): e.msgstr for e in compiled if e.msgid and not e.msgid_plural}
    assert expected == actual, "run `make messages` and commit the .mo file"


def test_italian_strings_are_active(client, db):
    from django.utils import translation

    with translation.override("it"):
        assert translation.gettext("Search the site") == "Cerca nel sito"
