"""The installed `seqdesign` script, as a pipeline calls it: a real process, pipes and exit codes.

Each process pays about 3 s of imports (torch, scipy), so only the error path runs by default.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("seqdesign")
pytestmark = pytest.mark.skipif(
    not SCRIPT.exists() and not shutil.which("seqdesign"),
    reason="the seqdesign script is not installed",
)


def run(*args: object, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    exe = str(SCRIPT) if SCRIPT.exists() else shutil.which("seqdesign")
    env = {**os.environ, "SEQDESIGN_THREADS": "1"}
    return subprocess.run(
        [exe, *map(str, args)], input=stdin, capture_output=True, env=env, timeout=300
    )


def test_version_in_process(cli):
    res = cli("--version")
    assert res.exit_code == 0 and res.stdout.startswith("seqdesign ")
    res = cli("--help")
    assert res.exit_code == 0 and "round" in res.stdout and "simulate" in res.stdout


def test_a_real_process_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.fasta"
    bad.write_text(">a y=1\nACGT\n>b y=oops\nACGA\n")
    out = tmp_path / "out.fasta"
    res = run("round", bad, "-o", out, "-n", 4)
    err = res.stderr.decode()
    assert res.returncode == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("seqdesign: error: ") and "bad.fasta" in err and "record 2 (b)" in err
    assert res.stdout == b""
    assert not out.exists() and not out.with_suffix(".csv").exists()
    assert not out.with_suffix(".settings.toml").exists()


def test_a_file_redirected_to_stdin_is_an_input(tmp_path, tf_csv):
    labeled = tmp_path / "lab.csv"
    labeled.write_bytes(tf_csv.read_bytes())
    exe = str(SCRIPT) if SCRIPT.exists() else shutil.which("seqdesign")
    with open(labeled, "rb") as stdin:  # seqdesign round - -o lab.fasta < lab.csv
        res = subprocess.run(
            [exe, "round", "-", "-o", str(tmp_path / "lab.fasta"), "-n", "3"],
            stdin=stdin,
            capture_output=True,
            timeout=300,
        )
    err = res.stderr.decode()
    assert res.returncode == 2 and "is the input file redirected to stdin" in err, err
    assert labeled.read_bytes() == tf_csv.read_bytes()


def test_a_wrong_option_is_one_line_too(tmp_path):
    res = run("round", tmp_path / "x.csv", "-o", tmp_path / "p.fasta", "-n", 0)
    err = res.stderr.decode()
    assert res.returncode == 2, err
    assert err.count("\n") == 1 and err.startswith("seqdesign: error: Invalid value for '-n'")
    assert "(see seqdesign round --help)" in err
    res = run("--nope")
    assert res.returncode == 2 and res.stderr.decode().count("\n") == 1
    assert run("--version").returncode == 0


@pytest.mark.slow
def test_pipeline_stdin_to_files(tmp_path, tf_fasta, small_config):
    out = tmp_path / "out.fasta"
    res = run(
        "round",
        "-",
        "-o",
        out,
        "-n",
        4,
        "--config",
        small_config,
        "--budget",
        "fast",
        "--generator",
        "random",
        "-q",
        stdin=tf_fasta.read_bytes(),
    )
    assert res.returncode == 0, res.stderr.decode()
    assert res.stdout == b""
    assert out.read_text().count(">sd_r1_") == 4 and out.with_suffix(".csv").exists()
    res = run(
        "round",
        "-",
        "-o",
        "-",
        "-n",
        4,
        "--config",
        small_config,
        "--budget",
        "fast",
        "--generator",
        "random",
        "-q",
        stdin=tf_fasta.read_bytes(),
    )
    assert res.returncode == 0 and res.stdout.decode().count(">sd_r1_") == 4
