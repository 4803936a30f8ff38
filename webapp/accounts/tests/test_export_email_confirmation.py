"""account.json of "Download my data" says when the person confirmed their email address and when a
confirmation link was last mailed to them: both are kept about them (webapp.accounts.models)."""
import datetime
import io
import json
import zipfile
import zoneinfo

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_account_json_holds_the_confirmation_times(bob_client, bob):
    bob.time_zone = "Asia/Jakarta"
    bob.email_verified_at = datetime.datetime(2026, 5, 1, 2, 0, tzinfo=datetime.UTC)
    bob.verification_mailed_at = datetime.datetime(2026, 5, 1, 1, 55, tzinfo=datetime.UTC)
    bob.save()
    response = bob_client.get(reverse("export_data"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    account = json.loads(archive.read("account.json"))
    assert account["format_version"] == 5
    jakarta = zoneinfo.ZoneInfo("Asia/Jakarta")
    assert datetime.datetime.fromisoformat(account["email_confirmed_at"]) == bob.email_verified_at
    assert account["email_confirmed_at"].endswith("+07:00")  # in the person's zone, as every time
    assert (datetime.datetime.fromisoformat(account["confirmation_link_mailed_at"])
            == bob.verification_mailed_at.astimezone(jakarta))


def test_activity_json_counts_repeated_requests_for_readings_not_theirs(bob_client, bob):
    """The audit log counts an account's repeated 404s on one row (audit.log.record_denied): the
    person's copy of it says how many and the last id asked for, not one request."""
    for reading_id in (900001, 900002, 900007):
        assert bob_client.get(reverse("screening:detail", args=[reading_id])).status_code == 404
    response = bob_client.get(reverse("export_data"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    [denied] = [e for e in json.loads(archive.read("activity.json")) if e["action"] == "denied"]
    assert (denied["reading_id"], denied["times"], denied["last_reading_id"]) == (900001, 3, 900007)
    assert datetime.datetime.fromisoformat(denied["last_at"]) >= datetime.datetime.fromisoformat(denied["at"])
