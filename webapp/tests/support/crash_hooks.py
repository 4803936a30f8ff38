"""gunicorn configuration for the crash test: pauses a worker at a chosen moment of storing.

Loaded with `gunicorn -c webapp/tests/support/crash_hooks.py`; never used outside tests. After a
worker starts, it wraps the step of webapp.screening.screen that stores an upload's reading (it
still sees the upload's file name, which storage is never given) and two steps of
webapp.screening.storage, so that an upload whose file name starts with `crash-<stage>` stops
at that stage, writes `<CRASH_SIGNAL_DIR>/<stage>` with
the worker's pid, and sleeps until the test kills it with SIGKILL:

* `crash-mid-files`: the first image file is written, the others are not;
* `crash-after-files`: all image files are written, the row is not inserted;
* `crash-in-transaction`: the row is inserted but its transaction is not committed.

Other uploads pass untouched. Nothing in the app knows about this: the wrapping happens here.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

workers = 1
timeout = 300  # the paused worker must be killed by the test, not by gunicorn's watchdog


def post_worker_init(worker):
    from webapp.screening import screen, storage
    from webapp.screening.models import Reading

    signal_dir = Path(os.environ["CRASH_SIGNAL_DIR"])
    upload = threading.local()

    def pause_if(stage: str) -> None:
        if getattr(upload, "stage", "") == stage:
            (signal_dir / stage).write_text(str(os.getpid()))
            time.sleep(600)

    real_store = screen._store
    real_write = storage._write_atomically
    real_insert = Reading.objects.create

    def store(owner, uploaded_file, prediction, *args, **kwargs):
        name = Path(uploaded_file.name or "").stem
        upload.stage = name.removeprefix("crash-") if name.startswith("crash-") else ""
        return real_store(owner, uploaded_file, prediction, *args, **kwargs)

    def write(path, data):
        real_write(path, data)
        if path.name == storage.ORIGINAL:
            pause_if("mid-files")
        if path.name == storage.FILE_NAMES[-1]:
            pause_if("after-files")

    def insert(**fields):
        row = real_insert(**fields)
        pause_if("in-transaction")
        return row

    screen._store = store
    storage._write_atomically = write
    Reading.objects.create = insert
