"""`python -m cxr` on a web-only install (no `[train]` extra: no pandas, torch, matplotlib, ...):
every command that needs the extra says so in one `error:` line with status 2, never a
ModuleNotFoundError traceback; `predict` and `--help` work, and the help says which commands need
the extra. Each run is the real command in a subprocess whose interpreter cannot import the
extra's modules (a sitecustomize that makes them missing, as they are on such an install)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from cxr.cli.errors import TRAINING_EXTRA_MODULES, missing_training_extra

REPO_DIR = Path(__file__).resolve().parents[2]

BLOCKER = f"""
import sys
from importlib.abc import MetaPathFinder

BLOCKED = {sorted(TRAINING_EXTRA_MODULES)!r}


class NotInstalled(MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None


sys.meta_path.insert(0, NotInstalled())
"""


@pytest.fixture(scope="module")
def web_only_env(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("web_only")
    (folder / "sitecustomize.py").write_text(BLOCKER)
    path = os.pathsep.join(filter(None, [str(folder), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def cxr(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxr", *args], cwd=REPO_DIR, env=env,
                          capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    """Paths that pass each command's own checks, so that each gets as far as its imports."""
    folder = tmp_path_factory.mktemp("inputs")
    for name in ("table.csv", "best.pt", "shared/lung_masks/index.csv", "shared/manifest.csv"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).touch()
    return folder


COMMANDS = {
    "data import": "data import --folder {d} --out {d}/out/index.csv",
    "data split": "data split --index {d}/table.csv --out {d}/out/split.csv",
    "data cache": "data cache --split {d}/table.csv --cache-dir {d}/out/cache",
    "evaluate": "evaluate {d}/best.pt --out {d}/out/eval",
    "sweep": "sweep --split-csv {d}/table.csv --out {d}/out/sweep",
    "out-of-source": "out-of-source --index {d}/table.csv --out {d}/out/oos",
    "trust": "trust {d}",
    "lung-field": "lung-field --shared {d}/shared",
    "train": "train --split-csv {d}/table.csv --out {d}/out/run",
    "export": "export {d}/best.pt --out {d}/out/model",
}


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_names_the_missing_extra(command, web_only_env, inputs):
    result = cxr(web_only_env, *COMMANDS[command].format(d=inputs).split())
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert re.fullmatch(rf"error: {command} needs the training extra \(No module named '\w+'\): "
                        r"install it with `pip install '\.\[train\]'` \(or `make install-test`\)\n",
                        result.stderr), result.stderr
    assert not (inputs / "out").exists()


def test_predict_and_help_work_without_the_extra(web_only_env, served_model_dir, xray_paths):
    result = cxr(web_only_env, "predict", "--json", "--model", str(served_model_dir),
                 str(xray_paths["normal"][0]))
    assert result.returncode == 0, result.stderr
    help_text = cxr(web_only_env, "--help")
    assert help_text.returncode == 0, help_text.stderr
    assert "Every command but predict needs the training extra" in help_text.stdout
    for command in ("train", "data import"):
        text = cxr(web_only_env, *command.split(), "--help").stdout
        assert "Needs the training extra: pip install '.[train]'." in text, command
    assert "training extra" not in cxr(web_only_env, "predict", "--help").stdout


def test_other_missing_modules_stay_a_traceback():
    """A module outside the extra missing is a bug of the install or the code, not this error."""
    assert missing_training_extra(ModuleNotFoundError("x", name="no_such_module"), "train") is None
    assert missing_training_extra(ModuleNotFoundError("x", name="torch.cuda"), "train") is not None


def test_the_list_of_the_extras_modules_matches_pyproject():
    extra = tomllib.loads((REPO_DIR / "pyproject.toml").read_text())["project"]["optional-dependencies"]["train"]
    names = {re.split(r"[<>=!~\[ ]", requirement)[0].lower() for requirement in extra}
    imported_as = {"scikit-image": "skimage"}
    # The offline weights packages are looked up by cxr.training.weights, which says itself
    # when one is missing (WeightsUnavailable).
    weights = {name for name in names if name.endswith("-pytorch-model")}
    assert {imported_as.get(name, name) for name in names - weights} == TRAINING_EXTRA_MODULES
