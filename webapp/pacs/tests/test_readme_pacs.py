"""The README says how to connect a PACS and where the details are: without it a hospital's
operator found the PACS link only by reading the code (an audit of the PACS link)."""
from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

README = Path(settings.REPO_DIR) / "README.md"


def test_the_readme_says_how_to_connect_a_pacs():
    text = README.read_text(encoding="utf-8")
    bullet = re.search(r"^- \*\*Connecting a PACS:\*\*(.*?)(?=^- |^#)", text, re.S | re.M)
    assert bullet, "no 'Connecting a PACS' bullet in the README"
    words = bullet.group(1)
    for needed in ("PACS_DICOMWEB_URL", "PACS_SITE_ACCOUNT", "pacs_ingest", "(docs/pacs.md)"):
        assert needed in words, needed
    assert (README.parent / "docs" / "pacs.md").exists()
