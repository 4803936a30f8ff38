"""`python -m cxr train`, `evaluate` and `export`: a user's mistake (missing images, a file that is
not a checkpoint, a checkpoint whose split moved, an --out that is a file, an option out of range)
is found before the work and ends in `error:` lines, never a traceback, a run folder holding only
config.json, or a half-built `.partial` model folder."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from cxr.cli import main  # noqa: E402

COLUMNS = "path,label,source,patient_id,y,subset\n"


def _split_of_missing_images(folder: Path, count: int = 12) -> Path:
    """A split CSV whose every image is gone (moved, or a drive not mounted)."""
    labels = ("covid", "pneumonia", "normal")
    long_name = "x" * 120  # paths as long as real ones
    rows = [f"{folder / 'gone' / f'{long_name}{i:02d}.png'},{labels[i % 3]},s,,{i % 3},"
            f"{('train', 'train', 'val', 'test')[i % 4]}\n" for i in range(count)]
    split = folder / "split.csv"
    split.write_text(COLUMNS + "".join(rows))
    return split


def _named(line: str) -> set[str]:
    """The images of `_split_of_missing_images` that a line of output names."""
    return set(re.findall(r"x{120}\d\d\.png", line))


def _error_lines(err: str) -> list[str]:
    assert "Traceback" not in err, err
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_train_on_missing_images_lists_them_and_makes_no_run_folder(tmp_path, capsys):
    split = _split_of_missing_images(tmp_path)
    out = tmp_path / "run"
    assert main(["train", "--split-csv", str(split), "--out", str(out), "--pretrained", "none",
                 "--device", "cpu", "--cache-dir", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert len(_error_lines(err)) == 1 and "no run folder made" in err
    assert f"12 image(s) of {split} cannot be read:" in err
    listed = [line for line in err.splitlines() if line.startswith("  ")]
    assert len(listed) == 12 and all(len(_named(line)) == 1 for line in listed)  # one image a line
    assert not out.exists()  # before: a traceback and a folder with config.json only


def test_evaluate_on_missing_images_lists_them_one_a_line(trained_run, tmp_path, capsys):
    split = _split_of_missing_images(tmp_path, count=30)
    assert main(["evaluate", str(trained_run), "--split-csv", str(split), "--out", str(tmp_path / "eval"),
                 "--device", "cpu", "--n-boot", "10", "--cache-dir", str(tmp_path / "cache")]) == 2
    err = capsys.readouterr().err
    assert len(_error_lines(err)) == 1 and "nothing evaluated" in err
    listed = [line for line in err.splitlines() if line.startswith("  ")]
    assert len(listed) == 21 and listed[-1] == "  ... and 10 more"  # capped, one a line
    # Before: ten images named on one line of about 2,000 characters.
    assert all(len(_named(line)) == 1 for line in listed[:-1]) and not _named(_error_lines(err)[0])


def test_evaluate_of_a_file_that_is_no_checkpoint(tmp_path, capsys):
    notes = tmp_path / "some.csv"
    notes.write_text("file,label\na.png,covid\n")
    assert main(["evaluate", str(notes), "--device", "cpu"]) == 2
    (line,) = _error_lines(capsys.readouterr().err)  # before: an UnpicklingError traceback
    assert line.startswith(f"error: {notes} is not a checkpoint of `python -m cxr train`")


def _checkpoint_with_a_moved_split(trained_run: Path, tmp_path: Path) -> Path:
    checkpoint = torch.load(trained_run / "best.pt", map_location="cpu", weights_only=False)
    gone = str(tmp_path / "moved" / "split.csv")
    checkpoint["split"]["csv"] = gone
    checkpoint["args"]["split_csv"] = gone
    path = tmp_path / "best.pt"
    torch.save(checkpoint, path)
    return path


def test_export_whose_split_moved_stops_before_the_onnx_export(trained_run, tmp_path, capsys):
    checkpoint = _checkpoint_with_a_moved_split(trained_run, tmp_path)
    out = tmp_path / "model"
    assert main(["export", str(checkpoint), "--out", str(out)]) == 2
    (line,) = _error_lines(capsys.readouterr().err)  # before: a FileNotFoundError traceback
    assert str(tmp_path / "moved" / "split.csv") in line and "does not exist" in line
    assert not out.exists() and not (tmp_path / "model.partial").exists()


def test_evaluate_whose_split_moved_says_to_pass_split_csv(trained_run, tmp_path, capsys):
    checkpoint = _checkpoint_with_a_moved_split(trained_run, tmp_path)
    assert main(["evaluate", str(checkpoint), "--device", "cpu"]) == 2
    (line,) = _error_lines(capsys.readouterr().err)  # before: "[Errno 2] No such file or directory"
    assert line == (f"error: the split {tmp_path / 'moved' / 'split.csv'} that {checkpoint} was trained "
                    "on does not exist (moved or deleted?): pass --split-csv with its new place")
    assert main(["evaluate", str(checkpoint), "--device", "cpu", "--split-csv", "/nope.csv"]) == 2
    assert _error_lines(capsys.readouterr().err) == ["error: --split-csv /nope.csv does not exist"]


@pytest.mark.parametrize("command", ["export", "evaluate"])
def test_an_out_that_is_a_file_is_refused_before_the_work(command, trained_run, tmp_path, capsys):
    taken = tmp_path / "notes.txt"
    taken.write_text("mine\n")
    extra = ["--device", "cpu"] if command == "evaluate" else []
    assert main([command, str(trained_run / "best.pt"), "--out", str(taken), *extra]) == 2
    (line,) = _error_lines(capsys.readouterr().err)  # before: FileExistsError after all the work
    assert line == f"error: --out {taken} is a file, not a folder"
    assert taken.read_text() == "mine\n" and not (tmp_path / "notes.txt.partial").exists()


@pytest.mark.parametrize("value", ["-5", "0"])
def test_export_ood_max_train_is_checked_as_an_option(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["export", str(tmp_path / "best.pt"), "--out", str(tmp_path / "m"), "--ood-max-train", value])
    assert exit_.value.code == 2
    assert f"argument --ood-max-train: {value} is not allowed: at least" in capsys.readouterr().err
