"""The k nearest open hospitals to a point, by great-circle distance.

A scikit-learn BallTree with the haversine metric works on the sphere, so it is right across the
antimeridian and near the poles where flat latitude/longitude distances are wrong. The tree is
built once per process and rebuilt when the table changes (its row count or latest update).
"""
from __future__ import annotations

import contextlib
import contextvars
import threading
from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Max

from .models import PUBLIC_CATEGORIES, Hospital

EARTH_RADIUS_KM = 6371.0088  # mean Earth radius (IUGG)
# Coverage of a search: "ok" when the nearest listed hospital is within FAR_KM, "far" up to
# OUTSIDE_KM, "none" beyond (the place lies outside the imported lists) or with no list at all.
FAR_KM = 100
OUTSIDE_KM = 500


def great_circle_km(lat1, lon1, lat2, lon2):
    """Haversine distance in km; arguments in degrees, scalars or numpy arrays."""
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(a, dtype=float)) for a in (lat1, lon1, lat2, lon2))
    a = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class NearestIndex:
    """Points (with ids) in a BallTree; `query` returns (id, km) pairs, nearest first."""

    def __init__(self, ids, latitudes, longitudes):
        self.ids = np.asarray(ids)
        # Imported here: scikit-learn (with scipy) is about 100 MB that a web worker which never
        # searches hospitals (an API or PACS client's) should not carry.
        from sklearn.neighbors import BallTree

        points = np.radians(np.column_stack([latitudes, longitudes]).astype(float).reshape(-1, 2))
        self.tree = BallTree(points, metric="haversine") if len(points) else None

    def __len__(self) -> int:
        return len(self.ids)

    def query(self, lat: float, lon: float, k: int) -> list[tuple[int, float]]:
        if self.tree is None or k < 1:
            return []
        k = min(k, len(self.ids))
        distances, positions = self.tree.query(np.radians([[lat, lon]]), k=k)
        return [(int(self.ids[p]), float(d * EARTH_RADIUS_KM)) for d, p in zip(distances[0], positions[0], strict=True)]


def brute_force_nearest(latitudes, longitudes, lat: float, lon: float, k: int):
    """Positions and km of the k nearest points by computing every distance (the baseline)."""
    distances = great_circle_km(lat, lon, latitudes, longitudes)
    k = min(k, len(distances))
    nearest = np.argpartition(distances, k - 1)[:k] if k else np.array([], dtype=int)
    nearest = nearest[np.argsort(distances[nearest])]
    return nearest, distances[nearest]


@dataclass
class NearbyHospital:
    hospital: Hospital
    distance_km: float


_lock = threading.Lock()
# (table version, public_only) -> index; two entries at most.
_cached: dict[bool, tuple[tuple, NearestIndex]] = {}


# Inside `one_table_version()`: [the version read there, or None until first asked].
_pinned_version: contextvars.ContextVar[list | None] = contextvars.ContextVar("hospital_table_version",
                                                                               default=None)


def _read_table_version() -> tuple:
    stats = Hospital.objects.aggregate(count=Count("id"), latest=Max("updated_at"), last_id=Max("id"))
    return stats["count"], stats["latest"], stats["last_id"]


def table_version() -> tuple:
    """Changes whenever a hospital is added, removed, moved, closed, reopened or re-typed. Inside
    `one_table_version()`, read once and then remembered."""
    pinned = _pinned_version.get()
    if pinned is None:
        return _read_table_version()
    if pinned[0] is None:
        pinned[0] = _read_table_version()
    return pinned[0]


@contextlib.contextmanager
def one_table_version():
    """Read the table's version (an aggregate query) at most once inside: one search asks
    whether its indexes are current for every name it tries (hundreds for a long phrase), and
    the answer does not change within it. Also a decorator; nested uses share the outer one's."""
    if _pinned_version.get() is not None:
        yield
        return
    token = _pinned_version.set([None])
    try:
        yield
    finally:
        _pinned_version.reset(token)


def open_hospitals_index(public_only: bool = False) -> NearestIndex:
    """All open hospitals, or only those that take the public (PUBLIC_CATEGORIES)."""
    version = table_version()
    with _lock:
        cached = _cached.get(public_only)
        if cached is None or cached[0] != version:
            rows = Hospital.objects.filter(status=Hospital.Status.OPEN)
            if public_only:
                rows = rows.filter(category__in=PUBLIC_CATEGORIES)
            rows = list(rows.values_list("id", "latitude", "longitude"))
            ids, lats, lons = zip(*rows, strict=True) if rows else ((), (), ())
            cached = _cached[public_only] = (version, NearestIndex(ids, lats, lons))
        return cached[1]


def nearest_open_hospitals(lat: float, lon: float, k: int = 10,
                           public_only: bool = False) -> list[NearbyHospital]:
    """The k nearest open hospitals to (lat, lon) in degrees, nearest first; closed ones never.
    `public_only` leaves out specialty, psychiatric, rehabilitation, long-term care, military and
    veterans' hospitals (what the finder suggests by default)."""
    pairs = open_hospitals_index(public_only).query(lat, lon, k)
    # Filtered again: a row closed or deleted since the index was built is simply left out.
    by_id = Hospital.objects.filter(status=Hospital.Status.OPEN).in_bulk([i for i, _ in pairs])
    return [NearbyHospital(by_id[i], km) for i, km in pairs if i in by_id]


def coverage_of(results: list[NearbyHospital]) -> str:
    """"ok", "far" or "none" from the nearest result's distance (see FAR_KM, OUTSIDE_KM)."""
    if not results or results[0].distance_km > OUTSIDE_KM:
        return "none"
    return "far" if results[0].distance_km > FAR_KM else "ok"
