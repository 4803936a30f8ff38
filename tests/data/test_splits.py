"""Split invariants on the real shared index: no leaks, stratification, source holdout."""
from __future__ import annotations

import pandas as pd
import pytest

from cxr.cli import main as cli_main
from cxr.data.index import task_frame, write_index
from cxr.data.splits import make_split, read_split, save_split

SUBSETS = {"train", "val", "test"}


@pytest.fixture(scope="module")
def frame(shared_index):
    return task_frame(shared_index, "3class")


@pytest.fixture(scope="module")
def grouped_frame(frame):
    """Every image with a patient id (cohen, NIH, Kermany) plus a fixed sample of the others.

    The grouped splitter is slow on all 7,500 rows; these ~1,100 keep every multi-image patient.
    """
    with_patient = frame[frame["patient_id"] != ""]
    others = frame[frame["patient_id"] == ""].sample(600, random_state=0)
    return pd.concat([with_patient, others]).reset_index(drop=True)


def _shares(split: pd.DataFrame) -> pd.DataFrame:
    """Share of each label per subset (rows = subset)."""
    return split.groupby("subset")["label"].value_counts(normalize=True).unstack(fill_value=0)


def _assert_no_leaks(split: pd.DataFrame, source: pd.DataFrame) -> None:
    assert set(split["subset"]) == SUBSETS
    assert len(split) == len(source)
    assert sorted(split["path"]) == sorted(source["path"])  # every image exactly once
    assert split["path"].is_unique


def test_random_split_is_stratified_80_10_10(frame):
    split = make_split(frame, "random", seed=0)
    _assert_no_leaks(split, frame)
    sizes = split["subset"].value_counts(normalize=True)
    assert sizes["train"] == pytest.approx(0.8, abs=0.01)
    assert sizes["val"] == pytest.approx(0.1, abs=0.01)
    assert sizes["test"] == pytest.approx(0.1, abs=0.01)
    overall = frame["label"].value_counts(normalize=True)
    for subset, shares in _shares(split).iterrows():
        for label, share in shares.items():
            assert share == pytest.approx(overall[label], abs=0.01), (subset, label)


def test_random_split_is_seeded(frame):
    a = make_split(frame, "random", seed=0)
    assert a.equals(make_split(frame, "random", seed=0))
    assert not a["subset"].equals(make_split(frame, "random", seed=1)["subset"])


def test_patient_split_keeps_each_patient_on_one_side(grouped_frame):
    split = make_split(grouped_frame, "patient", seed=0)
    _assert_no_leaks(split, grouped_frame)
    with_id = split[split["patient_id"] != ""]
    subsets_per_patient = with_id.groupby("patient_id")["subset"].nunique()
    assert subsets_per_patient.max() == 1
    assert (with_id["patient_id"].value_counts() > 1).sum() > 20  # the test means something
    overall = grouped_frame["label"].value_counts(normalize=True)
    for subset, shares in _shares(split).iterrows():
        for label, share in shares.items():
            assert share == pytest.approx(overall[label], abs=0.05), (subset, label)
    sizes = split["subset"].value_counts(normalize=True)
    assert sizes["test"] == pytest.approx(0.1, abs=0.03)
    assert sizes["val"] == pytest.approx(0.1, abs=0.03)


def test_source_split_holds_out_whole_sources(grouped_frame):
    held = ("cohen", "zargari")
    split = make_split(grouped_frame, "source", seed=0, holdout_sources=held)
    _assert_no_leaks(split, grouped_frame)
    assert set(split.loc[split["subset"] == "test", "source"]) == set(held)
    assert not split.loc[split["subset"] != "test", "source"].isin(held).any()
    with_id = split[split["patient_id"] != ""]
    assert with_id.groupby("patient_id")["subset"].nunique().max() == 1
    rest = split[split["subset"] != "test"]
    assert rest["subset"].value_counts(normalize=True)["val"] == pytest.approx(1 / 9, abs=0.03)


def test_split_errors_are_explicit(frame):
    with pytest.raises(ValueError, match="unknown split"):
        make_split(frame, "hospital")
    with pytest.raises(ValueError, match="holdout"):
        make_split(frame, "source")
    with pytest.raises(ValueError, match="not in the data"):
        make_split(frame, "source", holdout_sources=("mimic",))


def test_split_file_round_trip_and_command(shared_index, frame, tmp_path, capsys):
    split = make_split(frame, "random", seed=3)
    path = save_split(split, tmp_path / "s.csv")
    back = read_split(path)
    assert list(back["patient_id"]) == list(split["patient_id"])  # ids like "nih:00001280" stay text
    assert list(back["subset"]) == list(split["subset"])
    assert back["y"].tolist() == split["y"].tolist()

    index_csv = write_index(shared_index, tmp_path / "data" / "index.csv")
    assert cli_main(["data", "split", "--index", str(index_csv), "--task", "binary",
                     "--seed", "3"]) == 0
    made = read_split(tmp_path / "data" / "splits" / "binary_random_s3.csv")
    assert set(made["label"]) == {"covid", "normal"}
    assert "split written to" in capsys.readouterr().out
