"""docs/deploy.md's "Backups" for a SQLite site, run as written. The settings keep SQLite in WAL
mode, so a running site's last commits are in db.sqlite3-wal: a plain `cp db.sqlite3` while the
app ran lost the last readings, and the page covered only pg_dump.

A real site (migrated, readings of real X-rays stored by the app's own code) is backed up by
the documented commands while a process that wrote its last readings still holds the database
open, as the running app does; a reading is saved between the database copy and the media copy.
Then the site is lost, a stale -wal file left behind, and the documented restore brings back
every reading of the database copy with its files, and cleanup_orphans finds only the folder of
the reading saved between the two copies."""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from webapp.tests.support.backup_site import WRITER
from webapp.tests.support.worker_cluster import REPO_DIR, worker_env

pytestmark = pytest.mark.slow


def _blocks() -> tuple[list[str], str, list[str]]:
    """The backup block's lines, the Python line, and the restore block's lines."""
    text = (REPO_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = text.split("\n## Backups\n", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("```", 1)[0] for block in section.split("```sh\n")[1:]]
    # SQLite's blocks among PostgreSQL's: the one that copies with sqlite3, the one that restores.
    [backup] = [block for block in blocks if "sqlite3 /srv/cxr/db.sqlite3" in block]
    [restore] = [block for block in blocks if 'cp "$B/db.sqlite3"' in block]
    [python_line] = re.findall(r'`(python3 -c "import sqlite3[^`]+)`', section)
    return backup.strip().splitlines(), python_line, restore.strip().splitlines()


def _readings(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT COUNT(*) FROM screening_reading").fetchone()[0]


def test_the_documented_sqlite_backup_and_restore(tmp_path, model_dir, xray_paths):
    srv, media, backups = tmp_path / "srv" / "cxr", tmp_path / "mnt" / "cxr-media", tmp_path / "backup" / "cxr"
    srv.mkdir(parents=True)
    media.mkdir(parents=True)
    (media / "lost+found").mkdir()  # the volume's own: not the app's, not backed up
    database = srv / "db.sqlite3"
    env = worker_env(tmp_path / "data", model_dir, DATABASE_URL=f"sqlite:///{database}",
                     PRIVATE_MEDIA_ROOT=str(media))
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"  # `python`: the venv's

    def here(line: str) -> str:
        # The release's `.venv/bin/python` is this test's (a checkout may have no .venv of its own).
        return (line.replace(".venv/bin/python", sys.executable).replace("/srv/cxr/", f"{srv}/")
                .replace("/mnt/cxr-media", str(media)).replace("/backup/cxr/", f"{backups}/"))

    def sh(lines: list[str]) -> str:
        result = subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=REPO_DIR,
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    backup, python_line, restore = _blocks()
    assert backup[0].startswith("B=/backup/cxr/$(date") and restore[0].startswith("B=")
    backup, python_line, restore = [here(line) for line in backup], here(python_line), [here(line) for line in restore]
    folder = backups / "2026-12-07-0300"
    backup[0] = restore[0] = f"B={folder}"  # the folder the date makes, made known to the test
    [copy_line] = [i for i, line in enumerate(backup) if line.startswith("sqlite3 ")]

    sh(["python manage.py migrate --noinput"])
    images = [str(xray_paths["normal"][0]), str(xray_paths["covid"][0]), str(xray_paths["normal"][1])]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, *images], cwd=REPO_DIR, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "written"
        assert Path(f"{database}-wal").stat().st_size > 0  # the last readings are still there
        shutil.copy(database, tmp_path / "plain-cp.sqlite3")
        assert _readings(tmp_path / "plain-cp.sqlite3") == 0  # what `cp` lost

        sh(backup[:copy_line + 1])  # the database first ...
        sh([backup[0], python_line.replace('"$B/db.sqlite3"', '"$B/python.sqlite3"')])
        writer.stdin.write("one more\n")  # ... a reading saved between the two copies ...
        writer.stdin.flush()
        between = writer.stdout.readline().strip()
        sh([backup[0], *backup[copy_line + 1:]])  # ... then the media folder
    finally:
        writer.send_signal(signal.SIGKILL)  # the site is lost, its -wal file left behind
        writer.wait()
    assert _readings(folder / "db.sqlite3") == 2 == _readings(folder / "python.sqlite3")
    with tarfile.open(folder / "media.tar") as tar:
        names = tar.getnames()
    assert not any("lost+found" in name for name in names)
    assert any(between in name for name in names)

    database.unlink()
    assert Path(f"{database}-wal").exists()  # stale: restore removes it
    shutil.rmtree(media)
    media.mkdir()  # an empty volume in its place
    out = sh(restore)
    assert _readings(database) == 2
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert re.search(rf"would remove folder without a reading: .*{between}", out)
    assert "Dry run: 1 folder(s) without a reading, 0 reading(s) without their X-ray" in out
    out = sh(["python manage.py cleanup_orphans --min-age-minutes 0"])
    assert "1 folder(s) without a reading, 0 reading(s) without their X-ray" in out
    with sqlite3.connect(database) as connection:
        paths = [row for row in connection.execute(
            "SELECT original_path, thumbnail_path, heatmap_path FROM screening_reading")]
    assert len(paths) == 2 and all((media / path).is_file() for row in paths for path in row)
    assert not any(between in str(path) for path in media.rglob("*"))
