"""Speed of the 3-objective Pareto utilities against the simple algorithms they replaced.

Both sides run in the same process on the same random data (points on and under the positive
unit sphere's octant, so fronts have the size asked for), each timed as the best of
``--repeats`` runs, and their outputs are checked equal:

- ``non_dominated``: the blockwise scan against every pair compared (chunked).
- ``hypervolume_improvement``: the vectorized clipped-front sweep against the hypervolume of
  the front with each point added, minus the front's (what ``ehvi`` did per point with 3
  objectives before).

    .venv/bin/python benchmarks/pareto_speed.py
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np

from seqdesign.multiobjective import hypervolume, hypervolume_improvement, non_dominated


def all_pairs_front(y: np.ndarray) -> np.ndarray:
    dominated = np.zeros(len(y), dtype=bool)
    chunk = max(1, 4_000_000 // max(len(y) * y.shape[1], 1))
    for i in range(0, len(y), chunk):
        block = y[i : i + chunk, None, :]
        dominated |= ((block >= y[None]).all(-1) & (block > y[None]).any(-1)).any(axis=0)
    return ~dominated


def point_by_point_gain(points: np.ndarray, front: np.ndarray, ref: np.ndarray) -> np.ndarray:
    base = hypervolume(front, ref)
    gain = [hypervolume(np.vstack([front, p[None]]), ref) - base for p in points]
    gain_arr = np.maximum(np.array(gain), 0.0)
    covered = np.any(np.all(front[None] >= points[:, None], axis=2), axis=1)
    gain_arr[covered] = 0.0
    return gain_arr


def best_time(fn: Callable[[], np.ndarray], repeats: int) -> tuple[float, np.ndarray]:
    best, out = np.inf, np.zeros(0)
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def sphere(n: int, rng: np.random.Generator) -> np.ndarray:
    u = np.abs(rng.standard_normal((n, 3)))
    return u / np.linalg.norm(u, axis=1, keepdims=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)

    print("| non_dominated, 3 objectives | front | baseline s | ours s | speedup |")
    print("|---|---|---|---|---|")
    for n in (1_000, 5_000, 20_000):
        y = sphere(n, rng) * rng.random((n, 1)) ** 0.1  # most points just under the front
        t_base, want = best_time(lambda: all_pairs_front(y), args.repeats)
        t_ours, got = best_time(lambda: non_dominated(y), args.repeats)
        assert np.array_equal(got, want)
        print(f"| {n} points | {int(want.sum())} | {t_base:.4f} | {t_ours:.4f} | "
              f"{t_base / t_ours:.1f}x |")  # fmt: skip

    print()
    print("| hypervolume_improvement, 3 objectives | front | baseline s | ours s | speedup |")
    print("|---|---|---|---|---|")
    ref = np.zeros(3)
    for f in (20, 60, 150):
        front = sphere(20 * f, rng)
        front = front[non_dominated(front)][:f]
        points = np.abs(rng.standard_normal((128, 3))) * 0.6
        t_base, want = best_time(lambda: point_by_point_gain(points, front, ref), args.repeats)
        t_ours, got = best_time(lambda: hypervolume_improvement(points, front, ref), args.repeats)
        np.testing.assert_allclose(got, want, atol=1e-12)
        print(f"| 128 points | {len(front)} | {t_base:.4f} | {t_ours:.4f} | "
              f"{t_base / t_ours:.1f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
