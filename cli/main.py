"""The ``seqdesign`` command: one typer app, one thin module per command."""

from __future__ import annotations

import sys
from typing import Any

import typer

from seqdesign import __version__
from seqdesign.cli.benchmark import benchmark_command
from seqdesign.cli.export import export_command
from seqdesign.cli.ingest import ingest_command
from seqdesign.cli.init import init_command
from seqdesign.cli.oracle import oracle_command
from seqdesign.cli.report import report_command
from seqdesign.cli.round import round_command
from seqdesign.cli.simulate import simulate_command
from seqdesign.cli.status import status_command

app = typer.Typer(
    name="seqdesign",
    help="Design biological sequences between wet-lab rounds: labeled FASTA/CSV in, a diverse batch out.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.command("round")(round_command)
app.command("oracle")(oracle_command)
app.command("simulate")(simulate_command)
app.command("benchmark")(benchmark_command)
app.command("init")(init_command)
app.command("ingest")(ingest_command)
app.command("status")(status_command)
app.command("export")(export_command)
app.command("report")(report_command)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"seqdesign {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    """seqdesign: ensemble proxies and GFlowNets for sequence design."""


#: the base of the option-parsing errors (click's ClickException, vendored or not by typer)
_CLICK_ERROR: Any = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def main() -> None:
    """The script: a wrong option is one line on stderr and exit 2, as every input error is
    (CLI.md), rather than click's three (usage, hint, error)."""
    try:
        code = app(standalone_mode=False)
    except _CLICK_ERROR as e:
        if type(e).__name__ == "NoArgsIsHelpError":  # bare `seqdesign`: the help, as before
            sys.stderr.write(e.format_message() + "\n")
            sys.exit(e.exit_code)
        ctx = getattr(e, "ctx", None)
        hint = f" (see {ctx.command_path} --help)" if ctx is not None else ""
        sys.stderr.write(f"seqdesign: error: {e.format_message()}{hint}\n")
        sys.exit(e.exit_code)
    except typer.Abort:  # end of input at a prompt, as click reports it
        sys.stderr.write("seqdesign: aborted\n")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
