"""The Indonesian catalogue: every message translated, nothing fuzzy, and the committed .mo in step
with the .po (so a string added without `compilemessages` fails here, not in front of a user)."""
import ast
import gettext
import os
import shutil
import subprocess
import sys
from pathlib import Path

import django
import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import translation

LOCALE_DIR = Path(__file__).resolve().parents[3] / "webapp" / "locale"
PO_FILE = LOCALE_DIR / "id" / "LC_MESSAGES" / "django.po"
MO_FILE = PO_FILE.with_suffix(".mo")


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgid, msgid_plural, msgstr / msgstr[n], flags. Enough for checks."""
    entries, entry, field, field_index = [], None, None, 0
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry:
                entries.append(entry)
            entry, field = None, None
            continue
        if line.startswith("#~"):
            continue  # obsolete entries are not compiled
        entry = entry or {"flags": set(), "msgstr": {}}
        if line.startswith("#,"):
            entry["flags"].update(flag.strip() for flag in line[2:].split(","))
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            target = entry if field in ("msgid", "msgid_plural", "msgctxt") else entry["msgstr"]
            key = field if field in ("msgid", "msgid_plural", "msgctxt") else field_index
            target[key] += ast.literal_eval(line)
        else:
            keyword, _, value = line.partition(" ")
            if keyword.startswith("msgstr"):
                field, field_index = "msgstr", int(keyword[7:-1]) if "[" in keyword else 0
                entry["msgstr"][field_index] = ast.literal_eval(value)
            else:
                field = keyword
                entry[keyword] = ast.literal_eval(value)
    return [e for e in entries if e.get("msgid")]  # the header has an empty msgid


@pytest.fixture(scope="module")
def po_entries():
    assert PO_FILE.exists(), "run manage.py makemessages -l id"
    return read_po(PO_FILE)


def test_every_message_is_translated_and_none_is_fuzzy(po_entries):
    assert len(po_entries) > 300
    fuzzy = [e["msgid"] for e in po_entries if "fuzzy" in e["flags"]]
    empty = [e["msgid"] for e in po_entries if not all(e["msgstr"].values())]
    assert fuzzy == [] and empty == []


def test_compiled_catalogue_matches_the_po_file(po_entries):
    with MO_FILE.open("rb") as f:
        catalogue = gettext.GNUTranslations(f)
    stale = []
    for e in po_entries:
        if "msgid_plural" in e:
            got = catalogue.ngettext(e["msgid"], e["msgid_plural"], 1)
        elif "msgctxt" in e:
            got = catalogue.pgettext(e["msgctxt"], e["msgid"])
        else:
            got = catalogue.gettext(e["msgid"])
        if got != e["msgstr"][0]:
            stale.append(e["msgid"])
    assert stale == [], "run manage.py compilemessages -l id"


def test_placeholders_survive_translation(po_entries):
    import re

    placeholder = re.compile(r"%\(\w+\)[-+ #0-9.]*[sdf]|%%")
    broken = [e["msgid"] for e in po_entries
              if sorted(placeholder.findall(e["msgid"])) != sorted(placeholder.findall(e["msgstr"][0]))]
    assert broken == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext's xgettext (apt-get install gettext)")
def test_every_message_in_the_catalogue_is_still_used(po_entries, tmp_path):
    # A translation whose English is gone from the code misleads the next translator. Entries are
    # live when makemessages still extracts them, or when they override Django's own catalogue on
    # purpose (the "kata sandi" labels). makemessages runs on a copy, never on the real catalogue.
    source = LOCALE_DIR.parent
    copy = tmp_path / "webapp"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("tests", "static", "__pycache__", "*.mo"))
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    subprocess.run([sys.executable, "-m", "django", "makemessages", "-l", "id", "--no-location"],
                   cwd=copy, env=env, check=True, capture_output=True)
    extracted = read_po(copy / "locale" / "id" / "LC_MESSAGES" / "django.po")
    live = {(e.get("msgctxt"), e["msgid"]) for e in extracted}
    for djangos in Path(django.__file__).parent.rglob("locale/id/LC_MESSAGES/django.po"):
        live |= {(e.get("msgctxt"), e["msgid"]) for e in read_po(djangos)}
    unused = [e["msgid"] for e in po_entries if (e.get("msgctxt"), e["msgid"]) not in live]
    assert unused == []


@pytest.mark.django_db
@override_settings(CXR_MODEL_DIR="/nonexistent-model-dir")
def test_pages_render_in_indonesian(client, patient):
    client.force_login(patient)
    client.cookies["django_language"] = "id"
    pages = {
        reverse("hospitals:nearest"): "Cari rumah sakit di dekat Anda",
        reverse("guide:next_steps"): "Segera cari pertolongan jika Anda mengalami salah satu tanda bahaya ini",
        reverse("guide:next_steps", args=["covid"]): "Lakukan tes COVID-19 sesegera mungkin",
        reverse("guide:how_it_works"): "Belum ada model yang terpasang.",
    }
    for url, phrase in pages.items():
        html = client.get(url).content.decode()
        assert '<html lang="id">' in html, url
        assert phrase in html, url
    with translation.override("id"):
        assert translation.gettext("Find hospitals") == "Cari rumah sakit"
