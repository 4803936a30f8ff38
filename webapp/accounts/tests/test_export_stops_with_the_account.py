""""Download my data" sent the rest of the archive after the account it belongs to was deleted or
deactivated, or its password changed (the eighth session's left-alone list): an administrator who
deletes or deactivates a stolen account, or a person who changes their password to shut out
whoever has their session, expects their X-rays to stop leaving the server. The export checks
the account before each reading and stops with the connection cut (the browser shows a failed
download, not a complete-looking archive that is short).

Real readings of real X-rays and the real view, iterated as the server does."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from webapp.accounts import data_export
from webapp.accounts.models import User
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def _deactivate(user):
    User.objects.filter(pk=user.pk).update(is_active=False)


def _delete(user):
    User.objects.filter(pk=user.pk).delete()


def _new_password(user):
    fresh = User.objects.get(pk=user.pk)
    fresh.set_password("a quite different passphrase 7")
    fresh.save()


@pytest.mark.parametrize("change", [_deactivate, _delete, _new_password])
def test_the_archive_stops_before_the_next_reading(doctor, model_dir, media_root, xray_paths, change):
    readings = [store_reading(doctor, model_dir, path) for path in (xray_paths["covid"][0], xray_paths["normal"][0])]
    client = Client()
    client.force_login(doctor)
    response = client.get(reverse("export_data"))
    pieces = iter(response.streaming_content)
    sent = next(pieces)  # account.json is on its way
    change(doctor)
    try:
        with pytest.raises(data_export.AccountChanged):
            for piece in pieces:
                sent += piece
    finally:
        response.close()  # frees the export's slot should the archive go on (the test fails)
    assert all(f"readings/{reading.pk}/".encode() not in sent for reading in readings)


def test_an_unchanged_account_gets_the_whole_archive(doctor, model_dir, media_root, xray_paths):
    reading = store_reading(doctor, model_dir, xray_paths["covid"][0])
    client = Client()
    client.force_login(doctor)
    sent = b"".join(client.get(reverse("export_data")).streaming_content)
    assert f"readings/{reading.pk}/report.pdf".encode() in sent and b"README.txt" in sent
