"""What the Makefile and README promise a newcomer: `make run` reads the shared data where the
tests read it ($CXR_SHARED_DATA), names the mail folder under DATA_DIR, `make messages` exists,
and the README's sections render as sections."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(target: str, **env: str) -> str:
    """`make -n target`: the commands make would run, none of them run."""
    environment = {k: v for k, v in os.environ.items() if k not in ("CXR_SHARED_DATA", "DATA_DIR")}
    result = subprocess.run(["make", "--no-print-directory", "-n", target], cwd=REPO_DIR,
                            env={**environment, **env}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_make_runs_hospital_import_reads_cxr_shared_data(tmp_path):
    assert f"{tmp_path}/hospitals" in dry_run("hospitals", CXR_SHARED_DATA=str(tmp_path))
    assert "../shared/data/hospitals" in dry_run("hospitals")


def test_make_run_names_the_mail_folder_under_data_dir(tmp_path):
    recipe = dry_run("run")
    start = recipe.index('if [ -z "$EMAIL_BACKEND" ]')
    script = recipe[start:re.search(r"\bfi\b", recipe[start:]).end() + start]  # not "confirmations"
    env = {"PATH": os.environ["PATH"]}
    said = subprocess.run(["sh", "-c", script], env={**env, "DATA_DIR": str(tmp_path)},
                          capture_output=True, text=True).stdout
    assert f"{tmp_path}/sent-emails/" in said
    assert "var/sent-emails/" in subprocess.run(["sh", "-c", script], env=env, capture_output=True,
                                                text=True).stdout
    assert subprocess.run(["sh", "-c", script], env={**env, "EMAIL_BACKEND": "smtp"},
                          capture_output=True, text=True).stdout == ""


def test_every_phony_target_has_a_recipe_and_messages_compiles_indonesian():
    makefile = (REPO_DIR / "Makefile").read_text()
    phony = re.search(r"^\.PHONY:(.*)$", makefile, re.M).group(1).split()
    defined = set(re.findall(r"^([\w-]+):", makefile, re.M))
    assert set(phony) <= defined, set(phony) - defined
    messages = dry_run("messages")
    assert "makemessages -l id" in messages and "compilemessages -l id" in messages


def test_the_readmes_tests_paragraph_is_its_own_section():
    readme = (REPO_DIR / "README.md").read_text()
    assert "\n\n## Tests\n\nTests live next to what they test" in readme
    assert "CXR_SHARED_DATA" in readme.split("## Data", 1)[1]
    assert "make messages" in readme
