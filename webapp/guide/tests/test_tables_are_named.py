"""Every table on How it works has a name of its own: a screen reader's list of tables held 18
tables without one, three of them under the same "Per class" heading (a screen-reader audit).
Each now has a caption (hidden from view: the heading or summary above says it to the eye),
naming its split where the same table is given for each split."""
from __future__ import annotations

import re
from html import unescape

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "id"])
def test_every_table_has_a_caption_of_its_own(client, language):
    client.cookies.load({"django_language": language})
    html = client.get(reverse("guide:how_it_works")).content.decode()
    tables = re.findall(r"<table\b[^>]*>\s*(<caption\b[^>]*>(.*?)</caption>)?", html, re.S)
    assert len(tables) >= 10
    names = [" ".join(unescape(re.sub(r"<[^>]+>", "", name)).split()) for _tag, name in tables]
    assert all(names), names
    assert len(set(names)) == len(names), names
