"""kill -9 a real gunicorn worker in the middle of storing an upload; nothing half-done remains.

A real server (gunicorn, SQLite, a temporary DATA_DIR) is paused at each dangerous moment of
storing a reading by webapp/tests/support/crash_hooks.py, then its worker is killed with SIGKILL:
after the first image file, after all files, and inside the open database transaction; and once
while the upload itself is still arriving. Afterwards the database holds only whole readings
(every row with all its files), the only debris is folders without a row, and
`manage.py cleanup_orphans` removes exactly those. The server keeps serving throughout.
"""
from __future__ import annotations

import os
import signal
import socket
import sqlite3
import threading
import time
from pathlib import Path

import pytest

from webapp.tests.support.live_server import REPO_DIR, AppServer, multipart

pytestmark = pytest.mark.slow

STAGES = ("mid-files", "after-files", "in-transaction")


def reading_rows(server: AppServer) -> list[tuple[int, str, str, str, str]]:
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True, timeout=30) as db:
        return db.execute("SELECT id, owner_id, storage_key, original_path, heatmap_path "
                          "FROM screening_reading ORDER BY id").fetchall()


def reading_folders(server: AppServer) -> set[tuple[str, str]]:
    if not server.media_root.exists():
        return set()
    return {(p.parent.name, p.name) for p in server.media_root.glob("*/*") if p.is_dir()}


def row_folders(server: AppServer) -> set[tuple[str, str]]:
    # SQLite stores UUIDs as 32 hex digits; the folders use the hyphenated form.
    import uuid

    return {(str(owner), str(uuid.UUID(key))) for _, owner, key, _, _ in reading_rows(server)}


def wait_for(path: Path, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text():
            return path.read_text()
        time.sleep(0.05)
    raise TimeoutError(f"the worker never reached {path.name}")


@pytest.fixture
def server(tmp_path, stub_model_dir):
    signals = tmp_path / "signals"
    signals.mkdir()
    app = AppServer(tmp_path / "data", stub_model_dir,
                    extra_args=("-c", str(REPO_DIR / "webapp/tests/support/crash_hooks.py")),
                    extra_env={"CRASH_SIGNAL_DIR": str(signals)})
    app.signals = signals
    app.prepare()
    app.start()
    yield app
    app.stop()


def test_killing_workers_mid_upload_leaves_only_whole_readings(server, xray_paths):
    xray = next(p for paths in xray_paths.values() for p in paths if p.suffix == ".png").read_bytes()
    status, body = server.post_upload("first.png", xray)
    assert status == 201, body
    stored_ok = 1

    for stage in STAGES:
        outcome = {}

        def send(stage=stage, outcome=outcome):
            try:
                outcome["status"] = server.post_upload(f"crash-{stage}.png", xray)[0]
            except OSError as exc:  # the connection dies with the worker
                outcome["error"] = exc

        client = threading.Thread(target=send)
        client.start()
        worker = int(wait_for(server.signals / stage))
        assert worker in server.worker_pids()
        os.kill(worker, signal.SIGKILL)
        client.join(timeout=60)
        assert "status" not in outcome, f"{stage}: the killed request got an answer {outcome}"
        server.wait_until_ready()  # gunicorn's master starts a new worker

        # Never a row without its files, whatever the moment of the crash.
        assert len(reading_rows(server)) == stored_ok, stage
        assert row_folders(server) <= reading_folders(server)
        for _, _, _, original, heatmap in reading_rows(server):
            assert (server.media_root / original).is_file() and (server.media_root / heatmap).is_file()

    # A crash while the upload is still arriving: nothing is stored at all.
    folders_before = reading_folders(server)
    body, content_type = multipart("image", "slow.png", xray)
    with socket.create_connection(("127.0.0.1", server.port)) as slow:
        slow.sendall((f"POST /api/v1/readings/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"Authorization: Token {server.api_key}\r\nContent-Type: {content_type}\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n").encode() + body[: len(body) // 2])
        time.sleep(1.0)  # the worker is now waiting for the rest of the body
        for worker in server.worker_pids():
            os.kill(worker, signal.SIGKILL)
    server.wait_until_ready()
    assert reading_folders(server) == folders_before
    assert len(reading_rows(server)) == stored_ok

    # The debris of the three crashes: one folder each, and no row for any of them.
    orphans = reading_folders(server) - row_folders(server)
    assert len(orphans) == len(STAGES)

    # The server still works, and the database survived the kills intact.
    status, body = server.post_upload("after.png", xray)
    assert status == 201, body
    stored_ok += 1
    with sqlite3.connect(f"file:{server.database}?mode=ro", uri=True) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    report = server.manage("cleanup_orphans", "--min-age-minutes", "0")
    assert f"{len(STAGES)} folder(s) without a reading" in report
    assert reading_folders(server) == row_folders(server)
    assert len(reading_rows(server)) == stored_ok
    leftovers = [p for p in server.media_root.rglob("*") if p.is_file() and p.suffix != ".png"]
    assert leftovers == []  # no temporary files either
    status, listing = server.request("GET", "/api/v1/readings/",
                                     headers={"Authorization": f"Token {server.api_key}"})
    assert status == 200
