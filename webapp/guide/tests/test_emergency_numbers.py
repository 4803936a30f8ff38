"""The emergency line of the next-steps and hospital pages: Indonesia's medical emergency number
is 119 (PSC 119) beside the general 112, which is not answered everywhere; the pages gave only
112, as plain text a phone could not dial with a tap. The sentence names the numbers; call buttons
under it dial them (in the sentence they were links too small and too close for a finger)."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

WORDS = {"en": "in Indonesia 119 for an ambulance, or 112; 911 in the United States",
         "id": "di Indonesia 119 untuk ambulans, atau 112; 911 di Amerika Serikat"}


@pytest.mark.parametrize("language", ["en", "id"])
@pytest.mark.parametrize("url", [reverse("guide:next_steps", args=["covid"]), reverse("hospitals:nearest")])
def test_the_emergency_numbers_are_one_tap_away(client, language, url):
    client.cookies["django_language"] = language
    with translation.override(language):
        html = client.get(url).content.decode()
    (line,) = re.findall(r'data-testid="emergency-numbers">(.*?)</p>', html, re.S)
    (calls,) = re.findall(r'data-testid="emergency-calls">(.*?)</div>', html, re.S)
    assert [f'href="tel:{n}"' in calls for n in (119, 112, 911)] == [True] * 3
    assert "tel:" not in line  # one target per number, the big one
    assert WORDS[language] in " ".join(re.sub(r"<[^>]+>", "", line).split())
