"""`seqdesign round` with design constraints: every proposal meets all of them at once; errors."""

from __future__ import annotations

import itertools
import re
import sys

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PARENT = "ACGTTGCA"
ALL = [
    "--fixed", "1-2:AC",
    "--allowed", "5:GTC",
    "--allowed", "8:ACG",
    "--forbid", "CCNGG",
    "--forbid-regex", "TA.A",
    "--forbid-site", "EcoRI,DraI",
    "--forbid-site", "BsaI",
    "--gc", "0.25-0.75",
    "--gc-window", "4:0-0.75",
    "--max-homopolymer", "2",
    "--max-edits", "5",
]  # fmt: skip
COMP = str.maketrans("ACGT", "TGCA")


def meets_all(q: str) -> list[str]:
    """The rules of ALL that ``q`` breaks, checked independently of seqdesign."""
    rc = q.translate(COMP)[::-1]
    gc = [x in "GC" for x in q]
    broken = {
        "fixed": q[:2] != "AC",
        "allowed": q[4] not in "GTC" or q[7] not in "ACG",
        "forbid": any(re.search(r"CC[ACGT]GG", s) for s in (q, rc)),
        "regex": any(re.search("TA.A", s) for s in (q, rc)),
        "sites": any(m in s for m in ("GAATTC", "TTTAAA", "GGTCTC") for s in (q, rc)),
        "gc": not 0.25 <= sum(gc) / len(q) <= 0.75,
        "gc_window": any(sum(gc[i : i + 4]) > 3 for i in range(len(q) - 3)),
        "homopolymer": max(len(list(g)) for _, g in itertools.groupby(q)) > 2,
        "edits": sum(a != b for a, b in zip(q, PARENT)) > 5,
    }
    return [k for k, v in broken.items() if v]


@pytest.fixture()
def parent_fasta(tmp_path, write_fasta):
    return write_fasta(tmp_path / "wt.fasta", [("wt", "", PARENT)])


@pytest.mark.parametrize("generator", ["gfn", "evolution", "random", "exhaustive"])
def test_every_proposal_meets_every_constraint(
    tmp_path, run_round, read_fasta, tf_fasta, tf_labeled, parent_fasta, generator
):
    out = tmp_path / "out.fasta"
    res = run_round(
        tf_fasta, out, 10, "--generator", generator, *ALL, "--parent", parent_fasta, "-q"
    )
    assert res.exit_code == 0, res.stderr
    seqs = [q for _, _, q in read_fasta(out)]
    assert len(seqs) == len(set(seqs)) == 10
    assert not set(seqs) & set(tf_labeled[0])
    assert {q: meets_all(q) for q in seqs if meets_all(q)} == {}
    # the labeled data break the rules: the constraints did the work, not the data
    assert sum(bool(meets_all(q)) for q in tf_labeled[0]) > 50
    written = tomllib.loads(out.with_suffix(".settings.toml").read_text())["constraints"]
    assert written["fixed"] == ["1-2:AC"] and written["parents"] == [PARENT]
    assert written["forbid_site"] == ["EcoRI", "DraI", "BsaI"] and written["max_edits"] == 5


def test_config_table_equals_flags_and_settings_replay(
    tmp_path, cli, small_config, run_round, tf_fasta, parent_fasta
):
    flags = tmp_path / "flags.fasta"
    res = run_round(tf_fasta, flags, 6, *ALL, "--parent", parent_fasta, "--seed", 5, "-q")
    assert res.exit_code == 0, res.stderr
    config = tmp_path / "c.toml"
    config.write_text(
        small_config.read_text()
        + """
[constraints]
fixed = "1-2:AC"
allowed = ["5:GTC", "8:ACG"]
forbid = "CCNGG"
forbid_regex = ["TA.A"]
forbid_site = "EcoRI, DraI, BsaI"
gc = [0.25, 0.75]
gc_window = "4:0-0.75"
max_homopolymer = 2
parent = "wt.fasta"
max_edits = 5
"""
    )
    table = tmp_path / "table.fasta"
    common = ["-n", 6, "--budget", "fast", "--generator", "random", "--seed", 5, "-q"]
    res = cli("round", tf_fasta, "-o", table, "--config", config, *common)
    assert res.exit_code == 0, res.stderr
    assert table.read_bytes() == flags.read_bytes()
    # the written settings, given back as --config, replay the round byte for byte
    replay = tmp_path / "replay.fasta"
    res = cli(
        "round", tf_fasta, "-o", replay, "--config", flags.with_suffix(".settings.toml"), *common
    )
    assert res.exit_code == 0, res.stderr
    assert replay.read_bytes() == flags.read_bytes()


@pytest.mark.parametrize(
    "args,mentions",
    [
        (["--fixed", "1-3:ACZ"], ["--fixed 1-3:ACZ", "Z", "dna"]),
        (["--fixed", "9:A"], ["--fixed 9:A", "beyond the maximum length 8"]),
        (["--fixed", "3-8:GGTCTC", "--forbid-site", "BsaI"], ["GGTCTC", "BsaI"]),
        (["--fixed", "1-4:GCGC", "--gc", "0.1-0.4"], ["--gc 0.1-0.4", "--fixed 1-4:GCGC"]),
        (["--fixed", "2:A", "--allowed", "1-3:CG"], ["--fixed 2:A", "--allowed 1-3:CG"]),
        (["--fixed", "1-3:AAA", "--max-homopolymer", "2"], ["AAA", "--max-homopolymer 2"]),
        (["--gc", "0.6-0.4"], ["--gc", "above the maximum"]),
        (["--gc", "lots"], ["--gc", "MIN-MAX"]),
        (["--gc-window", "20"], ["--gc-window", "WIDTH:MIN-MAX"]),
        (["--fixed", "1-3"], ["--fixed", "START-END:LETTERS"]),
        (["--forbid-site", "NoSuchI"], ["--forbid-site", "NoSuchI", "EcoRI"]),
        (["--forbid-regex", "[AC"], ["--forbid-regex", "not a valid"]),
        (["--forbid", "GGZ"], ["--forbid", "IUPAC"]),
        (["--max-edits", "2"], ["--parent", "--max-edits"]),
    ],
)
def test_bad_constraints_exit_2_naming_them(
    tmp_path, run_round, tf_fasta, assert_user_error, args, mentions
):
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(tf_fasta, out, 4, *args), out, *mentions)


def test_parent_errors_exit_2(tmp_path, run_round, tf_fasta, write_fasta, assert_user_error):
    out = tmp_path / "out.fasta"
    rna = write_fasta(tmp_path / "rna.fasta", [("p", "", "ACGUUGCA")])
    assert_user_error(
        run_round(tf_fasta, out, 4, "--parent", rna, "--max-edits", 2), out, "rna.fasta", "U"
    )
    short = write_fasta(tmp_path / "short.fasta", [("p", "", "ACGT")])
    assert_user_error(
        run_round(tf_fasta, out, 4, "--parent", short, "--max-edits", 2),
        out,
        "--max-edits 2",
        "length range 8-8",
    )
    far = write_fasta(tmp_path / "far.fasta", [("p", "", "TTTTTTTT")])
    assert_user_error(
        run_round(tf_fasta, out, 4, "--parent", far, "--max-edits", 1, "--fixed", "1-2:AC"),
        out,
        "--max-edits 1",
        "fixed/allowed",
    )


def test_too_few_feasible_sequences_names_the_constraints(
    tmp_path, run_round, tf_fasta, assert_user_error
):
    out = tmp_path / "out.fasta"
    res = run_round(tf_fasta, out, 5, "--fixed", "1-7:ACGTACG", "--max-homopolymer", "2", "-q")
    assert_user_error(res, out, "--fixed 1-7:ACGTACG", "--max-homopolymer 2", "4")


def test_a_simulated_campaign_with_every_constraint_on(
    tmp_path, cli, small_config, tf_fasta, read_fasta, parent_fasta
):
    """init stores ALL; three rounds of round DIR / oracle / ingest never break one of them."""
    root = tmp_path / "camp"
    res = cli(
        "init", root, "--alphabet", "dna", "--length", 8, "--objective", "binding",
        "--config", small_config, *ALL, "--parent", parent_fasta,
    )  # fmt: skip
    assert res.exit_code == 0, res.stderr
    assert cli("ingest", root, tf_fasta).exit_code == 0
    proposed: list[str] = []
    for r, generator in zip((1, 2, 3), ("gfn", "evolution", "random")):
        res = cli("round", root, "-n", 10, "--budget", "fast", "--generator", generator, "-q")
        assert res.exit_code == 0, res.stderr
        fasta = root / "rounds" / f"round_{r:03d}.fasta"
        seqs = [q for _, _, q in read_fasta(fasta)]
        assert len(seqs) == 10 and not set(seqs) & set(proposed)
        assert {q: meets_all(q) for q in seqs if meets_all(q)} == {}
        proposed += seqs
        measured = tmp_path / f"m{r}.fasta"
        assert cli("oracle", "tfbind8", fasta, "-o", measured).exit_code == 0
        assert cli("ingest", root, measured).exit_code == 0
