"""The compare page's breadcrumb names the page after "My readings ›"."""
from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_the_compare_breadcrumb_names_the_page(client, doctor):
    client.force_login(doctor)
    with translation.override("en"):
        html = client.get(reverse("screening:compare")).content.decode()
    assert '› <span aria-current="page">Compare readings</span>' in html
