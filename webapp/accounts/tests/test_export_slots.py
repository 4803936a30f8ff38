"""At most one "Download my data" per account at a time, and EXPORTS_AT_ONCE on a machine: a
security audit's 12 exports of one account made another person's history page take 196 s. A
second export answers 429 with Retry-After and says why, in the reader's language; a slot is free
again when the archive is sent, when the download stops, and when a download dropped before its
first byte is forgotten."""
from __future__ import annotations

import gc
import html

import pytest
from django.test import Client
from django.urls import reverse

from webapp.accounts import export_slots

pytestmark = pytest.mark.django_db


@pytest.fixture
def data_dir(settings, tmp_path):
    settings.DATA_DIR = str(tmp_path / "data")
    return tmp_path / "data"


def _client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _close_as_the_server_does(response) -> None:
    """Close a streamed answer whose download stopped, as the server does. Django's test client
    wraps the content in a generator that closes the answer with the end-of-request signal's
    database cleanup held off; response.close() itself would let that cleanup close this test's
    connection inside its transaction on PostgreSQL (SQLite's in-memory one is never closed), and
    the test's next query fail. Closing the client's generator is closing the answer its way."""
    response._iterator.close()


def test_a_second_export_of_one_account_waits_until_the_first_is_sent(data_dir, patient):
    first = _client_of(patient).get(reverse("export_data"))
    pieces = iter(first.streaming_content)
    next(pieces)  # the first is being sent
    second = _client_of(patient).get(reverse("export_data"), HTTP_ACCEPT_LANGUAGE="id")
    assert second.status_code == 429 and second["Retry-After"] == "60"
    assert "sedang disiapkan" in second.content.decode()
    for _piece in pieces:
        pass
    assert _client_of(patient).get(reverse("export_data")).status_code == 200


def test_the_machine_makes_at_most_exports_at_once(data_dir, settings, make_user):
    settings.EXPORTS_AT_ONCE = 1
    first = _client_of(make_user()).get(reverse("export_data"))
    next(iter(first.streaming_content))
    other = _client_of(make_user()).get(reverse("export_data"))
    assert other.status_code == 429 and "other people's data downloads" in html.unescape(other.content.decode())
    _close_as_the_server_does(first)  # the download stopped
    assert _client_of(make_user()).get(reverse("export_data")).status_code == 200


def test_a_download_dropped_before_its_first_byte_frees_its_slots(data_dir, patient):
    dropped = _client_of(patient).get(reverse("export_data"))
    assert dropped.status_code == 200
    del dropped
    gc.collect()
    assert export_slots.take(patient.pk)  # both slots free again
