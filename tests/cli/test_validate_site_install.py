"""`validate-site` on a web-only install (no [train] extra): one plain line, not a traceback."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]


def test_missing_matplotlib_is_a_plain_error_naming_the_extra(tmp_path):
    # sys.modules[name] = None makes `import matplotlib` fail as on an install without it.
    code = ("import sys; sys.modules['matplotlib'] = None; from cxr.cli import main; "
            f"sys.exit(main(['validate-site', {str(tmp_path)!r}, '--labels', "
            f"{str(tmp_path / 'labels.csv')!r}, '--out', {str(tmp_path / 'out')!r}]))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO_DIR, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "[train]" in result.stderr and "matplotlib" in result.stderr
