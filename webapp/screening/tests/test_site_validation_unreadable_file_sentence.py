"""A file the site check cannot read was named as "empty.png cannot be read as an X-ray: The file
is empty.": a capital after a colon, in English and Indonesian (an audit of the staff pages). The
engine's reason is sentences of its own, so it now follows a full stop."""
from __future__ import annotations

import html
import re

import pytest

from webapp.tests.support.site_validation_helpers import csv_of, labelled, post_site_check

pytestmark = pytest.mark.django_db

EXPECTED = {"en": "empty.png cannot be read as an X-ray. The file is empty.",
            "id": "empty.png tidak dapat dibaca sebagai foto rontgen. Berkas ini kosong."}


@pytest.mark.parametrize("language", ["en", "id"])
def test_an_unreadable_file_is_named_in_a_sentence_that_reads_right(language, admin_client, xray_paths):
    files = labelled(xray_paths, 1) + [("empty.png", b"", "normal"), ("notes.png", b"my notes", "normal")]
    response = post_site_check(admin_client, files, csv_of(files), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 422
    problems = [" ".join(html.unescape(item).split()) for item in
                re.findall(r"<li>(.*?)</li>", response.content.decode().split('class="problems"', 1)[1].split("</ul>")[0],
                           re.S)]
    assert EXPECTED[language] in problems, problems
    for problem in problems:
        assert not re.search(r": [A-Z]", problem), problem  # no sentence restarts after a colon
