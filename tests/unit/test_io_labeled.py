"""The labeled-input rules of CLI.md, at the library level (seqdesign.io)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from seqdesign.alphabet import DNA, PROTEIN, RNA
from seqdesign.errors import InputError
from seqdesign.io import read_labeled, read_measurements, read_records, sniff_format
from seqdesign.io.labeled import MAX_HEADER, read_text


def labels(ds, obj: str = "y") -> dict[str, float]:
    k = ds.objectives.index(obj)
    return {q: ds.labels[i, k] for i, q in enumerate(ds.sequences)}


# --- formats ---------------------------------------------------------------------------------


def test_fasta_key_value_labels_and_free_text():
    text = ">var_001 activity=0.731 stability=-2.1 some free text\nACGT\n>var_002 activity=1e-3\nACGA\n"
    ds, alpha = read_labeled("in.fasta", text=text)
    assert alpha is DNA
    assert ds.ids == ["var_001", "var_002"]
    assert ds.objectives == ("activity", "stability")
    np.testing.assert_allclose(ds.labels[0], [0.731, -2.1])
    assert ds.labels[1, 0] == pytest.approx(1e-3)
    assert math.isnan(ds.labels[1, 1])  # not given in the header: not measured
    assert ds.counts.tolist() == [[1, 1], [1, 0]]


def test_multiline_fasta_sequence_is_joined():
    ds, _ = read_labeled("in.fasta", text=">a y=1\nACGT\nTTGA\n\nCC\n>b y=2\nAAAT\n")
    assert ds.sequences == ["ACGTTTGACC", "AAAT"]


@pytest.mark.parametrize(
    "sep,name", [(",", "in.csv"), ("\t", "in.tsv"), ("\t", "<stdin>"), (",", "<stdin>")]
)
def test_csv_and_tsv_with_id_and_objectives(sep, name):
    rows = [
        ["id", "sequence", "activity", "stability"],
        ["v1", "ACGT", "0.5", "-1"],
        ["v2", "ACGA", "1.5", "2"],
    ]
    text = "\n".join(sep.join(r) for r in rows) + "\n"
    ds, alpha = read_labeled(name, text=text)
    assert alpha is DNA
    assert ds.ids == ["v1", "v2"]
    assert ds.sequences == ["ACGT", "ACGA"]
    assert ds.objectives == ("activity", "stability")
    np.testing.assert_allclose(ds.labels, [[0.5, -1.0], [1.5, 2.0]])


def test_csv_without_id_column_gets_row_ids_and_column_case_is_free():
    ds, _ = read_labeled("in.csv", text="y,Sequence\n1,ACGT\n2,ACGA\n")
    assert ds.ids == ["row1", "row2"]
    assert ds.sequences == ["ACGT", "ACGA"]
    assert ds.objectives == ("y",)


@pytest.mark.parametrize(
    "name,text,expected",
    [
        ("a.fasta", "sequence,y\n", "fasta"),
        ("a.FA", "", "fasta"),
        ("a.faa", "", "fasta"),
        ("a.csv", ">x\n", "csv"),
        ("a.tsv", "", "tsv"),
        ("a.tab", "", "tsv"),
        ("<stdin>", "  \n>a\nAC\n", "fasta"),
        ("<stdin>", "sequence\ty\nAC\t1\n", "tsv"),
        ("<stdin>", "sequence,y\nAC,1\n", "csv"),
        ("data.txt", "sequence,y\n", "csv"),
    ],
)
def test_sniff_format(name, text, expected):
    assert sniff_format(name, text) == expected


# --- letters, whitespace, missing values, replicates -----------------------------------------


def test_letters_are_case_insensitive_and_whitespace_is_ignored():
    fasta = ">a y=1\nac gT\n>b y=2\n a C\tg a \n"
    ds, _ = read_labeled("in.fasta", text=fasta)
    assert ds.sequences == ["ACGT", "ACGA"]
    table = "sequence,y\n ac gt ,1\nAC GA,2\n"
    ds, _ = read_labeled("in.csv", text=table)
    assert ds.sequences == ["ACGT", "ACGA"]


@pytest.mark.parametrize("missing", ["", "nan", "NaN", "NA", "na", "N/A"])
def test_missing_values_keep_the_row_unlabeled_csv(missing):
    ds, _ = read_labeled("in.csv", text=f"sequence,y,z\nACGT,{missing},2\nACGA,1,{missing}\n")
    assert ds.sequences == ["ACGT", "ACGA"]
    assert math.isnan(ds.labels[0, 0]) and ds.labels[0, 1] == 2
    assert ds.labels[1, 0] == 1 and math.isnan(ds.labels[1, 1])
    assert ds.counts.tolist() == [[0, 1], [1, 0]]
    assert ds.measured.tolist() == [False, False]


@pytest.mark.parametrize("missing", ["", "nan", "NA"])
def test_missing_values_keep_the_row_unlabeled_fasta(missing):
    ds, _ = read_labeled("in.fasta", text=f">a y={missing}\nACGT\n>b y=3\nACGA\n")
    assert ds.sequences == ["ACGT", "ACGA"]
    assert math.isnan(ds.labels[0, 0])
    assert ds.counts[:, 0].tolist() == [0, 1]


def test_sequence_without_any_label_is_kept():
    ds, _ = read_labeled("in.fasta", text=">a\nACGT\n>b y=3\nACGA\n")
    assert ds.sequences == ["ACGT", "ACGA"]
    assert math.isnan(ds.labels[0, 0])


def test_replicates_are_averaged_and_counted():
    text = ">r1 y=1 z=10\nACGT\n>r2 y=3\nacgt\n>r3 y=NA z=20\nAC GT\n>r4 y=5\nACGA\n>r1 y=2\nACGT\n"
    ds, _ = read_labeled("in.fasta", text=text)
    assert ds.sequences == ["ACGT", "ACGA"]
    assert ds.ids == ["r1", "r4"]  # the first id seen for a sequence
    assert ds.labels[0].tolist() == [2.0, 15.0]  # y: (1+3+2)/3, z: (10+20)/2
    assert ds.counts.tolist() == [[3, 2], [1, 0]]


def test_replicates_in_csv_averaged():
    ds, _ = read_labeled("in.csv", text="id,sequence,y\na,ACGT,1\nb,ACGT,2\nc,ACGA,7\nd,ACGT,\n")
    assert labels(ds) == {"ACGT": 1.5, "ACGA": 7.0}
    assert ds.counts[:, 0].tolist() == [2, 1]


def test_read_records_keeps_replicates_in_file_order():
    records, _ = read_records("in.fasta", text=">a y=1\nACGT\n>b y=2\nACGT\n")
    assert records == [("a", "ACGT", {"y": 1.0}), ("b", "ACGT", {"y": 2.0})]


def test_same_id_same_sequence_is_a_replicate_not_an_error():
    ds, _ = read_labeled("in.fasta", text=">a y=1\nACGT\n>a y=3\nacgt\n")
    assert ds.labels[0, 0] == 2.0 and ds.counts[0, 0] == 2


# --- alphabet inference ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "seqs,expected",
    [
        (["ACGT", "AAAA"], DNA),
        (["ACGU", "AAAA"], RNA),
        (["MKTAYIAK", "ACGT"], PROTEIN),
        (["acgt", "ttt"], DNA),
        (["ACGTW"], PROTEIN),
    ],
)
def test_alphabet_inference(seqs, expected):
    text = "".join(f">s{i} y={i}\n{q}\n" for i, q in enumerate(seqs))
    _, alpha = read_labeled("in.fasta", text=text)
    assert alpha is expected


@pytest.mark.parametrize("seqs", [["ACGA", "GGCA"], ["AAA"], ["ACGTU"]])
def test_ambiguous_alphabet_says_pass_alphabet(seqs):
    text = "".join(f">s{i} y={i}\n{q}\n" for i, q in enumerate(seqs))
    with pytest.raises(InputError, match="--alphabet") as e:
        read_labeled("in.fasta", text=text)
    assert "in.fasta" in str(e.value)


def test_explicit_alphabet_resolves_ambiguity_and_validates():
    text = ">a y=1\nACGA\n>b y=2\nGGCA\n"
    _, alpha = read_labeled("in.fasta", text=text, alphabet=RNA)
    assert alpha is RNA
    with pytest.raises(InputError, match=r"record 2 \(b\).*letter\(s\) U.*dna"):
        read_labeled("in.fasta", text=">a y=1\nACGA\n>b y=2\nGGUA\n", alphabet=DNA)


# --- annotations and objectives --------------------------------------------------------------


def test_annotation_keys_are_not_objectives_fasta():
    text = (
        ">sd_r1_0001 proxy_mean=0.8 proxy_std=0.1 acquisition=0.9 min_dist_to_labeled=2 "
        "pareto_rank=1 round=1 pred_y=0.7 pred_y_std=0.2 y=0.5\nACGT\n"
    )
    ds, _ = read_labeled("in.fasta", text=text)
    assert ds.objectives == ("y",)
    assert ds.labels[0, 0] == 0.5


def test_annotation_columns_are_not_objectives_csv():
    text = (
        "id,sequence,proxy_mean,proxy_std,acquisition,min_dist_to_labeled,pred_y,pred_y_std,y\n"
        "sd_r1_0001,ACGT,0.8,0.1,0.9,2,0.7,0.2,0.5\n"
    )
    ds, _ = read_labeled("in.csv", text=text)
    assert ds.objectives == ("y",)


def test_objectives_filter_and_order():
    text = "sequence,a,b,c\nACGT,1,2,3\n"
    ds, _ = read_labeled("in.csv", text=text, objectives=["c", "a"])
    assert ds.objectives == ("c", "a")
    assert ds.labels.tolist() == [[3.0, 1.0]]
    ds, _ = read_labeled("in.fasta", text=">x a=1 b=2 c=3\nACGT\n", objectives=["c", "a"])
    assert ds.objectives == ("c", "a")
    assert ds.labels.tolist() == [[3.0, 1.0]]


def test_unknown_objective_csv_is_an_input_error():
    with pytest.raises(InputError, match="'nope' not found"):
        read_labeled("in.csv", text="sequence,y\nACGT,1\n", objectives=["nope"])


def test_unknown_objective_fasta_is_an_input_error():
    with pytest.raises(InputError, match="in.fasta.*'nope'"):
        read_labeled("in.fasta", text=">a y=1\nACGT\n>b y=2\nACGA\n", objectives=["nope"])


# --- columns that are not objectives (a lab's notes, plate, well, ...) ------------------------

LAB_CSV = (
    "id,sequence,plate,binding,notes,well,stability\n"
    'a,ACGT,P1,1.5,"smear, redo?",A01,\n'
    'b,ACGA,P1,,"ok",A02,-2\n'
    'c,ACGG,P2,0.25,"said ""fine"", then no",B07,3\n'
)


def test_only_the_objectives_are_read_and_the_rest_is_named_in_file_order():
    read = read_measurements("lab.csv", text=LAB_CSV, objectives=["stability", "binding"])
    assert read.ignored == ["plate", "notes", "well"]
    assert [(rid, q) for rid, q, _ in read.records] == [("a", "ACGT"), ("b", "ACGA"), ("c", "ACGG")]
    assert [set(v) for _, _, v in read.records] == [{"stability", "binding"}] * 3
    assert read.records[2][2] == {"stability": 3.0, "binding": 0.25}
    assert math.isnan(read.records[0][2]["stability"]) and math.isnan(read.records[1][2]["binding"])
    tsv = LAB_CSV.replace(",", "\t").replace('"smear\t redo?"', '"smear, redo?"')
    assert read_measurements("lab.tsv", text=tsv, objectives=["binding"]).ignored == [
        "plate",
        "notes",
        "well",
        "stability",
    ]


def test_partial_reads_any_subset_of_the_objectives_and_requires_all_otherwise():
    read = read_measurements("lab.csv", text=LAB_CSV, objectives=["binding", "kd"], partial=True)
    assert [v for _, _, v in read.records][2] == {"binding": 0.25}
    assert "stability" in read.ignored
    with pytest.raises(InputError, match="lab.csv: line 1: objective column 'kd' not found"):
        read_measurements("lab.csv", text=LAB_CSV, objectives=["binding", "kd"])
    fasta = ">a binding=1 notes=smear,redo plate=P1 proxy_mean=0.2\nACGT\n>b stability=2\nACGA\n"
    read = read_measurements("lab.fa", text=fasta, objectives=["binding", "kd"], partial=True)
    assert [v for _, _, v in read.records] == [{"binding": 1.0}, {}]
    assert read.ignored == ["notes", "plate", "stability"]  # annotations are not listed
    with pytest.raises(InputError, match="lab.fa: objective 'kd' not found in any header"):
        read_measurements("lab.fa", text=fasta, objectives=["binding", "kd"])


@pytest.mark.parametrize(
    "name, text, found",
    [
        (
            "n.csv",
            'sequence,notes,plate\nACGT,"a, b",P1\n',
            "the columns are sequence, notes, plate",
        ),
        ("n.fasta", ">a notes=x plate=P1\nACGT\n", "the labels present are notes, plate"),
        ("n.fasta", ">a just free text\nACGT\n", "the labels present are (none)"),
    ],
)
def test_a_file_with_none_of_the_objectives_is_an_error_naming_them(name, text, found):
    with pytest.raises(InputError) as err:
        read_measurements(name, text=text, objectives=["binding", "kd"], partial=True)
    msg = str(err.value)
    assert msg.startswith(f"{name}: ") and "no measurements found" in msg
    assert "at least one of the objectives binding, kd" in msg and found in msg


def test_ignored_columns_may_repeat_or_be_unnamed_but_read_ones_may_not():
    text = "sequence,y,comment,comment,,\nACGT,1,a,b,,\n"
    read = read_measurements("x.csv", text=text, objectives=["y"])
    assert read.ignored == ["comment", "(column 5)", "(column 6)"]
    assert read.records[0][2] == {"y": 1.0}
    with pytest.raises(InputError, match="x.csv: line 1: column 'y' appears twice"):
        read_measurements("x.csv", text="sequence,y,y\nACGT,1,2\n", objectives=["y"])
    with pytest.raises(InputError, match="column '' appears twice"):
        read_measurements("x.csv", text=text)  # every column is read without objectives


@pytest.mark.parametrize(
    "text, pattern",
    [
        ('sequence,y,notes\nACGT,inf,"a, b"\n', r"line 2 \(row1\): y=inf is infinite"),
        ('sequence,y,notes\nACGT,abc,"a, b"\n', r"line 2 \(row1\): y=abc is not a number"),
        ("sequence,y,notes\nACGT,1,a,b\n", "line 2: 4 fields; expected 3"),
        ('sequence,y,notes\nACXT,1,"a, b"\n', r"record 1 \(row1\): letter\(s\) X not in the dna"),
        ("id,sequence,y,notes\na,ACGT,1,x\na,ACGA,2,x\n", "id 'a' is used for two different"),
    ],
)
def test_ignored_columns_change_no_other_rule(text, pattern):
    with pytest.raises(InputError, match=pattern):
        read_measurements("f.csv", text=text, alphabet=DNA, objectives=["y"], partial=True)


def test_a_text_column_without_objectives_suggests_naming_them():
    with pytest.raises(InputError, match="if notes is not an objective, name the objectives"):
        read_labeled("f.csv", text="sequence,y,notes\nACGT,1,smear\n")
    with pytest.raises(InputError, match="if notes is not an objective, name the objectives"):
        read_labeled("f.fasta", text=">a y=1 notes=smear\nACGT\n")


# --- errors name the file and the record -----------------------------------------------------


@pytest.mark.parametrize(
    "name,text,pattern",
    [
        ("f.fasta", "", r"f.fasta: empty file"),
        ("f.fasta", "  \n\n", r"f.fasta: empty file"),
        ("f.fasta", "ACGT\n>a\nAC\n", r"f.fasta: line 1: expected a FASTA header"),
        ("f.fasta", ">a y=1\nACGT\n>b y=2\n", r"f.fasta: record 2 \(b\): empty sequence"),
        ("f.fasta", ">\nACGT\n", r"f.fasta: record 1: empty header"),
        ("f.fasta", ">a y=1\nACGT\n>a y=2\nACGA\n", r"f.fasta: record 2: id 'a' is used for two"),
        ("f.fasta", ">a y=inf\nACGT\n", r"f.fasta: record 1 \(a\): y=inf is infinite"),
        ("f.fasta", ">a y=-Infinity\nACGT\n", r"f.fasta: record 1 \(a\): y=-Infinity is infinite"),
        ("f.fasta", ">a y=abc\nACGT\n", r"f.fasta: record 1 \(a\): y=abc is not a number"),
        ("f.fasta", ">a y=1 y=2\nACGT\n", r"f.fasta: record 1 \(a\): y given twice"),
        ("f.fasta", ">a y=1\nAC1T\n", r"f.fasta: record 1 \(a\): letter\(s\) 1"),
        ("f.csv", "id,y\na,1\n", r"f.csv: line 1: no 'sequence' column"),
        ("f.csv", "sequence,y,y\nACGT,1,2\n", r"f.csv: line 1: column 'y' appears twice"),
        ("f.csv", "sequence,y\n", r"f.csv: no records found"),
        ("f.csv", "sequence,y\nACGT,1\n,2\n", r"f.csv: line 3 \(row2\): empty sequence"),
        ("f.csv", "sequence,y\nACGT,1\nACGA,x1\n", r"f.csv: line 3 \(row2\): y=x1 is not a number"),
        ("f.csv", "sequence,y\nACGT,inf\n", r"f.csv: line 2 \(row1\): y=inf is infinite"),
        (
            "f.csv",
            "id,sequence,y\na,ACGT,1\na,ACGA,2\n",
            r"f.csv: record 2: id 'a' is used for two",
        ),
        (
            "f.csv",
            'sequence,y\n"ACGT,1\nACGA,2\n',
            "f.csv: line 2: a quoted field starting on this line is never closed",
        ),
        (  # closed by a later quote mid-field: the rows between were swallowed
            "f.csv",
            'sequence,y,note\nACGT,1,0\nACGA,2,"5\nACGC,3,0\nACCC,4,"0"\n',
            "f.csv: line 3: a quoted field starting on this line is never closed",
        ),
        ("f.fasta", ">a y = 1\nACGT\n", r"f.fasta: record 1 \(a\): a space splits 'y' from its"),
        ("f.fasta", ">a y =1\nACGT\n", r"f.fasta: record 1 \(a\): a space splits 'y' from its"),
        ("f.fasta", ">a y=\u00a01.5\nACGT\n", r"expected y=1.5 \(no space around '='\)"),
        ("f.tsv", "sequence\ty\nACGT\t1\nACGA\t1\t2\n", r"f.tsv: line 3: 3 fields; expected 2"),
    ],
)
def test_malformed_input_raises_input_error_naming_file_and_record(name, text, pattern):
    with pytest.raises(InputError, match=pattern):
        read_labeled(name, text=text)


def test_an_unclosed_quote_in_a_large_file_names_its_line():
    rows = "".join(f"A{'CGT'[i % 3]}GT,{i},ok\n" for i in range(6000))
    text = 'sequence,y,note\nACGT,1,"never closed\n' + rows
    with pytest.raises(InputError, match="f.csv: line 2: a quoted field starting on this line"):
        read_labeled("f.csv", text=text)


def test_multi_line_notes_and_equals_signs_in_free_text_are_read():
    """A quoted note over two lines (a line break typed in a spreadsheet cell) and '=' in a
    FASTA description's free text are not the mistakes the checks above catch."""
    ds, _ = read_labeled(
        "f.csv", text='sequence,y,note\nACGT,1,"line one\nline two"\nACGA,2,ok\n', objectives=["y"]
    )
    assert ds.sequences == ["ACGT", "ACGA"] and list(ds.labels[:, 0]) == [1.0, 2.0]
    ds, _ = read_labeled(
        "f.fasta", text=">a y=1 note = fine, ratio = high\nACGT\n>b y=\nACGA\n", objectives=["y"]
    )
    assert ds.sequences == ["ACGT", "ACGA"] and ds.labels[0, 0] == 1.0
    # a note over lines with commas, text after a closing quote, a space after it
    text = 'sequence,y,note\nACGT,"1" ,"low yield,\nrepeat, plate 2"\nACGA,2,"good" binder \n'
    ds, _ = read_labeled("f.csv", text=text, objectives=["y"])
    assert ds.sequences == ["ACGT", "ACGA"] and list(ds.labels[:, 0]) == [1.0, 2.0]
    with pytest.raises(
        InputError, match=r"f.fasta: record 1 \(a\): a space splits 'y' from its value '0,5'"
    ):
        read_labeled("f.fasta", text=">a y= 0,5\nACGT\n", objectives=["y"])
    # '=' after keys that are not objectives is free text
    text = ">a y=0.5 Kd = 3.2 nM pH= 7.4 note: ratio 1 = 2\nACGT\n"
    ds, _ = read_labeled("f.fasta", text=text, objectives=["y"])
    assert ds.labels[0, 0] == 0.5


def test_huge_fasta_header_is_rejected():
    text = ">a " + "x" * (MAX_HEADER + 1) + " y=1\nACGT\n"
    with pytest.raises(InputError, match=r"f.fasta: record 1: header is \d+ characters"):
        read_labeled("f.fasta", text=text)


def test_huge_id_is_rejected():
    with pytest.raises(InputError, match=r"f.fasta: record 1: id is 1001 characters"):
        read_labeled("f.fasta", text=">" + "a" * 1001 + " y=1\nACGT\n")


def test_read_text_missing_binary_and_non_utf8(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_text(tmp_path / "missing.fasta")
    (tmp_path / "bin.fasta").write_bytes(b">a\x00\x01\nACGT\n")
    with pytest.raises(InputError, match="bin.fasta: looks binary"):
        read_text(tmp_path / "bin.fasta")
    (tmp_path / "latin.fasta").write_bytes(b">a y=1\nACGT\xe9\n")
    with pytest.raises(InputError, match=r"latin.fasta: line 2: not UTF-8 text \(byte 11: e9,"):
        read_text(tmp_path / "latin.fasta")
    with pytest.raises(InputError, match="cannot read"):
        read_text(tmp_path)  # a folder


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("sequence,y\nACGT,1\n".encode("utf-8-sig"))
    ds, _ = read_labeled(path)
    assert ds.sequences == ["ACGT"] and ds.objectives == ("y",)


def test_crlf_line_endings_are_accepted():
    ds, _ = read_labeled("in.csv", text="sequence,y\r\nACGT,1\r\nACGA,2\r\n")
    assert ds.sequences == ["ACGT", "ACGA"] and ds.labels[:, 0].tolist() == [1.0, 2.0]
    ds, _ = read_labeled("in.fasta", text=">a y=1\r\nACGT\r\n>b y=2\r\nACGA\r\n")
    assert ds.sequences == ["ACGT", "ACGA"] and ds.labels[:, 0].tolist() == [1.0, 2.0]


def test_cr_only_line_endings_never_crash():
    try:
        ds, _ = read_labeled("in.csv", text="sequence,y\rACGT,1\rACGA,2\r")
    except InputError:
        return
    assert ds.sequences == ["ACGT", "ACGA"]


def test_huge_csv_header_is_an_input_error():
    text = "sequence,y," + "h" * 140_000 + "\nACGT,1,2\n"
    with pytest.raises(InputError, match="f.csv"):
        read_labeled("f.csv", text=text)


def test_short_csv_row_is_an_input_error():
    with pytest.raises(InputError, match=r"f.csv: line 2"):
        read_labeled("f.csv", text="sequence,y,z\nACGT,1\nACGA,2,3\n")


def test_long_csv_rows_are_an_input_error():
    # read as sequences ACGA and CCCC labeled 1 and 2: the real sequences are silently lost
    with pytest.raises(InputError, match=r"f.csv: line 2"):
        read_labeled("f.csv", text="sequence,y\nACGT,ACGA,1\nAAAA,CCCC,2\n")


@pytest.mark.parametrize(
    "text",
    [
        'sequence,y\nACGT,"1\n2"\n',
        'id,sequence,y\n"a\nb",ACGT,x\n',
        'id,sequence,y\n"a\nb",ACGT,1\n',
    ],
)
def test_error_messages_are_one_line_even_with_quoted_line_breaks(text):
    with pytest.raises(InputError) as e:
        read_labeled("f.csv", text=text)
    assert "\n" not in str(e.value)


def test_fasta_headers_of_several_objectives_keep_rank_and_predictions():
    import pandas as pd

    from seqdesign.io.output import PROPOSAL_FIELDS, header_fields

    base = {k: [0.5] for k in PROPOSAL_FIELDS}
    one = pd.DataFrame({"id": ["x"], "sequence": ["AC"], **base, "pred_y": [1.0]})
    assert header_fields(one) == list(PROPOSAL_FIELDS)  # one objective: as before
    two = one.assign(pred_y_std=0.1, pred_z=2.0, pred_z_std=0.2, pareto_rank=1)
    assert header_fields(two) == [
        *PROPOSAL_FIELDS,
        "pareto_rank",
        "pred_y",
        "pred_y_std",
        "pred_z",
        "pred_z_std",
    ]
    # a key that could not be read back (a CSV column with a space): the rank alone
    spaced = two.rename(columns={"pred_z": "pred_my z"})
    assert header_fields(spaced) == [*PROPOSAL_FIELDS, "pareto_rank"]
