"""Memory of a server worker reading full-size uploads (issue 21).

A 64 MiB DICOM (the upload limit; 5,760 x 5,824 pixels, 12 bits, made from a real X-ray by
bench/fullsize.py) is sent to a real gunicorn worker with the production settings
(webapp/gunicorn.conf.py), twice at the same time, and the worker's peak resident memory
(VmHWM) must stay under 600 MB. Large uploads are read one at a time in each process
(screen.LARGE_UPLOAD_BYTES), which the second test checks without a server.
"""
from __future__ import annotations

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from bench import fullsize
from bench import web as web_bench
from webapp.screening import screen

MEMORY_LIMIT_MB = 600


@pytest.mark.slow
def test_a_worker_reads_two_64_mib_dicoms_at_once_within_600_mb(model_dir, tmp_path, monkeypatch, xray_paths):
    source = fullsize.source_images(1)[0]
    big = tmp_path / "detector.dcm"
    big.write_bytes(fullsize.make("dicom-64mib", source))
    assert 63 * 2**20 < big.stat().st_size <= 64 * 2**20
    small = next(p for p in xray_paths["normal"] if p.suffix == ".png")
    monkeypatch.setenv("CXR_MODEL_DIR", str(model_dir))
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with web_bench.Server(data_dir, workers=1, threads=None, ort_threads=None) as server:
        emails = web_bench.create_users(server.env, 2)
        browsers = []
        for email in emails:
            browser = web_bench.Browser(server.port)
            browser.log_in(email)
            browsers.append(browser)
        browsers[0].screen(small, small.read_bytes())  # the worker as it serves: model loaded
        before = server.peak_mb_per_worker()
        errors: list[BaseException] = []

        def send(browser):
            try:
                browser.screen(big, big.read_bytes())
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(b,)) for b in browsers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        peaks = server.peak_mb_per_worker()
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
