"""Reading labeled sequences and writing proposals, in the formats of CLI.md."""

from seqdesign.io.labeled import (
    LabeledFile,
    Record,
    read_labeled,
    read_measurements,
    read_records,
    sniff_format,
)
from seqdesign.io.output import (
    atomic_write_bytes,
    atomic_write_text,
    check_output_folder,
    check_output_path,
    fresh_folder,
    write_fasta_records,
)

__all__ = [
    "LabeledFile",
    "Record",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_folder",
    "check_output_path",
    "fresh_folder",
    "read_labeled",
    "read_measurements",
    "read_records",
    "sniff_format",
    "write_fasta_records",
]
