"""Property tests of the parsers: valid records round-trip; garbage only ever raises InputError."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from seqdesign.alphabet import DNA, PROTEIN, RNA
from seqdesign.encoding import decode_tokens, encode_tokens
from seqdesign.errors import InputError
from seqdesign.io import read_labeled, read_measurements, read_records, write_fasta_records
from seqdesign.io.records import ANNOTATIONS

ALPHABETS = {"dna": DNA, "rna": RNA, "protein": PROTEIN}

ids = st.text(alphabet=st.sampled_from("abcXYZ0123456789_.:|-"), min_size=1, max_size=12)
keys = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda k: k not in ANNOTATIONS and not k.startswith("pred_") and k not in ("id", "sequence")
)
values = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False, width=64),
    st.just(math.nan),
)


@st.composite
def datasets(draw):
    """(alphabet, objective keys, records) with unique ids and valid sequences."""
    alpha = ALPHABETS[draw(st.sampled_from(sorted(ALPHABETS)))]
    objs = draw(st.lists(keys, min_size=1, max_size=3, unique=True))
    seq = st.text(alphabet=st.sampled_from(alpha.letters), min_size=1, max_size=30)
    n = draw(st.integers(1, 8))
    rids = draw(st.lists(ids, min_size=n, max_size=n, unique=True))
    records = [(rid, draw(seq), {k: draw(values) for k in objs}) for rid in rids]
    return alpha, objs, records


def same_value(a: float, b: float, rel: float = 0.0) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b if rel == 0 else math.isclose(a, b, rel_tol=rel, abs_tol=1e-300)


@settings(max_examples=150)
@given(datasets(), st.booleans(), st.booleans())
def test_fasta_round_trip(data, lower, wrap):
    alpha, objs, records = data
    text = write_fasta_records((rid, vals, seq) for rid, seq, vals in records)
    if lower or wrap:  # case and line breaks inside a sequence do not matter
        lines = []
        for line in text.splitlines():
            if line.startswith(">"):
                lines.append(line)
            else:
                line = line.lower() if lower else line
                lines += [line[i : i + 7] for i in range(0, len(line), 7)] if wrap else [line]
        text = "\n".join(lines) + "\n"
    got, got_alpha = read_records("in.fasta", text=text, alphabet=alpha)
    assert got_alpha is alpha
    assert [(r, s) for r, s, _ in got] == [(r, s) for r, s, _ in records]
    for (_, _, want), (_, _, have) in zip(records, got):
        assert set(have) == set(want)
        # the writer keeps 6 significant digits
        assert all(same_value(want[k], have[k], rel=1e-5) for k in want)


@settings(max_examples=150)
@given(datasets(), st.sampled_from([",", "\t"]), st.sampled_from(["", "nan", "NA"]))
def test_table_round_trip(data, sep, missing):
    alpha, objs, records = data
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(["id", "sequence", *objs])
    for rid, seq, vals in records:
        w.writerow([rid, seq, *(missing if math.isnan(vals[k]) else repr(vals[k]) for k in objs)])
    name = "in.csv" if sep == "," else "in.tsv"
    got, _ = read_records(name, text=buf.getvalue(), alphabet=alpha)
    assert [(r, s) for r, s, _ in got] == [(r, s) for r, s, _ in records]
    for (_, _, want), (_, _, have) in zip(records, got):
        assert list(have) == objs
        assert all(same_value(want[k], have[k]) for k in objs)


# a lab's free text: commas, quotes, tabs, line breaks, '=' and words that look like numbers
free_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"),
    max_size=40,
)


@settings(max_examples=100)
@given(datasets(), st.sampled_from([",", "\t"]), st.data())
def test_columns_that_are_not_objectives_hold_anything_and_change_nothing(data, sep, draw):
    alpha, objs, records = data
    extra = draw.draw(st.lists(st.sampled_from(["Notes", "plate no.", "Well"]), unique=True))
    spots = [draw.draw(st.integers(0, len(objs) + 2)) for _ in extra]
    header = ["id", "sequence", *objs]
    for col, at in zip(extra, spots):
        header.insert(at, col)
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=sep, lineterminator="\n")
    w.writerow(header)
    for rid, seq, vals in records:
        row = {"id": rid, "sequence": seq, **{k: repr(v) for k, v in vals.items()}}
        w.writerow([row[c] if c in row else draw.draw(free_text) for c in header])
    read = read_measurements(
        "in.csv" if sep == "," else "in.tsv", text=buf.getvalue(), alphabet=alpha, objectives=objs
    )
    assert read.ignored == [c for c in header if c in extra]
    assert [(r, s) for r, s, _ in read.records] == [(r, s) for r, s, _ in records]
    for (_, _, want), (_, _, have) in zip(records, read.records):
        assert list(have) == objs and all(same_value(want[k], have[k]) for k in objs)


@settings(max_examples=100)
@given(datasets())
def test_dataset_means_and_counts_match_the_records(data):
    alpha, objs, records = data
    text = write_fasta_records((rid, vals, seq) for rid, seq, vals in records)
    ds, _ = read_labeled("in.fasta", text=text, alphabet=alpha)
    assert len(set(ds.sequences)) == len(ds.sequences) == len({s for _, s, _ in records})
    for i, q in enumerate(ds.sequences):
        for k, obj in enumerate(ds.objectives):
            vals = [
                float(f"{v[obj]:.6g}") for _, s, v in records if s == q and not math.isnan(v[obj])
            ]
            assert ds.counts[i, k] == len(vals)
            if vals:
                assert math.isclose(
                    ds.labels[i, k], sum(vals) / len(vals), rel_tol=1e-9, abs_tol=1e-300
                )
            else:
                assert math.isnan(ds.labels[i, k])


garbage_chars = st.sampled_from(list('>\n\r,\t=" ACGTUacgtxyz0123456789.-eEnaNA#;\x00é\ufeff'))
garbage = st.one_of(
    st.text(max_size=300),
    st.lists(garbage_chars, max_size=300).map("".join),
    st.lists(
        st.one_of(
            st.just(">"),
            st.just("\n"),
            st.just("sequence"),
            st.just("id"),
            st.just(","),
            st.just("\t"),
            st.just("y="),
            st.just("nan"),
            st.just("inf"),
            st.just("ACGT"),
            st.just("proxy_mean"),
            st.text(max_size=5),
        ),
        max_size=60,
    ).map("".join),
).map(lambda s: s.replace("\r", "\n"))


@settings(max_examples=400)
@given(
    garbage,
    st.sampled_from(["x.fasta", "x.csv", "x.tsv", "x.txt", "<stdin>"]),
    st.sampled_from([None, DNA, PROTEIN]),
)
def test_garbage_raises_only_input_error(text, name, alphabet):
    try:
        ds, alpha = read_labeled(name, text=text, alphabet=alphabet)
    except InputError as e:
        msg = str(e)
        assert msg.startswith(name + ":"), msg  # names the file
        assert "\n" not in msg, msg  # one line
        return
    assert len(ds) >= 1
    assert all(alpha.is_valid(q) for q in ds.sequences)
    assert np.isfinite(ds.labels[~np.isnan(ds.labels)]).all()


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_garbage_bytes_through_decode_raise_only_input_error(data):
    from seqdesign.io.labeled import decode

    try:
        text = decode(data, "<stdin>")
        read_labeled("<stdin>", text=text.replace("\r", "\n"))
    except InputError:
        pass


@settings(max_examples=200)
@given(
    st.sampled_from(list(ALPHABETS.values())).flatmap(
        lambda a: st.tuples(
            st.just(a),
            st.lists(
                st.text(st.sampled_from(a.letters), min_size=1, max_size=12),
                min_size=1,
                max_size=10,
            ),
        )
    )
)
def test_encode_decode_round_trip(data):
    alpha, seqs = data
    width = max(map(len, seqs)) + 2
    tokens = encode_tokens(seqs, alpha, width)
    assert tokens.shape == (len(seqs), width)
    assert ((tokens >= 0) & (tokens <= len(alpha))).all()
    assert decode_tokens(tokens, alpha) == seqs
