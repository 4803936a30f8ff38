"""An administrator's look at, or deletion of, a person's reading in the admin site is an audit
event kept with the reading's owner (webapp/audit); "Download my data" gave only the events the
person did. activity.json now holds both, the administrator's marked as such and without their
IP address, and its README line says so."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_download_holds_what_an_administrator_did_to_the_persons_readings(
        make_account, make_reading, bob, xray_paths):
    admin = make_account("admin@example.org")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    seen, deleted = (make_reading(bob, xray_paths["normal"][0]) for _ in range(2))
    staff = Client(REMOTE_ADDR="203.0.113.9")
    staff.force_login(admin)
    assert staff.get(reverse("admin:screening_reading_change", args=[seen.pk])).status_code == 200
    staff.post(reverse("admin:screening_reading_delete", args=[deleted.pk]), {"post": "yes"})

    owner = Client()
    owner.force_login(bob)
    owner.get(reverse("screening:detail", args=[seen.pk]))
    response = owner.get(reverse("export_data"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    activity = json.loads(archive.read("activity.json"))
    by_administrator = [(e["action"], e["reading_id"], e["ip_address"]) for e in activity
                        if e["by"] == "administrator"]
    assert by_administrator == [("admin_view", seen.pk, None), ("admin_delete", deleted.pk, None)]
    assert any(e["by"] == "you" and e["reading_id"] == seen.pk for e in activity)
    assert "what administrators did to your readings" in archive.read("README.txt").decode()
    assert "admin@example.org" not in json.dumps(activity)
