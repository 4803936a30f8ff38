"""`python -m cxr predict` on a picture it refuses: the table shows no probabilities for it (they
would read as a result, "0.696 pneumonia"), while the --json line keeps them, as its contract
says (docs/inference.md). The real command in a subprocess."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO_DIR = Path(__file__).resolve().parents[2]


def cxr(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxr", *args], capture_output=True, text=True,
                          cwd=REPO_DIR, timeout=180)


def coloured_picture(path: Path) -> Path:
    """Bands of strong colour with some texture: refused by the plain checks of any model."""
    rng = np.random.default_rng(0)
    picture = np.zeros((256, 256, 3), np.uint8)
    for band, colour in enumerate([(220, 30, 30), (30, 200, 40), (40, 60, 230), (230, 200, 20)]):
        picture[band * 64:(band + 1) * 64] = colour
    picture = np.clip(picture + rng.integers(-20, 20, picture.shape), 0, 255).astype(np.uint8)
    Image.fromarray(picture).save(path)
    return path


def shown(file: str) -> str:
    """The file as the table's first column shows it (40 characters at most)."""
    return file if len(file) <= 40 else "..." + file[-37:]


def test_a_refused_pictures_row_shows_no_probabilities(served_model_dir, xray_paths, tmp_path):
    picture = str(coloured_picture(tmp_path / "holiday.png"))
    xray = str(xray_paths["normal"][0])
    [line] = cxr("predict", "--model", str(served_model_dir), "--json", picture).stdout.splitlines()
    row = json.loads(line)
    assert row["rejected"] is True and row["label"] is None
    # The JSON contract is unchanged: a refused picture's line carries its probabilities.
    assert set(row["probabilities"]) == {"covid", "pneumonia", "normal"}

    result = cxr("predict", "--model", str(served_model_dir), picture, xray)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    refused = next(line for line in lines if line.startswith(shown(picture)))
    cells = refused[len(shown(picture)):].split("REFUSED:")
    assert len(cells) == 2 and cells[0].split() == ["-", "-", "-", "-"], refused  # label, no numbers
    # A read X-ray's row still shows its three probabilities.
    read = next(line for line in lines if line.startswith(shown(xray)))
    numbers = read[len(shown(xray)):].split()[1:4]
    assert all(0 <= float(n) <= 1 for n in numbers), read
