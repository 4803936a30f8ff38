"""Nearest-hospital search at scale: BallTree (haversine) against brute force over every row.

    .venv/bin/python bench/hospitals.py [--facilities 100000] [--queries 500] [--k 10]

Synthetic facilities: 80% clustered around real city centres (as hospitals are), 20% spread
uniformly over the sphere (so the poles and the antimeridian are covered). Both methods run in
the same process on the same points; the table shows their times and the ratio, and the script
checks that both return the same hospitals.
"""
from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "webapp.settings")
import django  # noqa: E402

django.setup()
from webapp.hospitals.nearest import NearestIndex, brute_force_nearest  # noqa: E402

CITIES = [(-6.21, 106.85), (41.88, -87.63), (40.71, -74.01), (51.51, -0.13), (35.68, 139.69),
          (-33.87, 151.21), (19.43, -99.13), (28.61, 77.21), (-23.55, -46.63), (64.84, -147.72),
          (51.88, -176.66), (-8.65, 115.22), (6.52, 3.38), (55.76, 37.62), (-36.85, 174.76)]


def synthetic_facilities(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    clustered = int(n * 0.8)
    centres = np.array(CITIES)[rng.integers(0, len(CITIES), clustered)]
    lat = np.clip(centres[:, 0] + rng.normal(0, 1.5, clustered), -90, 90)
    lon = (centres[:, 1] + rng.normal(0, 1.5, clustered) + 180) % 360 - 180
    uniform = n - clustered
    lat_u = np.degrees(np.arcsin(rng.uniform(-1, 1, uniform)))  # uniform on the sphere
    lon_u = rng.uniform(-180, 180, uniform)
    return np.concatenate([lat, lat_u]), np.concatenate([lon, lon_u])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--facilities", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)
    lats, lons = synthetic_facilities(args.facilities, rng)
    query_lats, query_lons = synthetic_facilities(args.queries, rng)

    start = time.perf_counter()
    index = NearestIndex(np.arange(args.facilities), lats, lons)
    build_s = time.perf_counter() - start

    start = time.perf_counter()
    tree_results = [index.query(lat, lon, args.k) for lat, lon in zip(query_lats, query_lons, strict=True)]
    tree_s = time.perf_counter() - start

    start = time.perf_counter()
    brute_results = [brute_force_nearest(lats, lons, lat, lon, args.k)
                     for lat, lon in zip(query_lats, query_lons, strict=True)]
    brute_s = time.perf_counter() - start

    mismatches = 0
    for tree, (_positions, km) in zip(tree_results, brute_results, strict=True):
        tree_km = np.array([d for _, d in tree])
        # Same distances (ties may list equally distant rows in another order).
        if not np.allclose(tree_km, km, rtol=1e-9, atol=1e-9):
            mismatches += 1

    per_tree_ms = 1000 * tree_s / args.queries
    per_brute_ms = 1000 * brute_s / args.queries
    print(f"{args.facilities:,} facilities, {args.queries} queries, k={args.k}")
    print(f"{'method':<28}{'total s':>10}{'ms/query':>12}")
    print(f"{'BallTree build (once)':<28}{build_s:>10.3f}{'':>12}")
    print(f"{'BallTree query':<28}{tree_s:>10.3f}{per_tree_ms:>12.3f}")
    print(f"{'brute-force haversine':<28}{brute_s:>10.3f}{per_brute_ms:>12.3f}")
    print(f"speed-up of BallTree over brute force: {brute_s / tree_s:.1f}x per query; "
          f"the build pays for itself after {build_s / max(1e-9, (brute_s - tree_s) / args.queries):.0f} queries")
    print(f"queries whose k distances differ between the methods: {mismatches}")
    return 1 if mismatches else 0


if __name__ == "__main__":
    raise SystemExit(main())
