"""`manage.py cleanup_orphans` (run daily, docs/deploy.md) deletes a reading only when its X-ray
is gone. It deleted the row, the X-ray and the heat map when only the thumbnail was missing,
and left no audit event of the deletion."""
from __future__ import annotations

import io
import stat

import pytest
from django.core.management import call_command
from django.utils import translation
from PIL import Image

from webapp.audit.models import Action, AuditEvent
from webapp.screening import storage
from webapp.screening.models import Reading

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("cleanup_orphans", *args, stdout=out)
    return out.getvalue()


def test_a_missing_thumbnail_is_made_again_from_the_xray(make_reading, alice, xray_paths):
    reading = make_reading(alice, xray_paths["normal"][0])
    thumbnail = storage.absolute_path(reading.thumbnail_path)
    thumbnail.unlink()

    report = run("--dry-run")
    assert f"would make the thumbnail of reading {reading.pk} again" in report
    assert not thumbnail.exists()

    report = run()
    assert f"made the thumbnail of reading {reading.pk} again" in report
    assert Reading.objects.filter(pk=reading.pk).exists()
    assert storage.missing_files(reading) == []
    with Image.open(thumbnail) as image:
        assert max(image.size) <= 256
    assert stat.S_IMODE(thumbnail.stat().st_mode) == storage.FILE_MODE
    assert AuditEvent.objects.count() == 0


def test_a_missing_heat_map_is_reported_and_the_reading_kept(make_reading, alice, xray_paths):
    reading = make_reading(alice, xray_paths["normal"][0])
    storage.absolute_path(reading.heatmap_path).unlink()

    report = run()
    assert f"reading {reading.pk} has lost its heat map" in report
    assert "0 reading(s) without their X-ray" in report
    assert Reading.objects.filter(pk=reading.pk).exists()
    assert storage.absolute_path(reading.original_path).is_file()
    assert AuditEvent.objects.count() == 0


def test_a_reading_whose_xray_is_gone_is_deleted_and_logged(
        make_reading, alice, bob, xray_paths, django_capture_on_commit_callbacks):
    lost = make_reading(alice, xray_paths["normal"][0])
    kept = make_reading(bob, xray_paths["normal"][1])
    storage.absolute_path(lost.original_path).unlink()

    with django_capture_on_commit_callbacks(execute=True):
        report = run()
    assert f"removed reading {lost.pk} without its X-ray" in report
    assert "1 reading(s) without their X-ray" in report
    assert list(Reading.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not storage.reading_folder(alice.pk, lost.storage_key).exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.reading_id, event.reading_owner_id, event.actor_id) == (
        Action.CLEANUP_DELETE, lost.pk, alice.pk, None)
    assert event.via == "command"
    with translation.override("en"):
        assert event.get_action_display() == "deleted by cleanup_orphans: its X-ray was gone"
    with translation.override("id"):
        assert event.get_action_display() == "dihapus cleanup_orphans: foto rontgennya hilang"


def test_a_dry_run_deletes_and_logs_nothing(make_reading, alice, xray_paths):
    lost = make_reading(alice, xray_paths["normal"][0])
    storage.absolute_path(lost.original_path).unlink()

    report = run("--dry-run")
    assert f"would remove reading {lost.pk} without its X-ray" in report
    assert Reading.objects.filter(pk=lost.pk).exists()
    assert AuditEvent.objects.count() == 0
