"""MOGFN-PC over edits: the preference reaches the edit policy and changes what it designs.

A toy with two objectives that disagree: the share of A and the share of T in DNA 24-mers edited
from parents rich in neither. At a preference for the first, the edits should write A; at one for
the second, T.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from seqdesign.alphabet import DNA
from seqdesign.constraints import Constraints
from seqdesign.dataset import Dataset
from seqdesign.generators.mogfn_edit import MOGFNEditGenerator
from seqdesign.gflownet.edit_policy import build_edit_policy, edit_log_pf, sample_edits
from seqdesign.gflownet.edits import EditEnv
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.loop import resolve_generator, run_round
from seqdesign.multiobjective import MultiObjectiveSettings
from seqdesign.space import SequenceSpace

L = 24
PARENTS = ("CG" * 12, "GC" * 12, "CCGG" * 6)


def shares(seqs: list[str]) -> np.ndarray:
    """(N, 2): share of A, share of T."""
    return np.array([[q.count("A") / len(q), q.count("T") / len(q)] for q in seqs])


def _space(k: int = 4) -> SequenceSpace:
    return SequenceSpace(DNA, L, L, Constraints(parents=PARENTS, max_edits=k))


def _data() -> Dataset:
    seqs = list(PARENTS) + ["CGCA" * 6, "GCGT" * 6]
    y = shares(seqs)
    return Dataset.from_records(
        [(f"s{i}", q, {"a": y[i, 0], "t": y[i, 1]}) for i, q in enumerate(seqs)], ["a", "t"]
    )


def test_extreme_preferences_edit_towards_their_objective():
    gs = GFlowNetSettings(steps=250, batch_size=32, hidden=32, layers=1, lr=3e-3, beta=4.0)
    gen = MOGFNEditGenerator(gs, MultiObjectiveSettings())
    gen.fit(lambda q: shares(q) * 4.0, _data(), _space(), np.random.default_rng(0))
    rng = np.random.default_rng(1)
    at_a = shares(gen.sample(300, rng, preferences=np.tile([1.0, 0.0], (300, 1))))
    at_t = shares(gen.sample(300, rng, preferences=np.tile([0.0, 1.0], (300, 1))))
    # k = 4 edits of 24 letters: at most 1/6 of either letter; each extreme writes its own
    assert at_a[:, 0].mean() > 0.1 and at_t[:, 1].mean() > 0.1, (at_a.mean(0), at_t.mean(0))
    assert at_a[:, 0].mean() - at_t[:, 0].mean() > 0.06
    assert at_t[:, 1].mean() - at_a[:, 1].mean() > 0.06
    spread = shares(gen.sample(300, rng))  # the default grid of preferences covers both ends
    assert spread[:, 0].max() >= 4 / L and spread[:, 1].max() >= 4 / L
    for q in gen.sample(50, rng):  # still k substitutions of a parent
        assert min(sum(a != b for a, b in zip(q, p)) for p in PARENTS) <= 4


def test_the_preference_reaches_edits_parents_and_log_z():
    env = EditEnv.from_space(_space(), "cpu")
    policy = build_edit_policy(env, 16, 1, seed=0, n_prefs=2)
    with torch.no_grad():  # the parent and log Z shifts start at zero: perturb them
        policy.pref_parent.weight.normal_()
        policy.pref_log_z.weight.normal_()
    w = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    state = env.initial(torch.tensor([0, 0]))
    logits = policy(state, w)
    assert not torch.allclose(logits[0], logits[1])
    parent = policy.parent_log_probs(env, w)
    assert parent.shape == (2, len(PARENTS)) and not torch.allclose(parent[0], parent[1])
    z = policy.log_z_of(w)
    assert z.shape == (2,) and z[0] != z[1]
    # the sampler and the one-pass scorer agree on the conditioned policy's log P_F
    gen = torch.Generator().manual_seed(0)
    prefs = w.repeat(8, 1)
    traj = sample_edits(policy, env, 16, gen, prefs=prefs)
    log_pf, legal = edit_log_pf(policy, env, traj, prefs)
    assert legal.all() and torch.isfinite(log_pf).all()
    # a conditioned policy needs a preference, an unconditioned one refuses it
    with pytest.raises(ValueError, match="preference"):
        policy(state)
    plain = build_edit_policy(env, 16, 1, seed=0)
    with pytest.raises(ValueError, match="preference"):
        plain(state, w)


def test_round_with_mogfn_edit_designs_near_the_measured_front(gc_campaign):
    space, seqs, data, s = gc_campaign(60, "mogfn-edit", front_hops=1)
    assert resolve_generator(s, 2, space) == "mogfn-edit"
    out = run_round(data, space, 12, s, seed=3).table
    k = 3  # round(0.1 * 30)
    dist = [min(sum(a != b for a, b in zip(q, p)) for p in seqs) for q in out["sequence"]]
    assert len(out) == 12 and max(dist) <= k and not set(out["sequence"]) & set(seqs)
    assert {"pred_g", "pred_c", "pareto_rank"} <= set(out.columns)
