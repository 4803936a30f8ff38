"""The verifier's threshold is set out of source (studies/guard_verifier/study.py `fit`).

Synthetic features: four source groups of "X-rays", each with its own look (an offset in its own
direction), and negatives a little further off. Set on random folds, the threshold only has to admit
new rows of sources the fit saw; set with one fold per source group, it has to admit a source the
fit never saw, so it must sit higher, and a fit that never saw `odd` must refuse fewer of its rows.
"""
import numpy as np
import pytest
from sklearn.covariance import LedoitWolf
from sklearn.decomposition import PCA

from studies.guard_verifier.study import (
    COMPONENTS,
    _source_folds,
    fit,
    fit_layout_density,
    layout_features,
    refused,
)

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


def test_the_layout_score_is_sklearns_mahalanobis_plus_the_distance_off_the_axes():
    pos, _neg, groups = data(0)
    density = fit_layout_density(pos, groups, components=8)
    layout = layout_features(pos)
    z = (layout - layout.mean(axis=0)) / (layout.std(axis=0) + 1e-6)
    pca = PCA(8, random_state=0).fit(z)
    projected = pca.transform(z)
    off = ((z - pca.inverse_transform(projected)) ** 2).sum(axis=1)
    expected = LedoitWolf().fit(projected).mahalanobis(projected) / 8 + off / off.mean()
    assert np.allclose(density.scores(layout), expected)


def structured(seed: int, groups: int = 4, per_group: int = 150):
    """X-rays whose layout lies near a 5-dimensional subspace (as real layouts do: 64 axes hold 97%
    of their variance), each source group a little shifted within it; negatives differ in their
    texture (pooled features) only, so the regression learns nothing about layout."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(5, DIMS["lung"] + DIMS["thumb"]))

    def xrays(n: int, shift: np.ndarray) -> dict:
        layout = (rng.normal(size=(n, 5)) + shift) @ basis + rng.normal(0, 0.1, (n, basis.shape[1]))
        return {"lung": layout[:, :DIMS["lung"]], "thumb": layout[:, DIMS["lung"]:],
                "pooled": rng.normal(0, 1, (n, DIMS["pooled"])).astype(np.float32)}

    pos = stack(*[xrays(per_group, rng.normal(0, 0.3, 5)) for _ in range(groups)])
    neg = xrays(300, np.zeros(5))
    neg["pooled"] += 1.0
    return pos, neg, np.repeat(np.arange(groups).astype(str), per_group), xrays, basis, rng


def test_the_layout_threshold_is_set_on_sources_the_fit_never_saw():
    pos, _neg, groups, xrays, _basis, rng = structured(1)
    density = fit_layout_density(pos, groups, components=8)
    # X-rays of a new source (its own shift) are refused about as often as the budget allows.
    new_source = layout_features(xrays(2000, rng.normal(0, 0.3, 5)))
    assert (density.scores(new_source) > density.threshold).mean() < 0.03
    far = new_source[:50] + 3.0
    assert (density.scores(far) > density.threshold).all()


def test_the_layout_check_refuses_a_kind_of_picture_the_regression_never_saw():
    pos, neg, groups, xrays, basis, rng = structured(2)
    # A new kind: X-ray texture, and a layout off the X-rays' subspace.
    novel = xrays(200, np.zeros(5))
    off_subspace = np.linalg.svd(basis)[2][-1]  # a direction no X-ray layout takes
    novel["lung"] = novel["lung"] + 30.0 * off_subspace[:DIMS["lung"]]
    novel["thumb"] = novel["thumb"] + 30.0 * off_subspace[DIMS["lung"]:]
    without = fit(pos, neg, groups)
    with_layout = fit(pos, neg, groups, layout_components=8)
    assert refused(with_layout, novel).mean() > 0.9 > 0.1 > refused(without, novel).mean()
    assert refused(without, neg).mean() > 0.95
