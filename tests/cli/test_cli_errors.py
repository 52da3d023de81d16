"""Malformed input and options: exit 2, one line on stderr naming the file and the record, no
traceback, and no output file left behind (CLI.md, "Streams and exit codes")."""

from __future__ import annotations

import pytest

GOOD = ">a y=1\nACGT\n>b y=2\nACGA\n>c y=3\nTTGA\n>d y=4\nCCGT\n"


# (file name, content, strings the error line must hold)
MALFORMED = [
    pytest.param(
        "bad.fasta",
        ">a y=1\nACGT\n>b y=2\nACJT\n",
        ["bad.fasta", "record 2 (b)", "J"],
        id="bad-letters",
    ),
    pytest.param("empty.fasta", "", ["empty.fasta", "empty file"], id="empty-file"),
    pytest.param("blank.csv", "\n \n", ["blank.csv", "empty file"], id="blank-file"),
    pytest.param(
        "trunc.fasta",
        ">a y=1\nACGT\n>b y=2\n",
        ["trunc.fasta", "record 2 (b)", "empty sequence"],
        id="truncated-fasta",
    ),
    pytest.param(
        "nohdr.fasta", "ACGT\nACGA\n", ["nohdr.fasta", "line 1", "'>'"], id="fasta-no-header"
    ),
    pytest.param(
        "bin.fasta",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03ACGT",
        ["bin.fasta", "binary"],
        id="binary-gzip",
    ),
    pytest.param(
        "latin1.csv",
        "sequence,y\nACGT,1\nACGA,\xb5\n".encode("latin-1"),
        ["latin1.csv", "UTF-8"],
        id="not-utf8",
    ),
    pytest.param(
        "dupid.fasta",
        ">a y=1\nACGT\n>b y=2\nTTTT\n>a y=2\nACGA\n",
        ["dupid.fasta", "record 3", "'a'", "two different sequences"],
        id="duplicate-ids",
    ),
    pytest.param(
        "inf.fasta",
        ">a y=1\nACGT\n>b y=inf\nACGA\n",
        ["inf.fasta", "record 2 (b)", "infinite"],
        id="inf-label",
    ),
    pytest.param(
        "ninf.csv",
        "sequence,y\nACGT,1\nACGA,-inf\n",
        ["ninf.csv", "line 3", "infinite"],
        id="minus-inf-label-csv",
    ),
    pytest.param(
        "text.fasta",
        ">a y=1\nACGT\n>b y=high\nACGA\n",
        ["text.fasta", "record 2 (b)", "y=high", "not a number"],
        id="non-numeric-label",
    ),
    pytest.param(
        "text.tsv",
        "sequence\ty\nACGT\t1\nACGA\t1,5\n",
        ["text.tsv", "line 3", "not a number"],
        id="non-numeric-label-tsv",
    ),
    pytest.param(
        "noseq.csv",
        "id,seq,y\na,ACGT,1\n",
        ["noseq.csv", "line 1", "'sequence'"],
        id="missing-sequence-column",
    ),
    pytest.param(
        "dupcol.csv",
        "sequence,y,y\nACGT,1,2\n",
        ["dupcol.csv", "line 1", "'y'", "twice"],
        id="duplicate-columns",
    ),
    pytest.param(
        "ragged.csv",
        "sequence,y\nACGT,1\nACGA,2,3\nTTTT,4\n",
        ["ragged.csv", "malformed", "line 3"],
        id="ragged-row-extra-field",
    ),
    pytest.param(
        "quote.csv",
        'sequence,y\n"ACGT,1\nACGA,2\n',
        ["quote.csv", "malformed"],
        id="unclosed-quote",
    ),
    pytest.param(
        "emptyseq.csv",
        "sequence,y\nACGT,1\n ,2\n",
        ["emptyseq.csv", "line 3", "empty sequence"],
        id="empty-sequence-csv",
    ),
    pytest.param(
        "hdr.fasta",
        ">a y=1\nACGT\n>b " + "x" * 100_001 + " y=2\nACGA\n",
        ["hdr.fasta", "record 2", "header is"],
        id="huge-header",
    ),
    pytest.param(
        "longid.fasta",
        ">" + "i" * 5000 + " y=1\nACGT\n",
        ["longid.fasta", "record 1", "id is"],
        id="huge-id",
    ),
    pytest.param(
        "acg.fasta",
        ">a y=1\nACGA\n>b y=2\nAGGC\n",
        ["acg.fasta", "--alphabet"],
        id="ambiguous-alphabet",
    ),
    pytest.param(
        "twice.fasta",
        ">a y=1 y=2\nACGT\n",
        ["twice.fasta", "record 1 (a)", "twice"],
        id="key-twice",
    ),
    pytest.param(
        "nolabels.fasta",
        ">a\nACGT\n>b\nACGA\n",
        ["nolabels.fasta", "no measurements"],
        id="no-labels-at-all",
    ),
]


@pytest.mark.parametrize("name,content,mentions", MALFORMED)
def test_malformed_input_file(tmp_path, run_round, assert_user_error, name, content, mentions):
    src = tmp_path / name
    if isinstance(content, bytes):
        src.write_bytes(content)
    else:
        src.write_text(content)
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(src, out, 2), out, *mentions)


def test_malformed_stdin_names_stdin(tmp_path, run_round, assert_user_error):
    out = tmp_path / "out.fasta"
    assert_user_error(
        run_round("-", out, 2, input=">a y=1\nACGT\n>b y=x\nACGA\n"),
        out,
        "<stdin>",
        "record 2 (b)",
        "not a number",
    )
    assert_user_error(run_round("-", out, 2, input=b"\x00\x01\x02"), out, "<stdin>", "binary")
    assert_user_error(run_round("-", out, 2, input=""), out, "<stdin>", "empty")


def test_missing_input_file(tmp_path, run_round, assert_user_error):
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(tmp_path / "nope.fasta", out, 2), out, "nope.fasta", "cannot read")


def test_a_folder_as_input(tmp_path, run_round, assert_user_error):
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(tmp_path, out, 2), out, str(tmp_path), "cannot read")


def test_lengths_outside_the_length_flag(tmp_path, run_round, assert_user_error):
    src = tmp_path / "in.fasta"
    src.write_text(GOOD + ">e y=5\nACGTACGT\n")
    out = tmp_path / "out.fasta"
    assert_user_error(
        run_round(src, out, 2, "--length", "4"),
        out,
        "in.fasta",
        "(e)",
        "length 8",
        "expected length 4",
    )
    assert_user_error(
        run_round(src, out, 2, "--min-length", "5", "--max-length", "9"),
        out,
        "in.fasta",
        "(a)",
        "length 4",
        "expected length 5-9",
    )
    assert_user_error(run_round(src, out, 2, "--length", "4", "--max-length", "9"), out, "--length")


def test_letters_outside_an_explicit_alphabet(tmp_path, run_round, assert_user_error):
    src = tmp_path / "in.fasta"
    src.write_text(GOOD + ">e y=5\nACGU\n")
    out = tmp_path / "out.fasta"
    assert_user_error(
        run_round(src, out, 2, "--alphabet", "dna"), out, "in.fasta", "record 5 (e)", "U", "dna"
    )
    assert_user_error(run_round(src, out, 2, "--alphabet", "xna"), out, "xna")


def test_unknown_objective_csv(tmp_path, run_round, assert_user_error):
    src = tmp_path / "in.csv"
    src.write_text("sequence,y\nACGT,1\nACGA,2\nTTGA,3\n")
    out = tmp_path / "out.fasta"
    assert_user_error(
        run_round(src, out, 2, "--objective", "activity"), out, "in.csv", "'activity'"
    )


@pytest.mark.parametrize("spec", ["y:maximize", ":max", "y:max,y", "y:"])
def test_malformed_objective_spec(tmp_path, run_round, assert_user_error, spec):
    src = tmp_path / "in.fasta"
    src.write_text(GOOD)
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(src, out, 2, "--objective", spec), out, "--objective")


def test_objective_named_twice(tmp_path, run_round, assert_user_error):
    src = tmp_path / "in.fasta"
    src.write_text(GOOD)
    out = tmp_path / "out.fasta"
    assert_user_error(
        run_round(src, out, 2, "--objective", "y", "--objective", "y:min"),
        out,
        "'y' is named twice",
    )


def test_one_measured_record_is_named(tmp_path, run_round, assert_user_error):
    src = tmp_path / "in.csv"
    src.write_text("sequence,y\nACGT,1\nACGA,\nTTGA,nan\n")
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(src, out, 2), out, "in.csv: 1 record(s) with a measurement")


@pytest.mark.filterwarnings("error::scipy.stats.ConstantInputWarning")
def test_constant_labels_warn_nothing(tmp_path, cli, small_config):
    src = tmp_path / "in.csv"
    seqs = ["ACGT", "ACGA", "TTGA", "CCGT", "GGTA", "TTTC", "CAGA", "AGTC", "GACT", "TCCA"]
    src.write_text("sequence,y\n" + "".join(f"{q},0.5\n" for q in seqs))  # enough to hold out
    out = tmp_path / "out.fasta"
    res = cli("round", src, "-o", out, "-n", 2, "--config", small_config, "--budget", "fast", "-q")
    assert res.exit_code == 0 and res.stderr == "", res.stderr


def test_unknown_objective_fasta(tmp_path, run_round, assert_user_error):
    src = tmp_path / "in.fasta"
    src.write_text(GOOD)
    out = tmp_path / "out.fasta"
    assert_user_error(
        run_round(src, out, 2, "--objective", "activity"), out, "in.fasta", "'activity'"
    )


@pytest.mark.parametrize(
    "toml,mentions",
    [
        pytest.param("[proxy\nmax_steps = 1\n", ["bad.toml", "not valid TOML"], id="bad-toml"),
        pytest.param(
            "[proxy]\nmax_stepz = 10\n",
            ["bad.toml", "unknown setting 'max_stepz'"],
            id="unknown-setting",
        ),
        pytest.param(
            "colour = 'blue'\n", ["bad.toml", "unknown setting 'colour'"], id="unknown-top-level"
        ),
        pytest.param("[nonsense]\nx = 1\n", ["bad.toml", "'nonsense'"], id="unknown-table"),
        pytest.param(
            "[proxy]\nmax_steps = 'lots'\n", ["bad.toml", "max_steps", "integer"], id="wrong-type"
        ),
        pytest.param("[proxy]\nmembers = 1\n", ["bad.toml: proxy.members"], id="invalid-value"),
        pytest.param("acquisition = 'pi'\n", ["bad.toml: acquisition"], id="invalid-choice"),
        pytest.param(
            "[selection]\nmin_distance = -1\n", ["bad.toml", "min_distance"], id="negative"
        ),
        pytest.param("kappa = 'x'\n", ["bad.toml: kappa: expected a number"], id="top-level-type"),
    ],
)
def test_bad_config(tmp_path, cli, assert_user_error, toml, mentions):
    src = tmp_path / "in.fasta"
    src.write_text(GOOD)
    conf = tmp_path / "bad.toml"
    conf.write_text(toml)
    out = tmp_path / "out.fasta"
    res = cli("round", src, "-o", out, "-n", 2, "--config", conf, "--generator", "random")
    assert_user_error(res, out, *mentions)


def test_missing_config_file(tmp_path, cli, assert_user_error):
    src = tmp_path / "in.fasta"
    src.write_text(GOOD)
    out = tmp_path / "out.fasta"
    res = cli("round", src, "-o", out, "-n", 2, "--config", tmp_path / "nope.toml")
    assert_user_error(res, out, "nope.toml", "cannot read")


def test_string_for_a_float_setting(tmp_path, cli, assert_user_error):
    src = tmp_path / "in.fasta"
    src.write_text(GOOD)
    conf = tmp_path / "bad.toml"
    conf.write_text('kappa = "high"\n[proxy]\nmax_steps = 20\n')
    out = tmp_path / "out.fasta"
    res = cli("round", src, "-o", out, "-n", 2, "--config", conf, "--generator", "random")
    assert_user_error(res, out, "bad.toml", "kappa")


def test_output_folder_missing(tmp_path, run_round, assert_user_error, tf_fasta):
    out = tmp_path / "no" / "such" / "out.fasta"
    assert_user_error(run_round(tf_fasta, out, 2, "-q"), out, "does not exist")


def test_space_too_small(tmp_path, run_round, assert_user_error):
    # DNA length 2 holds 16 sequences; 10 are labeled, so 6 are left for a batch of 10
    import itertools

    k2 = ["".join(t) for t in itertools.product("ACGT", repeat=2)]
    src = tmp_path / "k2.fasta"
    src.write_text("".join(f">s{i} y={i}\n{q}\n" for i, q in enumerate(k2[:10])))
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(src, out, 10, "-q"), out, "16", "6 left", "10")
    # without -q the info log comes first, but still one error line and no traceback
    assert_user_error(run_round(src, out, 10), out, "6 left", lines=None)


def test_cr_line_endings_table(tmp_path, run_round, assert_user_error):
    src = tmp_path / "mac.csv"
    src.write_text("sequence,y\rACGT,1\rACGA,2\rTTGA,3\r", newline="")
    out = tmp_path / "out.fasta"
    res = run_round(src, out, 2)
    assert res.exit_code in (0, 2), res.stderr
    if res.exit_code == 2:
        assert_user_error(res, out, "mac.csv")


def test_huge_csv_header(tmp_path, run_round, assert_user_error):
    src = tmp_path / "wide.csv"
    src.write_text("sequence,y," + "h" * 140_000 + "\nACGT,1,2\nACGA,2,3\n")
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(src, out, 2), out, "wide.csv")


def test_short_ragged_row(tmp_path, run_round, assert_user_error):
    src = tmp_path / "short.csv"
    src.write_text("sequence,y,z\nACGT,1,1\nACGA,2\nTTGA,3,3\nCCGT,4,4\n")
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(src, out, 2), out, "short.csv", "line 3")


def test_long_ragged_rows(tmp_path, run_round, assert_user_error):
    src = tmp_path / "long.csv"
    src.write_text("sequence,y\nACGT,1,9\nACGA,2,9\nTTGA,3,9\n")
    out = tmp_path / "out.fasta"
    assert_user_error(run_round(src, out, 2), out, "long.csv", "line 2", "field")
