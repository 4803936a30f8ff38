"""Files on disk: writing one so that a reader sees all of it or none of it, even when processes
race (`atomic_target`), and naming one by its content (`file_sha256`).

Parallel sweep runs build the same image cache and convert the same weights; out-of-source folds
in parallel processes record the same protocol and wait for each other's predictions. Each writer
gets a temporary name of its own beside the target and renames it into place (atomic on one file
system): a shared temporary name let one process rename another's file away, and a crash never
leaves half a file under the real name.
"""
from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_target(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path`, unique to this call, to write to; renamed onto `path` when
    the block ends, removed when it raises. (numpy adds ".npy" to a name without it: write
    arrays through an open file.)"""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def file_sha256(path: str | Path) -> str:
    """The SHA-256 of a file's bytes (hex), read a megabyte at a time."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
