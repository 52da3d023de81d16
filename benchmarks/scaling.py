"""`seqdesign round` wall time and peak memory over sequence length x labeled-set size.

    .venv/bin/python benchmarks/scaling.py                          # the full table (hours)
    .venv/bin/python benchmarks/scaling.py --lengths 8 --sizes 1000 # one cell
    .venv/bin/python benchmarks/scaling.py --render-only            # rewrite the doc only

Each cell writes synthetic labeled data (as ``round_time.py``: a fixed random per-position,
per-letter weight plus noise; DNA for L = 8, protein otherwise; every sequence of length L), runs
the real CLI in a subprocess (``round -n 100 --budget default --seed 0``) and records its wall
time and peak resident memory (``ru_maxrss`` of that child, from ``os.wait4``). Results are merged
into ``bench-out/scaling.json`` (cells not re-run keep their last numbers; where that file is
missing, e.g. in a fresh checkout, the rows already in ``docs/performance.md`` are the start), then
``docs/performance.md`` is rendered from ``benchmarks/performance.md.in`` with the machine, the
date, the commit, this table and the torchgfn ratios of ``gfn_throughput.py --json``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "benchmarks" / "performance.md.in"
LETTERS = {"dna": "ACGT", "protein": "ACDEFGHIKLMNPQRSTVWY"}


def write_labeled(path: Path, alphabet: str, length: int, n: int, seed: int = 0) -> None:
    """N labeled sequences of length L: label = mean per-position weight + noise."""
    letters = LETTERS[alphabet]
    rng = np.random.default_rng(seed)
    w = rng.normal(size=(length, len(letters)))
    tok = rng.integers(0, len(letters), size=(n, length))
    y = w[np.arange(length), tok].mean(axis=1) + 0.1 * rng.normal(size=n)
    table = np.frombuffer(letters.encode(), dtype=np.uint8)[tok]
    with open(path, "w") as f:
        for i in range(n):
            f.write(f">s{i} y={y[i]:.4f}\n{table[i].tobytes().decode()}\n")


def run_cell(length: int, n: int, budget: str, timeout: float) -> dict:
    """Time one round; returns wall seconds, peak RSS (MiB) and a status."""
    alphabet = "dna" if length <= 8 else "protein"
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "labeled.fasta"
        write_labeled(data, alphabet, length, n)
        cmd = [sys.executable, "-m", "seqdesign.cli", "round", str(data)]
        cmd += ["-o", str(Path(d) / "out.fasta"), "-n", "100", "--alphabet", alphabet]
        cmd += ["--length", str(length), "--budget", budget, "--seed", "0", "-q"]
        err = Path(d) / "stderr.txt"
        t0 = time.perf_counter()
        with open(err, "wb") as f:
            proc = subprocess.Popen(cmd, stderr=f)
        status = "ok"
        while True:  # reap the child ourselves: wait4 gives this child's own peak memory
            pid, wstatus, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - t0 > timeout:
                proc.kill()
                _, wstatus, usage = os.wait4(proc.pid, 0)
                status = f"timeout ({timeout:.0f} s)"
                break
            time.sleep(0.1)
        seconds = time.perf_counter() - t0
        proc.returncode = code = os.waitstatus_to_exitcode(wstatus)
        if status == "ok" and code != 0:
            status = f"exit {code}: " + err.read_text()[-200:].strip().replace("\n", " ")
    return {
        "length": length,
        "alphabet": alphabet,
        "n_labeled": n,
        "budget": budget,
        "seconds": round(seconds, 1),
        "peak_mib": round(usage.ru_maxrss / 1024),
        "status": status,
        "commit": commit(),
    }


def machine() -> str:
    """CPU model, core count and memory of this machine."""
    model = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
        mem = f"{mem_kib / 2**20:.0f} GiB RAM"
    except (OSError, StopIteration):
        mem = "unknown RAM"
    return f"{model}, {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {mem}"


def commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


SCALING_HEADER = "| L | alphabet | labeled N | wall (s) | peak RSS (MiB) | status | commit |"


def scaling_table(rows: list[dict]) -> str:
    lines = [SCALING_HEADER, "|---:|---|---:|---:|---:|---|---|"]
    for r in sorted(rows, key=lambda r: (r["length"], r["n_labeled"])):
        lines.append(
            f"| {r['length']} | {r['alphabet']} | {r['n_labeled']:,} | {r['seconds']:.1f} | "
            f"{r['peak_mib']:,} | {r['status']} | {r.get('commit', 'unknown')} |"
        )
    return "\n".join(lines)


def rows_from_doc(doc: Path) -> list[dict]:
    """The scaling rows of an earlier rendering of ``doc`` (none if it has no table).

    Rows of a table without a commit column get the commit named in the doc's header.
    """
    if not doc.exists():
        return []
    lines = doc.read_text().splitlines()
    header_commit = next(
        (x.split(":", 1)[1].strip() for x in lines if x.startswith("- commit:")), "unknown"
    )
    start = next((i for i, x in enumerate(lines) if x.startswith("| L | alphabet |")), None)
    if start is None:
        return []
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append(
            {
                "length": int(cells[0]),
                "alphabet": cells[1],
                "n_labeled": int(cells[2].replace(",", "")),
                "seconds": float(cells[3]),
                "peak_mib": int(cells[4].replace(",", "")),
                "status": cells[5],
                "commit": cells[6] if len(cells) > 6 else header_commit,
            }
        )
    return rows


def gfn_table(rows: list[dict]) -> str:
    """Throughput: the best run of each side; TB loss: the mean over all runs (seeds)."""
    if not rows:
        return "_not measured: run `make bench`_"
    lines = [
        "| L | letters | batch | steps | runs | seqdesign traj/s | torchgfn traj/s | ratio | "
        "TB loss seqdesign | TB loss torchgfn |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        o, t = r["seqdesign"], r["torchgfn"]
        runs = r.get("runs", {"seqdesign": [o], "torchgfn": [t]})
        loss = {k: sum(x["final_loss"] for x in v) / len(v) for k, v in runs.items()}
        lines.append(
            f"| {r['length']} | {r['letters']} | {r['batch']} | {r['steps']} | "
            f"{r.get('repeat', 1)} | {o['traj_per_s']:.0f} | {t['traj_per_s']:.0f} | "
            f"{r['ratio']:.1f}x | {loss['seqdesign']:.3f} | {loss['torchgfn']:.3f} |"
        )
    curves = [
        r
        for r in rows
        if "runs" in r and all("loss_fifths" in x for v in r["runs"].values() for x in v)
    ]
    if curves:
        lines += [
            "",
            "TB loss curve (mean over the runs, per fifth of the steps; both sides from the same "
            "initial weights unless marked):",
            "",
            "| L | letters | side | 1st | 2nd | 3rd | 4th | 5th |",
            "|---:|---:|---|---:|---:|---:|---:|---:|",
        ]
        for r in curves:
            for side, runs in r["runs"].items():
                mean = [sum(c) / len(c) for c in zip(*(x["loss_fifths"] for x in runs))]
                own = " (own init)" if side == "torchgfn" and not r.get("same_init", True) else ""
                cells = " | ".join(f"{v:.3f}" for v in mean)
                lines.append(f"| {r['length']} | {r['letters']} | {side}{own} | {cells} |")
    return "\n".join(lines)


KEPT = "Throughput kept from the rendering at commit "


def throughput_from_doc(doc: Path) -> str | None:
    """The torchgfn table of an earlier rendering of ``doc``, marked with the commit it came from.

    Used when ``--gfn-json`` is missing (a scaling-only run), so the page keeps the last measured
    throughput instead of dropping it, and says which commit measured it.
    """
    if not doc.exists():
        return None
    lines = doc.read_text().splitlines()
    start = next((i for i, x in enumerate(lines) if x.startswith("| L | letters |")), None)
    if start is None:
        return None
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    kept = next((x for x in lines if x.startswith(KEPT)), None)
    header = next((x.split(":", 1)[1].strip() for x in lines if x.startswith("- commit:")), "?")
    source = kept[len(KEPT) :].split(" ", 1)[0] if kept else header
    return "\n".join(table) + f"\n\n{KEPT}{source} (`make bench` measures it again)."


def render(out: Path, rows: list[dict], gfn_rows: list[dict]) -> None:
    kept = None if gfn_rows else throughput_from_doc(out)
    text = string.Template(TEMPLATE.read_text()).substitute(
        machine=machine(),
        date=datetime.date.today().isoformat(),
        commit=commit(),
        scaling_table=scaling_table(rows),
        gfn_table=kept or gfn_table(gfn_rows),
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(text)
    tmp.replace(out)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lengths", type=int, nargs="+", default=[8, 50, 100, 250])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000])
    p.add_argument("--budget", default="default")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds per cell")
    p.add_argument("--results", type=Path, default=ROOT / "bench-out" / "scaling.json")
    p.add_argument("--gfn-json", type=Path, default=ROOT / "bench-out" / "gfn.json")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    p.add_argument("--render-only", action="store_true", help="rewrite the doc, run nothing")
    a = p.parse_args()
    saved = json.loads(a.results.read_text()) if a.results.exists() else rows_from_doc(a.out)
    cells = {(r["length"], r["n_labeled"]): r for r in saved}
    if not a.render_only:
        for length in a.lengths:
            for n in a.sizes:
                r = run_cell(length, n, a.budget, a.timeout)
                cells[(length, n)] = r
                print(
                    f"L={length} N={n}: {r['seconds']:.1f} s, {r['peak_mib']} MiB, {r['status']}",
                    flush=True,
                )
                a.results.parent.mkdir(parents=True, exist_ok=True)
                a.results.write_text(json.dumps(list(cells.values()), indent=2) + "\n")
    gfn_rows = json.loads(a.gfn_json.read_text()) if a.gfn_json.exists() else []
    render(a.out, list(cells.values()), gfn_rows)
    print(f"wrote {a.out}")


if __name__ == "__main__":
    main()
