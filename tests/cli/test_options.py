"""The command line's options as a newcomer meets them: every `--n-boot` refuses too few
resamples the same way, `--help` gives the defaults, and a command whose module is missing is an
error, not a command that silently disappears."""
from __future__ import annotations

import pytest

import cxr.cli
from cxr.cli import build_parser, main


@pytest.mark.parametrize("argv", [
    ["evaluate", "runs/x", "--n-boot", "5"],
    ["export", "runs/x/best.pt", "--out", "models/x", "--n-boot", "5"],
    ["sweep", "--split-csv", "x.csv", "--n-boot", "5"],
])
def test_too_few_bootstrap_resamples_are_refused_by_every_command(argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1 and "argument --n-boot: 5 is not allowed: at least 10" in errors[0]


def _help(*command: str) -> str:
    parser = build_parser()
    for name in command:
        parser = next(a for a in parser._subparsers._group_actions).choices[name]
    return " ".join(parser.format_help().split())


def test_help_gives_the_defaults():
    train = _help("train")
    assert "--epochs EPOCHS default: 50" in train
    assert "--lr LR default: 0.0001" in train
    assert "(default: imagenet)" in train
    assert "(default: None)" not in train
    sweep = _help("sweep")
    assert "(at least 10) (default: 1000)" in sweep and "--patience PATIENCE default: 10" in sweep
    split = _help("data", "split")
    assert "--kind {random,patient,source} default: random" in split


def test_train_says_its_default_architecture_is_not_the_papers():
    train = _help("train")
    assert "the default, EfficientNet-Lite0, is the bundled model's" in train
    assert "which are not the paper's" in train


def test_a_command_without_its_module_is_an_error(monkeypatch):
    monkeypatch.setattr(cxr.cli, "COMMANDS", (*cxr.cli.COMMANDS, "no-such-command"))
    with pytest.raises(ModuleNotFoundError):
        build_parser()


def _export_default(dest: str):
    parser = next(a for a in build_parser()._subparsers._group_actions).choices["export"]
    return parser.get_default(dest)


def test_export_ood_max_train_default_is_the_one_constant(monkeypatch):
    """The option's default is cxr.export.OOD_MAX_TRAIN_IMAGES, read from there (not a second 3000
    that a change of the constant would leave behind)."""
    import importlib

    import cxr.cli.export
    import cxr.export

    assert _export_default("ood_max_train") == cxr.export.OOD_MAX_TRAIN_IMAGES
    monkeypatch.setattr(cxr.export, "OOD_MAX_TRAIN_IMAGES", 1234)
    try:
        importlib.reload(cxr.cli.export)
        assert _export_default("ood_max_train") == 1234
    finally:
        monkeypatch.undo()
        importlib.reload(cxr.cli.export)
