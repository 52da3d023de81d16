"""Read labeled sequences (FASTA with ``key=value`` headers, or CSV/TSV) into a Dataset.

The rules are those of CLI.md: letters are case-insensitive and validated against the alphabet,
whitespace inside a sequence is ignored, empty/``nan``/``NA`` means "not measured", a sequence
seen several times is a replicate (averaged, the count kept), and anything else wrong is an
:class:`InputError` naming the file and the record.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from Bio.SeqIO.FastaIO import SimpleFastaParser

from seqdesign.alphabet import PROTEIN, Alphabet, infer_alphabet
from seqdesign.dataset import Dataset
from seqdesign.errors import InputError
from seqdesign.io.records import check_id, clean_sequence, is_annotation, parse_value, short

Record = tuple[str, str, dict[str, float]]
FASTA_SUFFIXES = {".fa", ".fasta", ".fna", ".faa", ".fas", ".ffn"}
MAX_HEADER = 100_000


def sniff_format(name: str, text: str) -> str:
    """``fasta``, ``csv`` or ``tsv``: from the file suffix, else from the content."""
    suffix = Path(name).suffix.lower()
    if suffix in FASTA_SUFFIXES:
        return "fasta"
    if suffix == ".csv":
        return "csv"
    if suffix in {".tsv", ".tab"}:
        return "tsv"
    stripped = text.lstrip()
    if stripped.startswith(">"):
        return "fasta"
    first = stripped.split("\n", 1)[0]
    return "tsv" if "\t" in first else "csv"


def read_text(path: str | Path) -> str:
    """The text of ``path``; a missing, unreadable or binary file is an InputError."""
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    return decode(data, str(path))


def decode(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise InputError(f"{name}: looks binary (NUL bytes); expected FASTA, CSV or TSV text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        bad = data[e.start : e.end].hex(" ")
        raise InputError(
            f"{name}: line {line}: not UTF-8 text (byte {e.start}: {bad}, Latin-1 or Windows "
            "text?); expected UTF-8 FASTA, CSV or TSV text (save it as CSV UTF-8)"
        ) from None


@dataclass(frozen=True)
class LabeledFile:
    """The validated records of one labeled file.

    Attributes:
        records: ``(id, sequence, {objective: value})`` in file order (replicates not merged).
        alphabet: the alphabet the sequences were validated against.
        ignored: label columns (CSV/TSV) or ``key=value`` keys (FASTA) present in the file but
            not read because they are not among the objectives asked for, in file order; an
            unnamed column is listed as ``(column N)``. seqdesign's own annotations
            (``proxy_mean``, ``pred_<objective>``, ...) are never listed. Empty when every label
            was read (``objectives=None``).
    """

    records: list[Record]
    alphabet: Alphabet
    ignored: list[str]


def read_measurements(
    source: str | Path,
    *,
    text: str | None = None,
    alphabet: Alphabet | None = None,
    objectives: list[str] | None = None,
    partial: bool = False,
) -> LabeledFile:
    """Parse and validate every record, reading only the ``objectives`` columns/keys.

    Other columns and keys (a lab's ``notes``, ``plate``, ``well`` ...) are neither read nor
    validated (free text is fine) and are listed in :attr:`LabeledFile.ignored`.

    Args:
        source: a path, or a display name (e.g. ``<stdin>``) when ``text`` is given.
        text: the content, when it was read elsewhere (stdin).
        alphabet: validate against this alphabet; inferred from the letters when None.
        objectives: the measurement columns/keys to read; every label found (each must then
            be a number) when None.
        partial: when True, the file may carry any subset of ``objectives`` (at least one);
            when False, every one of them must be present.

    Raises:
        InputError: with the file, the record and what was expected.
    """
    name = str(source)
    if text is None:
        text = read_text(source)
    if not text.strip():
        raise InputError(f"{name}: empty file; expected labeled sequences (FASTA, CSV or TSV)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    fmt = sniff_format(name, text)
    if fmt == "fasta":
        records, ignored = _fasta_records(name, text, objectives, partial)
    else:
        sep = "\t" if fmt == "tsv" else ","
        records, ignored = _table_records(name, text, sep, objectives, partial)
    if not records:
        raise InputError(f"{name}: no records found; expected at least one sequence")
    alphabet = _check_alphabet(name, records, alphabet)
    _check_ids(name, records)
    return LabeledFile(records, alphabet, ignored)


def read_records(
    source: str | Path,
    *,
    text: str | None = None,
    alphabet: Alphabet | None = None,
    objectives: list[str] | None = None,
) -> tuple[list[Record], Alphabet]:
    """Parse and validate every record, in file order (replicates not merged).

    Args:
        source: a path, or a display name (e.g. ``<stdin>``) when ``text`` is given.
        text: the content, when it was read elsewhere (stdin).
        alphabet: validate against this alphabet; inferred from the letters when None.
        objectives: the measurement columns/keys to read, every one required (others are
            ignored); every one found when None. :func:`read_measurements` also says which
            were ignored, and can allow a subset.

    Returns:
        ``(id, sequence, {objective: value})`` records and the alphabet used.

    Raises:
        InputError: with the file, the record and what was expected.
    """
    read = read_measurements(source, text=text, alphabet=alphabet, objectives=objectives)
    return read.records, read.alphabet


def read_labeled(
    source: str | Path,
    *,
    text: str | None = None,
    alphabet: Alphabet | None = None,
    objectives: list[str] | None = None,
) -> tuple[Dataset, Alphabet]:
    """Parse and validate labeled sequences into a Dataset (replicates averaged).

    Arguments as :func:`read_records`.

    Raises:
        InputError: with the file, the record and what was expected.
    """
    records, alphabet = read_records(source, text=text, alphabet=alphabet, objectives=objectives)
    return Dataset.from_records(records, objectives), alphabet


_NOT_OBJECTIVE = "; if {key} is not an objective, name the objectives with --objective"


def _fasta_records(
    name: str, text: str, objectives: list[str] | None, partial: bool
) -> tuple[list[Record], list[str]]:
    """Records of a FASTA file, and the header keys not read (see :class:`LabeledFile`)."""
    if not text.lstrip().startswith(">"):
        raise InputError(f"{name}: line 1: expected a FASTA header starting with '>'")
    wanted = set(objectives) if objectives is not None else None
    labels: dict[str, None] = {}  # every label key seen, in order (annotations left out)
    records: list[Record] = []
    for i, (title, raw) in enumerate(SimpleFastaParser(io.StringIO(text)), start=1):
        if len(title) > MAX_HEADER:
            raise InputError(
                f"{name}: record {i}: header is {len(title)} characters; expected at most "
                f"{MAX_HEADER}"
            )
        parts = title.split()
        if not parts:
            raise InputError(f"{name}: record {i}: empty header; expected '>ID key=value ...'")
        rid = check_id(parts[0], f"{name}: record {i}")
        where = f"{name}: record {i} ({short(rid)})"
        values: dict[str, float] = {}
        _check_spacing(where, parts[1:], wanted)
        for token in parts[1:]:
            if "=" not in token:
                continue  # free text in the description
            key, _, val = token.partition("=")
            if not key or is_annotation(key):
                continue
            labels.setdefault(key)
            if wanted is not None and key not in wanted:
                continue  # not an objective: neither read nor validated
            if key in values:
                raise InputError(f"{where}: {key} given twice in the header")
            hint = _NOT_OBJECTIVE.format(key=short(key, 20)) if wanted is None else ""
            values[key] = parse_value(val, where, key, hint=hint)
        records.append((rid, clean_sequence(raw, where), values))
    if objectives is None or not records:
        return records, []
    missing = [o for o in objectives if o not in labels]
    present = ", ".join(short(k, 20) for k in labels) or "(none)"
    if partial and objectives and len(missing) == len(objectives):
        raise InputError(
            f"{name}: no measurements found; expected key=value labels for at least one of the "
            f"objectives {', '.join(objectives)}; the labels present are {present}"
        )
    if missing and not partial:
        raise InputError(
            f"{name}: objective {short(missing[0])!r} not found in any header; the labels present "
            f"are {present}"
        )
    return records, [k for k in labels if k not in objectives]


def _check_spacing(where: str, tokens: list[str], wanted: set[str] | None) -> None:
    """``key = 0.5``, ``key =0.5`` and ``key= 0.5`` (a space, or a non-breaking space pasted from
    a spreadsheet) read as free text and an empty value: the value would be lost.

    With objectives named (``wanted``), any value split from an objective's key is an error,
    and other keys are free text; with none named (every key is read), a number split from a
    word is.
    """

    def number(t: str) -> bool:
        try:
            float(t)
        except ValueError:
            return False
        return True

    def suspect(key: str, val: str) -> bool:
        if not key or "=" in key or is_annotation(key):
            return False
        return key in wanted if wanted is not None else number(val)

    for i, token in enumerate(tokens):
        before = tokens[i - 1] if i > 0 else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        key = val = ""
        if token == "=":
            key, val = before, after
        elif token.startswith("="):
            key, val = before, token[1:]
        elif token.endswith("=") and token.count("=") == 1 and "=" not in after:
            key, val = token[:-1], after
        if val and suspect(key, val):
            raise InputError(
                f"{where}: a space splits {short(key, 20)!r} from its value {short(val, 20)!r}; "
                f"expected {short(key, 20)}={short(val, 20)} (no space around '=')"
            )


def _table_records(
    name: str, text: str, sep: str, objectives: list[str] | None, partial: bool
) -> tuple[list[Record], list[str]]:
    """Records of a CSV/TSV table, and the label columns not read (see :class:`LabeledFile`).

    Parsed with the standard library's csv reader rather than pandas: it gives each record's
    line number and lets a row with the wrong number of fields be an error (pandas pads or
    shifts such rows silently).
    """
    bad = unclosed_quote_line(text, sep)
    if bad is not None:
        raise InputError(f"{name}: line {bad}: {UNCLOSED_QUOTE}")
    reader = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True)
    start = 1  # the line the row being read starts on
    try:
        header = next(reader, [])
        start = reader.line_num + 1
        cols = [c.strip() for c in header]
        lower = [c.lower() for c in cols]
        if "sequence" not in lower:
            raise InputError(
                f"{name}: line 1: no 'sequence' column; expected columns "
                f"sequence[,id],<objective>...; found {', '.join(short(c, 20) for c in cols[:8])}"
            )
        seq_col = lower.index("sequence")
        id_col = lower.index("id") if "id" in lower else None
        label_cols = [
            j for j, c in enumerate(cols) if j not in (seq_col, id_col) and not is_annotation(c)
        ]
        value_cols = label_cols
        if objectives is not None:
            labels = [cols[j] for j in label_cols]
            missing = [o for o in objectives if o not in labels]
            if partial and objectives and len(missing) == len(objectives):
                raise InputError(
                    f"{name}: line 1: no measurements found; expected a column for at least one "
                    f"of the objectives {', '.join(objectives)}; the columns are "
                    f"{', '.join(short(c, 20) for c in cols)}"
                )
            if missing and not partial:
                colon = next((cols[j] for j in label_cols if ":" in cols[j]), None)
                raise InputError(
                    f"{name}: line 1: objective column {short(missing[0])!r} not found; the "
                    f"columns are {', '.join(short(c, 20) for c in cols)}"
                    + (
                        f" (a name holding ':' takes its direction after it: --objective "
                        f"'{short(colon)}:max')"
                        if colon
                        else ""
                    )
                )
            value_cols = [cols.index(o) for o in objectives if o in labels]
        # the columns read must be unique; repeated names among ignored ones are harmless
        _check_unique(name, cols, [seq_col, *([] if id_col is None else [id_col]), *value_cols])
        ignored = list(
            dict.fromkeys(cols[j] or f"(column {j + 1})" for j in label_cols if j not in value_cols)
        )
        hint = _NOT_OBJECTIVE if objectives is None else ""
        records: list[Record] = []
        for row in reader:
            line, start = start, reader.line_num + 1
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != len(cols):
                raise InputError(
                    f"{name}: line {line}: {len(row)} fields; expected {len(cols)} like the header"
                )
            n = len(records) + 1
            rid = row[id_col].strip() if id_col is not None else ""
            rid = check_id(rid or f"row{n}", f"{name}: line {line}")
            where = f"{name}: line {line} ({short(rid)})"
            values = {
                cols[j]: parse_value(
                    row[j], where, cols[j], hint=hint.format(key=short(cols[j], 20))
                )
                for j in value_cols
            }
            records.append((rid, clean_sequence(row[seq_col], where), values))
    except csv.Error as e:
        raise InputError(f"{name}: line {start}: malformed table: {e}") from None
    return records, ignored


UNCLOSED_QUOTE = 'a quoted field starting on this line is never closed; expected a closing "'


def unclosed_quote_line(text: str, sep: str) -> int | None:
    """The line where a quote that swallows the rows after it opens, else None.

    Read leniently (as :func:`_table_records` reads), an unclosed quote takes every later row
    into one field without a word. A strict read finds it: it runs to the end of the file (or
    past the csv module's field limit), or a quote on a later line closes it mid-field. Strict
    reading alone would also refuse harmless text after a closing quote on the row's own line
    (``"0.5" ,``, ``"good" binder``), which is read as before.
    """
    strict = csv.reader(io.StringIO(text), delimiter=sep, skipinitialspace=True, strict=True)
    start = 1
    try:
        for _ in strict:
            start = strict.line_num + 1
    except csv.Error as e:
        msg = str(e)
        if "unexpected end of data" in msg:
            return start
        if "field larger than field limit" in msg:  # a long value, or a quote never closed
            lines = text.splitlines()
            return start if start <= len(lines) and '"' in lines[start - 1] else None
        return start if strict.line_num > start else None
    return None


def _check_unique(name: str, cols: list[str], read: Iterable[int]) -> None:
    """The columns at indices ``read`` have names used once in the header."""
    dupes = sorted({cols[j] for j in read if cols.count(cols[j]) > 1})
    if dupes:
        raise InputError(
            f"{name}: line 1: column {short(dupes[0])!r} appears twice; expected unique names"
        )


def _check_alphabet(name: str, records: list[Record], alphabet: Alphabet | None) -> Alphabet:
    if alphabet is None:
        alphabet = infer_alphabet(seq for _, seq, _ in records)
        if alphabet is None:
            used = sorted({c for _, seq, _ in records for c in seq})
            outside = [c for c in used if c not in PROTEIN.letters + "U"]
            if outside:
                for i, (rid, seq, _) in enumerate(records, start=1):
                    bad = sorted(set(seq) & set(outside))
                    if bad:
                        raise InputError(
                            f"{name}: record {i} ({short(rid)}): letter(s) {''.join(bad)} are not "
                            "DNA, RNA or protein; expected --alphabet dna|rna|protein letters"
                        )
            raise InputError(
                f"{name}: cannot infer the alphabet from the letters {''.join(used)}; "
                "pass --alphabet dna|rna|protein"
            )
    for i, (rid, seq, _) in enumerate(records, start=1):
        bad = alphabet.invalid_letters(seq)
        if bad:
            raise InputError(
                f"{name}: record {i} ({short(rid)}): letter(s) {''.join(bad)} not in the "
                f"{alphabet.name} alphabet; expected only {alphabet.letters}"
            )
    return alphabet


def _check_ids(name: str, records: list[Record]) -> None:
    seen: dict[str, str] = {}
    for i, (rid, seq, _) in enumerate(records, start=1):
        prev = seen.setdefault(rid, seq)
        if prev != seq:
            raise InputError(
                f"{name}: record {i}: id {short(rid)!r} is used for two different sequences; "
                "expected unique ids (replicates of one sequence may share an id)"
            )
