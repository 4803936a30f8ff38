"""The verifier's threshold is set out of source (studies/guard_verifier/study.py `fit`).

Synthetic features: four source groups of "X-rays", each with its own look (an offset in its own
direction), and negatives a little further off. Set on random folds, the threshold only has to admit
new rows of sources the fit saw; set with one fold per source group, it has to admit a source the
fit never saw, so it must sit higher, and a fit that never saw `odd` must refuse fewer of its rows.
"""
import numpy as np
import pytest

from studies.guard_verifier.study import COMPONENTS, _source_folds, fit, refused

DIMS = {"lung": 9, "thumb": 256, "pooled": COMPONENTS + 8}


def features(rng: np.random.Generator, n: int, look: dict) -> dict:
    return {key: (rng.normal(0, 1, (n, d)) + look[key]).astype(np.float32 if key == "pooled" else np.float64)
            for key, d in DIMS.items()}


def source_look(rng: np.random.Generator, spread: float) -> dict:
    """What one hospital's films share: an offset of every feature, its own direction."""
    return {key: rng.normal(0, spread, d) for key, d in DIMS.items()}


def stack(*parts: dict) -> dict:
    return {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}


def data(seed: int = 0):
    """Four source groups of X-rays, each with its own look, and negatives a little further off."""
    rng = np.random.default_rng(seed)
    names = ["a", "b", "c", "odd"]
    pos = stack(*[features(rng, 100, source_look(rng, 0.25)) for _ in names])
    negatives = features(rng, 300, {key: np.full(d, 0.3) for key, d in DIMS.items()})
    return pos, negatives, np.repeat(np.array(names), 100)


def test_each_source_fold_holds_out_one_group_and_keeps_every_negative():
    groups = np.array(["a", "a", "b", "c", "b"])
    folds = list(_source_folds(groups, negatives=3))
    assert [sorted(set(groups[held])) for _, held in folds] == [["a"], ["b"], ["c"]]
    for train, held in folds:
        assert set(train).isdisjoint(held)
        assert {5, 6, 7} <= set(train)  # negatives sit after the positives
        assert len(train) + len(held) == 8


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_out_of_source_threshold_admits_an_unseen_source(seed):
    pos, neg, groups = data(seed)
    by_source = fit(pos, neg, groups, threshold_folds="sources", weigh_sources=True)
    by_random = fit(pos, neg, groups, threshold_folds="random", weigh_sources=False)
    assert by_source.threshold > by_random.threshold
    # Both still refuse the negatives.
    assert refused(by_source, neg).mean() > 0.95 and refused(by_random, neg).mean() > 0.95

    seen = groups != "odd"
    held = {key: value[seen] for key, value in pos.items()}
    odd_rows = np.flatnonzero(~seen)
    without_odd_source = fit(held, neg, groups[seen], threshold_folds="sources")
    without_odd_random = fit(held, neg, groups[seen], threshold_folds="random", weigh_sources=False)
    assert refused(without_odd_source, pos, odd_rows).mean() < refused(without_odd_random, pos, odd_rows).mean()
