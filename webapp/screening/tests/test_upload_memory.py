"""Memory of a server worker reading full-size uploads (issue 21).

A 64 MiB DICOM (the upload limit; 5,760 x 5,824 pixels, 12 bits, made from a real X-ray by
cxr/data/fullsize.py) is sent to a real gunicorn worker with the production settings
(webapp/gunicorn.conf.py), twice at the same time, and the worker's peak resident memory
(VmHWM) must stay under 600 MB. Large uploads are read one at a time in each process
(screen.LARGE_UPLOAD_BYTES), which the second test checks without a server.
"""
from __future__ import annotations

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from webapp.screening import screen
from webapp.tests.support.live_server import REPO_DIR, AppServer

MEMORY_LIMIT_MB = 600


@pytest.mark.slow
def test_a_worker_reads_two_64_mib_dicoms_at_once_within_600_mb(model_dir, tmp_path, xray_paths, full_size_xray):
    big = full_size_xray("dicom-64mib")[1]
    assert 63 * 2**20 < len(big) <= 64 * 2**20
    small = next(p for p in xray_paths["normal"] if p.suffix == ".png")
    server = AppServer(tmp_path / "data", model_dir,
                       extra_args=("-c", str(REPO_DIR / "webapp" / "gunicorn.conf.py"), "--workers", "1"))
    server.data_dir.mkdir()
    server.prepare()
    server.start()
    try:
        status, _ = server.post_upload(small.name, small.read_bytes())  # the worker as it serves: model loaded
        assert status == 201, status
        before = server.peak_mb_per_worker()
        statuses: list[int] = []
        errors: list[BaseException] = []

        def send():
            try:
                statuses.append(server.post_upload("detector.dcm", big, timeout=300)[0])
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert statuses == [201, 201], statuses
        peaks = server.peak_mb_per_worker()
    finally:
        server.stop()
    assert len(peaks) == 1
    assert peaks[0] < MEMORY_LIMIT_MB, f"peak {peaks[0]:.0f} MB (before the DICOMs: {before[0]:.0f} MB)"


def test_large_uploads_are_read_one_at_a_time_and_small_ones_are_not_held(screening_settings, monkeypatch):
    active, most = [0], [0]
    lock = threading.Lock()

    def predict_and_store(owner, uploaded_file, predictor):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.2)
        with lock:
            active[0] -= 1

    monkeypatch.setattr(screen, "_predict_and_store", predict_and_store)
    monkeypatch.setattr(screen, "LARGE_UPLOAD_BYTES", 1000)

    def at_once(size: int) -> int:
        most[0] = 0
        threads = [threading.Thread(target=screen.screen_upload,
                                    args=(None, SimpleUploadedFile("x.dcm", b"\0" * size)))
                   for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return most[0]

    assert at_once(5000) == 1
    assert at_once(500) == 3


def test_a_small_file_that_decodes_large_is_read_one_at_a_time(screening_settings, monkeypatch, tmp_path):
    """A 190 KB PNG declaring 7,000 x 7,000 RGBA pixels took 700 MB while it was turned grey, and
    went past the lock for being small: several at once took gigabytes (the security audit)."""
    from PIL import Image

    held = []
    monkeypatch.setattr(screen, "_predict_and_store",
                        lambda owner, uploaded_file, predictor: held.append(screen._large_uploads.locked()))

    def small_file(mode: str, size: int) -> SimpleUploadedFile:
        path = tmp_path / f"{mode}-{size}.png"
        Image.new(mode, (size, size)).save(path, optimize=True)
        assert path.stat().st_size < screen.LARGE_UPLOAD_BYTES
        return SimpleUploadedFile(path.name, path.read_bytes())

    screen.screen_upload(None, small_file("RGBA", 7000))
    screen.screen_upload(None, small_file("L", 2000))
    assert held == [True, False]
