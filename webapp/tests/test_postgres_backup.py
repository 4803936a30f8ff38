"""docs/deploy.md's "Backups" for a PostgreSQL site, run as written (the PostgreSQL pass of
`make test`, which scripts/with-postgres.sh runs against a throwaway server).

The doc's blocks are taken from the page; only the paths, the backup folder's date and the
superuser's `sudo -u postgres` change (the test server's superuser is reached by its address, as
DATABASE_URL names it). The other tests of that pass share the server, so the site is a database
and an owner role of its own (`cxr_backup_test` in place of `cxr`), dropped at the end.

A real site (migrated, readings of real X-rays stored by the app's own code, connected as the
non-superuser owner, as in production) is backed up by the documented commands; a reading is
saved between the database copy and the media copy. Then the media volume is lost and the
restore runs while the site's process still holds a connection (`dropdb --force` ends it): every
reading of the dump comes back with its files, owned by the app's role, the app saves readings
again, and cleanup_orphans finds only the folder of the reading saved between the two copies."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from webapp.tests.support.backup_site import WRITER
from webapp.tests.support.worker_cluster import REPO_DIR, worker_env

# `database_url`: the PostgreSQL pass keeps it (conftest.py, --database-tests-only).
pytestmark = [pytest.mark.slow, pytest.mark.database_url]

SITE = "cxr_backup_test"  # the database and its owner role, in place of the doc's `cxr`


AFTER_RESTORE = """
import os, sys
from pathlib import Path
import django
django.setup()
from webapp.accounts.models import User
from webapp.tests.support.screening_helpers import store_reading
owner = User.objects.get(email="keeps@hospital.example")
print(store_reading(owner, Path(os.environ["CXR_MODEL_DIR"]), Path(sys.argv[1])).pk)
"""


def _client_bindir() -> Path:
    """The folder of pg_dump, pg_restore, dropdb, createdb and psql, found as
    scripts/with-postgres.sh finds the server's: on PATH, else Debian's newest
    /usr/lib/postgresql/*/bin (its /usr/bin wrappers pick a version by the local clusters)."""
    on_path = shutil.which("pg_restore")
    if on_path and "postgresql-common" not in os.path.realpath(on_path):
        return Path(os.path.realpath(on_path)).parent
    folders = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_restore"),
                     key=lambda path: int(path.parts[-3]) if path.parts[-3].isdigit() else 0)
    if not folders:
        message = "no pg_dump/pg_restore found (apt-get install postgresql-client)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return folders[-1].parent


@pytest.fixture
def postgres_server():
    """(host, port, superuser, client bindir, psql as the superuser) of DATABASE_URL's server,
    with the site's role and database made; skips without a PostgreSQL DATABASE_URL."""
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    if url.scheme not in ("postgres", "postgresql"):
        pytest.skip("DATABASE_URL is not PostgreSQL: the PostgreSQL backup blocks run in the "
                    "PostgreSQL pass (scripts/with-postgres.sh)")
    bindir = _client_bindir()
    server = (url.hostname or "127.0.0.1", str(url.port or 5432), url.username or "postgres")

    def psql(sql: str) -> str:
        result = subprocess.run([str(bindir / "psql"), "-h", server[0], "-p", server[1],
                                 "-U", server[2], "-d", "postgres", "-XAtq", "-v", "ON_ERROR_STOP=1",
                                 "-c", sql], capture_output=True, text=True, timeout=60,
                                env={**os.environ, "PGPASSWORD": url.password or ""})
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    if psql("SELECT rolsuper FROM pg_roles WHERE rolname = current_user") != "t":
        pytest.skip(f"DATABASE_URL's user {server[2]} is not a superuser: the restore block "
                    "drops and creates the database as PostgreSQL's superuser")
    client = subprocess.run([str(bindir / "pg_restore"), "--version"], capture_output=True,
                            text=True, check=True).stdout
    client_major = int(re.search(r"\(PostgreSQL\) (\d+)", client).group(1))
    server_major = int(psql("SHOW server_version_num")) // 10000
    assert client_major >= server_major, f"{client.strip()} is older than the server ({server_major})"

    def clean():
        psql(f"DROP DATABASE IF EXISTS {SITE} WITH (FORCE)")
        psql(f"DROP ROLE IF EXISTS {SITE}")

    clean()  # what an interrupted run left
    # The site's role and database, as "PostgreSQL" in docs/deploy.md makes them.
    psql(f"CREATE ROLE {SITE} LOGIN")
    psql(f"CREATE DATABASE {SITE} OWNER {SITE} ENCODING 'UTF8'")
    try:
        yield (*server, bindir, psql)
    finally:
        clean()


def _blocks() -> tuple[list[str], list[str], list[str]]:
    """The backup block's lines, the superuser's restore lines, and the app machine's."""
    text = (REPO_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    section = text.split("\n## Backups\n", 1)[1].split("\n## ", 1)[0]
    blocks = [block.split("```", 1)[0] for block in section.split("```sh\n")[1:]]
    # PostgreSQL's blocks among SQLite's: found by what does not change if a line of them breaks.
    [backup] = [block for block in blocks if block.startswith("B=") and "media.tar\" ." in block
                and "sqlite3" not in block]
    [superuser] = [block for block in blocks if block.startswith("sudo -u postgres ")]
    [restore] = [block for block in blocks if "cleanup_orphans" in block and "sqlite3" not in block]
    return backup.strip().splitlines(), superuser.strip().splitlines(), restore.strip().splitlines()


def test_the_documented_postgres_backup_and_restore(postgres_server, tmp_path, model_dir, xray_paths):
    host, port, superuser, bindir, psql = postgres_server
    media, backups = tmp_path / "mnt" / "cxr-media", tmp_path / "backup" / "cxr"
    media.mkdir(parents=True)
    (media / "lost+found").mkdir()  # the volume's own: not the app's, not backed up
    env = worker_env(tmp_path / "data", model_dir, DATABASE_URL=f"postgres://{SITE}@{host}:{port}/{SITE}",
                     PRIVATE_MEDIA_ROOT=str(media))
    # `python`: the venv's; pg_dump and friends: the clients found above.
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), str(bindir), env["PATH"]])

    def here(line: str) -> str:
        # The release's `.venv/bin/python` is this test's (a checkout may have no .venv of its own).
        return (line.replace(".venv/bin/python", sys.executable)
                .replace("/mnt/cxr-media", str(media)).replace("/backup/cxr/", f"{backups}/"))

    def as_superuser(line: str) -> str:
        # `sudo -u postgres dropdb ...` on the database machine: the test server's superuser.
        command, rest = re.fullmatch(r"sudo -u postgres (\S+) (.*)", line).groups()
        rest = re.sub(r"\bcxr\b", SITE, rest)  # the site's database and owner role
        return f"{command} -h {host} -p {port} -U {superuser} {rest}"

    def sh(lines: list[str]) -> str:
        result = subprocess.run(["bash", "-e", "-c", "\n".join(lines)], cwd=REPO_DIR,
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, "\n".join(lines) + "\n" + result.stdout + result.stderr
        return result.stdout

    def query(sql: str) -> str:  # in the site's database
        result = subprocess.run([str(bindir / "psql"), "-h", host, "-p", port, "-U", superuser,
                                 "-d", SITE, "-XAtq", "-c", sql], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    backup, superuser_lines, restore = _blocks()
    assert backup[0].startswith("B=/backup/cxr/$(date") and restore[0].startswith("B=")
    assert all(line.startswith("sudo -u postgres ") for line in superuser_lines)
    backup, restore = [here(line) for line in backup], [here(line) for line in restore]
    superuser_lines = [as_superuser(line) for line in superuser_lines]
    folder = backups / "2026-12-07-0300"
    backup[0] = restore[0] = f"B={folder}"  # the folder the date makes, made known to the test
    [tar_line] = [i for i, line in enumerate(backup) if line.startswith("tar ")]

    sh(["python manage.py migrate --noinput"])
    images = [str(xray_paths["normal"][0]), str(xray_paths["covid"][0]), str(xray_paths["normal"][1])]
    writer = subprocess.Popen([sys.executable, "-c", WRITER, *images], cwd=REPO_DIR, env=env,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "written"
        sh(backup[:tar_line])  # the database first ...
        writer.stdin.write("one more\n")  # ... a reading saved between the two copies ...
        writer.stdin.flush()
        between = writer.stdout.readline().strip()
        sh([backup[0], *backup[tar_line:]])  # ... then the media folder
        assert query("SELECT COUNT(*) FROM screening_reading") == "3"
        with tarfile.open(folder / "media.tar") as tar:
            names = tar.getnames()
        assert not any("lost+found" in name for name in names)
        assert any(between in name for name in names)

        shutil.rmtree(media)
        media.mkdir()  # the volume is lost: an empty one in its place
        # The site's process still holds its connection: `--force` ends it.
        assert psql(f"SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '{SITE}'") != "0"
        out = sh(superuser_lines + restore)
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait()
    assert query("SELECT COUNT(*) FROM screening_reading") == "2"
    # --no-owner: the restored tables belong to the app's role, which restored them.
    assert query("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'") == SITE
    assert re.search(rf"would remove folder without a reading: .*{between}", out)
    assert "Dry run: 1 folder(s) without a reading, 0 reading(s) without their X-ray" in out
    out = sh(["python manage.py cleanup_orphans --min-age-minutes 0"])
    assert "1 folder(s) without a reading, 0 reading(s) without their X-ray" in out
    paths = [line.split("|") for line in query(
        "SELECT original_path, thumbnail_path, heatmap_path FROM screening_reading").splitlines()]
    assert len(paths) == 2 and all((media / path).is_file() for row in paths for path in row)
    assert not any(between in str(path) for path in media.rglob("*"))
    # The sequences came back with the rows: the restored site saves readings again.
    result = subprocess.run([sys.executable, "-c", AFTER_RESTORE, images[2]], cwd=REPO_DIR, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert query("SELECT COUNT(*) FROM screening_reading") == "3"
