"""Dataset: unique sequences with their (possibly missing) measurements."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqdesign.errors import InputError


@dataclass(frozen=True)
class Dataset:
    """Unique sequences and their averaged measurements.

    Attributes:
        sequences: N unique upper-case sequences.
        ids: N record ids (the first id seen for a sequence measured several times).
        objectives: K objective names, in column order.
        labels: (N, K) float64, the mean of the replicates; NaN where not measured.
        counts: (N, K) int64, how many replicates each mean averages (0 where not measured).
    """

    sequences: list[str]
    ids: list[str]
    objectives: tuple[str, ...]
    labels: np.ndarray
    counts: np.ndarray

    def __post_init__(self) -> None:
        n, k = len(self.sequences), len(self.objectives)
        if len(self.ids) != n or self.labels.shape != (n, k) or self.counts.shape != (n, k):
            raise ValueError("Dataset fields disagree in shape")

    def __len__(self) -> int:
        return len(self.sequences)

    @property
    def measured(self) -> np.ndarray:
        """(N,) bool: every objective of the row is measured."""
        return ~np.isnan(self.labels).any(axis=1)

    @property
    def labeled(self) -> np.ndarray:
        """(N,) bool: at least one objective of the row is measured."""
        return ~np.isnan(self.labels).all(axis=1)

    @property
    def n_labeled(self) -> int:
        """How many rows have at least one objective measured."""
        return int(self.labeled.sum())

    @property
    def unmeasured_objectives(self) -> list[str]:
        """The objectives with no measured value in any row."""
        empty = np.isnan(self.labels).all(axis=0)
        return [name for name, e in zip(self.objectives, empty) if e]

    def check_fittable(self, source: str | None = None) -> None:
        """Refuse data a proxy cannot be fit on: fewer than 2 rows with a measurement, or an
        objective with no value in any row.

        Args:
            source: the file the data came from, to begin the message with.

        Raises:
            InputError: naming ``source``, the count or the objective.
        """
        where = f"{source}: " if source else ""
        if self.n_labeled < 2:
            raise InputError(
                f"{where}{self.n_labeled} record(s) with a measurement; expected at least 2 "
                "to fit the proxy"
            )
        if self.unmeasured_objectives:
            raise InputError(
                f"{where}objective {self.unmeasured_objectives[0]!r} has no value in any record; "
                "expected at least one measurement of it"
            )

    def subset(self, mask: np.ndarray) -> Dataset:
        idx = np.flatnonzero(mask)
        return Dataset(
            sequences=[self.sequences[i] for i in idx],
            ids=[self.ids[i] for i in idx],
            objectives=self.objectives,
            labels=self.labels[idx],
            counts=self.counts[idx],
        )

    def select_objectives(self, names: list[str], source: str = "input") -> Dataset:
        """The dataset restricted to ``names`` (in that order)."""
        missing = [n for n in names if n not in self.objectives]
        if missing:
            raise InputError(
                f"{source}: objective {missing[0]!r} not found; the labels present are "
                f"{', '.join(self.objectives) or '(none)'}"
            )
        cols = [self.objectives.index(n) for n in names]
        return Dataset(
            self.sequences, self.ids, tuple(names), self.labels[:, cols], self.counts[:, cols]
        )

    @classmethod
    def from_records(
        cls,
        records: list[tuple[str, str, dict[str, float]]],
        objectives: list[str] | None = None,
    ) -> Dataset:
        """Build from ``(id, sequence, {objective: value})`` records, averaging replicates.

        A value of NaN means "not measured". Objective order: ``objectives`` if given, otherwise
        the order of first appearance.
        """
        if objectives is None:
            objectives = []
            for _, _, vals in records:
                for key in vals:
                    if key not in objectives:
                        objectives.append(key)
        k = len(objectives)
        col = {name: j for j, name in enumerate(objectives)}
        row: dict[str, int] = {}
        ids: list[str] = []
        seqs: list[str] = []
        sums: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        for rid, seq, vals in records:
            i = row.get(seq)
            if i is None:
                i = row[seq] = len(seqs)
                seqs.append(seq)
                ids.append(rid)
                sums.append(np.zeros(k))
                counts.append(np.zeros(k, dtype=np.int64))
            for key, v in vals.items():
                if key in col and not np.isnan(v):
                    sums[i][col[key]] += v
                    counts[i][col[key]] += 1
        s = np.array(sums, dtype=np.float64).reshape(len(seqs), k)
        c = np.array(counts, dtype=np.int64).reshape(len(seqs), k)
        with np.errstate(invalid="ignore", divide="ignore"):
            labels = np.where(c > 0, s / np.maximum(c, 1), np.nan)
        return cls(seqs, ids, tuple(objectives), labels, c)
