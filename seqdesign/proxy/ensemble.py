"""A deep ensemble proxy: M independently initialized networks whose spread is the uncertainty.

Unlike the GFlowNet-AL reference code (one optimizer on the MSE of the ensemble *mean*, which
couples the members), each member here has its own initialization, its own data order and its
own early-stopping fold, is trained on its own loss, and gets its best weights restored
(Lakshminarayanan et al. 2017, https://arxiv.org/abs/1612.01474).

Member m holds out fold m of the labeled data for early stopping, so every labeled sequence is
held out by exactly one member: its out-of-fold prediction gives an honest held-out Spearman
correlation, and the share of held-out labels inside (that prediction ± 2 ensemble std) is the
calibration we report.

A double-stranded DNA molecule reads the same from either strand: where what is measured is
such a molecule (a transcription factor binding a probe), a sequence and its reverse complement
are one design and score alike. ``symmetry = "reverse-complement"`` builds that in: every
member predicts the mean of its outputs on the sequence and on its reverse complement, and a
sequence and its reverse complement always fall in the same held-out fold. ``"auto"`` (the
default) fits DNA both ways on the same folds and keeps the fit with the higher held-out
Spearman correlation (mean over objectives), so the data decide; other alphabets are fit as
they read.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

from seqdesign.alphabet import Alphabet
from seqdesign.dataset import Dataset
from seqdesign.encoding import encode_tokens, one_hot
from seqdesign.errors import ConfigError, InputError, NotFittedError, TrainingError
from seqdesign.metrics import spearman
from seqdesign.motifs import reverse_complement
from seqdesign.proxy.nets import ARCHITECTURES

log = logging.getLogger(__name__)

SYMMETRIES = ("auto", "none", "reverse-complement")
"""``[proxy] symmetry`` values: see the module docstring."""


@dataclass(frozen=True)
class ProxySettings:
    """Settings of the deep ensemble (frozen; loadable from the ``[proxy]`` TOML table)."""

    arch: str = "mlp"
    members: int = 5
    hidden: int = 64
    layers: int = 2
    lr: float = 1e-3
    weight_decay: float = 1e-5
    batch_size: int = 128
    max_steps: int = 3000
    patience: int = 10
    eval_every: int = 50
    kmer_dims: int = 512  # mlp: also count every k-mer with A^k <= this (0: one-hot only)
    symmetry: str = "auto"  # DNA: "auto" tries reverse-complement invariance; "none"; or forced

    def validate(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ConfigError(
                f"proxy.arch must be one of {', '.join(ARCHITECTURES)}, got {self.arch!r}"
            )
        if self.symmetry not in SYMMETRIES:
            raise ConfigError(
                f"proxy.symmetry must be one of {', '.join(SYMMETRIES)}, got {self.symmetry!r}"
            )
        if self.members < 2:
            raise ConfigError(f"proxy.members must be >= 2 for an uncertainty, got {self.members}")
        if self.kmer_dims < 0:
            raise ConfigError(f"proxy.kmer_dims must be >= 0, got {self.kmer_dims}")
        for name in ("hidden", "layers", "batch_size", "max_steps", "patience", "eval_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"proxy.{name} must be >= 1, got {getattr(self, name)}")
        if not 0 < self.lr < math.inf:
            raise ConfigError(f"proxy.lr must be finite and > 0, got {self.lr}")
        if not 0 <= self.weight_decay < math.inf:
            raise ConfigError(
                f"proxy.weight_decay must be finite and >= 0, got {self.weight_decay}"
            )


@dataclass(frozen=True)
class Posterior:
    """Per-member predictions, in the units of the labels.

    Attributes:
        samples: (M, N, K) float64, member m's prediction for sequence n, objective k.
    """

    samples: np.ndarray

    @property
    def mean(self) -> np.ndarray:
        """(N, K) ensemble mean."""
        return self.samples.mean(axis=0)

    @property
    def std(self) -> np.ndarray:
        """(N, K) ensemble standard deviation (the epistemic uncertainty)."""
        return self.samples.std(axis=0, ddof=1)


class DeepEnsemble:
    """Deep-ensemble regression proxy over sequences.

    Args:
        settings: architecture and training settings.
        device: torch device to train and predict on.
    """

    model_: torch.nn.Module
    steps_: int
    std_scale_: float
    metrics_: dict[str, float]
    symmetric_: bool

    def __init__(self, settings: ProxySettings | None = None, device: str = "cpu") -> None:
        self.settings = settings or ProxySettings()
        self.device = torch.device(device)

    def fit(
        self,
        dataset: Dataset,
        alphabet: Alphabet,
        max_len: int,
        rng: np.random.Generator,
        on_step: Callable[[int, int], None] | None = None,
    ) -> DeepEnsemble:
        """Train every member on the measured rows of ``dataset``.

        Args:
            dataset: labeled sequences; rows with a missing objective are masked in the loss.
            alphabet: the letters.
            max_len: the longest sequence the proxy will be asked about.
            rng: source of every random choice (initialization, folds, batches).
            on_step: optional progress callback ``(step, total)``.
        """
        s = self.settings
        s.validate()
        y = dataset.labels
        keep = ~np.isnan(y).all(axis=1)
        if keep.sum() < 2:
            raise InputError(
                f"need at least 2 measured sequences to fit the proxy, found {int(keep.sum())}"
            )
        seqs = [q for q, k in zip(dataset.sequences, keep) if k]
        y = y[keep]
        k = y.shape[1]
        self.alphabet_, self.max_len_, self.objectives_ = alphabet, max_len, dataset.objectives
        self.y_mean_ = np.nanmean(y, axis=0)
        sd = np.nanstd(y, axis=0)
        self.y_std_ = np.where(sd > 0, sd, 1.0)
        z = (y - self.y_mean_) / self.y_std_  # (N, K), NaN where unmeasured

        options = self._symmetries(alphabet)
        tokens = self._tokens(seqs, alphabet, max_len, rc=False)
        rc_tokens = self._tokens(seqs, alphabet, max_len, rc=True) if any(options) else None
        target = torch.as_tensor(np.nan_to_num(z), dtype=torch.float32, device=self.device)
        mask = torch.as_tensor(~np.isnan(z), dtype=torch.float32, device=self.device)
        fold: np.ndarray | None = None
        fits = []  # (held-out score, learned state) per fit
        for i, symmetric in enumerate(options):
            tick = None if on_step is None else _offset(on_step, i, s.max_steps, len(options))
            self.symmetric_ = symmetric
            init = int(rng.integers(2**62))  # each fit's initialization seed, then (once) the folds
            if fold is None:
                fold = self._folds(seqs, rng, grouped=any(options))
            rc = rc_tokens if symmetric else None
            self._train(tokens, rc, target, mask, k, fold, init, rng, tick)
            self.std_scale_ = 1.0
            score = -2.0
            self.metrics_ = {}
            if fold[0] >= 0:
                self.metrics_, rho = self._heldout_metrics(seqs, y, fold)
                score = float(np.nan_to_num(rho, nan=-2.0))
            fits.append((score, (self.model_, self.steps_, self.std_scale_, self.metrics_)))
        # the invariant fit only when it predicts held-out data strictly better
        best = max(range(len(fits)), key=lambda j: (fits[j][0], -j))
        self.symmetric_ = options[best]
        self.model_, self.steps_, self.std_scale_, self.metrics_ = fits[best][1]
        if self.metrics_ and (len(options) > 1 or self.symmetric_):
            self.metrics_["reverse_complement"] = float(self.symmetric_)
        log.debug(
            "proxy: %d members, %d steps%s; held-out spearman %.3f, coverage(±2sd) %.2f",
            s.members,
            self.steps_,
            ", reverse-complement invariant" if self.symmetric_ else "",
            self.metrics_.get("heldout_spearman", float("nan")),
            self.metrics_.get("heldout_coverage_2sd", float("nan")),
        )
        return self

    def _symmetries(self, alphabet: Alphabet) -> list[bool]:
        """The fits to try: reverse-complement invariant or not (``auto``: both, for DNA)."""
        dna = set(alphabet.letters) == set("ACGT")
        sym = self.settings.symmetry
        if sym == "reverse-complement":
            if not dna:
                raise ConfigError(
                    "proxy.symmetry = 'reverse-complement' needs the DNA alphabet (ACGT), "
                    f"got {alphabet.name!r}"
                )
            return [True]
        return [False, True] if sym == "auto" and dna else [False]

    def _tokens(self, seqs: list[str], alphabet: Alphabet, max_len: int, rc: bool) -> torch.Tensor:
        """(N, L) tokens of ``seqs`` (of their reverse complements when ``rc``)."""
        if rc:
            seqs = [reverse_complement(q, alphabet) for q in seqs]
        return torch.as_tensor(encode_tokens(seqs, alphabet, max_len), device=self.device)

    def _folds(self, seqs: list[str], rng: np.random.Generator, grouped: bool) -> np.ndarray:
        """(N,) the member that holds each sequence out (-1 everywhere: too few to hold out).

        ``grouped``: a sequence and its reverse complement share a fold (no leak between them).
        """
        n, m = len(seqs), self.settings.members
        if n < 2 * m:
            return np.full(n, -1)
        if not grouped:
            return rng.permutation(n) % m
        keys = [min(q, reverse_complement(q, self.alphabet_)) for q in seqs]
        groups = {key: i for i, key in enumerate(dict.fromkeys(keys))}
        of_group = rng.permutation(len(groups)) % m
        return of_group[[groups[key] for key in keys]]

    def _train(
        self,
        tokens: torch.Tensor,
        rc_tokens: torch.Tensor | None,
        target: torch.Tensor,
        mask: torch.Tensor,
        k: int,
        fold: np.ndarray,
        init: int,
        rng: np.random.Generator,
        on_step: Callable[[int, int], None] | None,
    ) -> None:
        """Train fresh members, initialized from seed ``init``, on the folds (reverse-complement
        invariant with ``rc_tokens``); ``rng`` orders the batches."""
        s = self.settings
        m, alphabet, max_len = s.members, self.alphabet_, self.max_len_
        gen = torch.Generator().manual_seed(init)
        extra = {"kmer_dims": s.kmer_dims} if s.arch == "mlp" else {}
        self.model_ = ARCHITECTURES[s.arch](
            m, max_len, len(alphabet), k, s.hidden, s.layers, gen, **extra
        ).to(self.device)
        train_idx = [np.flatnonzero(fold != j) for j in range(m)]
        val_idx = [np.flatnonzero(fold == j) for j in range(m)]
        opt = torch.optim.Adam(self.model_.parameters(), lr=s.lr, weight_decay=s.weight_decay)
        best = [np.inf] * m
        best_state = {name: p.detach().clone() for name, p in self.model_.named_parameters()}
        waited = [0] * m
        batch = min(s.batch_size, min(len(t) for t in train_idx))
        orders = [rng.permutation(t) for t in train_idx]
        cursor = 0
        step = 0
        for step in range(1, s.max_steps + 1):
            if cursor + batch > min(len(o) for o in orders):
                orders = [rng.permutation(t) for t in train_idx]
                cursor = 0
            idx = torch.as_tensor(
                np.stack([o[cursor : cursor + batch] for o in orders]), device=self.device
            )
            cursor += batch
            pred = self._predict(tokens, rc_tokens, idx)  # (M, B, K)
            err = (pred - target[idx]) ** 2 * mask[idx]
            loss = err.sum() / mask[idx].sum().clamp(min=1.0)
            if not torch.isfinite(loss):
                raise TrainingError(f"proxy training diverged at step {step} (loss {loss.item()})")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            if on_step is not None:
                on_step(step, s.max_steps)
            if fold[0] < 0 or step % s.eval_every:
                continue
            losses = self._member_val_losses(tokens, rc_tokens, target, mask, val_idx)
            improved = False
            for j, v in enumerate(losses):
                if v < best[j] - 1e-6:
                    best[j], waited[j], improved = v, 0, True
                    for name, p in self.model_.named_parameters():
                        best_state[name][j] = p.detach()[j]
                else:
                    waited[j] += 1
            if not improved and min(waited) >= s.patience:
                break
        if fold[0] >= 0:
            with torch.no_grad():
                for name, p in self.model_.named_parameters():
                    p.copy_(best_state[name])
        self.steps_ = step
        if on_step is not None and step < s.max_steps:
            on_step(s.max_steps, s.max_steps)  # stopped early: the bar ends full

    def _predict(
        self, tokens: torch.Tensor, rc_tokens: torch.Tensor | None, idx: torch.Tensor
    ) -> torch.Tensor:
        """Member m's output on ``tokens[idx[m]]`` (M, V) -> (M, V, K); with ``rc_tokens``, the
        mean of the outputs on both strands."""
        a = len(self.alphabet_)
        out = self.model_(one_hot(tokens[idx], a))
        if rc_tokens is not None:
            out = 0.5 * (out + self.model_(one_hot(rc_tokens[idx], a)))
        return out

    def _member_val_losses(
        self,
        tokens: torch.Tensor,
        rc_tokens: torch.Tensor | None,
        target: torch.Tensor,
        mask: torch.Tensor,
        val_idx: list[np.ndarray],
    ) -> list[float]:
        size = min(len(v) for v in val_idx)
        idx = torch.as_tensor(np.stack([v[:size] for v in val_idx]), device=self.device)  # (M, V)
        with torch.no_grad():
            pred = self._forward_chunks(tokens, idx, rc_tokens)
            err = ((pred - target[idx]) ** 2 * mask[idx]).sum(dim=(1, 2))
            cnt = mask[idx].sum(dim=(1, 2)).clamp(min=1.0)
        return (err / cnt).tolist()

    def _forward_chunks(
        self,
        tokens: torch.Tensor,
        idx: torch.Tensor,
        rc_tokens: torch.Tensor | None = None,
        chunk: int = 2048,
    ) -> torch.Tensor:
        """Member m's prediction on ``tokens[idx[m]]``: idx (M, V) -> (M, V, K), standardized units."""
        self.model_.eval()
        outs = [
            self._predict(tokens, rc_tokens, idx[:, i : i + chunk])
            for i in range(0, idx.shape[1], chunk)
        ]
        self.model_.train()
        return torch.cat(outs, dim=1)

    def _heldout_metrics(
        self, seqs: list[str], y: np.ndarray, fold: np.ndarray
    ) -> tuple[dict[str, float], float]:
        """The reported metrics (objective 0) and the mean held-out Spearman over objectives."""
        post = self.posterior(seqs).samples  # (M, N, K)
        oof = post[fold, np.arange(len(seqs))]  # (N, K): each row from the member that held it out
        std = post.std(axis=0, ddof=1)
        rhos = np.full(y.shape[1], np.nan)  # (K,) every objective's
        for j in range(y.shape[1]):
            has = ~np.isnan(y[:, j])
            if has.sum() > 2:
                rhos[j] = spearman(oof[has, j], y[has, j])
        rho = rhos[0]
        ok = ~np.isnan(y[:, 0])
        ratio = np.abs(y[ok, 0] - oof[ok, 0]) / np.maximum(std[ok, 0], 1e-12)
        # post-hoc recalibration: scale the members' spread so that ±2 std covers 95% of the
        # held-out residuals (Kuleshov et al. 2018); the raw coverage is what we report. One
        # scale for every objective, the largest any of them needs: held-out folds understate
        # the residuals of unseen sequences, and scales fit per objective covered fewer of them
        # than the largest did (TF pairs, n-grams, AMP; see the README's Several objectives)
        needs = [1.0]
        for j in range(y.shape[1]):
            has = ~np.isnan(y[:, j])
            if has.sum() > 4:
                r = np.abs(y[has, j] - oof[has, j]) / np.maximum(std[has, j], 1e-12)
                needs.append(float(np.quantile(r, 0.95) / 2.0))
        self.std_scale_ = max(needs)
        metrics = {
            "heldout_spearman": float(rho) if np.isfinite(rho) else float("nan"),
            "heldout_coverage_2sd": float((ratio <= 2).mean()) if ok.any() else float("nan"),
            "std_scale": self.std_scale_,
        }
        mean_rho = float(np.nanmean(rhos)) if np.isfinite(rhos).any() else float("nan")
        return metrics, mean_rho

    def posterior(self, seqs: list[str]) -> Posterior:
        """Per-member predictions for ``seqs`` (each at most ``max_len`` long).

        Returns:
            Posterior with samples of shape (M, N, K), in label units.
        """
        if not hasattr(self, "model_"):
            raise NotFittedError("DeepEnsemble.posterior called before fit")
        m = self.settings.members
        if not seqs:
            return Posterior(np.zeros((m, 0, len(self.objectives_))))
        tokens = self._tokens(seqs, self.alphabet_, self.max_len_, rc=False)
        rc = self._tokens(seqs, self.alphabet_, self.max_len_, rc=True) if self.symmetric_ else None
        idx = torch.arange(len(seqs), device=self.device).expand(m, -1)
        with torch.no_grad():
            z = self._forward_chunks(tokens, idx, rc).double().cpu().numpy()  # (M, N, K)
        z = z.mean(axis=0) + self.std_scale_ * (z - z.mean(axis=0))  # recalibrated spread
        return Posterior(z * self.y_std_ + self.y_mean_)


def _offset(
    on_step: Callable[[int, int], None], i: int, steps: int, fits: int
) -> Callable[[int, int], None]:
    """Fit ``i`` of ``fits`` reports its steps on one bar over all of them."""

    def tick(step: int, _total: int) -> None:
        on_step(i * steps + step, fits * steps)

    return tick
