"""gfn (writes L letters) vs gfn-edit (at most k edits of a parent) at the same budget.

On Ehrlich landscapes (20 states, 4 motifs of 4, quantization 4) of several lengths: one
feasible parent, ``--offline`` labeled sequences within k edits of it, and each generator trained
on the true function (no proxy: this isolates the generator) with the same GFlowNet settings
(``--budget`` preset). Reported per (L, k, method): wall time of ``fit``, the best true score
among ``--samples`` draws and among every sequence scored during training, and the offline best.
The auto threshold ``EDIT_MIN_LENGTH`` (seqdesign/generators/__init__.py) comes from this table.

    .venv/bin/python benchmarks/edit_gfn.py --lengths 32,64,128,256 --ks 4,8 --seeds 1
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from seqdesign.constraints import Constraints
from seqdesign.dataset import Dataset
from seqdesign.generators.gfn import GFlowNetGenerator
from seqdesign.generators.gfn_edit import GFlowNetEditGenerator
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.oracles.ehrlich import EhrlichOracle
from seqdesign.space import SequenceSpace


def run_one(length: int, k: int, method: str, seed: int, args: argparse.Namespace) -> dict:
    oracle = EhrlichOracle(states=20, length=length, motifs=4, motif_length=4, seed=seed)
    rng = np.random.default_rng(seed)
    parent = oracle.sample_start(1, rng)[0]
    space = SequenceSpace(
        oracle.space.alphabet, length, length, Constraints(parents=(parent,), max_edits=k)
    )
    offline = list(dict.fromkeys(space.random(args.offline, rng)))
    values = oracle(offline)[:, 0]
    data = Dataset.from_records(
        [(f"s{i}", q, {"f": float(v)}) for i, (q, v) in enumerate(zip(offline, values))]
    )
    scored: list[float] = []

    def reward(seqs: list[str]) -> np.ndarray:
        out = oracle.score_tokens(oracle.encode(seqs))
        scored.extend(out.tolist())
        return out

    settings = GFlowNetSettings.for_budget(args.budget)
    gen = GFlowNetEditGenerator(settings) if method == "gfn-edit" else GFlowNetGenerator(settings)
    t0 = time.perf_counter()
    gen.fit(reward, data, space, np.random.default_rng(seed + 1))
    fit_s = time.perf_counter() - t0
    samples = gen.sample(args.samples, np.random.default_rng(seed + 2))
    sample_s = time.perf_counter() - t0 - fit_s
    best = float(oracle(samples)[:, 0].max()) if samples else float("nan")
    return {
        "L": length,
        "k": k,
        "method": method,
        "seed": seed,
        "fit_s": fit_s,
        "sample_s": sample_s,
        "best_sampled": best,
        "best_trained": max(scored) if scored else float("nan"),
        "offline_best": float(values.max()),
        "parent": float(oracle([parent])[0, 0]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lengths", default="64,128,256")
    ap.add_argument("--ks", default="4,8")
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--budget", default="fast")
    ap.add_argument("--offline", type=int, default=128)
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--methods", default="gfn,gfn-edit")
    args = ap.parse_args()
    torch.set_num_threads(1)
    cols = "L k method seed fit_s sample_s best_sampled best_trained offline_best parent".split()
    print("\t".join(cols), flush=True)
    for length in (int(x) for x in args.lengths.split(",")):
        for k in (int(x) for x in args.ks.split(",")):
            for seed in range(args.seeds):
                for method in args.methods.split(","):
                    row = run_one(length, k, method, seed, args)
                    print(
                        "\t".join(
                            f"{row[c]:.3f}" if isinstance(row[c], float) else str(row[c])
                            for c in cols
                        ),
                        flush=True,
                    )


if __name__ == "__main__":
    main()
