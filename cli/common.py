"""What every command shares: option types, logging on stderr, progress, error -> exit code."""

from __future__ import annotations

import contextlib
import logging
import sys
import traceback
from collections.abc import Callable, Iterator
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from seqdesign.errors import (
    CampaignBusyError,
    ConfigError,
    InputError,
    MissingExtraError,
    SeqDesignError,
    SpaceTooSmallError,
)

if TYPE_CHECKING:
    from seqdesign.config import RoundSettings

USER_ERRORS = (InputError, ConfigError, SpaceTooSmallError, MissingExtraError, CampaignBusyError)
err_console = Console(stderr=True)
log = logging.getLogger("seqdesign")


class Budget(str, Enum):
    fast = "fast"
    default = "default"
    thorough = "thorough"


class DeviceChoice(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class GeneratorChoice(str, Enum):
    gfn = "gfn"
    gfn_edit = "gfn-edit"
    mogfn = "mogfn"
    mogfn_edit = "mogfn-edit"
    nsga2 = "nsga2"
    exhaustive = "exhaustive"
    evolution = "evolution"
    random = "random"


class AcquisitionChoice(str, Enum):
    ucb = "ucb"
    ei = "ei"
    ts = "ts"
    mean = "mean"
    ehvi = "ehvi"


Quiet = Annotated[bool, typer.Option("-q", "--quiet", help="No progress bars; warnings only.")]
Verbose = Annotated[
    bool, typer.Option("-v", "--verbose", help="More detail; tracebacks on internal errors.")
]
Seed = Annotated[
    int | None,
    typer.Option(
        "--seed", help="Master seed: same seed, input and options give the same output on CPU."
    ),
]
BudgetOpt = Annotated[
    Budget, typer.Option("--budget", help="Compute preset: model sizes and steps.")
]
DeviceOpt = Annotated[
    DeviceChoice, typer.Option("--device", help="Where torch runs: auto picks cuda when available.")
]
ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="TOML file with any option and the algorithm settings ([proxy], [gflownet], [evolution], [selection], [multiobjective]).",
        dir_okay=False,
    ),
]
GeneratorOpt = Annotated[
    GeneratorChoice | None,
    typer.Option(
        "--generator",
        help="gfn: GFlowNet; gfn-edit: GFlowNet over at most --max-edits substitutions of a "
        "--parent (each design keeps its parent's length; without --parent: a few substitutions "
        "of the best measured sequences); mogfn: preference-conditioned GFlowNet (MOGFN-PC), "
        "several objectives; mogfn-edit: the same over substitutions (of a --parent, or of the "
        "measured Pareto front); nsga2: NSGA-II on the proxy, several objectives; exhaustive: "
        "score every unmeasured sequence with the proxy and hand selection the best (spaces "
        "of at most 200,000, e.g. DNA 8-mers; no generator to train); evolution: "
        "AdaLead-style; random. [default: gfn for one objective, mogfn for several (gfn with "
        "ehvi); gfn-edit instead of gfn when the longest length is 24 or more without --parent, "
        "from a fixed length of 64 with --parent/--max-edits]",
    ),
]
AcquisitionOpt = Annotated[
    AcquisitionChoice | None,
    typer.Option(
        "--acquisition",
        help="ucb: mean + kappa*std; ei: expected improvement; ts: Thompson sampling; mean; "
        "ehvi: noisy expected hypervolume improvement (ensemble members as joint posterior "
        "samples of the candidates and the measured front). Several objectives: ucb, mean and "
        "ts act per objective (scalarized for ranking, the front kept for selection), ehvi (2 "
        "or 3 objectives); ei is one objective only. One objective: ehvi is not available. "
        "[default: ucb]",
    ),
]
KappaOpt = Annotated[
    float | None,
    typer.Option(
        "--kappa",
        help="UCB weight on the ensemble std [default: 0.1; 0.5 with several objectives].",
    ),
]


def setup_logging(quiet: bool, verbose: bool) -> None:
    """Rich logs on stderr: warnings with -q, info by default, debug with -v."""
    level = logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO
    root = logging.getLogger("seqdesign")
    root.handlers.clear()
    handler = RichHandler(console=err_console, show_path=False, show_time=False, markup=False)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


def resolve_device(choice: DeviceChoice) -> str:
    import torch

    if choice is DeviceChoice.auto:
        return "cuda" if torch.cuda.is_available() else "cpu"
    if choice is DeviceChoice.cuda and not torch.cuda.is_available():
        raise ConfigError("--device cuda: no CUDA device is available to torch here")
    return choice.value


def set_threads() -> None:
    """Torch intra-op threads: 1 unless SEQDESIGN_THREADS says otherwise.

    Our networks are small: splitting each op over threads costs more than it gains, and on a
    busy 2-core machine it was measured 50x slower (a proxy fit of 1,000 8-mers: 2 s with one
    thread, 115 s with two while another process ran).
    """
    import os

    import torch

    try:
        threads = int(os.environ.get("SEQDESIGN_THREADS", "1"))
    except ValueError:
        raise ConfigError("SEQDESIGN_THREADS must be an integer") from None
    torch.set_num_threads(max(1, threads))


@contextlib.contextmanager
def errors_to_exit(verbose: bool) -> Iterator[None]:
    """Map errors to CLI.md's exit codes: 2 for the user's, 1 for ours, 130 for Ctrl-C."""
    try:
        yield
    except typer.Exit:
        raise
    except USER_ERRORS as e:
        err_console.print(
            f"seqdesign: error: {e}", markup=False, highlight=False, emoji=False, soft_wrap=True
        )
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err_console.print("seqdesign: interrupted; nothing was written", markup=False)
        raise typer.Exit(130) from None
    except (SeqDesignError, Exception) as e:  # noqa: BLE001 - the last line of defence
        if verbose:
            traceback.print_exc(file=sys.stderr)
        err_console.print(
            f"seqdesign: internal error: {type(e).__name__}: {e}"
            + ("" if verbose else " (rerun with -v for the traceback)"),
            markup=False,
            emoji=False,
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(1) from None


@contextlib.contextmanager
def progress_bars(quiet: bool) -> Iterator[Callable[..., None]]:
    """A ``(stage, step, total, detail="")`` callback drawing one bar per stage on stderr."""
    if quiet or not err_console.is_terminal:
        yield lambda stage, step, total, detail="": None
        return
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bars:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, step: int, total: int, detail: str = "") -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(
                tasks[stage], completed=step, total=total, description=f"{stage} {detail}".strip()
            )

        yield update


def read_input_text(path: str) -> tuple[str, str | None]:
    """``(display name, text)``; the text is read here only for ``-`` (stdin)."""
    if path == "-":
        from seqdesign.io.labeled import decode

        return "<stdin>", decode(sys.stdin.buffer.read(), "<stdin>")
    return path, None


#: top-level --config keys that are command options rather than algorithm settings
CLI_KEYS = {"seed", "alphabet", "length", "min_length", "max_length", "objective", "round"}
#: keys a written .settings.toml holds for the record; ignored when it is read back
RECORD_KEYS = {"version", "input", "proxy_metrics", "oracle", "rounds", "init", "n", "hv_reference"}


def split_config(table: dict, source: str) -> tuple[dict, dict]:
    """``(algorithm settings, command options)`` of a --config table."""
    settings = {k: v for k, v in table.items() if k not in CLI_KEYS | RECORD_KEYS}
    cli = {k: v for k, v in table.items() if k in CLI_KEYS}
    if "objective" in cli and isinstance(cli["objective"], str):
        cli["objective"] = [cli["objective"]]
    types = {
        "seed": int,
        "alphabet": str,
        "length": int,
        "min_length": int,
        "max_length": int,
        "objective": list,
        "round": int,
    }
    for key, value in cli.items():
        if not isinstance(value, types[key]) or isinstance(value, bool):
            raise ConfigError(f"{source}: {key} = {value!r}; expected {types[key].__name__}")
    if not all(isinstance(v, str) for v in cli.get("objective", [])):
        raise ConfigError(
            f"{source}: objective = {cli['objective']!r}; expected a list of 'NAME[:max|:min]' "
            "strings"
        )
    if "seed" in cli:
        from seqdesign.config import check_seed

        check_seed(cli["seed"], f"{source}: seed =")
    return settings, cli


def settings_from_options(
    table: dict,
    source: str,
    budget: Budget,
    generator: GeneratorChoice | None,
    acquisition: AcquisitionChoice | None,
    kappa: float | None,
    device: DeviceChoice,
) -> RoundSettings:
    """Round settings: the budget preset, then the --config table, then the flags."""
    from seqdesign.config import build_settings

    table = dict(table)
    if "device" in table:  # the config's device, unless --device names one
        raw = table.pop("device")
        try:
            given = DeviceChoice(raw)
        except ValueError:
            choices = ", ".join(c.value for c in DeviceChoice)
            raise ConfigError(f"{source}: device = {raw!r}: expected one of {choices}") from None
        if device is DeviceChoice.auto:
            device = given
    return build_settings(
        budget.value,
        table,
        {
            "generator": generator.value if generator else None,
            "acquisition": acquisition.value if acquisition else None,
            "kappa": kappa,
            "device": resolve_device(device),
            "budget": budget.value if budget is not Budget.default else None,
        },
        source=source,
    )


CampaignDir = Annotated[Path, typer.Argument(help="The campaign folder (made by seqdesign init).")]
WaitOpt = Annotated[
    float,
    typer.Option(
        "--wait",
        help="Seconds to wait while another seqdesign process changes the campaign [default: 0, refuse at once].",
        min=0,
    ),
]
