"""Campaigns from the command line: init / round DIR / oracle / ingest / status / report / export."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
from matplotlib.image import imread

from seqdesign.campaign import CampaignLock

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FAST = ["--budget", "fast", "--generator", "random"]


def ledger_counts(root: Path) -> dict[str, int]:
    conn = sqlite3.connect(root / "ledger.sqlite")
    out = {
        t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
        for t in ("sequences", "measurements", "sources", "rounds", "proposals", "round_files")
    }
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    return out


@pytest.fixture()
def campaign(tmp_path, cli, small_config, tf_fasta):
    """A DNA campaign (length 8, objective binding) holding the 60 labeled TFBind8 8-mers."""
    root = tmp_path / "camp"
    res = cli(
        "init", root, "--alphabet", "dna", "--length", 8, "--objective", "binding",
        "--seed", 5, "--config", small_config,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    res = cli("ingest", root, tf_fasta)
    assert res.exit_code == 0, res.stderr
    assert "60 records, 60 measurements added" in res.stderr
    assert "flagged: 60 measured sequence(s) never proposed" in res.stderr
    return root


def test_a_simulated_campaign_of_five_rounds(tmp_path, cli, campaign, read_fasta, tf_labeled):
    root = campaign
    proposed: list[str] = []
    for r in (1, 2, 3, 4, 5):
        res = cli("round", root, "-n", 8, *FAST, "-q")
        assert res.exit_code == 0, res.stderr
        fasta = root / "rounds" / f"round_{r:03d}.fasta"
        records = read_fasta(fasta)
        assert [i for i, _, _ in records] == [f"sd_r{r}_{i:04d}" for i in range(1, 9)]
        seqs = [q for _, _, q in records]
        assert not set(seqs) & (set(proposed) | set(tf_labeled[0]))  # never re-proposed
        proposed += seqs
        settings = tomllib.loads(fasta.with_suffix(".settings.toml").read_text())
        assert settings["round"] == r and settings["input"] == "campaign"
        assert "heldout_spearman" in settings["proxy_metrics"]
        measured = tmp_path / f"measured_{r}.fasta"
        res = cli("oracle", "tfbind8-SIX6_REF_R1", fasta, "-o", measured)
        assert res.exit_code == 0, res.stderr
        res = cli("ingest", root, measured)
        assert res.exit_code == 0, res.stderr
        assert "8 match proposals" in res.stderr and "flagged" not in res.stderr
    assert len(set(proposed)) == 40
    counts = ledger_counts(root)
    assert counts["measurements"] == 60 + 40 and counts["rounds"] == 5
    assert counts["proposals"] == 40 and counts["sources"] == 6

    res = cli("status", root)
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    body = [ln for ln in lines if ln.startswith("│")]
    assert len(body) == 6  # the not-proposed data, then rounds 1-5
    assert [ln.split("│")[1].strip() for ln in body] == ["-", "1", "2", "3", "4", "5"]
    assert all(ln.split("│")[5].strip() == "8" for ln in body[1:])  # measured per round
    assert "60 measured but never proposed" in res.stdout
    from seqdesign.oracles import get_oracle

    scores = get_oracle("tfbind8")(proposed + list(tf_labeled[0]))[:, 0]
    assert f"best binding: {scores.max():.4g}" in res.stdout

    res = cli("report", root)
    assert res.exit_code == 0, res.stderr
    report = root / "report"
    html = (report / "report.html").read_text()
    pngs = sorted(report.glob("*.png"))
    assert {p.name for p in pngs} == {
        "progress.png",
        "predicted_vs_measured.png",
        "distributions.png",
    }
    for p in pngs:
        assert f'src="{p.name}"' in html
        img = imread(p)
        assert img.shape[0] >= 300 and img.shape[1] >= 400, img.shape
        gray = img[..., :3].mean(axis=2)
        assert gray.std() > 0.05, f"{p.name} looks blank"
        assert (gray < 0.5).mean() > 0.005, f"{p.name} has almost nothing drawn"
    assert "<table" in html and "sd_r" in html  # the status table and the best sequence

    # export: a round's proposals as ordered, and every measurement with its provenance
    out = tmp_path / "order.fasta"
    assert cli("export", root, "--round", 2, "--format", "fasta", "-o", out).exit_code == 0
    assert out.read_text() == (root / "rounds" / "round_002.fasta").read_text()
    res = cli("export", root, "--format", "csv", "-o", "-")
    assert res.exit_code == 0, res.stderr
    rows = res.stdout.strip().splitlines()
    assert rows[0].split(",")[:5] == ["id", "sequence", "objective", "value", "replicate"]
    assert (
        len(rows) == 1 + 100 and sum(",3,sd_r3_" in r or r.startswith("sd_r3_") for r in rows) == 8
    )
    res = cli("export", root, "--format", "fasta", "-o", "-")
    assert res.stdout.count(">") == 100


def test_round_dir_merges_settings_and_excludes(tmp_path, cli, small_config, write_fasta):
    """A tiny space (16 DNA 2-mers): 4 measured + 4 excluded leaves exactly 8 to propose."""
    root = tmp_path / "tiny"
    cfg = tmp_path / "c.toml"
    cfg.write_text("budget = 'fast'\ngenerator = 'random'\n" + small_config.read_text())
    assert cli("init", root, "--alphabet", "dna", "--length", 2, "--objective", "y:min",
               "--config", cfg).exit_code == 0  # fmt: skip
    src = write_fasta(tmp_path / "m.fasta", [(f"m{i}", f"y={i}", q) for i, q in
                                              enumerate(["AA", "AC", "AG", "AT"])])  # fmt: skip
    assert cli("ingest", root, src).exit_code == 0
    excl = tmp_path / "ex.csv"
    excl.write_text("sequence\nCA\nCC\ncg\nCT\n")
    res = cli("round", root, "-n", 8, "--exclude", excl, "-q")  # budget and generator: stored
    assert res.exit_code == 0, res.stderr
    seqs = [ln for ln in (root / "rounds" / "round_001.fasta").read_text().split() if ">" not in ln]
    seqs = [q for q in seqs if "=" not in q]
    assert sorted(seqs) == sorted(a + b for a in "GT" for b in "ACGT")
    toml = tomllib.loads((root / "rounds" / "round_001.settings.toml").read_text())
    assert toml["generator"] == "random" and toml["budget"] == "fast"
    assert toml["objective"] == ["y:min"] and toml["proxy"]["hidden"] == 32
    assert toml["kappa"] == 0.1  # unset: resolved for one objective
    # the space is now used up: exit 2, and the ledger keeps round 1 only
    res = cli("round", root, "-n", 8, "-q")
    assert res.exit_code == 2 and "fewer than the 8 asked for" in res.stderr
    assert ledger_counts(root)["rounds"] == 1
    assert not list((root / "rounds").glob("*002*"))


def test_bad_input_is_one_line_and_changes_nothing(
    tmp_path, cli, campaign, assert_user_error, write_fasta
):
    before = ledger_counts(campaign)
    missing = tmp_path / "nowhere"
    for cmd in (["status"], ["round", "-n", 2], ["report"], ["export", "-o", tmp_path / "x.fa"]):
        args = [cmd[0], missing, *cmd[1:]]
        if cmd[0] == "round":  # a missing path is read as a labeled file
            assert_user_error(cli(*args, "-o", tmp_path / "o.fasta"), None, "nowhere")
            continue
        assert_user_error(cli(*args), None, f"campaign {missing}: no such folder")
    assert not missing.exists() and not (tmp_path / "x.fa").exists()

    plain = tmp_path / "plain"
    plain.mkdir()
    assert_user_error(cli("status", plain), None, "is not a seqdesign campaign", "seqdesign init")
    assert_user_error(cli("round", plain, "-n", 2), None, "is not a seqdesign campaign")
    assert list(plain.iterdir()) == []

    bad = write_fasta(tmp_path / "bad.fasta", [("a", "potency=1", "ACGTACGT")])
    assert_user_error(
        cli("ingest", campaign, bad), None, "bad.fasta: no measurements found",
        "at least one of the objectives binding", "the labels present are potency",
    )  # fmt: skip
    bad = write_fasta(tmp_path / "bad2.fasta", [("a", "binding=1", "ACGTACGU")])
    assert_user_error(
        cli("ingest", campaign, bad), None, "record 1 (a): letter(s) U not in the dna"
    )
    assert_user_error(
        cli("round", campaign, "-n", 2, "-o", tmp_path / "p.fasta"), tmp_path / "p.fasta",
        "a campaign round writes",
    )  # fmt: skip
    assert_user_error(cli("round", campaign, "-n", 2, "--alphabet", "rna"), None, "cannot change")
    assert_user_error(cli("round", campaign, "-n", 2, "--round", 4), None, "next round of campaign")
    assert_user_error(cli("export", campaign, "--round", 9, "-o", "-"), None, "has no rounds yet")
    assert_user_error(
        cli("init", campaign, "--alphabet", "dna", "--objective", "b"),
        None,
        "already holds a campaign",
    )
    assert ledger_counts(campaign) == before
    assert list((campaign / "rounds").iterdir()) == []

    with CampaignLock(campaign):
        err = assert_user_error(cli("ingest", campaign, bad), None)
    assert err == (
        f"seqdesign: error: campaign {campaign} is busy: another seqdesign process (pid "
        f"{__import__('os').getpid()}) holds its lock; wait for it to finish, or pass --wait SECONDS"
    )

    db = campaign / "ledger.sqlite"
    db.write_bytes(b"\x00garbage" * 512)
    for args in (["status", campaign], ["ingest", campaign, bad], ["round", campaign, "-n", 2]):
        assert_user_error(cli(*args), None, "ledger.sqlite: not a readable campaign ledger")
    assert list((campaign / "rounds").iterdir()) == []


def test_ingest_ignores_and_names_columns_that_are_not_objectives(
    tmp_path, cli, campaign, assert_user_error, write_fasta
):
    before = ledger_counts(campaign)
    lab = tmp_path / "plate7.csv"
    lab.write_text(
        "well,sequence,binding,notes,plate,bindnig\n"
        'A01,ACGTACGA,0.5,"smear, redo?",P7,0.4\n'
        'A02,ACGTACGC,,"no signal, empty well",P7,\n'
        'A03,ACGTACGG,0.25,"said ""fine"", 2nd try",P7,0.2\n'
    )
    res = cli("ingest", campaign, lab)
    assert res.exit_code == 0, res.stderr
    summary = [ln for ln in res.stderr.splitlines() if ln.startswith(f"{lab}: 3 records")]
    assert len(summary) == 1, res.stderr
    assert summary[0].endswith("ignored column(s): well, notes, plate, bindnig"), summary[0]
    after = ledger_counts(campaign)
    assert after["measurements"] == before["measurements"] + 2
    assert after["sequences"] == before["sequences"] + 3
    conn = sqlite3.connect(campaign / "ledger.sqlite")
    rows = conn.execute(
        "SELECT s.sequence, m.objective, m.value FROM measurements m "
        "JOIN sequences s ON s.id = m.sequence_id ORDER BY m.id DESC LIMIT 2"
    ).fetchall()
    conn.close()
    assert sorted(rows) == [("ACGTACGA", "binding", 0.5), ("ACGTACGG", "binding", 0.25)]

    fa = write_fasta(tmp_path / "more.fasta", [("m1", "binding=0.9 operator=jo", "ACGTACTT")])
    res = cli("ingest", campaign, fa)
    assert res.exit_code == 0, res.stderr
    assert "1 measurements added" in res.stderr and "ignored column(s): operator" in res.stderr
    plain = write_fasta(tmp_path / "plain.fa", [("z", "binding=1 note", "TTTTACGA")])
    res = cli("ingest", campaign, plain)  # free text without '=' is no column: nothing to say
    assert res.exit_code == 0 and "ignored" not in res.stderr, res.stderr

    only = tmp_path / "only_notes.csv"
    only.write_text('sequence,notes,plate\nACGTAAAA,"a, b",P1\n')
    before = ledger_counts(campaign)
    assert_user_error(
        cli("ingest", campaign, only), None, f"{only.name}: line 1: no measurements found",
        "at least one of the objectives binding", "the columns are sequence, notes, plate",
    )  # fmt: skip
    assert ledger_counts(campaign) == before


def test_round_without_a_campaign_still_needs_o(tmp_path, cli, tf_fasta, assert_user_error):
    assert_user_error(cli("round", tf_fasta, "-n", 2), None, "-o OUT is required")


def test_report_of_two_objectives_draws_the_pareto_front(tmp_path, cli, assert_user_error):
    root = tmp_path / "two"
    assert cli("init", root, "--alphabet", "dna", "--objective", "a", "--objective",
               "b:min").exit_code == 0  # fmt: skip
    assert_user_error(cli("round", root, "-n", 2), None, "a round needs at least 2")
    res = cli("status", root)
    assert res.exit_code == 0 and "best_so_far_a" in res.stdout and "0 rounds" in res.stdout
    rng = np.random.default_rng(0)
    rows = [
        f"s{i},{''.join(rng.choice(list('ACGT'), 6))},{a:.3f},{b:.3f}"
        for i, (a, b) in enumerate(rng.random((40, 2)))
    ]
    src = tmp_path / "m.csv"
    src.write_text("id,sequence,a,b\n" + "\n".join(rows) + "\n")
    assert cli("ingest", root, src).exit_code == 0
    res = cli("status", root, "-q")
    assert res.exit_code == 0 and "front_size" in res.stdout and "hypervolume" in res.stdout
    assert "0 rounds, " in res.stdout and "(80 measurements from 1 file);" in res.stdout
    out = tmp_path / "rep"
    res = cli("report", root, "-o", out)
    assert res.exit_code == 0, res.stderr
    img = imread(out / "pareto.png")
    assert img.shape[:2] == (480, 600) and img[..., :3].std() > 0.05
    assert 'src="pareto.png"' in (out / "report.html").read_text()


def test_a_round_names_the_campaign_and_an_objective_never_measured(
    tmp_path, cli, assert_user_error
):
    root = tmp_path / "two"
    assert cli("init", root, "--alphabet", "dna", "--objective", "a", "--objective",
               "b").exit_code == 0  # fmt: skip
    src = tmp_path / "only_a.csv"
    src.write_text("sequence,a\nACGTAC,1\nAAAAAA,2\nCCCCCC,3\n")
    assert cli("ingest", root, src).exit_code == 0
    assert_user_error(
        cli("round", root, "-n", 2), None,
        f"campaign {root}: objective 'b' has no value in any record",
    )  # fmt: skip
    assert not list((root / "rounds").glob("round_*"))


def test_status_prints_long_objective_names_in_full(tmp_path, cli):
    root = tmp_path / "long"
    names = ["binding_to_the_target_FOXC1", "off_target_binding_SIX6", "stability_score"]
    flags = [x for n in names for x in ("--objective", n)]
    assert cli("init", root, "--alphabet", "dna", *flags).exit_code == 0
    src = tmp_path / "m.csv"
    src.write_text("sequence," + ",".join(names) + "\nACGTAC,1,2,3\nAAAAAA,2,1,3\n")
    assert cli("ingest", root, src).exit_code == 0
    res = cli("status", root)
    assert res.exit_code == 0
    for n in names:
        assert f"best_so_far_{n}" in res.stdout
    assert "front_size" in res.stdout and "heldout_spearman" in res.stdout


def test_constraints_set_at_init_and_per_round_hold_for_every_proposal(
    tmp_path, cli, small_config, tf_fasta, read_fasta
):
    root = tmp_path / "camp"
    res = cli(
        "init", root, "--alphabet", "dna", "--length", 8, "--objective", "binding",
        "--config", small_config, "--fixed", "1-2:AC", "--max-homopolymer", 2,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert cli("ingest", root, tf_fasta).exit_code == 0
    res = cli("round", root, "-n", 12, "--budget", "fast", "--generator", "evolution", "-q")
    assert res.exit_code == 0, res.stderr
    seqs = [q for _, _, q in read_fasta(root / "rounds" / "round_001.fasta")]
    assert len(seqs) == 12
    for q in seqs:
        assert q.startswith("AC"), q
        assert not any(c * 3 in q for c in "ACGT"), q
    settings = tomllib.loads((root / "rounds" / "round_001.settings.toml").read_text())
    assert settings["constraints"]["fixed"] == ["1-2:AC"]
    # a round adds its own rule on top of the campaign's
    res = cli("round", root, "-n", 12, *FAST, "-q", "--forbid", "CG")
    assert res.exit_code == 0, res.stderr
    for q in (q for _, _, q in read_fasta(root / "rounds" / "round_002.fasta")):
        assert q.startswith("AC") and "CG" not in q, q


def test_an_infeasible_constraint_set_at_init_is_refused(tmp_path, cli, assert_user_error):
    root = tmp_path / "camp"
    res = cli(
        "init", root, "--alphabet", "dna", "--length", 8, "--objective", "b",
        "--fixed", "1-6:GGTCTC", "--forbid-site", "BsaI",
    )  # fmt: skip
    assert_user_error(res, None, "BsaI")
    assert not (root / "ledger.sqlite").exists()


def test_round_ids_skip_ids_that_outside_records_already_use(
    tmp_path, cli, campaign, read_fasta, write_fasta
):
    """A standalone round's output (ids sd_r1_*) ingested before the campaign's round 1."""
    outside = write_fasta(
        tmp_path / "standalone.fasta",
        [("sd_r1_0001", "binding=0.5", "ACGTACGA"), ("sd_r1_0003", "binding=0.4", "ACGTACGC")],
    )
    assert cli("ingest", campaign, outside).exit_code == 0
    res = cli("round", campaign, "-n", 4, *FAST, "-q")
    assert res.exit_code == 0, res.stderr
    ids = [i for i, _, _ in read_fasta(campaign / "rounds" / "round_001.fasta")]
    assert ids == ["sd_r1_0002", "sd_r1_0004", "sd_r1_0005", "sd_r1_0006"]
    res = cli("export", campaign, "--format", "csv", "-o", "-")
    assert res.exit_code == 0, res.stderr
    rows = [r.split(",") for r in res.stdout.strip().splitlines()[1:]]
    by_id: dict[str, set[str]] = {}
    for r in rows:
        by_id.setdefault(r[0], set()).add(r[1])
    assert by_id["sd_r1_0001"] == {"ACGTACGA"} and by_id["sd_r1_0003"] == {"ACGTACGC"}
    # the outside sequence can be measured again under its own id
    again = write_fasta(tmp_path / "again.fasta", [("sd_r1_0001", "binding=0.6", "ACGTACGA")])
    res = cli("ingest", campaign, again)
    assert res.exit_code == 0, res.stderr


def test_round_ids_skip_ids_of_outside_records_listed_without_a_value(
    tmp_path, cli, campaign, read_fasta, write_fasta
):
    """sd_r1_0002 was listed without a value (a failed assay): no round gives its id away."""
    outside = write_fasta(
        tmp_path / "standalone.fasta",
        [("sd_r1_0001", "binding=0.5", "ACGTACGA"), ("sd_r1_0002", "binding=NA", "ACGTACGC")],
    )
    res = cli("ingest", campaign, outside)
    assert res.exit_code == 0, res.stderr
    assert "1 without a value" in res.stderr
    res = cli("round", campaign, "-n", 3, *FAST, "-q")
    assert res.exit_code == 0, res.stderr
    got = read_fasta(campaign / "rounds" / "round_001.fasta")
    assert [i for i, _, _ in got] == ["sd_r1_0003", "sd_r1_0004", "sd_r1_0005"]
    assert "ACGTACGC" not in {q for _, _, q in got}  # known, so never proposed either


def test_an_outside_id_given_to_another_sequence_is_kept_with_a_warning(
    tmp_path, cli, campaign, write_fasta, read_fasta
):
    first = write_fasta(tmp_path / "a.fasta", [("well_A1", "binding=0.5", "ACGTACGA")])
    assert cli("ingest", campaign, first).exit_code == 0
    second = write_fasta(
        tmp_path / "b.fasta",
        [("well_A1", "binding=0.7", "TTGTACGA"), ("well_A2", "binding=0.1", "ACGTACGA")],
    )
    res = cli("ingest", campaign, second)
    assert res.exit_code == 0, res.stderr
    assert (
        "b.fasta: warning: id well_A1 names TTGTACGA here but ACGTACGA in an earlier record; "
        "both are kept (exports give each sequence one id, suffixed _2, _3, ... where two "
        "share one)"
    ) in res.stderr
    res = cli("export", campaign, "--format", "csv", "-o", "-")
    header, *lines = res.stdout.strip().splitlines()
    col = header.split(",").index("record_id")
    rows = {(r.split(",")[0], r.split(",")[1], r.split(",")[col]) for r in lines}
    assert {r for r in rows if r[2] == "well_A1"} == {
        ("well_A1", "ACGTACGA", "well_A1"),
        ("well_A1_2", "TTGTACGA", "well_A1"),
    }
    # the FASTA export stays valid input: one id per sequence
    res = cli("export", campaign, "-o", tmp_path / "all.fasta")
    assert res.exit_code == 0, res.stderr
    got = {i: q for i, _, q in read_fasta(tmp_path / "all.fasta")}
    assert got["well_A1"] == "ACGTACGA" and got["well_A1_2"] == "TTGTACGA"
    out = tmp_path / "again.fasta"
    res = cli("round", tmp_path / "all.fasta", "-o", out, "-n", 2, *FAST, "-q")
    assert res.exit_code == 0, res.stderr
    # the same id for the same sequence again (a replicate) is no clash
    third = write_fasta(tmp_path / "c.fasta", [("well_A1", "binding=0.6", "ACGTACGA")])
    res = cli("ingest", campaign, third)
    assert res.exit_code == 0 and "warning" not in res.stderr, res.stderr


def test_a_standalone_round_never_reuses_an_input_id(tmp_path, cli, tf_fasta, read_fasta):
    """An explicit --round whose ids the input already holds (one on a replicate)."""
    src = tmp_path / "in.fasta"
    text = tf_fasta.read_text()
    first = text.splitlines()[1]  # tf_000's sequence, measured again as sd_r2_0002
    src.write_text(text.replace(">tf_000 ", ">sd_r2_0001 ") + f">sd_r2_0002 binding=0.1\n{first}\n")
    out = tmp_path / "out.fasta"
    res = cli("round", src, "-o", out, "-n", 3, "--round", 2, *FAST, "-q")
    assert res.exit_code == 0, res.stderr
    assert [i for i, _, _ in read_fasta(out)] == ["sd_r2_0003", "sd_r2_0004", "sd_r2_0005"]


def test_ingesting_the_campaigns_own_export_warns_that_values_count_twice(
    tmp_path, cli, campaign, write_fasta
):
    export = tmp_path / "export.fasta"
    assert cli("export", campaign, "--format", "fasta", "-o", export).exit_code == 0
    res = cli("ingest", campaign, export)
    assert res.exit_code == 0, res.stderr
    assert "warning: 60 of 60 measured records repeat" in res.stderr
    assert ledger_counts(campaign)["measurements"] == 120  # replicates, as the warning says
    # new values for the same sequences (a genuine replicate run) raise no warning, nor does
    # a file where only a few values happen to repeat
    seqs = [ln for ln in export.read_text().splitlines() if not ln.startswith(">")]
    fresh = write_fasta(tmp_path / "rep.fasta", [(f"r{i}", f"binding={i + 0.123}", q)
                                                 for i, q in enumerate(seqs[:3])])  # fmt: skip
    res = cli("ingest", campaign, fresh)
    assert res.exit_code == 0 and "warning" not in res.stderr, res.stderr
    first = export.read_text().split("\n", 2)
    mixed = tmp_path / "mixed.fasta"
    mixed.write_text("\n".join(first[:2]) + "\n" + fresh.read_text().replace("23", "45"))
    res = cli("ingest", campaign, mixed)
    assert res.exit_code == 0 and "warning" not in res.stderr, res.stderr
    # replicates within one file are not repeats of an earlier file
    twice = write_fasta(tmp_path / "twice.fasta", [("n1", "binding=0.5", "AAAACCCC")] * 2)
    res = cli("ingest", campaign, twice)
    assert res.exit_code == 0 and "warning" not in res.stderr, res.stderr
    # with replicates, the export writes each sequence's mean: re-ingesting it warns too
    export2 = tmp_path / "export2.fasta"
    assert cli("export", campaign, "--format", "fasta", "-o", export2).exit_code == 0
    assert export2.read_text() != export.read_text()
    res = cli("ingest", campaign, export2)
    assert res.exit_code == 0, res.stderr
    assert "warning: 61 of 61 measured records repeat" in res.stderr
