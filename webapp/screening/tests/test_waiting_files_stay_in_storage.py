"""A waiting file is read and removed only inside its storage's waiting folder. The fallback to
DATA_DIR (bafea18) joined the stored path to a root without resolving it: a link planted in
pending-uploads (write access to storage, a bad restore) made "Download my data" export the
database, which a security audit did; the reading pictures, read through
storage.absolute_path, refused the same trick."""
from __future__ import annotations

import zipfile
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from webapp.screening import batches, storage
from webapp.screening.batch_models import BatchItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting_item(patient, media_root, xray_paths, settings, tmp_path):
    settings.DATA_DIR = str(tmp_path / "data")
    path = xray_paths["normal"][0]
    batch, _replayed = batches.create_batch(patient, [SimpleUploadedFile(path.name, path.read_bytes())])
    return BatchItem.objects.get(batch=batch)


def test_a_link_out_of_storage_is_neither_exported_nor_deleted(waiting_item, patient_client, tmp_path):
    secret = tmp_path / "secret.sqlite3"
    secret.write_bytes(b"SQLite format 3\x00 other people's data")
    waiting = storage.media_root() / waiting_item.upload_path
    waiting.unlink()
    waiting.symlink_to(secret)

    assert secret not in batches._places(waiting_item)
    archive = b"".join(patient_client.get(reverse("export_data")).streaming_content)
    with zipfile.ZipFile(BytesIO(archive)) as zf:
        assert not any(zf.read(name).startswith(b"SQLite format 3") for name in zf.namelist())
    batches._remove_upload(waiting_item)
    assert secret.read_bytes().startswith(b"SQLite format 3")


def test_a_file_in_either_waiting_folder_is_still_found(waiting_item, settings):
    assert batches.waiting_file(waiting_item).is_file()
    assert batches.waiting_file(waiting_item).is_relative_to(storage.media_root().resolve())
