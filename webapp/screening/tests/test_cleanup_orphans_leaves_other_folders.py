"""`manage.py cleanup_orphans` removes only folders the app made and no reading or waiting batch
names. The private media root is often a mounted volume (docs/deploy.md): ext4 keeps
lost+found/ there, where fsck puts the files it recovers, and an operator may keep a copy beside
the readings. A run removed every folder two levels down that no reading named, those too."""
from __future__ import annotations

import os
import time
import uuid

import pytest
from django.core.management import call_command

from webapp.screening import batches, storage
from webapp.tests.support.screening_helpers import store_reading

pytestmark = pytest.mark.django_db


def _two_hours_old(*paths) -> None:
    then = time.time() - 2 * 3600
    for path in paths:
        os.utime(path, (then, then))


def test_lost_and_found_and_operator_folders_are_left_alone(patient, model_dir, media_root,
                                                            xray_paths, capsys):
    reading = store_reading(patient, model_dir, xray_paths["covid"][0])
    recovered = media_root / "lost+found" / "#131074"
    recovered.mkdir(parents=True)
    copied_xray = recovered / "original.png"
    copied_xray.write_bytes(storage.absolute_path(reading.original_path).read_bytes())
    backup = media_root / str(patient.pk) / "backup-2026-11"
    backup.mkdir()
    # The app's own folders that nothing names: these are the orphans.
    orphan = storage.reading_folder(patient.pk, uuid.uuid4())
    orphan.mkdir()
    stale_batch = batches.pending_root() / uuid.uuid4().hex
    stale_batch.mkdir(parents=True)
    operators_temporary = backup / ".notes.txt.tmp"
    operators_temporary.write_text("an operator's own file")
    _two_hours_old(recovered, backup, orphan, stale_batch, operators_temporary)

    call_command("cleanup_orphans", "--dry-run")
    out = capsys.readouterr().out
    assert f"would remove folder without a reading: {recovered}" not in out
    assert f"would remove folder without a reading: {backup}" not in out
    assert f"not the app's, left alone: {recovered}" in out
    assert f"not the app's, left alone: {backup}" in out
    assert f"would remove folder without a reading: {orphan}" in out
    assert f"would remove folder without a reading: {stale_batch}" in out
    assert "Dry run: 2 folder(s) without a reading, 0 reading(s) without their X-ray, 0 temporary" in out

    call_command("cleanup_orphans")
    out = capsys.readouterr().out
    assert copied_xray.is_file() and backup.is_dir() and operators_temporary.is_file()
    assert not orphan.exists() and not stale_batch.exists()
    assert storage.missing_files(reading) == []
