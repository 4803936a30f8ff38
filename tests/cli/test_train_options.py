"""`python -m cxr train`, `out-of-source`, `sweep` and `evaluate`: an ordinary mistake in an option
is one `error:` line and status 2 (docs/toolkit.md), found before any split, index or model is
read and before any folder is made; never a traceback from deep inside the training."""
from __future__ import annotations

import pytest

from cxr.cli import main

ARGUMENT_ERRORS = [
    (["--arch", "ResNet9000"], "argument --arch: unknown architecture 'ResNet9000'"),
    (["--device", "tpu"], "argument --device: 'tpu' is not a device"),
    (["--lr", "-1"], "argument --lr: -1 is not allowed: above 0"),
    (["--lr", "nan"], "argument --lr: nan is not a finite number"),
    (["--batch-size", "0"], "argument --batch-size: 0 is not allowed: at least 1"),
    (["--epochs", "0"], "argument --epochs: 0 is not allowed: at least 1"),
    (["--patience", "0"], "argument --patience: 0 is not allowed: at least 1"),
    (["--img-size", "8"], "argument --img-size: 8 is not allowed: from 16 to 2048 pixels a side"),
    (["--workers", "0"], "argument --workers: 0 is not allowed: at least 1"),
    (["--seed", "-1"], "argument --seed: -1 is not allowed: from 0 to 4294967295"),
    (["--mixup", "-0.2"], "argument --mixup: -0.2 is not allowed: at least 0"),
    (["--label-smoothing", "1"], "argument --label-smoothing: 1 is not allowed: at least 0 and below 1"),
]


def _one_error_line(err: str) -> str:
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    return errors[0]


@pytest.mark.parametrize("command", ["train", "out-of-source"])
@pytest.mark.parametrize(("option", "message"), ARGUMENT_ERRORS, ids=[" ".join(o) for o, _ in ARGUMENT_ERRORS])
def test_a_wrong_option_is_one_error_line_and_status_2(command, option, message, tmp_path, capsys):
    out = tmp_path / "out"
    data = (["--split-csv", str(tmp_path / "split.csv")] if command == "train"
            else ["--index", str(tmp_path / "index.csv")])
    with pytest.raises(SystemExit) as exit_:
        main([command, *data, "--out", str(out), *option])
    assert exit_.value.code == 2
    assert message in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


@pytest.mark.parametrize("argv", [
    ["out-of-source", "--index", "index.csv", "--out", "oos", "--group", "bad"],
    ["out-of-source", "--index", "index.csv", "--out", "oos", "--group", "a="],
    ["sweep", "--split-csv", "split.csv", "--device", "tpu"],
    ["sweep", "--split-csv", "split.csv", "--img-size", "8"],
    ["evaluate", "runs/x", "--device", "tpu"],
    ["evaluate", "runs/x", "--batch-size", "0"],
], ids=lambda argv: " ".join(argv[:1] + argv[-2:]))
def test_the_other_training_commands_check_the_same_way(argv, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert f"argument {argv[-2]}: " in _one_error_line(capsys.readouterr().err)
    assert list(tmp_path.iterdir()) == []


def test_options_that_do_not_go_together_are_a_usage_error(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["train", "--split-csv", str(tmp_path / "split.csv"), "--out", str(out)]
    assert main([*argv, "--mixup", "0.2", "--adversary-weight", "1"]) == 2
    assert "--mixup and --adversary-weight cannot be combined" in _one_error_line(capsys.readouterr().err)
    assert main([*argv, "--consistency", "1"]) == 2  # needs --augment paper+codec-last
    assert "--consistency compares an image with its JPEG copy" in _one_error_line(capsys.readouterr().err)
    assert not out.exists()


def test_a_gpu_the_machine_does_not_have_is_refused_before_the_split_is_read(tmp_path, capsys):
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    missing_split = str(tmp_path / "split.csv")
    for argv in (["train", "--split-csv", missing_split, "--out", str(tmp_path / "run")],
                 ["out-of-source", "--index", missing_split.replace("split", "index"), "--out",
                  str(tmp_path / "oos")],
                 ["sweep", "--split-csv", missing_split, "--out", str(tmp_path / "sweep")],
                 ["evaluate", str(tmp_path / "run")]):
        if argv[0] == "out-of-source":  # its path is checked first; its rows are not read
            (tmp_path / "index.csv").write_text("path,label,source,patient_id,origin\n")
        assert main([*argv, "--device", "cuda"]) == 2, argv
        line = _one_error_line(capsys.readouterr().err)
        assert line.startswith("error: --device cuda: torch finds no CUDA GPU"), argv
    assert [p.name for p in tmp_path.iterdir()] == ["index.csv"]


def test_out_of_source_groups_and_folds_are_checked_before_training(tmp_path, capsys):
    pytest.importorskip("torch")
    index = tmp_path / "index.csv"
    index.write_text("path,label,source,patient_id,origin\n"
                     "a.png,covid,cohen,,x\nb.png,normal,nih,,x\n")
    out = tmp_path / "oos"
    argv = ["out-of-source", "--index", str(index), "--out", str(out), "--device", "cpu"]
    assert main([*argv, "--group", "a=cohen", "--folds", "a,zz"]) == 2
    assert "--folds zz: not a held-out group (the groups: a)" in _one_error_line(capsys.readouterr().err)
    assert main([*argv, "--group", "a=cohen"]) == 2
    assert _one_error_line(capsys.readouterr().err) == \
        "error: sources in no held-out group: nih; add them to a --group"
    assert not out.exists()


def test_resuming_into_a_folder_of_another_protocol_names_what_differs(tmp_path, capsys):
    """A folder started with other options is refused in one line that names the differing
    option, before any fold trains (it was a ValueError traceback)."""
    pytest.importorskip("torch")
    import dataclasses

    from cxr.cli import build_parser
    from cxr.cli.train import config_from_args
    from cxr.data import index as idx
    from cxr.training.out_of_source import PROTOCOL_FILE, RUNTIME_FIELDS, _record_protocol

    index = tmp_path / "index.csv"
    index.write_text("path,label,source,patient_id,origin\n"
                     "a.png,covid,cohen,,x\nb.png,normal,nih,,x\n")
    out = tmp_path / "oos"
    out.mkdir()
    argv = ["out-of-source", "--index", str(index), "--out", str(out), "--device", "cpu",
            "--group", "a=cohen", "--group", "b=nih"]
    # The folder as a first run with --lr 0.01 left it (the protocol is written before training).
    config = config_from_args(build_parser().parse_args([*argv, "--lr", "0.01"]), split_csv="", out_dir="")
    recipe = {k: v for k, v in dataclasses.asdict(config).items() if k not in RUNTIME_FIELDS}
    _record_protocol(out, {"a": ["cohen"], "b": ["nih"]}, recipe,
                     idx.task_frame(idx.read_index(index), "3class"))

    assert main([*argv, "--lr", "0.001"]) == 2
    line = _one_error_line(capsys.readouterr().err)
    assert "holds out-of-source runs of another protocol (differs in: recipe.lr)" in line
    assert sorted(p.name for p in out.iterdir()) == [PROTOCOL_FILE]  # no fold was started
