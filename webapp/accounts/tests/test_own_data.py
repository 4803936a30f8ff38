"""People own their data: one ZIP with everything the app keeps about them, and deleting the
account with its readings and stored files. The audit log keeps both events; after a deletion
it holds no email or IP address of the person."""
import io
import json
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from webapp.audit.models import Action, AuditEvent
from webapp.screening import storage
from webapp.tests.support.screening_helpers import pdf_all_text

User = get_user_model()
pytestmark = pytest.mark.django_db


@pytest.fixture
def two_readings(bob, make_reading, xray_paths):
    first = make_reading(bob, xray_paths["normal"][0])
    second = make_reading(bob, xray_paths["covid"][0])
    second.note = "Ketik catatan: batuk 3 hari"
    second.save()
    return [first, second]


def _zip(response) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


def test_the_download_holds_images_json_and_reports(bob_client, bob, two_readings, alice, make_reading,
                                                    xray_paths):
    make_reading(alice, xray_paths["pneumonia"][0])  # someone else's: must not be in the archive
    bob.time_zone = "Asia/Jakarta"
    bob.save()
    response = bob_client.get(reverse("export_data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    assert 'attachment; filename="cxr-screening-data-' in response["Content-Disposition"]
    archive = _zip(response)
    names = set(archive.namelist())
    expected = {"README.txt", "account.json", "readings.json", "activity.json", "logins.json",
                "api_keys.json", "uploads.json"}
    for reading in two_readings:
        expected |= {f"readings/{reading.pk}/{n}" for n in ("original.png", "heatmap.png", "report.pdf")}
    assert names == expected

    account = json.loads(archive.read("account.json"))
    assert account["email"] == bob.email and account["time_zone"] == "Asia/Jakarta"
    assert "password" not in json.dumps(account)
    readings = json.loads(archive.read("readings.json"))
    assert [r["id"] for r in readings] == [r.pk for r in two_readings]
    assert readings[1]["note"] == "Ketik catatan: batuk 3 hari"
    assert readings[0]["created_at"].endswith("+07:00")  # in the person's time zone
    for reading in two_readings:
        stored = storage.absolute_path(reading.original_path).read_bytes()
        assert archive.read(f"readings/{reading.pk}/original.png") == stored
        heat = storage.absolute_path(reading.heatmap_path).read_bytes()
        assert archive.read(f"readings/{reading.pk}/heatmap.png") == heat
        pdf = archive.read(f"readings/{reading.pk}/report.pdf")
        assert pdf.startswith(b"%PDF") and "WIB" in pdf_all_text(pdf)
    assert "Asia/Jakarta" in archive.read("README.txt").decode()

    event = AuditEvent.objects.get(action=Action.EXPORT_DATA)
    assert event.actor == bob and event.actor_email == bob.email and event.reading_id is None


def test_the_download_holds_sign_ins_api_keys_and_waiting_uploads(patient, doctor, user_password, settings,
                                                                    tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from webapp.screening import batches
    from webapp.screening.api_models import ApiToken

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.PRIVATE_MEDIA_ROOT.mkdir(mode=0o700, exist_ok=True)
    own_client, stranger = Client(), Client()
    stranger.post(reverse("login"), {"username": patient.email, "password": "wrong-guess"},
                  REMOTE_ADDR="10.0.0.9", HTTP_USER_AGENT="a stranger's laptop")  # a failed sign-in
    assert own_client.post(reverse("login"), {"username": patient.email, "password": user_password},
                           HTTP_USER_AGENT="Ana's phone").status_code == 302
    ApiToken.issue(patient, name="lab script")
    ApiToken.issue(doctor, name="doctor's key")  # someone else's: not in the archive
    batch, _ = batches.create_batch(patient, [SimpleUploadedFile("a.png", b"first film"),
                                          SimpleUploadedFile("b.png", b"second film")], ["K-1", ""])
    batch.items.filter(index=1).update(state="refused", refusal_title="Not a chest X-ray")

    archive = _zip(own_client.get(reverse("export_data")))
    logins = json.loads(archive.read("logins.json"))
    assert [s["browser"] for s in logins["sign_ins"]] == ["Ana's phone"]
    [failed] = logins["failed_sign_ins_counted"]
    assert (failed["ip_address"], failed["browser"], failed["failures"]) == ("10.0.0.9", "a stranger's laptop", 1)
    [key] = json.loads(archive.read("api_keys.json"))
    assert key["name"] == "lab script" and "key_hash" not in key
    [upload] = json.loads(archive.read("uploads.json"))
    assert [(f["state"], f["patient_reference"], f["file"], f["refusal"]) for f in upload["files"]] == [
        ("queued", "K-1", f"waiting/{batch.pk}/0", None), ("refused", "", None, "Not a chest X-ray")]
    assert archive.read(f"waiting/{batch.pk}/0") == b"first film"  # the X-ray not yet read, as sent
    assert f"waiting/{batch.pk}/1" not in archive.namelist()
    assert "logins.json" in archive.read("README.txt").decode()


def test_a_missing_file_is_listed_not_fatal(bob_client, two_readings):
    storage.absolute_path(two_readings[0].heatmap_path).unlink()
    archive = _zip(bob_client.get(reverse("export_data")))
    assert f"readings/{two_readings[0].pk}/heatmap.png" not in archive.namelist()
    assert f"readings/{two_readings[0].pk}/heatmap.png" in archive.read("README.txt").decode()


def test_the_download_needs_a_login(client):
    response = client.get(reverse("export_data"))
    assert response.status_code == 302 and reverse("login") in response.url


def test_deleting_needs_the_password(bob_client, bob, two_readings):
    page = bob_client.get(reverse("delete_account"))
    assert "2 readings" in page.content.decode()
    refused = bob_client.post(reverse("delete_account"), {"password": "not-it-at-all-1"})
    assert refused.status_code == 200
    assert "The password is not correct." in refused.content.decode()
    assert User.objects.filter(pk=bob.pk).exists()


def test_deleting_removes_account_readings_and_files(bob_client, bob, two_readings, alice_client,
                                                     alice, make_reading, xray_paths,
                                                     django_capture_on_commit_callbacks):
    from axes.models import AccessLog

    others = make_reading(alice, xray_paths["pneumonia"][0])
    # Earlier events of Bob's, with his email and address, and a login record of his.
    bob_client.get(reverse("screening:detail", args=[two_readings[0].pk]), REMOTE_ADDR="10.1.2.3")
    assert AuditEvent.objects.filter(actor_email=bob.email).exists()
    Client().post(reverse("login"), {"username": bob.email, "password": "quartz-lagoon-violet-73"})
    assert AccessLog.objects.filter(username=bob.email).exists()
    folders = [storage.reading_folder(bob.pk, r.storage_key) for r in two_readings]
    assert all(f.is_dir() for f in folders)

    with django_capture_on_commit_callbacks(execute=True):
        response = bob_client.post(reverse("delete_account"), {"password": "quartz-lagoon-violet-73"})
    assert response.status_code == 302 and response.url == reverse("landing")
    assert not User.objects.filter(pk=bob.pk).exists()
    assert not any(f.exists() for f in folders)
    assert "_auth_user_id" not in bob_client.session
    assert not AccessLog.objects.filter(username=bob.email).exists()

    # The audit log keeps the events, without Bob's email or addresses.
    deleted = AuditEvent.objects.get(action=Action.DELETE_ACCOUNT)
    assert deleted.actor is None and deleted.ip_address is None and deleted.reading_id is None
    assert deleted.actor_email.startswith("deleted-account-")
    assert not AuditEvent.objects.filter(actor_email=bob.email).exists()
    earlier = AuditEvent.objects.get(action=Action.VIEW)
    assert earlier.actor_email == deleted.actor_email and earlier.ip_address is None
    assert bob.email not in deleted.actor_email and bob.full_name not in deleted.actor_email

    # Alice's account and reading are untouched.
    assert alice_client.get(reverse("screening:detail", args=[others.pk])).status_code == 200
    assert storage.missing_files(others) == []


def test_profile_links_to_both(bob_client, two_readings):
    page = bob_client.get(reverse("profile")).content.decode()
    assert reverse("export_data") in page and reverse("delete_account") in page
    assert "You have 2 readings." in " ".join(page.split())


def test_the_readme_is_in_the_readers_language(bob_client, two_readings):
    """README.txt was English whatever the reader's language, its disclaimer included."""
    from django.utils import translation

    readme = _zip(bob_client.get(reverse("export_data"), HTTP_ACCEPT_LANGUAGE="id")).read("README.txt").decode()
    with translation.override("id"):
        disclaimer = translation.gettext("A screening aid, not a diagnosis: a clinician and an RT-PCR test decide.")
    assert disclaimer in readme and "not a diagnosis" not in readme
    assert "semua data yang disimpan aplikasi ini" in readme and "all the data" not in readme
    assert "account.json" in readme and "readings.json" in readme  # the names stay


def test_the_readings_warnings_and_reasons_are_worded_in_the_readers_language(bob_client, bob, model_dir,
                                                                               media_root, xray_paths):
    """readings.json gave the stored English sentences to an Indonesian reader whose README.txt
    promised "peringatan"; they are now worded as the reading page words them."""
    from django.utils import translation

    from webapp.screening.presentation import reason_text, warning_texts
    from webapp.tests.support.screening_helpers import store_reading

    readings = [store_reading(bob, model_dir, xray_paths[label][0]) for label in ("covid", "normal", "pneumonia")]
    archive = _zip(bob_client.get(reverse("export_data"), HTTP_ACCEPT_LANGUAGE="id"))
    exported = json.loads(archive.read("readings.json"))
    with translation.override("id"):
        expected = [(reason_text(r), warning_texts(r)) for r in readings]
    assert [(r["reason"], r["warnings"]) for r in exported] == expected
    assert any(reason or warnings for reason, warnings in expected)  # there is something to word
    with translation.override("en"):
        assert [(reason_text(r), warning_texts(r)) for r in readings] != expected  # and it differs
    # The export's moment as the site writes dates, not an ISO string with microseconds.
    first_line = archive.read("README.txt").decode().splitlines()[0]
    assert re.search(r"diekspor \d{1,2} \w+\.? \d{4}, \d{1,2}\.\d{2} UTC\.$", first_line), first_line
