"""A deep ensemble proxy: M independently initialized networks whose spread is the uncertainty.

Unlike the GFlowNet-AL reference code (one optimizer on the MSE of the ensemble *mean*, which
couples the members), each member here has its own initialization, its own data order and its
own early-stopping fold, is trained on its own loss, and gets its best weights restored
(Lakshminarayanan et al. 2017, https://arxiv.org/abs/1612.01474).

Member m holds out fold m of the labeled data for early stopping, so every labeled sequence is
held out by exactly one member: its out-of-fold prediction gives an honest held-out Spearman
correlation, and the share of held-out labels inside (that prediction ± 2 ensemble std) is the
calibration we report.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.stats import spearmanr

from seqdesign.alphabet import Alphabet
from seqdesign.dataset import Dataset
from seqdesign.encoding import encode_tokens, one_hot
from seqdesign.errors import ConfigError, InputError, NotFittedError, TrainingError
from seqdesign.proxy.nets import ARCHITECTURES

log = logging.getLogger(__name__)


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

    def validate(self) -> None:
        if self.arch not in ARCHITECTURES:
            raise ConfigError(
                f"proxy.arch must be one of {', '.join(ARCHITECTURES)}, got {self.arch!r}"
            )
        if self.members < 2:
            raise ConfigError(f"proxy.members must be >= 2 for an uncertainty, got {self.members}")
        if self.kmer_dims < 0:
            raise ConfigError(f"proxy.kmer_dims must be >= 0, got {self.kmer_dims}")
        for name in ("hidden", "layers", "batch_size", "max_steps", "patience", "eval_every"):
            if getattr(self, name) < 1:
                raise ConfigError(f"proxy.{name} must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise ConfigError(f"proxy.lr must be > 0, got {self.lr}")


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
        n, k = y.shape
        self.alphabet_, self.max_len_, self.objectives_ = alphabet, max_len, dataset.objectives
        self.y_mean_ = np.nanmean(y, axis=0)
        sd = np.nanstd(y, axis=0)
        self.y_std_ = np.where(sd > 0, sd, 1.0)
        z = (y - self.y_mean_) / self.y_std_  # (N, K), NaN where unmeasured

        m = s.members
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        extra = {"kmer_dims": s.kmer_dims} if s.arch == "mlp" else {}
        self.model_ = ARCHITECTURES[s.arch](
            m, max_len, len(alphabet), k, s.hidden, s.layers, gen, **extra
        ).to(self.device)
        tokens = torch.as_tensor(encode_tokens(seqs, alphabet, max_len), device=self.device)
        target = torch.as_tensor(np.nan_to_num(z), dtype=torch.float32, device=self.device)
        mask = torch.as_tensor(~np.isnan(z), dtype=torch.float32, device=self.device)

        fold = rng.permutation(n) % m if n >= 2 * m else np.full(n, -1)  # -1: no held-out data
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
            x = one_hot(tokens[idx], len(alphabet))  # (M, B, L, A)
            pred = self.model_(x)  # (M, B, K)
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
            losses = self._member_val_losses(tokens, target, mask, val_idx)
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
        self.std_scale_ = 1.0
        self.metrics_ = self._heldout_metrics(seqs, y, fold) if fold[0] >= 0 else {}
        log.debug(
            "proxy: %d members, %d steps; held-out spearman %.3f, coverage(±2sd) %.2f",
            m,
            step,
            self.metrics_.get("heldout_spearman", float("nan")),
            self.metrics_.get("heldout_coverage_2sd", float("nan")),
        )
        return self

    def _member_val_losses(
        self,
        tokens: torch.Tensor,
        target: torch.Tensor,
        mask: torch.Tensor,
        val_idx: list[np.ndarray],
    ) -> list[float]:
        size = min(len(v) for v in val_idx)
        idx = torch.as_tensor(np.stack([v[:size] for v in val_idx]), device=self.device)  # (M, V)
        with torch.no_grad():
            pred = self._forward_chunks(tokens, idx)
            err = ((pred - target[idx]) ** 2 * mask[idx]).sum(dim=(1, 2))
            cnt = mask[idx].sum(dim=(1, 2)).clamp(min=1.0)
        return (err / cnt).tolist()

    def _forward_chunks(
        self, tokens: torch.Tensor, idx: torch.Tensor, chunk: int = 2048
    ) -> torch.Tensor:
        """Member m's prediction on ``tokens[idx[m]]``: idx (M, V) -> (M, V, K), standardized units."""
        self.model_.eval()
        outs = [
            self.model_(one_hot(tokens[idx[:, i : i + chunk]], len(self.alphabet_)))
            for i in range(0, idx.shape[1], chunk)
        ]
        self.model_.train()
        return torch.cat(outs, dim=1)

    def _heldout_metrics(
        self, seqs: list[str], y: np.ndarray, fold: np.ndarray
    ) -> dict[str, float]:
        post = self.posterior(seqs).samples  # (M, N, K)
        oof = post[fold, np.arange(len(seqs))]  # (N, K): each row from the member that held it out
        std = post.std(axis=0, ddof=1)
        ok = ~np.isnan(y[:, 0])
        rho = spearmanr(oof[ok, 0], y[ok, 0]).statistic if ok.sum() > 2 else float("nan")
        ratio = np.abs(y[ok, 0] - oof[ok, 0]) / np.maximum(std[ok, 0], 1e-12)
        # post-hoc recalibration: scale the members' spread so that ±2 std covers 95% of the
        # held-out residuals (Kuleshov et al. 2018); the raw coverage is what we report
        self.std_scale_ = float(max(np.quantile(ratio, 0.95) / 2.0, 1.0)) if ok.sum() > 4 else 1.0
        return {
            "heldout_spearman": float(rho) if np.isfinite(rho) else float("nan"),
            "heldout_coverage_2sd": float((ratio <= 2).mean()) if ok.any() else float("nan"),
            "std_scale": self.std_scale_,
        }

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
        tokens = torch.as_tensor(
            encode_tokens(seqs, self.alphabet_, self.max_len_), device=self.device
        )
        idx = torch.arange(len(seqs), device=self.device).expand(m, -1)
        with torch.no_grad():
            z = self._forward_chunks(tokens, idx).double().cpu().numpy()  # (M, N, K)
        z = z.mean(axis=0) + self.std_scale_ * (z - z.mean(axis=0))  # recalibrated spread
        return Posterior(z * self.y_std_ + self.y_mean_)
