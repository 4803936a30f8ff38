"""The PostgreSQL pass of `make test` runs only the tests that reach its database
(`--database-tests-only`, conftest.py): the others check nothing there that the SQLite pass has
not, and running them twice cost CI minutes. A test that starts a process reading DATABASE_URL
is marked `database_url` and kept."""
from __future__ import annotations

import subprocess
import sys

from conftest import REPO_DIR

FILES = {
    "webapp/accounts/tests/test_admin.py": True,  # pytest-django's database access
    "webapp/tests/test_production_server.py": True,  # its gunicorn uses DATABASE_URL's server
    "webapp/tests/test_postgres_backup.py": True,  # backs up and restores DATABASE_URL's server
    "webapp/screening/tests/test_batches_worker.py": False,  # a fresh SQLite file of its own
    "webapp/tests/test_deploy_settings.py": False,  # settings read in a subprocess, SQLite
}


def collected(*options: str) -> set[str]:
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "-p", "no:randomly", *options, *FILES], cwd=REPO_DIR, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    return {line.split("::")[0] for line in run.stdout.splitlines() if "::" in line}


def test_the_postgres_pass_keeps_exactly_the_tests_that_reach_its_database():
    assert collected() == set(FILES)
    assert collected("--database-tests-only") == {path for path, kept in FILES.items() if kept}
