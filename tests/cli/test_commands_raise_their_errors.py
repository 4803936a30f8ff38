"""Every command reports a user's mistake the one way cxr.cli.errors describes: it raises CliError
and main() prints the line and returns the status. evaluate, export, sweep and train printed
"error:" and returned 2 themselves, out of reach of what main() does with every error (a
UsageError's usage line, one format)."""
from __future__ import annotations

import pytest

from cxr.cli import build_parser
from cxr.cli.errors import CliError

pytest.importorskip("torch")

SPLIT = "path,label,source,patient_id,y,subset\na.png,covid,s,,0,train\n"


def _run(argv: list[str]):
    args = build_parser().parse_args(argv)
    return args.handler(args)


def test_export_raises(tmp_path):
    with pytest.raises(CliError, match="--extra-metrics expects NAME=PATH, got 'source'"):
        _run(["export", str(tmp_path / "best.pt"), "--out", str(tmp_path / "m"), "--extra-metrics", "source"])
    with pytest.raises(CliError, match=f"not found: {tmp_path / 'best.pt'}"):
        _run(["export", str(tmp_path / "best.pt"), "--out", str(tmp_path / "m")])


def test_sweep_raises(tmp_path, monkeypatch):
    with pytest.raises(CliError, match="sweep.json"):
        _run(["sweep", "--tables-only", "--out", str(tmp_path / "no-sweep")])
    split = tmp_path / "split.csv"
    split.write_text(SPLIT)

    def started_otherwise(*args, **kwargs):
        raise ValueError("runs/x was started with epochs=50, not 2")

    monkeypatch.setattr("cxr.training.sweep.run_sweep", started_otherwise)
    with pytest.raises(CliError, match="was started with epochs=50"):
        _run(["sweep", "--split-csv", str(split), "--out", str(tmp_path / "s"), "--plan-only"])


def test_train_raises_when_no_weights_are_available(tmp_path, monkeypatch):
    from cxr.training.weights import WeightsUnavailable

    split = tmp_path / "split.csv"
    split.write_text(SPLIT)

    def no_weights(config, log=print):
        raise WeightsUnavailable("no ImageNet weights for ResNet50 offline")

    monkeypatch.setattr("cxr.cli.train.check_images", lambda args: None)
    monkeypatch.setattr("cxr.training.loop.train", no_weights)
    with pytest.raises(CliError, match="no ImageNet weights for ResNet50 offline"):
        _run(["train", "--split-csv", str(split), "--out", str(tmp_path / "run"), "--device", "cpu"])


def test_evaluate_raises_for_a_subset_without_images(tmp_path, monkeypatch):
    split = tmp_path / "split.csv"
    split.write_text(SPLIT)

    def empty_subset(*args, **kwargs):
        raise ValueError("the split has no test images")

    monkeypatch.setattr("cxr.cli.loading.checked_checkpoint", lambda path: {})
    monkeypatch.setattr("cxr.cli.loading.checkpoint_file", lambda path: tmp_path / "best.pt")
    monkeypatch.setattr("cxr.training.evaluate.evaluate_run", empty_subset)
    with pytest.raises(CliError, match="the split has no test images"):
        _run(["evaluate", str(tmp_path), "--split-csv", str(split), "--device", "cpu"])


@pytest.mark.parametrize("command", ["evaluate", "export"])
def test_the_help_says_how_a_checkpoint_is_loaded(command, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args([command, "--help"])
    assert "Only tensors and plain data are loaded from it" in " ".join(capsys.readouterr().out.split())


class _Touches:
    """Unpickled, it would create a file: what a booby-trapped best.pt could do instead."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        from pathlib import Path

        return Path.touch, (Path(self.marker),)


def test_a_checkpoint_holding_code_is_refused_not_run(tmp_path):
    """`evaluate` and `export` unpickled a checkpoint with weights_only=False: a best.pt from
    elsewhere could run any code on the machine that evaluated it."""
    torch = pytest.importorskip("torch")
    marker = tmp_path / "ran.txt"
    checkpoint = tmp_path / "best.pt"
    torch.save({"arch": "MobileNetV2", "classes": ["covid", "normal"], "payload": _Touches(marker)},
               checkpoint)
    for command in (["evaluate", str(checkpoint)], ["export", str(checkpoint), "--out", str(tmp_path / "m")]):
        with pytest.raises(CliError, match=r"is not a checkpoint of `python -m cxr train`"):
            _run(command)
        assert not marker.exists()
