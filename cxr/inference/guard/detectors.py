"""The guard's measured checks: does the network see a frontal chest radiograph?

(The cheap checks with a plain reason each, layer 1, are `cxr.inference.guard.rules`.)
2. A measured check on what the network sees: the Mahalanobis distance of the image's pooled
   last-layer features to the nearest centre of the training X-rays, with one covariance shared
   by the centres (Lee et al., 2018) shrunk towards a scaled identity (Ledoit-Wolf) so it is
   stable in 1,280 dimensions. The centres are the means of each source-and-class group, and
   each group's distances are divided by that group's median training distance: the shared
   covariance is dominated by the largest source, so the X-rays of small sources (children,
   other hospitals) sit farther out and, unscaled, were refused far more often. (Measured on the
   patient split: paediatric test X-rays refused 25% -> 15%, non-X-ray pictures 95.9% -> 97.1%.)
   Used alone, its threshold is a high percentile of the scaled distances of validation X-rays,
   so about that share of real X-rays is refused; combined with the check below (3, as served)
   it only scales this score. The model card reports the measured refusal rates on test X-rays,
   per source, and on a set of non-X-ray images.
3. A second measured check on the same features: the cosine distance to the k-th nearest training
   X-ray (Sun et al., 2022). Mahalanobis sees only how far an image is from a few centres along
   the directions X-rays vary in; grey photos, retina and cell pictures and smooth gradients can
   sit no farther from a centre than sick lungs do, while their direction in feature space is
   unlike any single real X-ray. `FeatureGuard` averages the two scores, each scaled on validation
   X-rays, and refuses above a threshold set on validation X-rays with a margin for hospitals the
   model never saw (see its docstring). (Measured on the patient split with studies/ood/candidates.py,
   v2 model: non-X-ray pictures 91.4% -> 100% refused, 57 other ones 100%; test X-rays 0.7% ->
   0.8%, pneumonia test X-rays 9.8% -> 0%; the unseen-hospital margin: docs/results/ood.md, "The guard on hospitals the model never saw".)

numpy only: fitting happens at export time, scoring at serving time, with the same code.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np


def pool_features(features: np.ndarray) -> np.ndarray:
    """(N, K, h, w) feature maps -> (N, K) means, the vector the classifier head sees."""
    return features.reshape(features.shape[0], features.shape[1], -1).mean(axis=2)


@dataclass
class MahalanobisDetector:
    class_means: np.ndarray  # (G, K): one centre per source-and-class group
    precision: np.ndarray  # (K, K), inverse of the shrunk shared covariance
    threshold: float  # scaled distances above it are refused
    shrinkage: float
    scales: np.ndarray | None = None  # (G,): median training distance of each group

    def scores(self, pooled: np.ndarray) -> np.ndarray:
        """Smallest scaled Mahalanobis distance to a centre, (N,)."""
        distances = self._distances(pooled)
        if self.scales is not None:
            distances = distances / self.scales[None, :]
        return distances.min(axis=1)

    def _distances(self, pooled: np.ndarray) -> np.ndarray:
        """Mahalanobis distance of each row to each centre, (N, G).

        With precision = L L^T (Cholesky), (x - m)^T P (x - m) = |x L - m L|^2: one (K, K)
        product per image instead of one per image and centre (10x faster when serving)."""
        whitened = np.asarray(pooled, dtype=np.float64) @ self._whitening
        columns = [np.linalg.norm(whitened - mean, axis=1) for mean in self._whitened_means]
        return np.stack(columns, axis=1)

    @cached_property
    def _whitening(self) -> np.ndarray:
        return np.linalg.cholesky(self.precision)

    @cached_property
    def _whitened_means(self) -> np.ndarray:
        return self.class_means @ self._whitening

    def arrays(self) -> dict[str, np.ndarray]:
        """What `save` writes and `load` reads back."""
        return {
            "class_means": self.class_means.astype(np.float32),
            "precision": self.precision.astype(np.float32),
            "threshold": np.float64(self.threshold),
            "shrinkage": np.float64(self.shrinkage),
            "scales": np.ones(len(self.class_means)) if self.scales is None else self.scales,
        }

    def save(self, path: Path) -> None:
        np.savez_compressed(path, method="mahalanobis-tied-ledoit-wolf", **self.arrays())

    @classmethod
    def load(cls, path: Path) -> MahalanobisDetector:
        with np.load(path, allow_pickle=False) as stats:
            return cls(
                class_means=stats["class_means"].astype(np.float64),
                precision=stats["precision"].astype(np.float64),
                threshold=float(stats["threshold"]),
                shrinkage=float(stats["shrinkage"]),
                scales=stats["scales"].astype(np.float64) if "scales" in stats else None,
            )

    @classmethod
    def fit(cls, pooled: np.ndarray, groups: np.ndarray, min_group: int = 10) -> MahalanobisDetector:
        """Group means, one Ledoit-Wolf-shrunk covariance of the group-centred features, and
        each group's median distance to its own centre (the scale of its distances).

        `groups` labels each training row (e.g. "raddb/covid"); groups smaller than `min_group`
        shape the covariance but get no centre of their own (their mean would be noise).
        The threshold is set afterwards with `set_threshold` on validation X-rays.
        """
        pooled = np.asarray(pooled, dtype=np.float64)
        groups = np.asarray(groups)
        names, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
        means = np.stack([pooled[inverse == g].mean(axis=0) for g in range(len(names))])
        covariance, shrinkage = _ledoit_wolf(pooled - means[inverse])
        precision = np.linalg.pinv(covariance, hermitian=True)
        kept = np.flatnonzero(counts >= min_group)
        detector = cls(means[kept], precision, threshold=np.inf, shrinkage=shrinkage)
        own = detector._distances(pooled)
        detector.scales = np.array([np.median(own[inverse == g, i]) for i, g in enumerate(kept)])
        return detector

    def set_threshold(self, pooled_val: np.ndarray, false_refusal: float = 0.02) -> float:
        """Refuse at most `false_refusal` of validation X-rays: the (1 - rate) quantile."""
        self.threshold = _refusal_threshold(self.scores(pooled_val), false_refusal)
        return self.threshold


@dataclass
class NearestNeighbours:
    """Cosine distance to the k-th nearest training X-ray (Sun et al., 2022)."""
    train_unit: np.ndarray  # (M, K) unit-length training features; float16 halves the file
    k: int = 10
    threshold: float = np.inf

    @classmethod
    def fit(cls, pooled: np.ndarray, k: int = 10) -> NearestNeighbours:
        return cls(_unit_rows(pooled).astype(np.float16), k)

    def scores(self, pooled: np.ndarray) -> np.ndarray:
        similarity = _unit_rows(pooled) @ self._train_unit64.T
        return 1.0 - np.partition(similarity, -self.k, axis=1)[:, -self.k]

    @cached_property
    def _train_unit64(self) -> np.ndarray:
        # Converted once, not per request: the stored float16 copy only saves disk space.
        return self.train_unit.astype(np.float64)

    def set_threshold(self, pooled_val: np.ndarray, false_refusal: float) -> float:
        self.threshold = _refusal_threshold(self.scores(pooled_val), false_refusal)
        return self.threshold


# The familiarity score of the trust fit (cxr.evaluation.trust) is this nearest-neighbour distance
# over the (1 - rate) quantile of validation X-rays' distances, with the exported guard's k and
# rate, so that a threshold fitted on out-of-source readings applies to the served score.
FAMILIARITY_K = 10
FAMILIARITY_SCALE_RATE = 0.01


def familiarity_ratio(reference: np.ndarray, validation: np.ndarray, pooled: np.ndarray) -> np.ndarray:
    """Per row of `pooled`: k-th nearest cosine distance to `reference` features, divided by
    the distance that FAMILIARITY_SCALE_RATE of the `validation` features exceed."""
    neighbours = NearestNeighbours.fit(reference, FAMILIARITY_K)
    neighbours.set_threshold(validation, FAMILIARITY_SCALE_RATE)
    return neighbours.scores(pooled) / neighbours.threshold


def _refusal_threshold(validation_scores: np.ndarray, false_refusal: float) -> float:
    """The score above which `false_refusal` of the validation X-rays lie."""
    return float(np.quantile(validation_scores, 1.0 - false_refusal))


def _unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


# How FeatureGuard combines its two scores unless told otherwise: what every export since
# 2026-11-26 fits and the bundled model serves (its card's ood.combine). "max" is only read back
# from older guard files (FeatureGuard.load).
DEFAULT_COMBINE = "mean"


@dataclass
class FeatureGuard:
    """The Mahalanobis and nearest-neighbour scores together, each divided by its own scale (its
    (1 - rate) quantile on validation X-rays), combined into one score with one threshold, so the
    predictor's `distance > detector.threshold` test stays as it is.

    `combine="mean"` (exports since 2026-11-26) averages the two ratios and refuses above
    `margin` times the (1 - rate) quantile of validation X-rays; `combine="max"` (older files)
    refuses when either ratio passes 1. The mean was chosen on leave-sources-out models, whose
    test X-rays come from collections absent from training (studies/ood/unseen_sources.py): at
    the same share of unseen-hospital X-rays refused, it refuses as many or more non-X-ray
    pictures than the max in all three settings, and the margin keeps unseen-hospital X-rays
    below 2% refused where the plain validation quantile refused 2-23% of them.
    """
    mahalanobis: MahalanobisDetector
    neighbours: NearestNeighbours
    threshold: float = 1.0
    combine: str = DEFAULT_COMBINE

    @classmethod
    def fit(cls, pooled: np.ndarray, groups: np.ndarray, k: int = 10, combine: str = DEFAULT_COMBINE) -> FeatureGuard:
        if combine not in ("mean", "max"):
            raise ValueError("combine must be 'mean' or 'max'")
        return cls(MahalanobisDetector.fit(pooled, groups), NearestNeighbours.fit(pooled, k), combine=combine)

    @property
    def shrinkage(self) -> float:
        return self.mahalanobis.shrinkage

    def scores(self, pooled: np.ndarray) -> np.ndarray:
        return self.scores_and_neighbours(pooled)[0]

    def scores_and_neighbours(self, pooled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The guard's score and its nearest-neighbour part (the familiarity score), in one pass:
        the neighbour search is the costly half, and serving needs both."""
        neighbours = self.neighbours.scores(pooled)
        ratios = (self.mahalanobis.scores(pooled) / self.mahalanobis.threshold,
                  neighbours / self.neighbours.threshold)
        combined = (ratios[0] + ratios[1]) / 2 if self.combine == "mean" else np.maximum(*ratios)
        return combined, neighbours

    def set_threshold(self, pooled_val: np.ndarray, false_refusal: float = 0.01, margin: float = 1.0) -> float:
        """Scale both scores on validation X-rays and set the threshold.

        max: each score refuses `false_refusal / 2` of validation X-rays, together at most the
        rate; the threshold is 1 (`margin` must stay 1). mean: each score is divided by its
        (1 - rate) quantile, and the threshold is `margin` times the (1 - rate) quantile of the
        averaged scores: with margin 1, `false_refusal` of validation X-rays are refused."""
        if self.combine == "max":
            if margin != 1.0:
                raise ValueError("a margin needs combine='mean'")
            self.mahalanobis.set_threshold(pooled_val, false_refusal / 2)
            self.neighbours.set_threshold(pooled_val, false_refusal / 2)
            self.threshold = 1.0
            return self.threshold
        self.mahalanobis.set_threshold(pooled_val, false_refusal)
        self.neighbours.set_threshold(pooled_val, false_refusal)
        self.threshold = margin * _refusal_threshold(self.scores(pooled_val), false_refusal)
        return self.threshold

    def save(self, path: Path) -> None:
        # The Mahalanobis arrays keep their names, so MahalanobisDetector.load still reads them.
        np.savez_compressed(
            path,
            method=f"mahalanobis+knn-{self.combine}",
            **self.arrays(),
        )

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            **self.mahalanobis.arrays(),
            "knn_train_unit": self.neighbours.train_unit.astype(np.float16),
            "knn_k": np.int64(self.neighbours.k),
            "knn_threshold": np.float64(self.neighbours.threshold),
            "guard_combine": np.array(self.combine),
            "guard_threshold": np.float64(self.threshold),
        }

    @classmethod
    def load(cls, path: Path) -> FeatureGuard:
        with np.load(path, allow_pickle=False) as stats:
            neighbours = NearestNeighbours(stats["knn_train_unit"], int(stats["knn_k"]),
                                           float(stats["knn_threshold"]))
            # Files written before the mean existed hold neither key: max, threshold 1.
            combine = str(stats["guard_combine"]) if "guard_combine" in stats.files else "max"
            threshold = float(stats["guard_threshold"]) if "guard_threshold" in stats.files else 1.0
        return cls(MahalanobisDetector.load(path), neighbours, threshold, combine)


def load_detector(path: Path) -> MahalanobisDetector | FeatureGuard:
    """The detector an ood.npz holds (models exported before the kNN score hold Mahalanobis only)."""
    with np.load(path, allow_pickle=False) as stats:
        has_neighbours = "knn_train_unit" in stats.files
    return FeatureGuard.load(path) if has_neighbours else MahalanobisDetector.load(path)


def _ledoit_wolf(centred: np.ndarray) -> tuple[np.ndarray, float]:
    """Ledoit & Wolf (2004) shrinkage of the sample covariance towards mu * I."""
    n, k = centred.shape
    sample = centred.T @ centred / n
    mu = np.trace(sample) / k
    target_gap = sample.copy()
    target_gap[np.diag_indices(k)] -= mu
    delta = (target_gap**2).sum() / k
    squares = centred**2
    beta = ((squares.T @ squares).sum() / n - (sample**2).sum()) / (k * n)
    shrinkage = float(min(beta, delta) / delta) if delta > 0 else 1.0
    covariance = (1.0 - shrinkage) * sample
    covariance[np.diag_indices(k)] += shrinkage * mu
    return covariance, shrinkage
