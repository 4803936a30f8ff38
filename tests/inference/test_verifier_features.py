"""The chest X-ray verifier's features and file (cxr.inference.guard.verifier), on drawn lungs."""
import numpy as np
import pytest

from cxr.inference.guard.verifier import (
    LAYOUT_FEATURES,
    LUNG_STATISTICS,
    ChestXrayVerifier,
    LayoutDensity,
    load_verifier,
    lung_statistics,
    verifier_features,
)
from cxr.inference.lung_field import heat_share_on_lungs, lung_area


def two_lungs(size: int = 64) -> np.ndarray:
    p = np.zeros((size, size), np.float32)
    p[10:50, 8:28] = 1.0
    p[10:50, 36:56] = 1.0
    return p


def stat(values: np.ndarray, name: str) -> float:
    return float(values[0, LUNG_STATISTICS.index(name)])


def test_two_lungs_are_balanced_and_off_the_border():
    s = lung_statistics(two_lungs()[None])
    assert stat(s, "balance") == pytest.approx(1.0)
    assert stat(s, "on_border") == 0.0
    assert stat(s, "lung_area") == pytest.approx(2 * 40 * 20 / 64**2)
    assert 0.4 < stat(s, "centre_row") < 0.5


def test_one_lung_cut_at_the_border_is_what_a_crop_looks_like():
    p = np.zeros((64, 64), np.float32)
    p[:, :30] = 1.0  # one side, touching three borders
    s = lung_statistics(p[None])
    assert stat(s, "balance") < 0.1
    assert stat(s, "on_border") > 0.1
    assert stat(s, "rows_with_lung") == 1.0


def test_heat_share_on_lungs_is_the_heat_mass_on_lung_pixels():
    lungs = two_lungs()
    heat = np.zeros_like(lungs)
    heat[30, 10] = 3.0  # on a lung
    heat[0, 0] = 1.0  # in a corner
    assert heat_share_on_lungs(heat, lungs) == pytest.approx(0.75)
    assert np.isnan(heat_share_on_lungs(np.zeros_like(lungs), lungs))
    assert lung_area(lungs) == pytest.approx(1600 / 4096)


def test_verifier_round_trips_through_its_file(tmp_path):
    rng = np.random.default_rng(0)
    k, comps = 12, 3
    n_features = len(LUNG_STATISTICS) + 16 * 16 + comps
    verifier = ChestXrayVerifier(components=rng.normal(size=(comps, k)), centre=rng.normal(size=k),
                                 mean=rng.normal(size=n_features), scale=rng.uniform(0.5, 2, n_features),
                                 coef=rng.normal(size=n_features), intercept=0.3, threshold=0.7)
    prepared = rng.integers(0, 256, (2, 64, 64), dtype=np.uint8)
    pooled = rng.normal(size=(2, k))
    lungs = np.stack([two_lungs(), np.zeros((64, 64), np.float32)])
    def not_cxr_probability(v: ChestXrayVerifier) -> np.ndarray:
        return v.probability_of_features(verifier_features(prepared, pooled, lungs, v.components, v.centre))

    before = not_cxr_probability(verifier)
    loaded = load_verifier(verifier.save(tmp_path / "verifier.npz"))
    assert np.allclose(not_cxr_probability(loaded), before, atol=1e-5)
    assert loaded.threshold == 0.7
    assert verifier_features(prepared, pooled, lungs, verifier.components, verifier.centre).shape == (2, n_features)
    assert load_verifier(tmp_path / "missing.npz") is None


def test_the_layout_check_travels_in_the_file_and_refuses_on_its_own(tmp_path):
    rng = np.random.default_rng(1)
    k, comps, axes = 12, 3, 4
    n_features = LAYOUT_FEATURES + comps
    basis = np.linalg.qr(rng.normal(size=(LAYOUT_FEATURES, axes)))[0].T
    layout = LayoutDensity(mean=np.full(LAYOUT_FEATURES, 0.5), scale=np.full(LAYOUT_FEATURES, 0.2),
                           centre=np.zeros(LAYOUT_FEATURES), components=basis, location=np.zeros(axes),
                           precision=np.eye(axes), residual=1e9, threshold=5.0)
    # A regression that never refuses (intercept -50), so every refusal below is the layout's.
    verifier = ChestXrayVerifier(components=rng.normal(size=(comps, k)), centre=np.zeros(k),
                                 mean=np.zeros(n_features), scale=np.ones(n_features),
                                 coef=np.zeros(n_features), intercept=-50.0, threshold=0.5, layout=layout)
    typical = np.full((1, LAYOUT_FEATURES), 0.5)
    far = typical + basis[0] * 0.2 * 10  # 10 standard units along the first axis
    assert layout.scores(typical)[0] == pytest.approx(0.0)
    assert layout.scores(far)[0] == pytest.approx(100 / axes)
    features = np.concatenate([np.r_[typical, far], np.zeros((2, comps))], axis=1)
    assert verifier.refuses_features(features).tolist() == [False, True]

    loaded = load_verifier(verifier.save(tmp_path / "verifier.npz"))
    assert loaded.layout is not None and loaded.layout.threshold == 5.0
    assert np.allclose(loaded.layout.scores(far), layout.scores(far))
    assert loaded.refuses_features(features).tolist() == [False, True]
    # A file from before the layout check loads without one and refuses by the regression alone.
    older = load_verifier(ChestXrayVerifier(**{**verifier.__dict__, "layout": None}).save(tmp_path / "old.npz"))
    assert older.layout is None and not older.refuses_features(features).any()
