"""Where results go: never over an input, never over a device or a folder, nothing half-written."""

from __future__ import annotations

import os
import shutil

import pytest

ROUND = ["--budget", "fast", "--generator", "random"]


def copy_of(src, tmp_path, name: str):
    dst = tmp_path / name
    shutil.copy(src, dst)
    return dst


def test_round_refuses_an_output_whose_sidecar_is_the_labeled_input(
    tmp_path, run_round, assert_user_error, tf_csv
):
    labeled = copy_of(tf_csv, tmp_path, "base.csv")
    before = labeled.read_bytes()
    res = run_round(labeled, tmp_path / "base.fasta", 4)
    # the sidecar base.csv is the input: nothing is written, the measurements are intact
    assert res.exit_code == 2 and "is the input file" in res.stderr, res.stderr
    assert labeled.read_bytes() == before
    assert not (tmp_path / "base.fasta").exists()
    assert not (tmp_path / "base.settings.toml").exists()


def test_round_refuses_to_write_over_labeled_or_exclude(
    tmp_path, run_round, assert_user_error, tf_fasta
):
    labeled = copy_of(tf_fasta, tmp_path, "b.fasta")
    before = labeled.read_bytes()
    res = run_round(labeled, labeled, 4)
    assert_user_error(res, None, "-o", "is the input file")
    assert labeled.read_bytes() == before
    skip = tmp_path / "s.csv"
    skip.write_text("sequence\nACGTACGT\n")
    res = run_round(labeled, tmp_path / "s.fasta", 4, "--exclude", skip)
    assert_user_error(res, None, "(sidecar)", "s.csv")
    assert skip.read_text() == "sequence\nACGTACGT\n"


def test_round_refuses_a_pipe_or_a_folder_in_the_way(
    tmp_path, run_round, assert_user_error, tf_csv
):
    fifo = tmp_path / "pipe.fasta"
    os.mkfifo(fifo)
    res = run_round(tf_csv, fifo, 4)
    assert_user_error(res, None, "is not a regular file")
    assert not fifo.is_file() and fifo.exists()  # still the pipe
    (tmp_path / "p.csv").mkdir()
    out = tmp_path / "p.fasta"
    res = run_round(tf_csv, out, 4)
    assert_user_error(res, None, "p.csv", "is a folder")
    assert not out.exists() and not (tmp_path / "p.settings.toml").exists()


def test_a_symbolic_link_as_output_is_replaced_and_its_target_kept(
    tmp_path, run_round, read_fasta, tf_csv
):
    target = tmp_path / "r3.fasta"
    target.write_text(">old\nAAAAAAAA\n")
    link = tmp_path / "latest.fasta"
    link.symlink_to(target)
    res = run_round(tf_csv, link, 4)
    assert res.exit_code == 0, res.stderr
    assert not link.is_symlink() and len(read_fasta(link)) == 4
    assert target.read_text() == ">old\nAAAAAAAA\n"
    # a link to the labeled input is replaced too: the measurements stay where they were
    labeled = copy_of(tf_csv, tmp_path, "lab.csv")
    (tmp_path / "lab_link.fasta").symlink_to(labeled)
    assert run_round(labeled, tmp_path / "lab_link.fasta", 4).exit_code == 0
    assert labeled.read_bytes() == tf_csv.read_bytes()


def test_an_input_reached_through_a_link_is_protected(
    tmp_path, run_round, assert_user_error, tf_csv
):
    (tmp_path / "data").mkdir()
    real = copy_of(tf_csv, tmp_path / "data", "lab.csv")
    link = tmp_path / "lab.csv"
    link.symlink_to(real)
    res = run_round(link, tmp_path / "data" / "lab.fasta", 4)  # its sidecar is data/lab.csv
    assert_user_error(res, None, "(sidecar)", "is the input file")
    assert real.read_bytes() == tf_csv.read_bytes()


def test_settings_passed_back_as_config_may_be_rewritten(tmp_path, run_round, cli, tf_csv):
    out = tmp_path / "p.fasta"
    assert run_round(tf_csv, out, 4, "--seed", 3).exit_code == 0
    first = out.read_bytes()
    settings = out.with_suffix(".settings.toml")
    res = cli("round", tf_csv, "-o", out, "-n", 4, "--config", settings)
    assert res.exit_code == 0, res.stderr
    assert out.read_bytes() == first  # the same settings, the same seed: the same proposals


def test_settings_passed_back_keep_the_alphabet_and_lengths_given(tmp_path, cli, tf_csv):
    out, again = tmp_path / "p.fasta", tmp_path / "q.fasta"
    args = ["-n", 3, "--seed", 0, *ROUND, "--alphabet", "protein", "--min-length", 7]
    res = cli("round", tf_csv, "-o", out, *args, "--max-length", 9, "-q")
    assert res.exit_code == 0, res.stderr
    text = out.with_suffix(".settings.toml").read_text()
    assert 'alphabet = "protein"' in text and "min_length = 7" in text and "max_length = 9" in text
    res = cli("round", tf_csv, "-o", again, "-n", 3, "--config", out.with_suffix(".settings.toml"))
    assert res.exit_code == 0, res.stderr
    assert again.read_bytes() == out.read_bytes()
    # lengths inferred from the data are not pinned: the next round's data may differ
    res = cli("round", tf_csv, "-o", out, "-n", 3, *ROUND, "-q")
    assert res.exit_code == 0 and "length" not in out.with_suffix(".settings.toml").read_text()


def test_a_parent_named_in_the_config_is_an_input(
    tmp_path, cli, small_config, assert_user_error, tf_csv
):
    parents = tmp_path / "parents.fasta"
    parents.write_text(">p\nACGTACGT\n")
    config = tmp_path / "c.toml"
    config.write_text(small_config.read_text() + '\n[constraints]\nparent = "parents.fasta"\n')
    res = cli("round", tf_csv, "-o", parents, "-n", 3, "--config", config, *ROUND)
    assert_user_error(res, None, "is the input file")
    assert parents.read_text() == ">p\nACGTACGT\n"


def test_oracle_and_export_refuse_folders_and_their_inputs(tmp_path, cli, assert_user_error):
    seqs = tmp_path / "seqs.csv"
    seqs.write_text("id,sequence\na,ACGTACGT\nb,TTTTACGA\n")
    (tmp_path / "out").mkdir()
    assert_user_error(cli("oracle", "tfbind8", seqs, "-o", tmp_path / "out"), None, "is a folder")
    res = cli("oracle", "tfbind8", seqs, "-o", seqs)
    assert_user_error(res, None, "is the input file")
    assert seqs.read_text() == "id,sequence\na,ACGTACGT\nb,TTTTACGA\n"
    camp = tmp_path / "c"
    res = cli("init", camp, "--alphabet", "dna", "--objective", "binding", "--length", 8, "-q")
    assert res.exit_code == 0, res.stderr
    assert_user_error(cli("export", camp, "-o", tmp_path / "out"), None, "is a folder")
    # the format follows the suffix unless --format says otherwise
    res = cli("export", camp, "-o", tmp_path / "all.csv")
    assert res.exit_code == 0 and (tmp_path / "all.csv").read_text().startswith("id,"), res.stderr
    assert cli("export", camp, "-o", tmp_path / "all.fa").exit_code == 0
    assert cli("export", camp, "-o", tmp_path / "x.csv", "--format", "fasta").exit_code == 0
    assert not (tmp_path / "x.csv").read_text().startswith("id,")
    ledger = camp / "ledger.sqlite"
    before = ledger.read_bytes()
    assert_user_error(cli("export", camp, "-o", ledger), None, "is the input file")
    assert ledger.read_bytes() == before


@pytest.mark.parametrize(
    ("extra", "config", "mention"),
    [
        (("--kappa", "nan"), None, "kappa must be a finite number"),
        (("--kappa", "inf"), None, "kappa must be a finite number"),
        (("--seed", "-1"), None, "--seed -1: expected an integer >= 0"),
        ((), b"seed = -4\n", "seed = -4: expected an integer"),
        ((), b'objective = ["binding", 3]\n', "expected a list of 'NAME[:max|:min]' strings"),
        ((), bytes(range(256)), "not valid TOML: expected UTF-8 text"),
        ((), b"constraints = 5\n", "c.toml: [constraints] must be a table"),
        ((), b"[proxy]\nweight_decay = -1\n", "proxy.weight_decay must be finite and >= 0"),
        ((), b"[proxy]\nweight_decay = nan\n", "proxy.weight_decay must be finite and >= 0"),
        ((), b"[gflownet]\nlr = inf\n", "lr and lr_logz must be finite and > 0"),
        ((), b'device = "tpu"\n', "c.toml: device = 'tpu': expected one of auto, cpu, cuda"),
    ],
)
def test_round_options_out_of_range_are_user_errors(
    tmp_path, cli, assert_user_error, tf_csv, extra, config, mention
):
    out = tmp_path / "p.fasta"
    args = ["round", tf_csv, "-o", out, "-n", 4, *ROUND, *extra]
    if config is not None:
        (tmp_path / "c.toml").write_bytes(config)
        args += ["--config", tmp_path / "c.toml"]
    assert_user_error(cli(*args), out, mention)


def test_a_config_saved_with_a_byte_order_mark_is_read(tmp_path, cli, tf_csv):
    cfg = tmp_path / "bom.toml"
    cfg.write_bytes(b"\xef\xbb\xbfkappa = 0.5\r\n")
    out = tmp_path / "p.fasta"
    res = cli("round", tf_csv, "-o", out, "-n", 3, *ROUND, "--config", cfg, "-q")
    assert res.exit_code == 0, res.stderr
    assert "kappa = 0.5" in out.with_suffix(".settings.toml").read_text()


def test_benchmark_refuses_a_method_of_several_objectives_on_a_task_of_one(
    tmp_path, cli, assert_user_error
):
    out = tmp_path / "bx"
    res = cli("benchmark", "--task", "tiny", "--methods", "random,mogfn", "--seeds", 1,
              "--out-dir", out)  # fmt: skip
    assert_user_error(res, None, "--methods mogfn: need several objectives; task tfbind8")
    assert not out.exists()


def test_simulate_asking_for_more_than_the_space_is_refused_before_work(
    tmp_path, cli, assert_user_error
):
    out = tmp_path / "sim"
    res = cli("simulate", "--oracle", "tfbind8", "--rounds", 2, "-n", 40000, "--init", 10,
              "--out-dir", out)  # fmt: skip
    assert_user_error(
        res, None, "--init 10 + --rounds 2 x -n 40000 = 80010 distinct sequences, but the space"
    )
    assert "holds 65536; ask for fewer" in res.stderr and not out.exists()


def test_simulate_leaves_no_folder_when_a_round_fails(tmp_path, cli, small_config, monkeypatch):
    import seqdesign.loop
    from seqdesign.errors import TrainingError

    def broken(*args, **kwargs):
        raise TrainingError("the proxy diverged")

    monkeypatch.setattr(seqdesign.loop, "simulate", broken)
    out = tmp_path / "sim"
    res = cli(
        "simulate", "--oracle", "tfbind8", "--rounds", 1, "-n", 4, "--init", 20,
        "--config", small_config, *ROUND, "--out-dir", out,
    )  # fmt: skip
    assert res.exit_code == 1 and "the proxy diverged" in res.stderr
    assert not out.exists()  # settings.toml and start.fasta were written, then removed
    out.mkdir()  # an empty folder given by the user stays, empty
    res = cli(
        "simulate", "--oracle", "tfbind8", "--rounds", 1, "-n", 4, "--init", 20,
        "--config", small_config, *ROUND, "--out-dir", out,
    )  # fmt: skip
    assert res.exit_code == 1 and out.is_dir() and not any(out.iterdir())
    res = cli("simulate", "--oracle", "tfbind8", "--out-dir", out, "--seed", -1, "--rounds", 1)
    assert res.exit_code == 2 and not any(out.iterdir())
    nested = tmp_path / "a" / "b" / "c"  # folders made for a failed run go again
    res = cli(
        "simulate", "--oracle", "tfbind8", "--rounds", 1, "-n", 4, "--init", 20,
        "--config", small_config, *ROUND, "--out-dir", nested,
    )  # fmt: skip
    assert res.exit_code == 1 and not (tmp_path / "a").exists()


def test_large_seeds_are_fine_outside_a_campaign(
    tmp_path, run_round, cli, assert_user_error, tf_csv
):
    res = run_round(tf_csv, tmp_path / "p.fasta", 2, "--seed", 2**64)  # numpy takes any size
    assert res.exit_code == 0, res.stderr
    camp = tmp_path / "c"
    res = cli("init", camp, "--alphabet", "dna", "--objective", "y", "--seed", 2**63)
    assert_user_error(res, None, "expected an integer from 0 to 2^63-1")


def test_benchmark_writes_nothing_until_its_results_are_made(tmp_path, cli, monkeypatch):
    import seqdesign.benchmark as bm

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bm, "plot_top_k", broken)
    out = tmp_path / "b" / "x"
    args = ["benchmark", "--task", "tfbind8", "--methods", "random", "--seeds", 1]
    args += ["--rounds", 1, "-n", 4, "--init", 20, "--budget", "fast", "-q", "--out-dir", out]
    res = cli(*args)
    assert res.exit_code != 0 and not (tmp_path / "b").exists()
    monkeypatch.undo()
    out.mkdir(parents=True)
    (out / "topk.png").mkdir()  # in the way of a result: refused before the runs
    res = cli(*args)
    assert res.exit_code == 2 and "topk.png: is a folder" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["topk.png"]


def test_ingest_names_a_field_too_large_for_a_table(tmp_path, cli, assert_user_error):
    camp = tmp_path / "c"
    assert cli("init", camp, "--alphabet", "dna", "--objective", "binding", "-q").exit_code == 0
    big = tmp_path / "big.csv"
    big.write_text("id,binding\n" + "h" * 200_000 + ",0.5\n")
    assert_user_error(cli("ingest", camp, big), None, "big.csv: line 2: malformed table")


def test_edit_generator_with_no_edit_allowed_proposes_the_parents(
    tmp_path, cli, small_config, read_fasta, assert_user_error, tf_csv
):
    parents = tmp_path / "par.fasta"
    parents.write_text(">p1\nACGTACGT\n>p2\nACGTACGA\n")
    out = tmp_path / "p.fasta"
    base = ["round", tf_csv, "-o", out, "--config", small_config, "--budget", "fast", "-q"]
    base += ["--generator", "gfn-edit", "--parent", parents, "--max-edits", 0]
    res = cli(*base, "-n", 2)
    assert res.exit_code == 0, res.stderr
    assert sorted(q for _, _, q in read_fasta(out)) == ["ACGTACGA", "ACGTACGT"]
    for path in (out, out.with_suffix(".csv"), out.with_suffix(".settings.toml")):
        path.unlink()
    assert_user_error(cli(*base, "-n", 3), out, "found only 2 valid unseen sequences")


def test_an_out_dir_that_cannot_be_made_is_refused_before_any_work(
    tmp_path, cli, small_config, assert_user_error
):
    afile = tmp_path / "lab.csv"
    afile.write_text("sequence\nACGT\n")
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nowhere" / "x")
    bench = ["benchmark", "--task", "tfbind8", "--methods", "random", "--seeds", 1, "--rounds", 1]
    bench += ["-n", 4, "--init", 20, "--budget", "fast", "-q", "--out-dir"]
    sim = ["simulate", "--oracle", "tfbind8", "--rounds", 1, "-n", 4, "--init", 20]
    sim += ["--config", small_config, *ROUND, "-q", "--out-dir"]
    for args in (bench, sim):
        assert_user_error(cli(*args, afile / "sub"), None, "is a file, not a folder")
        assert_user_error(cli(*args, dangling), None, "is a link to nothing")
    assert not (tmp_path / "nowhere").exists()


def test_fresh_folder_removes_what_it_made_even_through_dotdot(tmp_path):
    from seqdesign.io import fresh_folder

    with pytest.raises(KeyboardInterrupt), fresh_folder(tmp_path / "zz1" / ".." / "zz2") as out:
        (out / "settings.toml").write_text("x")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    kept = tmp_path / "kept"
    kept.mkdir()
    with pytest.raises(ValueError), fresh_folder(kept):
        raise ValueError
    assert kept.is_dir() and not any(kept.iterdir())  # the user's empty folder stays


def test_export_refuses_the_campaign_rounds_folder(tmp_path, cli, assert_user_error):
    camp = tmp_path / "c"
    assert cli("init", camp, "--alphabet", "dna", "--objective", "y", "-q").exit_code == 0
    (camp / "rounds").mkdir(exist_ok=True)
    res = cli("export", camp, "-o", camp / "rounds" / "round_002.fasta")
    assert_user_error(res, None, "where the campaign writes its rounds")
    assert not (camp / "rounds" / "round_002.fasta").exists()
