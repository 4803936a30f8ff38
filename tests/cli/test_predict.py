"""`python -m cxr predict`: the JSON-lines contract, the table, and the exit codes 0 / 2 / 1.

Runs the real command in a subprocess on real X-rays with `served_model_dir` (the bundled model,
else the tiny exported one: the contract does not depend on accuracy)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
CONTRACT_KEYS = {"file", "label", "probabilities", "rejected", "reason", "prediction_set", "uncertain",
                 "warnings"}


def cxr(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cxr", *args], capture_output=True, text=True,
                          cwd=REPO_DIR, timeout=180, env=env)


def test_json_lines_for_readable_files_exit_0(served_model_dir, xray_paths):
    files = [str(xray_paths["covid"][0]), str(xray_paths["normal"][0]), str(xray_paths["pneumonia"][0])]
    result = cxr("predict", "--model", str(served_model_dir), *files, "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["file"] for row in rows] == files
    for row in rows:
        assert set(row) == CONTRACT_KEYS
        assert set(row["probabilities"]) == {"covid", "pneumonia", "normal"}
        assert abs(sum(row["probabilities"].values()) - 1) < 1e-4
        assert row["label"] in ("covid", "pneumonia", "normal", None)
        assert isinstance(row["rejected"], bool)
        assert (row["label"] is None) == (row["reason"] is not None)


def test_unreadable_file_gets_its_own_line_and_exit_2(served_model_dir, xray_paths, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(xray_paths["normal"][0].read_bytes()[:300])
    files = [str(xray_paths["normal"][0]), str(broken), str(tmp_path / "missing.dcm"), str(xray_paths["covid"][0])]
    result = cxr("predict", "--model", str(served_model_dir), *files, "--json")
    assert result.returncode == 2, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["file"] for row in rows] == files
    assert rows[0]["probabilities"] and rows[3]["probabilities"]
    for row, code in ((rows[1], "corrupt_image"), (rows[2], "unreadable_file")):
        assert row["label"] is None and row["probabilities"] is None and row["rejected"] is True
        assert row["error"] == code and row["reason"]


def test_readable_table_without_json(served_model_dir, xray_paths):
    result = cxr("predict", "--model", str(served_model_dir), str(xray_paths["normal"][0]))
    assert result.returncode == 0, result.stderr
    header, row = result.stdout.splitlines()[:2]
    assert header.split()[:5] == ["file", "label", "covid", "pneumonia", "normal"]
    assert xray_paths["normal"][0].name[-20:] in row
    assert "RT-PCR" in result.stdout


def test_missing_model_is_a_clear_error(tmp_path, xray_paths):
    result = cxr("predict", "--model", str(tmp_path), str(xray_paths["normal"][0]), "--json")
    assert result.returncode == 1
    assert "No model" in result.stderr and result.stdout == ""


def test_predict_command_does_not_import_torch(served_model_dir, xray_paths):
    code = ("import sys; from cxr.cli import main; "
            f"rc = main(['predict', '--model', {str(served_model_dir)!r}, {str(xray_paths['normal'][0])!r}, '--json']); "
            "assert rc == 0; assert 'torch' not in sys.modules, 'torch imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO_DIR, timeout=180)
    assert result.returncode == 0, result.stderr


def test_onnxruntime_keeps_no_telemetry_in_the_home_folder(served_model_dir, xray_paths, tmp_path):
    """onnxruntime >= 1.32 writes a device id and queued events to ~/.cache/Microsoft/DeveloperTools
    unless ORT_DISABLE_TELEMETRY is set before it is imported: cxr.inference sets it."""
    env = {k: v for k, v in os.environ.items() if k not in ("ORT_DISABLE_TELEMETRY", "XDG_CACHE_HOME")}
    env["HOME"] = str(tmp_path)
    result = cxr("predict", "--model", str(served_model_dir), str(xray_paths["normal"][0]), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / ".cache" / "Microsoft").exists(), sorted(p.name for p in tmp_path.rglob("*"))


def test_json_lines_are_ascii_for_any_file_name_and_any_locale(served_model_dir, xray_paths, tmp_path):
    """File names that are not UTF-8 (bytes on Linux, surrogate escapes in Python) and names in other
    scripts give valid ASCII JSON lines, also where stdout is ASCII only."""
    data = xray_paths["normal"][0].read_bytes()
    names = [b"latin1-\xe9t\xe9.png", "ünïcødé_肺.png".encode()]
    for name in names:
        (tmp_path / os.fsdecode(name)).write_bytes(data)
    files = [os.path.join(os.fsencode(tmp_path), name) for name in names]
    for encoding in ("utf-8", "ascii"):
        env = {**os.environ, "PYTHONIOENCODING": encoding}
        result = subprocess.run([sys.executable, "-m", "cxr", "predict", "--model", str(served_model_dir),
                                 "--json", *files], capture_output=True, cwd=REPO_DIR, timeout=180, env=env)
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        text = result.stdout.decode("ascii")  # raises on any byte that is not ASCII
        rows = [json.loads(line) for line in text.splitlines()]
        assert [row["file"] for row in rows] == [os.fsdecode(f) for f in files]
        assert all(row["probabilities"] for row in rows)
        # The table shows such names escaped rather than ending in a UnicodeEncodeError.
        table = subprocess.run([sys.executable, "-m", "cxr", "predict", "--model", str(served_model_dir), *files],
                               capture_output=True, cwd=REPO_DIR, timeout=180, env=env)
        assert table.returncode == 0 and b"Traceback" not in table.stderr, table.stderr.decode(errors="replace")
        assert len(table.stdout.decode(encoding).splitlines()) >= 1 + len(files)


def test_table_shows_every_warning_of_the_json(served_model_dir, xray_paths):
    files = [str(paths[0]) for paths in xray_paths.values()]
    rows = [json.loads(line) for line in
            cxr("predict", "--model", str(served_model_dir), "--json", *files).stdout.splitlines()]
    messages = [w["message"] for row in rows for w in row["warnings"]]
    if not messages:
        pytest.skip(f"the model in {served_model_dir} gave these X-rays no warning")
    table = cxr("predict", "--model", str(served_model_dir), *files)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert sum(line.startswith("    warning: ") for line in lines) == len(messages)
    for message in messages:
        assert f"    warning: {message}" in lines


@pytest.mark.parametrize("damage", ["card_not_json", "card_empty", "onnx_truncated", "ood_not_npz",
                                    "verifier_pickled", "renamed_verifier_pickled"])
def test_damaged_model_folder_is_one_error_line(served_model_dir, xray_paths, tmp_path, damage):
    """Each file of a damaged model folder gives `error:` naming the folder and the file, status 1
    (predict's "no usable model" status), never a traceback."""
    import numpy as np

    folder = tmp_path / "model"
    folder.mkdir()
    for part in served_model_dir.iterdir():
        (folder / part.name).symlink_to(part)
    name = {"card_not_json": "model_card.json", "card_empty": "model_card.json",
            "onnx_truncated": "model.onnx", "ood_not_npz": "ood.npz", "verifier_pickled": "verifier.npz",
            "renamed_verifier_pickled": "verifier-v2.npz"}[damage]
    (folder / name).unlink(missing_ok=True)
    if damage == "renamed_verifier_pickled":  # the card names the file; the usual name still loads
        card = json.loads((served_model_dir / "model_card.json").read_text())
        if not (card.get("verifier") or {}).get("file"):
            pytest.skip(f"the model in {served_model_dir} has no verifier its card names")
        card["verifier"]["file"] = name
        (folder / "model_card.json").unlink()
        (folder / "model_card.json").write_text(json.dumps(card))
    if damage == "card_not_json":
        (folder / name).write_text("{not json")
    elif damage == "card_empty":
        (folder / name).write_text("{}")
    elif damage == "onnx_truncated":
        (folder / name).write_bytes((served_model_dir / name).read_bytes()[:5000])
    elif damage == "ood_not_npz":
        (folder / name).write_bytes(b"PK\x03\x04 not really a zip")
    else:
        np.savez(folder / name, components=np.array([{"a": 1}], dtype=object))
    result = cxr("predict", "--model", str(folder), str(xray_paths["normal"][0]), "--json")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert result.stderr.startswith(f"error: the model folder {folder} is damaged: ") and name in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
