"""Shared fixtures: one torch thread, a tiny round config, small labeled files, a CLI runner.

The machine running the suite may have two busy cores: every test keeps torch on one thread and
uses small models (see ``SMALL_CONFIG``), so a ``round`` through the CLI takes about a second.
"""

from __future__ import annotations

import os

os.environ.setdefault("SEQDESIGN_THREADS", "1")

from collections.abc import Callable, Sequence  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402
from typer.testing import CliRunner, Result  # noqa: E402

torch.set_num_threads(1)

# Property tests: reproducible in CI (derandomized), no deadline on a busy machine.
settings.register_profile(
    "seqdesign",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("seqdesign")

#: A round small enough for ~1 s on one thread (the --budget fast preset, shrunk further).
SMALL_CONFIG = """\
[proxy]
members = 3
hidden = 32
max_steps = 200
eval_every = 50

[evolution]
queries = 1000
walkers = 64

[gflownet]
steps = 50
"""

#: Options every CLI round test passes: cheap models, a generator that is not being rebuilt.
FAST = ["--budget", "fast", "--generator", "random"]


@pytest.fixture(scope="session")
def small_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A --config TOML that shrinks every model and search."""
    path = tmp_path_factory.mktemp("config") / "small.toml"
    path.write_text(SMALL_CONFIG)
    return path


@pytest.fixture(scope="session")
def tfbind8():
    from seqdesign.oracles import get_oracle

    return get_oracle("tfbind8")


@pytest.fixture(scope="session")
def tf_labeled(tfbind8) -> tuple[list[str], np.ndarray]:
    """60 distinct 8-mers from the bottom half of TFBind8 and their binding scores."""
    seqs = tfbind8.sample_start(60, np.random.default_rng(123))
    return seqs, tfbind8(seqs)[:, 0]


@pytest.fixture(scope="session")
def tf_fasta(tmp_path_factory: pytest.TempPathFactory, tf_labeled) -> Path:
    """The 60 labeled 8-mers as FASTA with ``binding=`` headers."""
    seqs, y = tf_labeled
    path = tmp_path_factory.mktemp("data") / "tf_labeled.fasta"
    path.write_text(
        "".join(f">tf_{i:03d} binding={float(v)!r}\n{q}\n" for i, (q, v) in enumerate(zip(seqs, y)))
    )
    return path


@pytest.fixture(scope="session")
def tf_csv(tmp_path_factory: pytest.TempPathFactory, tf_labeled) -> Path:
    """The same data as CSV (id, sequence, binding)."""
    seqs, y = tf_labeled
    path = tmp_path_factory.mktemp("data") / "tf_labeled.csv"
    rows = "".join(f"tf_{i:03d},{q},{float(v)!r}\n" for i, (q, v) in enumerate(zip(seqs, y)))
    path.write_text("id,sequence,binding\n" + rows)
    return path


@pytest.fixture()
def cli() -> Callable[..., Result]:
    """Run ``seqdesign ARGS...`` in-process; stdout and stderr are kept apart."""
    from seqdesign.cli.main import app

    runner = CliRunner(env={"SEQDESIGN_THREADS": "1", "COLUMNS": "200"})

    def invoke(*args: object, input: str | bytes | None = None) -> Result:
        return runner.invoke(app, [str(a) for a in args], input=input)

    return invoke


@pytest.fixture()
def run_round(cli, small_config) -> Callable[..., Result]:
    """``seqdesign round IN -o OUT -n N`` with the small config and FAST options."""

    def invoke(
        source: object, output: object, n: int, *extra: object, input: str | None = None
    ) -> Result:
        return cli(
            "round",
            source,
            "-o",
            output,
            "-n",
            n,
            "--config",
            small_config,
            *FAST,
            *extra,
            input=input,
        )

    return invoke


def _sidecars(output: Path) -> list[Path]:
    """The files `round -o output` writes: the FASTA, its CSV sidecar and its settings."""
    return [output, output.with_suffix(".csv"), output.with_suffix(".settings.toml")]


@pytest.fixture()
def assert_user_error() -> Callable[..., str]:
    """Check CLI.md's exit-2 contract; returns the error line.

    Exit code 2, one line on stderr starting ``seqdesign: error:`` and holding every string of
    ``mentions``, no traceback, and none of the output files written.
    """

    def check(result: Result, output: Path | None, *mentions: str, lines: int | None = 1) -> str:
        err = result.stderr
        assert result.exit_code == 2, (result.exit_code, err, result.stdout)
        assert "Traceback" not in err and "Traceback" not in result.stdout
        assert isinstance(result.exception, SystemExit), result.exception
        error_lines = [ln for ln in err.splitlines() if ln.startswith("seqdesign: error:")]
        assert len(error_lines) == 1, err
        if lines is not None:
            assert len(err.strip().splitlines()) == lines, err
        for m in mentions:
            assert m in error_lines[0], (m, error_lines[0])
        if output is not None:
            for p in _sidecars(Path(output)):
                assert not p.exists(), f"{p} was written despite the error"
        return error_lines[0]

    return check


def _read_fasta(source: Path | str) -> list[tuple[str, dict[str, str], str]]:
    """(id, {key: value}, sequence) of each record of a FASTA written by seqdesign (path or text)."""
    text = (
        source if isinstance(source, str) and source.startswith(">") else Path(source).read_text()
    )
    out = []
    blocks = [b for b in text.split(">") if b.strip()]
    for b in blocks:
        head, *seq = b.strip().split("\n")
        rid, *fields = head.split()
        out.append((rid, dict(f.split("=", 1) for f in fields), "".join(seq)))
    return out


def _write_fasta(path: Path, records: Sequence[tuple[str, str, str]]) -> Path:
    """Write ``(id, description, sequence)`` records."""
    path.write_text("".join(f">{rid} {desc}\n{seq}\n" for rid, desc, seq in records))
    return path


@pytest.fixture()
def read_fasta() -> Callable[[Path | str], list[tuple[str, dict[str, str], str]]]:
    """Parse a FASTA written by seqdesign: ``[(id, {key: value}, sequence), ...]``."""
    return _read_fasta


@pytest.fixture()
def write_fasta() -> Callable[[Path, Sequence[tuple[str, str, str]]], Path]:
    """Write ``(id, description, sequence)`` records to a path; returns the path."""
    return _write_fasta


@pytest.fixture()
def sidecars() -> Callable[[Path], list[Path]]:
    """The files `round -o OUT` writes: OUT, its .csv sidecar and its .settings.toml."""
    return _sidecars


@pytest.fixture()
def gc_campaign() -> Callable[..., tuple]:
    """A two-objective campaign on DNA 30-mers (the count of G, the count of C) with tiny round
    settings: ``make(n, generator, proxy_steps=60, **multiobjective)`` gives ``(space, seqs,
    data, settings)`` (the seqs distinct, all measured)."""
    from seqdesign.alphabet import DNA
    from seqdesign.config import build_settings
    from seqdesign.dataset import Dataset
    from seqdesign.space import SequenceSpace

    def make(n: int, generator: str, proxy_steps: int = 60, **mo: object) -> tuple:
        space = SequenceSpace(DNA, 30, 30)
        seqs = list(dict.fromkeys(space.random(n, np.random.default_rng(0))))
        data = Dataset.from_records(
            [(f"s{i}", q, {"g": q.count("G"), "c": q.count("C")}) for i, q in enumerate(seqs)]
        )
        table = {
            # counts of one strand's letters: G of a sequence is C of its reverse complement
            "proxy": {"members": 2, "hidden": 16, "max_steps": proxy_steps, "symmetry": "none"},
            "gflownet": {"steps": 30, "trust_parents": 4},
            "multiobjective": mo,
        }
        return space, seqs, data, build_settings("fast", table, {"generator": generator})

    return make
