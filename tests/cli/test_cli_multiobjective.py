"""`seqdesign round` and `simulate` with two objectives, end to end."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import tomllib

from seqdesign.multiobjective import MultiObjectiveSettings
from seqdesign.oracles import get_oracle

MO_CONFIG = """\
[proxy]
members = 3
hidden = 32
max_steps = 200
eval_every = 50

[evolution]
queries = 1000
walkers = 64

[gflownet]
steps = 60
batch_size = 16
hidden = 32
"""


@pytest.fixture(scope="module")
def mo_files(tmp_path_factory):
    """60 8-mers labeled on the SIX6/PAX6 pair (CSV: id, sequence, bind, pax6) and a config."""
    pair = get_oracle("tfpair-SIX6-PAX6")
    seqs = pair.sample_start(60, np.random.default_rng(5))
    y = pair(seqs)
    d = tmp_path_factory.mktemp("mo")
    csv = d / "two.csv"
    # the second column as the lab would measure it: PAX6 binding, to be minimized
    rows = "".join(
        f"s{i},{q},{float(y[i, 0])!r},{float(1 - y[i, 1])!r}\n" for i, q in enumerate(seqs)
    )
    csv.write_text("id,sequence,bind,pax6\n" + rows)
    cfg = d / "mo.toml"
    cfg.write_text(MO_CONFIG)
    return csv, cfg, seqs


@pytest.mark.parametrize(
    ("extra", "generator"),
    [
        ((), "mogfn"),
        (("--generator", "nsga2"), "nsga2"),
        (("--acquisition", "ehvi"), "gfn"),
        (("--generator", "exhaustive"), "exhaustive"),
        (("--generator", "exhaustive", "--acquisition", "ehvi"), "exhaustive"),
    ],
)
def test_round_with_two_objectives(tmp_path, cli, read_fasta, mo_files, extra, generator):
    csv, cfg, seqs = mo_files
    out = tmp_path / "p.fasta"
    res = cli(
        "round", csv, "-o", out, "-n", 15, "--config", cfg, "--budget", "fast",
        "--objective", "bind", "--objective", "pax6:min", "--seed", 1, *extra,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert f"generator {generator}" in res.stderr
    table = pd.read_csv(out.with_suffix(".csv"))
    for col in ("pred_bind", "pred_bind_std", "pred_pax6", "pred_pax6_std", "pareto_rank"):
        assert col in table.columns, col
    assert len(table) == 15 and table["sequence"].nunique() == 15
    assert not set(table["sequence"]) & set(seqs)
    assert (table["pred_bind_std"] >= 0).all() and (table["pareto_rank"] >= 1).all()
    # best first: rank 1 rows come first, and rank 1 rows are not dominated (bind up, pax6 down)
    assert table["pareto_rank"].is_monotonic_increasing
    front = table[table["pareto_rank"] == 1][["pred_bind", "pred_pax6"]].to_numpy()
    for b, p in front:
        assert not (
            (front[:, 0] >= b) & (front[:, 1] <= p) & ((front[:, 0] > b) | (front[:, 1] < p))
        ).any()
    records = read_fasta(out)
    assert [r for r, _, _ in records] == list(table["id"])
    # the FASTA alone (-o -) keeps the trade-off: the rank and every prediction
    for (_, fields, _), (_, row) in zip(records, table.iterrows()):
        assert int(fields["pareto_rank"]) == row["pareto_rank"]
        for col in ("pred_bind", "pred_bind_std", "pred_pax6", "pred_pax6_std"):
            assert float(fields[col]) == pytest.approx(row[col], rel=1e-5, abs=1e-9)


def test_two_objective_options_are_checked(tmp_path, cli, assert_user_error, mo_files, tf_csv):
    csv, cfg, _ = mo_files
    out = tmp_path / "p.fasta"
    res = cli("round", csv, "-o", out, "-n", 5, "--config", cfg, "--acquisition", "ei")
    assert_user_error(res, out, "'ei' is for one objective")
    res = cli("round", tf_csv, "-o", out, "-n", 5, "--config", cfg, "--generator", "mogfn")
    assert_user_error(res, out, "needs several objectives")
    # the edit generator a parent cannot serve is the one named
    par = tmp_path / "par.fasta"
    par.write_text(">p\nACGTACGTA\n")
    res = cli(
        "round", csv, "-o", out, "-n", 5, "--config", cfg, "--generator", "mogfn-edit",
        "--parent", par, "--max-edits", 2, "-q",
    )  # fmt: skip
    assert_user_error(res, out, "generator 'mogfn-edit' edits by substitution", "use 'mogfn'")
    # an objective column with no value at all: named before anything is trained
    blank = tmp_path / "blank.csv"
    lines = csv.read_text().splitlines()
    blank.write_text("\n".join([lines[0]] + [r.rsplit(",", 1)[0] + "," for r in lines[1:]]) + "\n")
    res = cli(
        "round", blank, "-o", out, "-n", 5, "--config", cfg,
        "--objective", "bind", "--objective", "pax6:min",
    )  # fmt: skip
    assert_user_error(res, out, "blank.csv: objective 'pax6' has no value in any record")


def simulate_nsga2(cli, cfg, oracle, out, rounds, n, init):
    """A small simulate of ``oracle`` with NSGA-II on the proxy; asserts it succeeded."""
    res = cli(
        "simulate", "--oracle", oracle, "--rounds", rounds, "-n", n, "--init", init,
        "--budget", "fast", "--config", cfg, "--generator", "nsga2", "--out-dir", out,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    return res


def test_simulate_reports_hypervolume_of_the_true_front(tmp_path, cli, mo_files):
    out = tmp_path / "sim"
    simulate_nsga2(cli, mo_files[1], "tfpair-SIX6-PAX6", out, rounds=2, n=10, init=40)
    summary = pd.read_csv(out / "summary.csv")
    assert {"hypervolume", "hv_fraction"} <= set(summary.columns)
    pair = get_oracle("tfpair-SIX6-PAX6")
    true_hv = pair.true_hypervolume(pair.reference_point())
    np.testing.assert_allclose(summary["hv_fraction"], summary["hypervolume"] / true_hv, rtol=1e-4)
    assert summary["hypervolume"].is_monotonic_increasing  # cumulative over the campaign
    assert (summary["hv_fraction"] <= 1 + 1e-9).all()
    assert "hv_reference = [0.5, 0.5]" in (out / "settings.toml").read_text()
    assert "\nkappa = 0.5\n" in (out / "settings.toml").read_text()


@pytest.mark.parametrize(("pinned", "used"), [(None, "gfn-edit"), ("mogfn-edit", "mogfn-edit")])
def test_long_peptides_with_two_objectives_edit_the_measured_front(
    tmp_path, cli, read_fasta, pinned, used
):
    """MOGFN-AL's setting: from length 24, auto edits the measured front (lengths vary); so
    does the preference-conditioned edit GFlowNet."""
    rng = np.random.default_rng(4)
    letters = np.array(list("ACDEFGHIKLMNPQRSTVWY"))
    seqs = list(dict.fromkeys("".join(rng.choice(letters, n)) for n in rng.integers(12, 31, 40)))
    csv = tmp_path / "pep.csv"
    rows = "".join(
        f"p{i},{q},{q.count('K') / len(q)!r},{q.count('L') / len(q)!r}\n"
        for i, q in enumerate(seqs)
    )
    csv.write_text("id,sequence,charge,greasy\n" + rows)
    cfg = tmp_path / "mo.toml"
    cfg.write_text(MO_CONFIG)
    out = tmp_path / "p.fasta"
    res = cli(
        "round", csv, "-o", out, "-n", 6, "--config", cfg, "--budget", "fast",
        "--objective", "charge", "--objective", "greasy:min", "--seed", 2,
        *(["--generator", pinned] if pinned else []),
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert f"generator {used}" in res.stderr
    designs = [q for _, _, q in read_fasta(out)]
    assert len(designs) == 6 and not set(designs) & set(seqs)
    hops = MultiObjectiveSettings().front_hops
    for q in designs:  # front_hops hops of round(0.1 * median length) substitutions
        same = [p for p in seqs if len(p) == len(q)]
        assert same and min(sum(a != b for a, b in zip(q, p)) for p in same) <= hops * 3
    assert "pareto_rank" in pd.read_csv(out.with_suffix(".csv")).columns


def test_objective_names_that_would_mislabel_a_column_are_refused(
    tmp_path, cli, assert_user_error, mo_files
):
    csv, cfg, _ = mo_files
    out = tmp_path / "p.fasta"
    # 'a' and 'a_std' would both write pred_a_std in the sidecar: refused before training
    lines = csv.read_text().splitlines()
    clash = tmp_path / "clash.csv"
    clash.write_text("\n".join(["id,sequence,a,a_std", *lines[1:]]) + "\n")
    res = cli("round", clash, "-o", out, "-n", 5, "--config", cfg)
    assert_user_error(
        res, out, "clash.csv: objectives 'a' and 'a_std' would both write the column 'pred_a_std'"
    )
    res = cli(
        "round",
        clash,
        "-o",
        out,
        "-n",
        5,
        "--config",
        cfg,
        "--objective",
        "a",
        "--objective",
        "a_std",
    )
    assert_user_error(res, out, "--objective: objectives 'a' and 'a_std' would both write")
    # a name seqdesign writes itself is named as such, not as a missing column
    res = cli("round", csv, "-o", out, "-n", 5, "--objective", "proxy_mean", "--objective", "bind")
    assert_user_error(res, out, "objective 'proxy_mean' is a column seqdesign writes itself")
    # a campaign's tables add <name> and <name>_n, and rank
    for specs, message in [
        (("a", "a_n:min"), "objectives 'a' and 'a_n' would both write the column 'a_n'"),
        (("proxy_mean", "b"), "objective 'proxy_mean' is a column seqdesign writes itself"),
        (("rank", "b"), "objective 'rank' is a column seqdesign writes itself"),
    ]:
        root = tmp_path / f"camp_{specs[0]}"
        flags = [x for s in specs for x in ("--objective", s)]
        assert_user_error(cli("init", root, "--alphabet", "dna", *flags), None, message)
        assert not root.exists()


def test_the_settings_sidecar_keeps_the_objectives_and_their_directions(tmp_path, cli, mo_files):
    csv, cfg, _ = mo_files
    first, again = tmp_path / "first.fasta", tmp_path / "again.fasta"
    common = ("-n", 8, "--budget", "fast", "--generator", "exhaustive", "--seed", 3)
    res = cli(
        "round", csv, "-o", first, "--config", cfg, "--objective", "bind",
        "--objective", "pax6:min", *common,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    settings = first.with_suffix(".settings.toml")
    assert 'objective = ["bind:max", "pax6:min"]' in settings.read_text()
    assert "\nkappa = 0.5\n" in settings.read_text()  # resolved for two objectives
    # passed back without the flags, the same objectives the same way: the same designs
    res = cli("round", csv, "-o", again, "--config", settings, *common)
    assert res.exit_code == 0, res.stderr
    assert again.read_bytes() == first.read_bytes()
    assert again.with_suffix(".csv").read_bytes() == first.with_suffix(".csv").read_bytes()


def test_simulate_without_a_known_true_front_says_no_share_of_it(tmp_path, cli, mo_files):
    out = tmp_path / "ng"
    res = simulate_nsga2(cli, mo_files[1], "ngrams-AV-VC", out, rounds=1, n=5, init=20)
    assert "round 1: hypervolume" in res.stderr and "true front" not in res.stderr
    assert pd.read_csv(out / "summary.csv")["hv_fraction"].isna().all()


def test_a_settings_sidecar_with_a_colon_in_a_name_still_reads_back(tmp_path, cli, mo_files):
    """A column named 'bind:1h' is recorded as 'bind:1h:max' (the direction follows the last
    ':') and the sidecar passed back models the same objectives."""
    csv, cfg, _ = mo_files
    lines = csv.read_text().splitlines()
    colon = tmp_path / "colon.csv"
    colon.write_text("\n".join(["id,sequence,bind:1h,pax6", *lines[1:]]) + "\n")
    first, again = tmp_path / "first.fasta", tmp_path / "again.fasta"
    common = ("-n", 5, "--budget", "fast", "--generator", "exhaustive", "--seed", 2)
    assert cli("round", colon, "-o", first, "--config", cfg, *common).exit_code == 0
    settings = first.with_suffix(".settings.toml")
    assert tomllib.loads(settings.read_text())["objective"] == ["bind:1h:max", "pax6:max"]
    res = cli("round", colon, "-o", again, "--config", settings, *common)
    assert res.exit_code == 0, res.stderr
    assert again.read_bytes() == first.read_bytes()
