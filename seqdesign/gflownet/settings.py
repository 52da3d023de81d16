"""Settings of the GFlowNet generator: one frozen dataclass, with budget presets."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from seqdesign.errors import ConfigError

POLICIES = ("mlp", "transformer")
LOSSES = ("tb", "subtb")
DEVICES = ("cpu", "cuda")


@dataclass(frozen=True)
class GFlowNetSettings:
    """How the GFlowNet is built and trained.

    Attributes:
        policy: ``"mlp"`` (padded one-hot prefix) or ``"transformer"`` (small causal transformer).
        hidden: width of the hidden layers / the transformer.
        layers: hidden layers (MLP) or transformer blocks.
        heads: attention heads (transformer only).
        lr: Adam learning rate of the network.
        lr_logz: Adam learning rate of log Z (larger, as in the paper).
        batch_size: trajectories per step, on-policy and offline together.
        gamma: fraction of the batch taken from the labeled (offline) sequences, when any exist.
        beta: reward exponent, ``R = max(norm(a), r_min) ** beta``.
        beta_ramp: fraction of ``steps`` over which beta rises linearly from 1 to ``beta``
            (0: no ramp).
        r_min: floor of the normalized reward (> 0), so log R stays finite.
        norm_quantiles: (low, high) quantiles of the offline data's acquisition values that
            map to 0 and 1 (``(0, 1)``: min and max).
        epsilon: probability of a uniform random action while training (exploration).
        train_temperature: temperature of the behavior policy while training.
        temperature: temperature when sampling candidates after training (1: the learned
            distribution, proportional to R; < 1 sharper).
        steps: training steps (one Adam step each).
        loss: ``"tb"`` (trajectory balance) or ``"subtb"`` (SubTB(lambda)).
        subtb_lambda: lambda of SubTB.
        grad_clip: gradient-norm clipping.
        device: ``"cpu"`` or ``"cuda"``.
        local_search: refine on-policy samples by local search (Kim et al. 2023) and train on
            the refined ones too.
        local_search_k: tokens to back-track (truncate) before rebuilding with the policy.
        cache_size: at most this many rewards of on-policy sequences are kept between steps.
        trust_parents: ``gfn-edit`` without ``--parent``: the number of measured sequences, the
            best by the round's acquisition, whose neighbourhoods it designs in (a trust region
            around the data, as MOGFN-AL edited its current front).
        trust_radius: ... and the edits allowed from them, as a fraction of the length
            (``k = max(1, min(round(trust_radius * L), trust_max_edits))``).
        trust_max_edits: ... and at most this many (the proxy's reach is a number of mutations
            from its data, not a fraction of the length; it binds past L = 85 at the defaults).
        edit_work: ``gfn-edit``'s policy reads all L positions at each of k + 1 states, so a
            step costs L * (k + 1); up to this much the full ``steps`` are trained (L = 50 with
            k = 5 at the default), beyond it ``steps * edit_work / (L * (k + 1))``, at least a
            tenth of ``steps``: the round's cost stops growing with the length.
    """

    policy: str = "mlp"
    hidden: int = 256
    layers: int = 2
    heads: int = 4
    lr: float = 1e-3
    lr_logz: float = 5e-2
    batch_size: int = 64
    gamma: float = 0.5
    beta: float = 16.0
    beta_ramp: float = 0.0
    r_min: float = 1e-3
    norm_quantiles: tuple[float, float] = (0.0, 1.0)
    epsilon: float = 1e-2
    train_temperature: float = 1.0
    temperature: float = 1.0
    steps: int = 2000
    loss: str = "tb"
    subtb_lambda: float = 0.9
    grad_clip: float = 10.0
    device: str = "cpu"
    local_search: bool = False
    local_search_k: int = 4
    cache_size: int = 200_000
    trust_parents: int = 16
    trust_radius: float = 0.1
    trust_max_edits: int = 8
    edit_work: int = 300

    def __post_init__(self) -> None:
        # TOML has no tuples: accept a two-element list
        object.__setattr__(self, "norm_quantiles", tuple(float(q) for q in self.norm_quantiles))

    @classmethod
    def for_budget(cls, name: str, **overrides: Any) -> GFlowNetSettings:
        """A preset by compute budget, with optional overrides.

        Measured on 2 CPU cores (MLP policy, batch 64: about 6 ms per step at length 8 over 4
        letters, 35 ms at length 50 over 20): ``fast`` (500 steps of 32, width 128; seconds),
        ``default`` (2,000 steps of 64; 10 s to about a minute), ``thorough`` (10,000 steps at a
        lower learning rate, as the paper's 10k-20k; minutes).

        Raises:
            ConfigError: unknown preset name or setting.
        """
        presets: dict[str, dict[str, Any]] = {
            "fast": {"steps": 500, "batch_size": 32, "hidden": 128, "lr": 2e-3},
            "default": {},
            "thorough": {"steps": 10_000, "lr": 5e-4},
        }
        if name not in presets:
            raise ConfigError(f"unknown budget {name!r}; expected one of {', '.join(presets)}")
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(overrides) - fields)
        if unknown:
            raise ConfigError(f"unknown GFlowNet setting(s): {', '.join(unknown)}")
        return cls(**{**presets[name], **overrides})

    def validate(self) -> None:
        """Check every value; ``fit`` calls this.

        Raises:
            ConfigError: naming the first bad setting, its value and what was expected.
        """
        checks: list[tuple[bool, str]] = [
            (self.policy in POLICIES, f"policy must be one of {POLICIES}, got {self.policy!r}"),
            (self.loss in LOSSES, f"loss must be one of {LOSSES}, got {self.loss!r}"),
            (self.device in DEVICES, f"device must be one of {DEVICES}, got {self.device!r}"),
            (self.hidden >= 1 and self.layers >= 1, "hidden and layers must be >= 1"),
            (
                self.policy != "transformer" or (self.heads >= 1 and self.hidden % self.heads == 0),
                f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})",
            ),
            (
                0 < self.lr < math.inf and 0 < self.lr_logz < math.inf,
                f"lr and lr_logz must be finite and > 0, got {self.lr} and {self.lr_logz}",
            ),
            (self.batch_size >= 2, f"batch_size must be >= 2, got {self.batch_size}"),
            (0.0 <= self.gamma < 1.0, f"gamma must be in [0, 1), got {self.gamma}"),
            (0 < self.beta < math.inf, f"beta must be finite and > 0, got {self.beta}"),
            (0.0 <= self.beta_ramp <= 1.0, f"beta_ramp must be in [0, 1], got {self.beta_ramp}"),
            (0.0 < self.r_min < 1.0, f"r_min must be in (0, 1), got {self.r_min}"),
            (
                len(self.norm_quantiles) == 2
                and 0.0 <= self.norm_quantiles[0] < self.norm_quantiles[1] <= 1.0,
                f"norm_quantiles must satisfy 0 <= low < high <= 1, got {self.norm_quantiles}",
            ),
            (0.0 <= self.epsilon <= 1.0, f"epsilon must be in [0, 1], got {self.epsilon}"),
            (
                0 < self.temperature < math.inf and 0 < self.train_temperature < math.inf,
                "temperature and train_temperature must be finite and > 0",
            ),
            (self.steps >= 1, f"steps must be >= 1, got {self.steps}"),
            (self.subtb_lambda > 0, f"subtb_lambda must be > 0, got {self.subtb_lambda}"),
            (self.grad_clip > 0, f"grad_clip must be > 0, got {self.grad_clip}"),
            (self.local_search_k >= 1, f"local_search_k must be >= 1, got {self.local_search_k}"),
            (self.cache_size >= 0, f"cache_size must be >= 0, got {self.cache_size}"),
            (self.trust_parents >= 1, f"trust_parents must be >= 1, got {self.trust_parents}"),
            (
                0.0 < self.trust_radius <= 1.0,
                f"trust_radius must be in (0, 1], got {self.trust_radius}",
            ),
            (
                self.trust_max_edits >= 1,
                f"trust_max_edits must be >= 1, got {self.trust_max_edits}",
            ),
            (self.edit_work >= 1, f"edit_work must be >= 1, got {self.edit_work}"),
        ]
        for ok, message in checks:
            if not ok:
                raise ConfigError(f"GFlowNet settings: {message}")
