"""`seqdesign benchmark`: the tiny preset through the real command, and its errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.image import imread


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from typer.testing import CliRunner

    from seqdesign.cli.main import app

    out = tmp_path_factory.mktemp("bench") / "tiny"
    res = CliRunner(env={"SEQDESIGN_THREADS": "1", "COLUMNS": "200"}).invoke(
        app,
        ["benchmark", "--task", "tiny", "--seeds", "2", "--jobs", "2", "--out-dir", str(out)],
    )
    return res, out


def test_tiny_preset_runs_every_method_on_shared_starts(tiny_run):
    res, out = tiny_run
    assert res.exit_code == 0, res.stderr
    runs = pd.read_csv(out / "runs.csv")
    assert set(runs["method"]) == {"gfn", "adalead", "evolution", "random"}
    assert sorted(runs["seed"].unique()) == [0, 1]
    assert sorted(runs["round"].unique()) == [1, 2]
    assert (runs["waste"] == 0).all()
    summary = pd.read_csv(out / "summary.csv")
    assert len(summary) == 4 and (summary["seeds"] == 2).all()
    for c in ("top_k", "ratio_to_limit", "diversity", "novelty", "seconds_per_round"):
        assert summary[c].notna().all(), c
    # ratio to limit is top-K over the landscape's K best: within (0, 1]
    assert ((summary["ratio_to_limit"] > 0) & (summary["ratio_to_limit"] <= 1)).all()
    assert "adalead" in res.stdout and "± " in res.stdout  # the table on stdout
    table = (out / "table.md").read_text()
    assert table.count("\n") == 2 + 4 and "**" in table  # header, rule, 4 rows; best in bold
    img = imread(out / "topk.png")
    assert img.shape[0] > 200 and img.shape[1] > 300
    assert img[..., :3].std() > 0.05  # not blank


def test_parallel_and_serial_runs_agree(tiny_run):
    """Seeds make a job's result independent of the process it ran in."""
    from seqdesign import benchmark as bm
    from seqdesign.oracles import get_oracle

    _, out = tiny_run
    parallel = pd.read_csv(out / "runs.csv")
    p = bm.PRESETS["tiny"]
    jobs = bm.make_jobs(
        p.tasks,
        ["evolution", "random", "adalead"],
        [1],
        p.init,
        p.rounds,
        p.n,
        p.budget,
        p.settings,
    )
    serial = bm.run_jobs(jobs, get_oracle, workers=1)
    for method in ("evolution", "random", "adalead"):
        a = parallel[(parallel.method == method) & (parallel.seed == 1)]["top_k"].to_numpy()
        b = serial[serial.method == method]["top_k"].to_numpy()
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_methods_share_the_starting_sequences():
    from seqdesign import benchmark as bm
    from seqdesign.oracles import get_oracle

    a = bm.start_sequences(get_oracle("tfbind8"), 30, seed=4)
    b = bm.start_sequences(get_oracle("tfbind8"), 30, seed=4)
    c = bm.start_sequences(get_oracle("tfbind8"), 30, seed=5)
    assert a == b and a != c


def test_list_names_every_preset(cli):
    from seqdesign.benchmark import PRESETS

    res = cli("benchmark", "--list")
    assert res.exit_code == 0
    for name in PRESETS:
        assert name in res.stdout


@pytest.mark.parametrize(
    "args, mentions",
    [
        (["--task", "nope"], ("nope", "presets")),
        (["--task", "tiny", "--methods", "gfn,magic"], ("magic", "--methods")),
        (["--task", "tiny", "--methods", ","], ("--methods",)),
        ([], ("--task",)),
    ],
)
def test_bad_options_are_one_line_errors(cli, assert_user_error, tmp_path, args, mentions):
    out = tmp_path / "b"
    res = cli("benchmark", *args, "--out-dir", out)
    assert_user_error(res, None, *mentions)
    assert not out.exists()


def test_an_oracle_name_is_a_task_with_the_default_protocol(cli, tmp_path, small_config):
    out = tmp_path / "b"
    res = cli(
        "benchmark",
        "--task",
        "tfbind8-PAX6_REF_R1",
        "--methods",
        "random,evolution",
        "--seeds",
        "1",
        "--rounds",
        "1",
        "-n",
        "5",
        "--init",
        "20",
        "--jobs",
        "1",
        "--out-dir",
        out,
        "-q",
    )
    assert res.exit_code == 0, res.stderr
    runs = pd.read_csv(out / "runs.csv")
    assert set(runs["task"]) == {"tfbind8-PAX6_REF_R1"} and len(runs) == 2
    assert not (out / "fronts.csv").exists() and not (out / "fronts.png").exists()


def test_several_objectives_report_hypervolume(cli, tmp_path, small_config):
    out = tmp_path / "mo"
    res = cli(
        "benchmark", "--task", "tfpair-SIX6-PAX6", "--methods", "nsga2,random",
        "--seeds", "1", "--rounds", "2", "-n", "10", "--init", "30", "--budget", "fast",
        "--config", small_config, "--jobs", "1", "--out-dir", out, "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    summary = pd.read_csv(out / "summary.csv")
    assert {"hypervolume", "hv_fraction"} <= set(summary.columns)
    assert ((summary["hv_fraction"] >= 0) & (summary["hv_fraction"] <= 1)).all()
    runs = pd.read_csv(out / "runs.csv")
    # hypervolume of everything proposed so far never falls
    for _, g in runs.groupby("method"):
        assert (np.diff(g["hypervolume"].to_numpy()) >= -1e-12).all()
    assert not [c for c in runs.columns if c.startswith("_")]  # the front does not leak
    # the final fronts: true scores of proposed sequences, none dominating another, whose
    # hypervolume is the run's final one
    from seqdesign.multiobjective import hypervolume, non_dominated
    from seqdesign.oracles import get_oracle

    pair = get_oracle("tfpair-SIX6-PAX6")
    fronts = pd.read_csv(out / "fronts.csv")
    assert list(fronts.columns) == ["task", "method", "seed", "sequence", *pair.objectives]
    assert set(fronts["method"]) == {"nsga2", "random"}
    for method, g in fronts.groupby("method"):
        y = g[list(pair.objectives)].to_numpy()
        np.testing.assert_allclose(y, pair(g["sequence"].tolist()), atol=1e-6)
        assert non_dominated(y).all()
        final = runs[runs["method"] == method]["hypervolume"].iloc[-1]
        assert hypervolume(y, pair.reference_point()) == pytest.approx(final, rel=1e-4)
    img = imread(out / "fronts.png")
    assert img.ndim == 3 and img[..., :3].std() > 0.05
    # one objective into the same folder: the earlier fronts do not stay beside its results
    res = cli(
        "benchmark", "--task", "tfbind8-PAX6_REF_R1", "--methods", "random", "--seeds", "1",
        "--rounds", "1", "-n", "5", "--init", "20", "--jobs", "1", "--out-dir", out, "-q",
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert not (out / "fronts.csv").exists() and not (out / "fronts.png").exists()


def test_the_plot_title_names_what_it_plots():
    from seqdesign.benchmark import plotted_metric

    one = pd.DataFrame({"task": ["t", "t"], "top_k": [0.1, 0.2]})
    two = pd.DataFrame({"task": ["p", "p"], "top_k": [0.1, 0.2], "hypervolume": [0.3, 0.4]})
    assert plotted_metric(one, 100) == "top-100"
    assert plotted_metric(two, 100) == "hypervolume"
    mixed = pd.concat([one.assign(hypervolume=np.nan), two])
    assert plotted_metric(mixed, 100) == "top-100 or hypervolume"


def test_mo_presets_default_to_mo_methods(cli):
    from seqdesign.benchmark import PRESETS

    assert PRESETS["tfpair"].methods[:2] == ("mogfn", "nsga2")
    res = cli("benchmark", "--list")
    assert "tfpair" in res.stdout and "amp-hydrophobicity" in res.stdout


def test_tfpair_presets_cover_every_ordered_pair_of_the_shipped_tfs():
    """tfpair runs the five pairs of the bar; tfpair-others the other 15, so that a reader can
    check the five were not chosen to pass."""
    from seqdesign.benchmark import PRESETS, resolve_tasks
    from seqdesign.oracles import get_oracle, names
    from seqdesign.oracles.tf_pair import PAIRS

    registry = names()
    five = resolve_tasks(PRESETS["tfpair"].tasks, registry)
    others = resolve_tasks(PRESETS["tfpair-others"].tasks, registry)
    assert sorted(five) == sorted(f"tfpair-{a}-{b}" for a, b in PAIRS)
    assert len(others) == 15 and not set(five) & set(others)
    assert sorted(five + others) == sorted(r for r in registry if r.startswith("tfpair-"))
    assert all(get_oracle(t).name == t for t in five + others)


def test_unknown_executor_and_stray_address_are_errors(cli, assert_user_error, tmp_path):
    out = tmp_path / "b"
    res = cli("benchmark", "--task", "tiny", "--executor", "slurm", "--out-dir", out)
    assert_user_error(res, None, "slurm", "local or ray")
    res = cli("benchmark", "--task", "tiny", "--ray-address", "ray://x:1", "--out-dir", out)
    assert_user_error(res, None, "--ray-address")


@pytest.mark.slow
def test_a_benchmark_on_a_local_ray_instance_matches_the_local_executor(tmp_path):
    """The Ray executor runs the same jobs with the same seeds: identical results."""
    ray = pytest.importorskip("ray")
    from seqdesign import benchmark as bm
    from seqdesign.executors import make_executor
    from seqdesign.oracles import get_oracle

    p = bm.PRESETS["tiny"]
    jobs = bm.make_jobs(
        p.tasks, ["adalead", "evolution", "random"], [0, 1], p.init, p.rounds, p.n, p.budget,
        p.settings,
    )  # fmt: skip
    local = bm.run_jobs(jobs, get_oracle, workers=1)
    ray.init(num_cpus=2, include_dashboard=False)
    try:
        remote = bm.run_jobs(jobs, get_oracle, executor=make_executor("ray", workers=2))
    finally:
        ray.shutdown()
    cols = ["task", "method", "seed", "round", "top_k", "max", "diversity", "novelty"]
    pd.testing.assert_frame_equal(local[cols], remote[cols])
