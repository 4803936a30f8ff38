"""Build the hospital finder's indexes when a serving process starts, not in the first search.

Reading GeoNames' towns into the place index (`places.world_cities()`), the lists' own places and
the nearest-hospital trees takes seconds of CPU (the first search after a start took 7-18 s on
the 2-core development machine, later ones a tenth of a second or so), and each gunicorn worker
builds its own. `start()` builds them in a daemon thread of the serving process: webapp/wsgi.py
calls it, which every gunicorn worker and `manage.py runserver` (`make run`, `make dev`) import
and nothing else does, so tests and management commands build them only when they search. A
search that comes while they are being built waits for the part it needs (each is built under
its lock), and a part built here is not built again.

A site without an open hospital listed (an API or PACS server, a fresh install) is left as it
was: the place index is some 200 MB of a worker, and scikit-learn (the nearest-hospital trees)
100 MB more (docs/performance.md, "Per-worker memory"), not worth carrying for a finder that can
list nothing.
"""
from __future__ import annotations

import logging
import os
import threading
import time

log = logging.getLogger(__name__)

THREAD_NAME = "hospital-finder-warm-up"

_lock = threading.Lock()
_thread: threading.Thread | None = None


def start() -> threading.Thread:
    """Start building the indexes in the background, once per process; returns the thread."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_build, name=THREAD_NAME, daemon=True)
            _thread.start()
            # A process that forks after this (gunicorn --preload loads the app before forking
            # its workers) waits for the build first: no child inherits a lock held by it.
            os.register_at_fork(before=_thread.join)
        return _thread


def _build() -> None:
    from django.db import connections

    from . import nearest, places
    from .models import Hospital

    started = time.perf_counter()
    try:
        if not Hospital.objects.filter(status=Hospital.Status.OPEN).exists():
            log.info("No open hospital is listed: the hospital finder's indexes are left to its first search")
            return
        towns, listed = places.world_cities(), places.hospital_places()
        _ = towns._positions, listed.close_names, listed.division_names  # cached properties: built when read
        nearest.open_hospitals_index(public_only=True)
        nearest.open_hospitals_index()
        log.info("The hospital finder's indexes were built in %.1f s", time.perf_counter() - started)
    except Exception as exc:  # the first search builds them, or says what is wrong
        log.warning("The hospital finder's indexes could not be built at start: %s", exc)
    finally:
        connections.close_all()  # this thread's own connections
