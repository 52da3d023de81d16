"""Round settings: frozen dataclasses, named budgets, TOML files, and flags layered on top.

Precedence, lowest first: the dataclass defaults, the ``--budget`` preset, the ``--config`` TOML
file, then command-line flags. The merged settings are written next to the outputs.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from seqdesign.errors import ConfigError
from seqdesign.generators import NAMES
from seqdesign.generators.evolution import EvolutionSettings
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.multiobjective import MultiObjectiveSettings
from seqdesign.proxy.ensemble import ProxySettings
from seqdesign.select import SelectionSettings
from seqdesign.tomlfmt import toml_value

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

BUDGETS = ("fast", "default", "thorough")
PROXY_BUDGETS: dict[str, dict[str, Any]] = {
    "fast": {"max_steps": 1000},
    "default": {"max_steps": 3000},
    "thorough": {"max_steps": 6000, "members": 8},
}
EVOLUTION_BUDGETS = {"fast": 4_000, "default": 15_000, "thorough": 50_000}
GENERATORS = ("auto", *NAMES)
ACQUISITIONS = ("ucb", "ei", "ts", "mean", "ehvi")
KAPPA_ONE = 0.1
"""UCB's kappa for one objective unless set: the best one-shot TFBind8 batch (0.1 to 2 hardly
differ over five rounds; commit ee70854)."""
KAPPA_SEVERAL = 0.5
"""UCB's kappa for several objectives unless set: where the proxy ranks one objective poorly
(FOXC1 binding in the TF pairs), 0.1 let the front stall; see the README's Several objectives."""


@dataclass(frozen=True)
class RoundSettings:
    """Everything one round needs besides its data.

    Attributes:
        generator: ``auto`` (``gfn`` for one objective, ``mogfn`` for several; ``gfn-edit``
            for long sequences near parents, see :func:`seqdesign.loop.resolve_generator`),
            ``gfn``, ``gfn-edit``, ``mogfn``, ``mogfn-edit``, ``nsga2``, ``evolution`` or
            ``random``.
        acquisition: ``ucb``, ``ei``, ``ts``, ``mean`` or ``ehvi`` (several objectives only;
            ``ei`` one objective only).
        kappa: UCB's weight on the (recalibrated) ensemble standard deviation; None (the
            default): :data:`KAPPA_ONE` for one objective, :data:`KAPPA_SEVERAL` for several
            (:meth:`for_objectives` resolves it: ``run_round`` and the settings files written).
        oversample: candidates sampled per proposed sequence before selection.
        budget: the named preset the sub-settings started from.
        device: ``cpu`` or ``cuda`` (``auto`` is resolved by the CLI).
        proxy, evolution, gflownet, selection, multiobjective: the sub-settings.
    """

    generator: str = "auto"
    acquisition: str = "ucb"
    kappa: float | None = None
    oversample: int = 20
    budget: str = "default"
    device: str = "cpu"
    proxy: ProxySettings = field(default_factory=ProxySettings)
    evolution: EvolutionSettings = field(default_factory=EvolutionSettings)
    gflownet: GFlowNetSettings = field(default_factory=GFlowNetSettings)
    selection: SelectionSettings = field(default_factory=SelectionSettings)
    multiobjective: MultiObjectiveSettings = field(default_factory=MultiObjectiveSettings)

    def validate(self) -> None:
        if self.generator not in GENERATORS:
            raise ConfigError(
                f"generator must be one of {', '.join(GENERATORS)}, got {self.generator!r}"
            )
        if self.acquisition not in ACQUISITIONS:
            raise ConfigError(
                f"acquisition must be one of {', '.join(ACQUISITIONS)}, got {self.acquisition!r}"
            )
        if self.kappa is not None and not math.isfinite(self.kappa):
            raise ConfigError(f"kappa must be a finite number, got {self.kappa}")
        if self.oversample < 1:
            raise ConfigError(f"oversample must be >= 1, got {self.oversample}")
        if self.device not in ("cpu", "cuda"):
            raise ConfigError(f"device must be cpu or cuda, got {self.device!r}")
        self.proxy.validate()
        self.evolution.validate()
        self.gflownet.validate()
        self.selection.validate()
        self.multiobjective.validate()

    def for_objectives(self, objectives: int) -> RoundSettings:
        """These settings for a round on ``objectives`` objectives: ``kappa`` set when None."""
        if self.kappa is not None:
            return self
        kappa = KAPPA_ONE if objectives == 1 else KAPPA_SEVERAL
        return dataclasses.replace(self, kappa=kappa)


SUB = {
    "proxy": ProxySettings,
    "evolution": EvolutionSettings,
    "gflownet": GFlowNetSettings,
    "selection": SelectionSettings,
    "multiobjective": MultiObjectiveSettings,
}


def _coerce(cls: type, table: dict[str, Any], where: str) -> dict[str, Any]:
    fields = {f.name: f for f in dataclasses.fields(cls)}
    out: dict[str, Any] = {}
    for key, value in table.items():
        if key not in fields:
            raise ConfigError(
                f"{where}: unknown setting {key!r}; expected one of {', '.join(fields)}"
            )
        default = fields[key].default
        at = (
            f"{where}.{key}" if where.endswith("]") else f"{where}: {key}"
        )  # [table].key; file: key
        if isinstance(default, bool) and not isinstance(value, bool):
            raise ConfigError(f"{at}: expected true or false, got {value!r}")
        if isinstance(default, float) or fields[key].type == "float | None":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ConfigError(f"{at}: expected a number, got {value!r}")
            value = float(value)
        if (
            isinstance(default, int)
            and not isinstance(default, bool)
            and not isinstance(value, int)
        ):
            raise ConfigError(f"{at}: expected an integer, got {value!r}")
        if isinstance(default, str) and not isinstance(value, str):
            raise ConfigError(f"{at}: expected a string, got {value!r}")
        out[key] = value
    return out


def check_seed(seed: int, where: str = "--seed", ledger: bool = False) -> None:
    """Refuse a seed numpy cannot take (a negative one), or, for a campaign (``ledger``), one
    its SQLite ledger cannot store (2^63 or more).

    Raises:
        ConfigError: with ``where`` and what was expected.
    """
    if ledger and not 0 <= seed < 2**63:
        raise ConfigError(f"{where} {seed}: expected an integer from 0 to 2^63-1")
    if seed < 0:
        raise ConfigError(f"{where} {seed}: expected an integer >= 0")


def load_toml(path: str | Path) -> dict[str, Any]:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise ConfigError(f"{path}: cannot read the config: {e.strerror or e}") from None
    try:
        loaded = tomllib.loads(data.decode("utf-8-sig"))  # a BOM, as some editors save
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not valid TOML: expected UTF-8 text") from None
    if "constraints" in loaded and not isinstance(loaded["constraints"], dict):
        raise ConfigError(f"{path}: [constraints] must be a table")
    return loaded


def build_settings(
    budget: str = "default",
    table: dict[str, Any] | None = None,
    flags: dict[str, Any] | None = None,
    source: str = "config",
) -> RoundSettings:
    """Merge the budget preset, a TOML table and flags (None values in ``flags`` are skipped)."""
    table = dict(table or {})
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    budget = flags.get("budget", table.get("budget", budget))
    if budget not in BUDGETS:
        where = "--budget" if "budget" in flags else f"{source}: budget"
        raise ConfigError(f"{where}: expected one of {', '.join(BUDGETS)}, got {budget!r}")
    subs: dict[str, Any] = {}
    for name, cls in SUB.items():
        sub = table.pop(name, {})
        if not isinstance(sub, dict):
            raise ConfigError(f"{source}: [{name}] must be a table")
        given = _coerce(cls, sub, f"{source} [{name}]")
        if name == "gflownet":
            try:
                subs[name] = GFlowNetSettings.for_budget(budget, **given)
            except TypeError as e:
                raise ConfigError(f"{source} [gflownet]: {e}") from None
            continue
        preset: dict[str, Any] = {}
        if name == "proxy":
            preset = PROXY_BUDGETS[budget]
        elif name == "evolution":
            preset = {"queries": EVOLUTION_BUDGETS[budget]}
        subs[name] = cls(**{**preset, **given})
    top = _coerce(RoundSettings, {k: v for k, v in table.items() if k not in ("budget",)}, source)
    try:  # what the file says, checked before the flags: its errors name the file
        RoundSettings(**{**top, "budget": budget, **subs}).validate()
    except ConfigError as e:
        raise ConfigError(f"{source}: {e}") from None
    top_flags = {k: v for k, v in flags.items() if k not in SUB and k != "budget"}
    merged = {**top, **top_flags, "budget": budget, **subs}
    settings = RoundSettings(**merged)
    if "device" in merged:
        settings = dataclasses.replace(
            settings, gflownet=dataclasses.replace(settings.gflownet, device=settings.device)
        )
    settings.validate()
    return settings


def to_toml(settings: RoundSettings, extra: dict[str, Any] | None = None) -> str:
    """The settings as TOML text (``extra`` top-level keys first, e.g. the seed); a setting
    left unset (None: resolved by the round) is left out, so it reads back unset."""
    lines = [f"{k} = {toml_value(v)}" for k, v in (extra or {}).items()]
    subs = []
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if dataclasses.is_dataclass(value):
            subs.append((f.name, value))
        elif value is not None:
            lines.append(f"{f.name} = {toml_value(value)}")
    for name, sub in subs:
        lines.append(f"\n[{name}]")
        lines += [f"{g.name} = {toml_value(getattr(sub, g.name))}" for g in dataclasses.fields(sub)]
    return "\n".join(lines) + "\n"
