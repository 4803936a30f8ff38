"""The times of the files in "Download my data" are the person's own wall-clock times: a ZIP entry
holds a bare date and time with no zone, which unzip tools show as they are, so writing the
server's UTC showed a Jakarta user their files as made seven hours early."""
import datetime
import io
import os
import zipfile
import zoneinfo

import pytest
from django.urls import reverse

from webapp.screening import storage

pytestmark = pytest.mark.django_db

JAKARTA = zoneinfo.ZoneInfo("Asia/Jakarta")


def entry_time(info: zipfile.ZipInfo) -> datetime.datetime:
    return datetime.datetime(*info.date_time, tzinfo=JAKARTA)


def test_entries_carry_the_owners_local_time(bob_client, bob, make_reading, xray_paths):
    bob.time_zone = "Asia/Jakarta"
    bob.save()
    reading = make_reading(bob, xray_paths["normal"][0])
    picture = storage.absolute_path(reading.original_path)
    a_day_ago = datetime.datetime(2026, 3, 14, 1, 30, tzinfo=datetime.UTC)  # 08:30 in Jakarta
    os.utime(picture, (a_day_ago.timestamp(), a_day_ago.timestamp()))

    before = datetime.datetime.now(JAKARTA).replace(microsecond=0) - datetime.timedelta(seconds=2)
    response = bob_client.get(reverse("export_data"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    after = datetime.datetime.now(JAKARTA) + datetime.timedelta(seconds=2)

    assert before <= entry_time(archive.getinfo("account.json")) <= after
    # A stored file keeps when it was written, in the owner's zone too (ZIP times are even seconds).
    assert archive.getinfo(f"readings/{reading.pk}/original.png").date_time == (2026, 3, 14, 8, 30, 0)
