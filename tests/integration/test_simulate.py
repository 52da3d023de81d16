"""`seqdesign simulate`: a closed loop of round + oracle, and the library loop underneath."""

from __future__ import annotations

import re
import sys

import numpy as np
import pandas as pd
import pytest

from seqdesign.config import build_settings
from seqdesign.io import read_labeled
from seqdesign.loop import run_round, simulate
from seqdesign.oracles import get_oracle

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ARGS = [
    "--oracle",
    "tfbind8",
    "--rounds",
    2,
    "-n",
    20,
    "--init",
    50,
    "--budget",
    "fast",
    "--generator",
    "evolution",
    "--seed",
    0,
]


@pytest.fixture(scope="module")
def campaign(tmp_path_factory, small_config):
    from typer.testing import CliRunner

    from seqdesign.cli.main import app

    out = tmp_path_factory.mktemp("sim") / "D"
    res = CliRunner().invoke(
        app, ["simulate", *map(str, ARGS), "--out-dir", str(out), "--config", str(small_config)]
    )
    return res, out


def test_simulate_writes_every_file(campaign):
    res, out = campaign
    assert res.exit_code == 0, res.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "round_1.csv",
        "round_1.fasta",
        "round_2.csv",
        "round_2.fasta",
        "settings.toml",
        "start.fasta",
        "summary.csv",
    ]
    settings = tomllib.loads((out / "settings.toml").read_text())
    assert settings["seed"] == 0 and settings["oracle"] == "tfbind8-SIX6_REF_R1"
    assert settings["rounds"] == 2 and settings["n"] == 20 and settings["init"] == 50
    assert settings["generator"] == "evolution"
    assert "top_k" in res.stdout  # the summary table on stdout


def test_simulate_rounds_are_labeled_by_the_oracle(campaign, tfbind8):
    _, out = campaign
    start, _ = read_labeled(out / "start.fasta")
    assert len(start) == 50
    np.testing.assert_allclose(
        start.labels[:, 0], tfbind8(start.sequences)[:, 0], rtol=1e-5, atol=1e-6
    )
    seen = set(start.sequences)
    for r in (1, 2):
        ds, _ = read_labeled(out / f"round_{r}.fasta")
        assert len(ds) == 20 and ds.ids == [f"sd_r{r}_{i:04d}" for i in range(1, 21)]
        assert not seen & set(ds.sequences)  # never re-measures a sequence
        seen |= set(ds.sequences)
        np.testing.assert_allclose(
            ds.labels[:, 0], tfbind8(ds.sequences)[:, 0], rtol=1e-5, atol=1e-6
        )
        table = pd.read_csv(out / f"round_{r}.csv")
        assert table["sequence"].tolist() == ds.sequences
        assert {"proxy_mean", "proxy_std", "acquisition", "binding"} <= set(table.columns)


def test_simulate_improves_over_the_start(campaign):
    _, out = campaign
    start, _ = read_labeled(out / "start.fasta")
    start_top20 = float(np.sort(start.labels[:, 0])[-20:].mean())
    summary = pd.read_csv(out / "summary.csv")
    assert summary["round"].tolist() == [1, 2]
    assert {"top_k", "max", "ratio_to_limit", "diversity", "novelty", "waste"} <= set(
        summary.columns
    )
    assert summary["top_k"].iloc[-1] > start_top20, (summary, start_top20)
    assert summary["top_k"].is_monotonic_increasing  # top-K over everything proposed so far
    assert (summary["waste"] == 0).all()
    assert ((summary["ratio_to_limit"] > 0) & (summary["ratio_to_limit"] <= 1)).all()


def test_simulate_refuses_a_non_empty_out_dir(tmp_path, cli, small_config, assert_user_error):
    (tmp_path / "D").mkdir()
    (tmp_path / "D" / "keep.txt").write_text("mine")
    res = cli("simulate", *ARGS, "--out-dir", tmp_path / "D", "--config", small_config)
    assert_user_error(res, None, "not empty")
    assert sorted(p.name for p in (tmp_path / "D").iterdir()) == ["keep.txt"]


def test_simulate_unknown_oracle(tmp_path, cli, assert_user_error):
    res = cli("simulate", "--oracle", "nope", "--out-dir", tmp_path / "D", "--rounds", 1)
    assert_user_error(res, None, "unknown oracle 'nope'")
    assert not (tmp_path / "D").exists()


def test_simulate_runs_under_constraints(tmp_path, cli, small_config, read_fasta, write_fasta):
    """The constraint flags of `round` and a [constraints] table both reach every round."""
    parent = write_fasta(tmp_path / "wt.fasta", [("wt", "", "ACGTTGCA")])
    config = tmp_path / "c.toml"
    config.write_text(small_config.read_text() + '\n[constraints]\nforbid = "CCNGG"\n')
    out = tmp_path / "D"
    args = ["simulate", "--oracle", "tfbind8", "--rounds", 2, "-n", 6, "--init", 30]
    args += ["--budget", "fast", "--generator", "random", "--config", config, "--out-dir", out]
    args += ["--fixed", "1-2:AC", "--max-homopolymer", 2, "--parent", parent, "--max-edits", 4]
    res = cli(*args)
    assert res.exit_code == 0, res.stderr
    seqs = [q for r in (1, 2) for _, _, q in read_fasta(out / f"round_{r}.fasta")]
    assert len(seqs) == 12
    for q in seqs:
        assert q[:2] == "AC" and not re.search("CC[ACGT]GG", q)  # CCNGG is its own complement
        assert all(q[i] != q[i + 1] or q[i] != q[i + 2] for i in range(6))
        assert sum(a != b for a, b in zip(q, "ACGTTGCA")) <= 4
    written = tomllib.loads((out / "settings.toml").read_text())["constraints"]
    assert written["fixed"] == ["1-2:AC"] and written["forbid"] == ["CCNGG"]
    assert written["max_edits"] == 4 and written["parents"] == ["ACGTTGCA"]
    # the ratio to limit is against the best the constraints allow, not the whole space's
    last = pd.read_csv(out / "summary.csv").iloc[-1]
    limit = last["top_k"] / last["ratio_to_limit"]
    assert last["ratio_to_limit"] <= 1 + 1e-9
    assert limit < get_oracle("tfbind8").top_k_mean(6) - 1e-3


# --- the library loop ------------------------------------------------------------------------

TINY = {
    "proxy": {"members": 2, "hidden": 8, "max_steps": 40},
    "evolution": {"queries": 300, "walkers": 32},
}


def test_simulate_library_is_deterministic(tfbind8):
    s = build_settings("fast", dict(TINY), {"generator": "random"})
    start = tfbind8.sample_start(30, np.random.default_rng(0))
    a = simulate(tfbind8, tfbind8.space, ["binding"], start, 2, 8, s, seed=5)
    b = simulate(tfbind8, tfbind8.space, ["binding"], start, 2, 8, s, seed=5)
    pd.testing.assert_frame_equal(
        a.summary.drop(columns="seconds"), b.summary.drop(columns="seconds")
    )
    for ta, tb in zip(a.rounds, b.rounds):
        pd.testing.assert_frame_equal(ta, tb)


@pytest.mark.parametrize("generator", ["random", "evolution"])
def test_run_round_guarantees_with_exclusions_and_variable_length(generator):
    from seqdesign.alphabet import DNA
    from seqdesign.dataset import Dataset
    from seqdesign.space import SequenceSpace

    rng = np.random.default_rng(1)
    space = SequenceSpace(DNA, 3, 5)
    seqs = sorted(set(space.random(60, rng)))
    ds = Dataset.from_records(
        [(f"s{i}", q, {"y": float(q.count("G") - len(q) / 4)}) for i, q in enumerate(seqs)]
    )
    exclude = set(space.random(40, rng)) - set(seqs)
    s = build_settings("fast", dict(TINY), {"generator": generator})
    res = run_round(ds, space, 15, s, seed=2, exclude=exclude, round_index=5)
    t = res.table
    assert len(t) == 15 and t["sequence"].is_unique
    assert not set(t["sequence"]) & (set(seqs) | exclude)
    assert all(space.contains(q) for q in t["sequence"])
    assert t["id"].tolist() == [f"sd_r5_{i:04d}" for i in range(1, 16)]
    again = run_round(ds, space, 15, s, seed=2, exclude=exclude, round_index=5).table
    pd.testing.assert_frame_equal(t, again)


@pytest.mark.slow
def test_simulate_cli_same_seed_same_files(tmp_path, cli, small_config):
    dirs = []
    for tag in ("a", "b"):
        d = tmp_path / tag
        res = cli("simulate", *ARGS, "--out-dir", d, "--config", small_config, "-q")
        assert res.exit_code == 0, res.stderr
        dirs.append(d)
    for name in ["start.fasta", "round_1.fasta", "round_1.csv", "round_2.fasta", "round_2.csv"]:
        assert (dirs[0] / name).read_bytes() == (dirs[1] / name).read_bytes(), name
