"""Wall time of one `seqdesign round` on synthetic labeled data (the speed bars of BENCHMARKS.md).

    .venv/bin/python benchmarks/round_time.py --alphabet dna --min-len 8 --max-len 8 --n-labeled 1000
    .venv/bin/python benchmarks/round_time.py --alphabet protein --min-len 12 --max-len 50 \
        --n-labeled 5000

Labels are a smooth synthetic function (a fixed random per-position, per-letter weight plus a
length term), so the timing does not depend on any shipped data. Runs the real CLI in a
subprocess and prints its wall time.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--alphabet", default="dna")
    p.add_argument("--min-len", type=int, default=8)
    p.add_argument("--max-len", type=int, default=8)
    p.add_argument("--n-labeled", type=int, default=1000)
    p.add_argument("-n", type=int, default=100)
    p.add_argument("--generator", default="gfn")
    p.add_argument("--budget", default="default")
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    letters = {"dna": "ACGT", "rna": "ACGU", "protein": "ACDEFGHIKLMNPQRSTVWY"}[a.alphabet]
    rng = np.random.default_rng(0)
    w = rng.normal(size=(a.max_len, len(letters)))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "labeled.fasta"
        with open(path, "w") as f:
            for i in range(a.n_labeled):
                n = int(rng.integers(a.min_len, a.max_len + 1))
                tok = rng.integers(0, len(letters), size=n)
                y = w[np.arange(n), tok].mean() + 0.01 * n + 0.1 * rng.normal()
                f.write(f">s{i} y={y:.4f}\n{''.join(letters[t] for t in tok)}\n")
        cmd = [
            sys.executable,
            "-m",
            "seqdesign.cli",
            "round",
            str(path),
            "-o",
            str(Path(d) / "out.fasta"),
            "-n",
            str(a.n),
            "--alphabet",
            a.alphabet,
            "--min-length",
            str(a.min_len),
            "--max-length",
            str(a.max_len),
            "--generator",
            a.generator,
            "--budget",
            a.budget,
            "--device",
            a.device,
            "--seed",
            "0",
            "-q",
        ]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        print(
            f"round: {a.alphabet} L={a.min_len}-{a.max_len} labeled={a.n_labeled} n={a.n} "
            f"generator={a.generator} budget={a.budget}: {time.perf_counter() - t0:.1f} s wall"
        )


if __name__ == "__main__":
    main()
