"""`seqdesign round` on a long protein near a parent: the edit-process GFlowNet, end to end."""

from __future__ import annotations

import numpy as np
import pytest

from seqdesign.alphabet import PROTEIN

LENGTH, K = 200, 3


@pytest.fixture()
def protein_inputs(tmp_path, write_fasta):
    """A length-200 parent and 30 labeled variants within K edits of it."""
    rng = np.random.default_rng(7)
    letters = np.array(list(PROTEIN.letters))
    parent = "".join(rng.choice(letters, LENGTH))
    records = []
    for i in range(30):
        q = np.array(list(parent))
        where = rng.choice(LENGTH, size=rng.integers(1, K + 1), replace=False)
        q[where] = rng.choice(letters, size=where.size)
        seq = "".join(q)
        records.append((f"v{i:02d}", f"activity={seq.count('W') + 0.1 * i:.3f}", seq))
    labeled = write_fasta(tmp_path / "variants.fasta", records)
    wt = write_fasta(tmp_path / "wt.fasta", [("wt", "", parent)])
    return labeled, wt, parent, [q for _, _, q in records]


def test_round_with_parent_uses_the_edit_gflownet(
    tmp_path, cli, small_config, read_fasta, protein_inputs
):
    labeled, wt, parent, known = protein_inputs
    config = tmp_path / "tiny.toml"
    config.write_text(small_config.read_text().replace("steps = 50", "steps = 15"))
    out = tmp_path / "out.fasta"
    args = ["round", labeled, "-o", out, "-n", 6, "--config", config, "--budget", "fast"]
    args += ["--parent", wt, "--max-edits", K, "--fixed", "1:M", "--seed", 3]
    res = cli(*args)  # no --generator: auto picks gfn-edit at this length
    assert res.exit_code == 0, res.stderr
    assert "generator gfn-edit" in res.stderr
    recs = read_fasta(out)
    seqs = [q for _, _, q in recs]
    assert len(seqs) == len(set(seqs)) == 6 and not set(seqs) & set(known)
    for q in seqs:
        assert len(q) == LENGTH and PROTEIN.is_valid(q) and q[0] == "M"
        assert sum(a != b for a, b in zip(q, parent)) <= K
    assert all("proxy_mean" in meta for _, meta, _ in recs)


def test_gfn_edit_on_lengths_that_vary_keeps_each_parent_length(
    tmp_path, cli, small_config, read_fasta, write_fasta
):
    rng = np.random.default_rng(3)
    letters = np.array(list(PROTEIN.letters))
    seqs = list(dict.fromkeys("".join(rng.choice(letters, n)) for n in rng.integers(12, 31, 40)))
    records = [(f"p{i}", f"y={q.count('K') + 0.01 * i:.2f}", q) for i, q in enumerate(seqs)]
    labeled = write_fasta(tmp_path / "var.fasta", records)
    out = tmp_path / "out.fasta"
    res = cli(
        "round", labeled, "-o", out, "-n", 5, "--config", small_config, "--seed", 2
    )  # fmt: skip  (auto: lengths up to 30 >= 24, the trust region)
    assert res.exit_code == 0, res.stderr
    assert "generator gfn-edit" in res.stderr
    designs = [q for _, _, q in read_fasta(out)]
    assert len(designs) == 5 and not set(designs) & set(seqs)
    for q in designs:  # one substitution of a measured sequence of its own length
        same = [p for p in seqs if len(p) == len(q)]
        assert same and min(sum(a != b for a, b in zip(q, p)) for p in same) <= 2


def test_gfn_edit_refuses_parents_of_no_allowed_length(
    tmp_path, cli, small_config, assert_user_error, write_fasta
):
    records = [(f"p{i}", f"y={i}", "MKT" + "A" * i + "W") for i in range(4, 12)]  # lengths 8-15
    labeled = write_fasta(tmp_path / "var.fasta", records)
    wt = write_fasta(tmp_path / "wt.fasta", [("wt", "", "MKTAAAA")])  # 7: one insertion away
    out = tmp_path / "out.fasta"
    res = cli("round", labeled, "-o", out, "-n", 4, "--config", small_config,
              "--generator", "gfn-edit", "--parent", wt, "--max-edits", 2)  # fmt: skip
    assert_user_error(res, out, "gfn-edit", "no --parent sequence has a length", lines=None)


def test_gfn_edit_without_parents_designs_near_the_best_measured(
    tmp_path, cli, small_config, read_fasta, tf_fasta
):
    out = tmp_path / "out.fasta"
    res = cli("round", tf_fasta, "-o", out, "-n", 4, "--config", small_config,
              "--generator", "gfn-edit", "--seed", 1)  # fmt: skip
    assert res.exit_code == 0, res.stderr
    known = [q for _, _, q in read_fasta(tf_fasta)]
    seqs = [q for _, _, q in read_fasta(out)]
    assert len(seqs) == 4 and not set(seqs) & set(known)
    # k = max(1, round(0.1 * 8)) = 1: every proposal is one letter from a measured sequence
    assert all(min(sum(a != b for a, b in zip(q, p)) for p in known) == 1 for q in seqs)
