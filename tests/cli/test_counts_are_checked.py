"""Numbers that were taken unchecked: `sweep --concurrent 0` (or -2) ran the grid "with -2 at once",
and `evaluate --seed -1` failed deep in numpy without naming the option. Now each is argparse's
usage error naming the option (status 2), as every other count and seed of the toolkit."""
from __future__ import annotations

import pytest

from cxr.cli import main


@pytest.mark.parametrize(("argv", "message"), [
    (["sweep", "--split-csv", "split.csv", "--concurrent", "0"], "argument --concurrent: 0 is not allowed: at least 1"),
    (["sweep", "--split-csv", "split.csv", "--concurrent", "-2"], "argument --concurrent: -2 is not allowed: at least 1"),
    (["evaluate", "runs/x", "--seed", "-1"], "argument --seed: -1 is not allowed: from 0 to 4294967295"),
    (["export", "best.pt", "--out", "m", "--ood-max-train", "-5"], "argument --ood-max-train: -5 is not allowed"),
])
def test_an_out_of_range_count_is_a_usage_error(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    assert message in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
