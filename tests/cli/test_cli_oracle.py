"""`seqdesign oracle`: label sequences with a built-in ground truth; `--list` names them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from seqdesign.io import read_labeled


def test_list_names_the_oracles(cli):
    res = cli("oracle", "--list")
    assert res.exit_code == 0, res.stderr
    names = [line.split("\t")[0] for line in res.stdout.splitlines()]
    assert "tfbind8-SIX6_REF_R1" in names and "tfbind8" in names
    row = next(line for line in res.stdout.splitlines() if line.startswith("tfbind8-SIX6_REF_R1\t"))
    assert "\tdna\t" in row and "length 8" in row and "binding" in row


@pytest.fixture()
def unlabeled(tmp_path, tfbind8):
    seqs = tfbind8.sample_start(25, np.random.default_rng(9))
    path = tmp_path / "to_measure.fasta"
    path.write_text(
        "".join(f">q{i} note=none\n{q.lower() if i % 2 else q}\n" for i, q in enumerate(seqs))
    )
    return path, seqs


@pytest.mark.parametrize("suffix", ["fasta", "csv", "tsv"])
def test_labels_equal_the_oracle(tmp_path, cli, tfbind8, unlabeled, suffix):
    src, seqs = unlabeled
    out = tmp_path / f"labeled.{suffix}"
    res = cli("oracle", "tfbind8", src, "-o", out)
    assert res.exit_code == 0, res.stderr
    ds, alpha = read_labeled(out)  # the output is valid input for `round`
    assert alpha.name == "dna"
    assert ds.sequences == seqs and ds.ids == [f"q{i}" for i in range(25)]
    assert ds.objectives == ("binding",)
    np.testing.assert_allclose(ds.labels[:, 0], tfbind8(seqs)[:, 0], rtol=1e-5, atol=1e-6)
    if suffix != "fasta":
        df = pd.read_csv(out, sep="," if suffix == "csv" else "\t")
        assert list(df.columns) == ["id", "sequence", "binding"]


def test_stdin_in_stdout_out(cli, tfbind8, unlabeled):
    src, seqs = unlabeled
    res = cli("oracle", "tfbind8-SIX6_REF_R1", "-", "-o", "-", input=src.read_text())
    assert res.exit_code == 0, res.stderr
    ds, _ = read_labeled("<stdin>", text=res.stdout)
    np.testing.assert_allclose(ds.labels[:, 0], tfbind8(seqs)[:, 0], rtol=1e-5, atol=1e-6)


def test_labels_a_round_output(tmp_path, run_round, cli, tf_fasta, tfbind8):
    props = tmp_path / "props.fasta"
    assert run_round(tf_fasta, props, 5, "-q").exit_code == 0
    out = tmp_path / "props_labeled.csv"
    res = cli("oracle", "tfbind8", props, "-o", out)
    assert res.exit_code == 0, res.stderr
    df = pd.read_csv(out)
    assert df["id"].tolist() == [f"sd_r1_{i:04d}" for i in range(1, 6)]
    np.testing.assert_allclose(df["binding"], tfbind8(df["sequence"].tolist())[:, 0], rtol=1e-5)


def test_wrong_length_and_letters(tmp_path, cli, assert_user_error):
    src = tmp_path / "short.fasta"
    src.write_text(">a\nACGTACGT\n>b\nACGT\n")
    out = tmp_path / "out.fasta"
    assert_user_error(
        cli("oracle", "tfbind8", src, "-o", out),
        out,
        "short.fasta",
        "record 2 (b)",
        "length 4",
        "8",
    )
    src.write_text(">a\nACGUACGU\n")
    assert_user_error(
        cli("oracle", "tfbind8", src, "-o", out), out, "short.fasta", "record 1 (a)", "U"
    )


def test_unknown_oracle_and_missing_arguments(tmp_path, cli, assert_user_error, unlabeled):
    src, _ = unlabeled
    out = tmp_path / "out.fasta"
    err = assert_user_error(cli("oracle", "nope", src, "-o", out), out, "unknown oracle 'nope'")
    assert "tfbind8-SIX6_REF_R1" in err
    assert_user_error(cli("oracle", "tfbind8", src), None, "usage")
    assert_user_error(
        cli("oracle", "tfbind8", tmp_path / "missing.fasta", "-o", out), out, "missing.fasta"
    )
