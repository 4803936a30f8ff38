"""docs/deploy.md's systemd units, checked by systemd's own `systemd-analyze verify`.

The operator audit found them without [Unit] or [Install] sections (so `systemctl enable` had
nothing to hook them to, and nothing ordered them after the network or the media share's
mount), the web unit's `--bind 127.0.0.1:8000` refusing the documented nginx on another machine
(and overriding GUNICORN_BIND), and no UMask: the SQLite database was created 0644 while it
holds password hashes and e-mail addresses. Each unit is verified with the documented paths
replaced by this checkout's (verify wants the executable to exist).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from webapp.tests.test_deploy_settings import REPO_DIR

MEDIA = "/mnt/cxr-media"  # the share of docs/deploy.md's examples


def units() -> dict[str, str]:
    """The `ini` blocks of the sections that hold a unit, by the section's title."""
    text = (REPO_DIR / "docs" / "deploy.md").read_text(encoding="utf-8")
    found = {}
    for title in ("## Run the app server", "### The job queue's worker is required"):
        section = text.split(title, 1)[1]
        found[title] = section.split("```ini\n", 1)[1].split("```", 1)[0]
    return found


@pytest.mark.parametrize("title", ["## Run the app server", "### The job queue's worker is required"])
def test_the_documented_units_are_complete_and_verify(title, tmp_path):
    unit = units()[title]
    for line in ("[Unit]", "After=network-online.target", "Wants=network-online.target",
                 f"RequiresMountsFor={MEDIA}", "[Service]", "User=cxr", "EnvironmentFile=/etc/cxr/env",
                 "UMask=0077", "[Install]", "WantedBy=multi-user.target"):
        assert line in unit.splitlines(), line
    assert re.search(r"^Description=\S", unit, re.MULTILINE)
    assert "--bind" not in unit  # GUNICORN_BIND, from the environment file, says where

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: systemd)")
    (tmp_path / "env").write_text("")
    here = (unit.replace("/srv/cxr/.venv/bin/", f"{Path(sys.executable).parent}/")
            .replace("/srv/cxr", str(REPO_DIR)).replace("/etc/cxr/env", str(tmp_path / "env")))
    path = tmp_path / "cxr.service"
    path.write_text(here)
    result = subprocess.run([analyze, "verify", "--man=no", str(path)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and result.stdout + result.stderr == "", result.stdout + result.stderr
