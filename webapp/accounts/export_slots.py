"""At most one "Download my data" per account at a time, and EXPORTS_AT_ONCE on one machine.

An export holds a server thread and a CPU for as long as it takes (a PDF per reading: about
2 minutes for 576 readings), so a handful at once stalled every other page: a security audit's
12 exports of one account made another person's history page take 196 s instead of 0.01 s.

The slots are flock() locks on files in DATA_DIR/export-slots/ (one per account, EXPORTS_AT_ONCE
for the machine): they hold across gunicorn's worker processes and threads, and the kernel frees
a lock when its holder's process dies, so a killed worker never leaves a slot taken. The limit is
per machine, like the CPU it protects."""
from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import BinaryIO

from django.conf import settings


class Busy(Exception):
    """No slot: `whose` is "account" (this account's export is running) or "site"."""

    def __init__(self, whose: str):
        super().__init__(whose)
        self.whose = whose


def _folder() -> Path:
    folder = Path(settings.DATA_DIR) / "export-slots"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _lock(path: Path) -> BinaryIO | None:
    """An open file holding the lock of `path`, or None when another holds it. A file object, not
    a bare descriptor: a download dropped before its first byte never runs the code that releases
    its slots, and the file's own finaliser then closes it, which frees the lock."""
    handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "rb+")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    return handle


def take(user_id: int) -> list[BinaryIO]:
    """The account's slot and one of the machine's, as open files to give to `release`; raises
    Busy when either is taken."""
    folder = _folder()
    account = _lock(folder / f"account-{int(user_id)}.lock")
    if account is None:
        raise Busy("account")
    for slot in range(max(1, int(settings.EXPORTS_AT_ONCE))):
        machine = _lock(folder / f"slot-{slot}.lock")
        if machine is not None:
            return [account, machine]
    account.close()
    raise Busy("site")


def release(slots: list[BinaryIO]) -> None:
    for slot in slots:
        slot.close()  # closing the file frees its lock
