"""Every labeled-input rule of CLI.md, through the real `seqdesign round` command.

Most tests use DNA 2-mers: the space holds 16 sequences, so when the input holds 12 of them and
`-n 4` is asked, the proposals must be exactly the 4 others. That pins down what the parser
counted as "already in LABELED" (case, whitespace, unlabeled rows, replicates).
"""

from __future__ import annotations

import csv
import io
import itertools
from pathlib import Path

import pandas as pd
import pytest

ALL_2MERS = ["".join(t) for t in itertools.product("ACGT", repeat=2)]
KNOWN = ALL_2MERS[:12]
FREE = set(ALL_2MERS[12:])  # the last four in ACGT order: TA, TC, TG, TT


def proposals(read_fasta, path: Path) -> list[str]:
    return [seq for _, _, seq in read_fasta(path)]


def table_text(rows: list[list[str]], sep: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator="\n").writerows(rows)
    return buf.getvalue()


def known_records() -> list[tuple[str, str, float]]:
    return [(f"k{i:02d}", q, float(i % 5) + 0.25 * (q.count("G"))) for i, q in enumerate(KNOWN)]


def as_fasta() -> str:
    return "".join(f">{rid} activity={y}\n{q}\n" for rid, q, y in known_records())


def as_table(sep: str) -> str:
    rows = [["id", "sequence", "activity"]] + [[rid, q, str(y)] for rid, q, y in known_records()]
    return table_text(rows, sep)


def test_free_set_is_what_the_tests_assume():
    assert FREE == {"TA", "TC", "TG", "TT"}


@pytest.mark.parametrize(
    "fmt,via_stdin",
    [
        ("fasta", False),
        ("csv", False),
        ("tsv", False),
        ("fasta", True),
        ("csv", True),
        ("tsv", True),
    ],
)
def test_fasta_csv_tsv_files_and_stdin(tmp_path, run_round, read_fasta, fmt, via_stdin):
    text = as_fasta() if fmt == "fasta" else as_table("," if fmt == "csv" else "\t")
    out = tmp_path / "out.fasta"
    if via_stdin:
        res = run_round("-", out, 4, input=text)
    else:
        src = tmp_path / f"in.{fmt}"
        src.write_text(text)
        res = run_round(src, out, 4)
    assert res.exit_code == 0, res.stderr
    assert set(proposals(read_fasta, out)) == FREE
    settings = (tmp_path / "out.settings.toml").read_text()
    assert ('input = "<stdin>"' in settings) == via_stdin


def test_letters_case_insensitive_whitespace_ignored_replicates_merged(
    tmp_path, run_round, read_fasta
):
    # the 12 known 2-mers, written in mixed case, split by spaces and tabs, some repeated
    lines = []
    for i, (rid, q, y) in enumerate(known_records()):
        shown = q.lower() if i % 2 else q
        shown = f" {shown[0]} \t{shown[1]} " if i % 3 == 0 else shown
        lines.append(f">{rid} activity={y}\n{shown}\n")
    lines.append(f">rep1 activity=9\n{KNOWN[0].lower()}\n")  # a replicate of k00
    lines.append(f">rep2 activity=NA\n{KNOWN[1]}\n")  # a replicate without a measurement
    src = tmp_path / "mixed.fasta"
    src.write_text("".join(lines))
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 4)
    assert res.exit_code == 0, res.stderr
    got = proposals(read_fasta, out)
    assert set(got) == FREE  # lower-case and spaced inputs were recognized as the known 2-mers
    assert all(q == q.upper() for q in got)


@pytest.mark.parametrize("missing", ["", "nan", "NA"])
def test_unmeasured_rows_are_kept_as_known_sequences(tmp_path, run_round, read_fasta, missing):
    rows = [["sequence", "activity"]]
    rows += [[q, str(i)] for i, q in enumerate(KNOWN[:8])]
    rows += [[q, missing] for q in KNOWN[8:]]  # sequenced, not measured
    src = tmp_path / "partial.csv"
    src.write_text(table_text(rows, ","))
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 4)
    assert res.exit_code == 0, res.stderr
    assert set(proposals(read_fasta, out)) == FREE  # never re-proposes an unmeasured known one
    # min_dist_to_labeled is measured against the measured sequences
    table = pd.read_csv(out.with_suffix(".csv"))
    assert (table["min_dist_to_labeled"] >= 1).all()


def test_unmeasured_rows_count_against_the_space(tmp_path, run_round, assert_user_error):
    rows = [["sequence", "activity"]] + [
        [q, str(i) if i < 8 else "NA"] for i, q in enumerate(KNOWN)
    ]
    src = tmp_path / "partial.csv"
    src.write_text(table_text(rows, ","))
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 5, "-q")
    assert_user_error(res, out, "16", "fewer than the 5")


@pytest.mark.parametrize(
    "transform,alphabet,letters",
    [
        (lambda q: q, "dna", set("ACGT")),
        (lambda q: q.replace("T", "U"), "rna", set("ACGU")),
    ],
)
def test_alphabet_is_inferred_from_the_letters(
    tmp_path, run_round, read_fasta, tf_labeled, transform, alphabet, letters
):
    seqs, y = tf_labeled
    src = tmp_path / "in.fasta"
    src.write_text(
        "".join(f">s{i} y={v}\n{transform(q)}\n" for i, (q, v) in enumerate(zip(seqs, y)))
    )
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 8)
    assert res.exit_code == 0, res.stderr
    got = proposals(read_fasta, out)
    assert len(got) == 8
    assert set("".join(got)) <= letters
    assert set("".join(got)) & (letters - set("ACG"))  # T for DNA, U for RNA: it is not protein
    assert not set(got) & {transform(q) for q in seqs}


def test_protein_is_inferred(tmp_path, run_round, read_fasta):
    base = "MKTAYIAKQR"
    aas = "ACDEFGHIKLMNPQRSTVWY"
    seqs = sorted({base[:i] + a + base[i + 1 :] for i in range(10) for a in aas[::3]})[:40]
    src = tmp_path / "prot.fasta"
    src.write_text(
        "".join(f">p{i} activity={(i * 7) % 13 / 13}\n{q}\n" for i, q in enumerate(seqs))
    )
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 5)
    assert res.exit_code == 0, res.stderr
    got = proposals(read_fasta, out)
    assert len(got) == 5 and all(len(q) == 10 and set(q) <= set(aas) for q in got)
    assert not set(got) & set(seqs)


def test_only_acg_is_ambiguous_and_alphabet_flag_resolves_it(
    tmp_path, run_round, read_fasta, assert_user_error
):
    seqs = ["".join(t) for t in itertools.product("ACG", repeat=4)][:30]
    src = tmp_path / "acg.fasta"
    src.write_text("".join(f">s{i} y={i % 7}\n{q}\n" for i, q in enumerate(seqs)))
    out = tmp_path / "out.fasta"
    err = assert_user_error(run_round(src, out, 4), out, "acg.fasta", "--alphabet")
    assert "ACG" in err
    res = run_round(src, out, 4, "--alphabet", "rna")
    assert res.exit_code == 0, res.stderr
    got = proposals(read_fasta, out)
    assert set("".join(got)) <= set("ACGU") and not set(got) & set(seqs)


def test_annotation_keys_in_headers_are_not_objectives(tmp_path, run_round, tf_labeled):
    # a previous round's output, labeled afterwards: only `binding` is a measurement
    seqs, y = tf_labeled
    src = tmp_path / "round1_labeled.fasta"
    src.write_text(
        "".join(
            f">sd_r1_{i + 1:04d} proxy_mean=0.5 proxy_std=0.1 acquisition=0.6 min_dist_to_labeled=2 "
            f"pred_binding=0.4 binding={v}\n{q}\n"
            for i, (q, v) in enumerate(zip(seqs, y))
        )
    )
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 4)
    assert res.exit_code == 0, res.stderr
    cols = list(pd.read_csv(out.with_suffix(".csv")).columns)
    assert [c for c in cols if c.startswith("pred_")] == ["pred_binding", "pred_binding_std"]


def test_annotation_columns_in_tables_are_not_objectives(tmp_path, run_round, tf_labeled):
    seqs, y = tf_labeled
    rows = [
        [
            "id",
            "sequence",
            "proxy_mean",
            "proxy_std",
            "acquisition",
            "min_dist_to_labeled",
            "pred_binding",
            "pred_binding_std",
            "binding",
        ]
    ]
    rows += [
        [f"x{i}", q, "0.5", "0.1", "0.6", "2", "0.4", "0.1", str(v)]
        for i, (q, v) in enumerate(zip(seqs, y))
    ]
    src = tmp_path / "labeled.csv"
    src.write_text(table_text(rows, ","))
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 4)
    assert res.exit_code == 0, res.stderr
    cols = list(pd.read_csv(out.with_suffix(".csv")).columns)
    assert [c for c in cols if c.startswith("pred_")] == ["pred_binding", "pred_binding_std"]


def test_every_labeled_column_is_an_objective_by_default_and_objective_selects(
    tmp_path, run_round, tf_labeled
):
    seqs, y = tf_labeled
    rows = [["sequence", "activity", "stability"]]
    rows += [[q, str(v), str(-v + (i % 3))] for i, (q, v) in enumerate(zip(seqs, y))]
    src = tmp_path / "two.csv"
    src.write_text(table_text(rows, ","))
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 4)
    assert res.exit_code == 0, res.stderr
    cols = list(pd.read_csv(out.with_suffix(".csv")).columns)
    assert {"pred_activity", "pred_stability"} <= set(cols)
    res = run_round(src, out, 4, "--objective", "stability:min")
    assert res.exit_code == 0, res.stderr
    cols = list(pd.read_csv(out.with_suffix(".csv")).columns)
    assert "pred_stability" in cols and "pred_activity" not in cols


def test_a_column_named_with_a_colon_takes_its_direction_after_it(
    tmp_path, run_round, tf_labeled, assert_user_error
):
    seqs, y = tf_labeled
    rows = [["sequence", "tox:min"]] + [[q, str(v)] for q, v in zip(seqs, y)]
    src = tmp_path / "tox.csv"
    src.write_text(table_text(rows, ","))
    out = tmp_path / "out.fasta"
    assert_user_error(
        run_round(src, out, 4, "--objective", "tox:min"),
        out,
        "tox.csv: line 1: objective column 'tox' not found",
        "--objective 'tox:min:max'",
    )
    res = run_round(src, out, 4, "--objective", "tox:min:min")
    assert res.exit_code == 0, res.stderr
    settings = out.with_suffix(".settings.toml")
    assert 'objective = ["tox:min:min"]' in settings.read_text()
    table = pd.read_csv(out.with_suffix(".csv"))
    assert "pred_tox:min" in table.columns
    # the settings file passed back reads the same objective, minimized
    again = tmp_path / "again.fasta"
    res = run_round(src, again, 4, "--config", settings)
    assert res.exit_code == 0, res.stderr
    assert again.read_text() == out.read_text()


def test_objective_reads_only_the_named_columns_and_logs_the_rest(
    tmp_path, run_round, read_fasta, assert_user_error
):
    rows = [["id", "plate", "sequence", "activity", "notes", "stability"]]
    rows += [
        [rid, "P1", q, str(y), f"smear, redo {i}" if i % 2 else 'said "ok"', str(-y)]
        for i, (rid, q, y) in enumerate(known_records())
    ]
    src = tmp_path / "lab.csv"
    src.write_text(table_text(rows, ","))
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 4, "--objective", "activity")
    assert res.exit_code == 0, res.stderr
    assert set(proposals(read_fasta, out)) == FREE
    assert "ignored column(s) (not an --objective): plate, notes, stability" in res.stderr
    cols = list(pd.read_csv(out.with_suffix(".csv")).columns)
    assert [c for c in cols if c.startswith("pred_")] == ["pred_activity", "pred_activity_std"]
    # without --objective every column is an objective: the text column is an error that says so
    out = tmp_path / "again.fasta"
    assert_user_error(
        run_round(src, out, 4), out, "lab.csv: line 2 (k00): plate=P1 is not a number",
        "if plate is not an objective, name the objectives with --objective",
    )  # fmt: skip


def test_length_range_flags(tmp_path, run_round, read_fasta, tf_labeled):
    seqs, y = tf_labeled
    varied = [q[: 6 + i % 3] for i, q in enumerate(seqs)]  # lengths 6, 7, 8
    src = tmp_path / "varied.fasta"
    src.write_text("".join(f">v{i} y={v}\n{q}\n" for i, (q, v) in enumerate(zip(varied, y))))
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 10)  # default: the range seen in the input
    assert res.exit_code == 0, res.stderr
    assert all(6 <= len(q) <= 8 for q in proposals(read_fasta, out))
    res = run_round(src, out, 10, "--min-length", "5", "--max-length", "9")
    assert res.exit_code == 0, res.stderr
    got = proposals(read_fasta, out)
    assert len(got) == 10 and all(5 <= len(q) <= 9 for q in got)
    assert not set(got) & set(varied)


def test_help_documents_every_option_of_the_contract(cli):
    res = cli("round", "--help")
    assert res.exit_code == 0
    for opt in [
        "-o",
        "-n",
        "--alphabet",
        "--length",
        "--min-length",
        "--max-length",
        "--objective",
        "--generator",
        "--acquisition",
        "--kappa",
        "--seed",
        "--device",
        "--config",
        "--budget",
        "-q",
        "-v",
    ]:
        assert opt in res.stdout, opt
    for cmd, opts in [
        ("oracle", ["--list", "-o"]),
        ("simulate", ["--oracle", "--rounds", "-n", "--seed", "--out-dir"]),
    ]:
        res = cli(cmd, "--help")
        assert res.exit_code == 0
        assert all(o in res.stdout for o in opts), (cmd, res.stdout)


def test_help_shows_the_documented_defaults(cli):
    res = cli("round", "--help")
    text = " ".join(res.stdout.split())
    assert "inferred from the data" in text
    assert "default: gfn" in text


def test_config_file_may_hold_any_option(tmp_path, cli, small_config, tf_fasta):
    conf = tmp_path / "with_seed.toml"
    conf.write_text("seed = 7\n" + small_config.read_text())
    a, b = tmp_path / "a.fasta", tmp_path / "b.fasta"
    res = cli("round", tf_fasta, "-o", a, "-n", 3, "--config", conf, "--generator", "random", "-q")
    assert res.exit_code == 0, res.stderr
    res = cli(
        "round",
        tf_fasta,
        "-o",
        b,
        "-n",
        3,
        "--config",
        small_config,
        "--seed",
        7,
        "--generator",
        "random",
        "-q",
    )
    assert res.exit_code == 0, res.stderr
    assert a.read_bytes() == b.read_bytes()
