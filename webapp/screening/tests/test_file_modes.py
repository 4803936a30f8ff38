"""Uploaded X-rays and every image made from them are the app's user's alone: files 0600,
folders 0700 under PRIVATE_MEDIA_ROOT (docs/deploy.md, "Owner-only files"), whatever the umask.
The default umask (022) made them 0644 / 0755: readable by every local user of the server."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from webapp.screening import batches
from webapp.screening.models import Reading

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def usual_umask():
    """The umask of a service started by systemd or a login shell; restored afterwards."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def modes(root: Path) -> dict[str, str]:
    """Every path under `root` (and `root`) -> its permission bits, in octal."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.stat().st_mode))
    return found


def upload(client, *files: Path):
    data = {"image": [SimpleUploadedFile(path.name, path.read_bytes()) for path in files]}
    return client.post(reverse("screening:upload"), data)


def test_an_uploaded_xray_and_its_images_are_owner_only(patient_client, patient, model_dir, media_root,
                                                        xray_paths):
    response = upload(patient_client, xray_paths["covid"][0])
    reading = Reading.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{reading.pk}/")
    found = modes(media_root)
    folder = f"{patient.pk}/{reading.storage_key}"
    assert set(found) == {".", str(patient.pk), folder, *(f"{folder}/{name}" for name in
                                                           ("original.png", "thumbnail.png", "heatmap.png"))}
    assert {path: mode for path, mode in found.items() if path.endswith(".png")} == {
        path: "0o600" for path in found if path.endswith(".png")}
    assert {path: mode for path, mode in found.items() if not path.endswith(".png")} == {
        path: "0o700" for path in found if not path.endswith(".png")}


def test_queued_uploads_and_their_readings_are_owner_only(patient_client, patient, model_dir, media_root,
                                                          xray_paths):
    response = upload(patient_client, xray_paths["covid"][0], xray_paths["normal"][0])
    assert response.status_code == 302
    waiting = modes(media_root)
    files = [path for path in waiting if path.startswith(batches.PENDING + "/") and path.count("/") == 2]
    assert len(files) == 2  # pending-uploads/<batch>/<index>
    assert {path: waiting[path] for path in files} == dict.fromkeys(files, "0o600")
    folders = [path for path in waiting if path not in files]
    assert {path: waiting[path] for path in folders} == dict.fromkeys(folders, "0o700")

    batches.run_queued()  # what a queue worker does, in this process
    assert Reading.objects.count() == 2
    found = modes(media_root)
    assert sum(path.endswith(".png") for path in found) == 6
    assert {path: mode for path, mode in found.items() if path.endswith(".png")} == {
        path: "0o600" for path in found if path.endswith(".png")}
    assert {path: mode for path, mode in found.items() if not path.endswith(".png")} == {
        path: "0o700" for path in found if not path.endswith(".png")}


def test_djangos_own_storage_writes_owner_only_and_static_files_stay_public(settings, tmp_path):
    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage, storages

    private = FileSystemStorage(location=tmp_path / "media")
    private.save("a/b.png", ContentFile(b"x"))
    assert oct(stat.S_IMODE((tmp_path / "media" / "a" / "b.png").stat().st_mode)) == "0o600"
    assert oct(stat.S_IMODE((tmp_path / "media" / "a").stat().st_mode)) == "0o700"
    # Collected static files are public and may be served by another user: not owner-only.
    static = storages.create_storage({**settings.STORAGES["staticfiles"],
                                      "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"})
    static.location = str(tmp_path / "static")
    static.save("css/site.css", ContentFile(b"body{}"))
    assert oct(stat.S_IMODE((tmp_path / "static" / "css" / "site.css").stat().st_mode)) == "0o644"
    assert oct(stat.S_IMODE((tmp_path / "static" / "css").stat().st_mode)) == "0o755"
