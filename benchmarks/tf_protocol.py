"""The small-data TF-binding protocol of BENCHMARKS.md, for several methods, side by side.

200 starting sequences from the bottom half of each shipped landscape, 5 rounds x 100, seeds
0..S-1; every method sees the same starting data per seed. Prints a table (mean ± sd over seeds)
and writes the per-run rows as CSV.

    .venv/bin/python benchmarks/tf_protocol.py --methods gfn,evolution,random --seeds 3 \
        --out bench-out/tf_protocol.csv

Runs one campaign per process (``--jobs``, default: the cores available), each with one torch
thread.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pandas as pd


def run_one(args: tuple[str, str, int, int, int, int, str, str]) -> dict:
    method, oracle_name, seed, rounds, n, init, budget, toml = args
    import torch

    torch.set_num_threads(1)
    from seqdesign.config import build_settings
    from seqdesign.loop import simulate
    from seqdesign.oracles import get_oracle

    oracle = get_oracle(oracle_name)
    start = oracle.sample_start(
        init, np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    )
    import tomllib

    settings = build_settings(budget, tomllib.loads(toml), flags={"generator": method})
    t0 = time.perf_counter()
    res = simulate(
        oracle,
        oracle.space,
        list(oracle.objectives),
        start,
        rounds,
        n,
        settings,
        seed,
        limit=oracle.top_k_mean(n),
    )
    last = res.summary.iloc[-1]
    return {
        "task": oracle_name,
        "method": method,
        "seed": seed,
        "top_k": last.top_k,
        "ratio_to_limit": last.ratio_to_limit,
        "max": last["max"],
        "diversity": last.diversity,
        "novelty": last.novelty,
        "waste": last.waste,
        "seconds_per_round": (time.perf_counter() - t0) / rounds,
    }


def main() -> None:
    from seqdesign.oracles.tf_binding import shipped_tfs

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--methods", default="gfn,evolution,random")
    p.add_argument("--tasks", default=",".join(f"tfbind8-{tf}" for tf in shipped_tfs()))
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--init", type=int, default=200)
    p.add_argument("--budget", default="default")
    p.add_argument("--settings", default="", help="TOML text layered on the budget preset")
    p.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)))
    p.add_argument("--out", default="bench-out/tf_protocol.csv")
    a = p.parse_args()
    jobs = [
        (m, t, s, a.rounds, a.n, a.init, a.budget, a.settings.replace("\\n", "\n"))
        for t in a.tasks.split(",")
        for s in range(a.seeds)
        for m in a.methods.split(",")
    ]
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(run_one, jobs))
    df = pd.DataFrame(rows)
    os.makedirs(os.path.dirname(a.out) or ".", exist_ok=True)
    df.to_csv(a.out, index=False, float_format="%.4f")
    cols = ["top_k", "ratio_to_limit", "diversity", "novelty", "waste", "seconds_per_round"]
    agg = df.groupby(["task", "method"])[cols].agg(["mean", "std"])
    out = pd.DataFrame(
        {
            c: agg[(c, "mean")].map("{:.3f}".format) + " ± " + agg[(c, "std")].map("{:.3f}".format)
            for c in cols
        }
    )
    print(out.to_string())
    overall = df.groupby("method")[cols].mean()
    print("\nmean over tasks and seeds:\n" + overall.to_string(float_format="{:.3f}".format))


if __name__ == "__main__":
    main()
