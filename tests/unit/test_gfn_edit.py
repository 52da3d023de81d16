"""The edit-process GFlowNet: masks, backward policy, offline trajectories, training, sampling."""

from __future__ import annotations

import dataclasses
import itertools
import math

import numpy as np
import pytest
import torch

from seqdesign.alphabet import DNA, PROTEIN
from seqdesign.constraints import Constraints
from seqdesign.dataset import Dataset
from seqdesign.encoding import encode_tokens
from seqdesign.errors import ConfigError
from seqdesign.generators.gfn_edit import GFlowNetEditGenerator, edit_steps
from seqdesign.gflownet.edit_policy import build_edit_policy, edit_log_pf, sample_edits
from seqdesign.gflownet.edits import EditEnv, log_pb, log_pb_steps, offline_trajectories
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.tokens import decode
from seqdesign.multiobjective import non_dominated
from seqdesign.space import SequenceSpace

L, K = 30, 3
P1 = "ACG" + "ACGT" * 6 + "CAT"  # meets --fixed 1-3:ACG, breaks --allowed 10:AC (a G there)
P2 = "TCG" + "AGGT" * 6 + "GAT"  # breaks both: two of its three edits are forced


@pytest.fixture(scope="module")
def dna_space() -> SequenceSpace:
    rules = Constraints(
        parents=(P1, P2), max_edits=K, fixed=("1-3:ACG",), allowed=("10:AC",), max_homopolymer=3
    )
    return SequenceSpace(DNA, L, L, rules)


def _strings(tokens: torch.Tensor, alphabet=DNA) -> list[str]:
    return decode(tokens, torch.full((len(tokens),), tokens.shape[1]), alphabet)


def test_samples_stay_within_k_edits_and_honour_letters_and_runs(dna_space):
    env = EditEnv.from_space(dna_space, "cpu")
    policy = build_edit_policy(env, 16, 1, seed=0)
    # heavy exploration: the masks, not the (untrained) policy, keep the draws valid
    traj = sample_edits(policy, env, 1500, torch.Generator().manual_seed(0), epsilon=0.7)
    seqs = _strings(traj.tokens)
    assert int(traj.n_edits.max()) <= K
    assert all(q[:3] == "ACG" and q[9] in "AC" for q in seqs)
    assert all(max(len(list(g)) for _, g in itertools.groupby(q)) <= 3 for q in seqs)
    parents = np.array([list(P1), list(P2)])
    dist = (np.array([list(q) for q in seqs])[:, None, :] != parents[None]).sum(2)  # (N, 2)
    used = dist[np.arange(len(seqs)), traj.parent.numpy()]
    assert (used == traj.n_edits.numpy()).all()  # each edit changes a letter; none is undone
    assert dna_space.check(seqs).all()
    assert set(traj.parent.tolist()) == {0, 1}
    # P2 needs two forced edits: its trajectories never spend more than one edit elsewhere
    from_p2 = traj.parent.numpy() == 1
    assert (dist[from_p2, 1] >= 2).all()


def test_stop_is_forced_at_k_and_waits_for_forced_edits(dna_space):
    env = EditEnv.from_space(dna_space, "cpu")
    a = env.n_letters
    yes = torch.tensor([True, True])
    state = env.initial(torch.tensor([0, 1]))
    mask = env.action_mask(state)
    assert not mask[:, -1].any()  # both parents break --allowed 10:AC: no STOP yet
    assert mask[1, :-1].reshape(L, a)[20].any()  # P2 (two forced edits) has one to spare
    state = env.apply(state, torch.tensor([9, 5]), torch.tensor([0, 1]), yes)
    mask = env.action_mask(state)
    assert bool(mask[0, -1]) and not bool(mask[1, -1])  # P1 fixed; P2 still breaks 1 and 10
    p2 = mask[1, :-1].reshape(L, a)
    assert not p2[20].any() and p2[0].any() and p2[9].any()  # its budget is for the forced
    state = env.apply(state, torch.tensor([20, 0]), torch.tensor([3, 0]), yes)
    state = env.apply(state, torch.tensor([25, 9]), torch.tensor([3, 0]), yes)
    last = env.action_mask(state)
    assert state.n_edits.tolist() == [K, K]
    assert not last[:, :-1].any() and last[:, -1].all()  # at k edits only STOP remains


def test_log_pb_sums_to_minus_log_n_factorial():
    n = torch.arange(0, 6)
    steps = log_pb_steps(n, 5)
    assert torch.allclose(steps.sum(1), -torch.lgamma(n.float() + 1), atol=1e-5)
    assert torch.allclose(steps[3, :3], -torch.log(torch.tensor([1.0, 2.0, 3.0])))


def test_log_pb_counts_every_parent_within_reach():
    parent = "ACGTACGTAC"
    other = "TCGTACGTAC"  # one edit from the first
    space = SequenceSpace(DNA, 10, 10, Constraints(parents=(parent, other), max_edits=2))
    env = EditEnv.from_space(space, "cpu")
    tokens = torch.as_tensor(encode_tokens(["ACGTACGTTT", "TCGTACGTAA"], DNA, 10))  # (2, 10)
    full = torch.full((2,), 10)
    traj = offline_trajectories(env, tokens, full, torch.Generator().manual_seed(1))
    # the first is 2 edits from parent 0 only; the second 1 from parent 1 and 2 from parent 0
    got = log_pb(env, traj)
    assert traj.parent[0] == 0 and int(traj.n_edits[0]) == 2
    assert math.isclose(float(got[0]), -math.log(2), abs_tol=1e-5)
    n1 = int(traj.n_edits[1])
    assert math.isclose(float(got[1]), -math.lgamma(n1 + 1) - math.log(2), abs_tol=1e-5)


def test_offline_trajectories_rebuild_their_sequence_in_random_orders(dna_space):
    env = EditEnv.from_space(dna_space, "cpu")
    seqs = dna_space.random(200, np.random.default_rng(0))
    tokens = torch.as_tensor(encode_tokens(seqs, DNA, L))
    gen = torch.Generator().manual_seed(0)
    full = torch.full((len(seqs),), L)
    a = offline_trajectories(env, tokens, full, gen)
    b = offline_trajectories(env, tokens, full, gen)
    for traj in (a, b):
        state = env.initial(traj.parent)
        for t in range(K):
            state = env.apply(state, traj.positions[:, t], traj.letters[:, t], t < traj.n_edits)
        assert torch.equal(state.tokens, tokens)
    assert not torch.equal(a.positions, b.positions)  # a fresh order per draw
    policy = build_edit_policy(env, 16, 1, seed=0)
    _, legal = edit_log_pf(policy, env, a)
    assert float(legal.float().mean()) > 0.9  # only some orders pass through a too-long run


def test_run_mask_matches_brute_force():
    space = SequenceSpace(DNA, 12, 12, Constraints(parents=("A" * 12,), max_edits=12))
    env = EditEnv.from_space(space, "cpu")
    env = EditEnv(env.parents, env.lengths, env.letters, env.max_edits, 2, env.usable)
    tokens = torch.randint(0, 4, (50, 12), generator=torch.Generator().manual_seed(0))
    got = env._run_ok(tokens, torch.ones(50, 12, dtype=torch.bool))  # (B, L, A)
    for b, i, a in itertools.product(range(50), range(12), range(4)):
        if int(tokens[b, i]) == a:
            continue
        q = tokens[b].clone()
        q[i] = a
        runs = [len(list(g)) for _, g in itertools.groupby(q.tolist())]
        left, right = i, i  # the run through position i
        while left > 0 and int(q[left - 1]) == a:
            left -= 1
        while right < 11 and int(q[right + 1]) == a:
            right += 1
        assert bool(got[b, i, a]) == (right - left + 1 <= 2), (b, i, a, runs)


def test_gfn_edit_refuses_a_space_without_substitution_parents():
    with pytest.raises(ConfigError, match="gfn-edit"):
        EditEnv.from_space(SequenceSpace(DNA, 8, 8), "cpu")


def _single_edit_task(seed: int, steps: int):
    """A length-24 protein parent; one edit (position 6 to W) doubles the acquisition.

    Shaped with beta 16, that is R 2**16 times higher: about 438 of the ~1e5 sequences within two
    edits carry it, so the trained sampler should pick it almost always (chance: about 0.4%).
    """
    rng = np.random.default_rng(seed)
    parent = "".join(rng.choice(list(PROTEIN.letters.replace("W", "")), 24))
    space = SequenceSpace(PROTEIN, 24, 24, Constraints(parents=(parent,), max_edits=2))

    def reward(seqs: list[str]) -> np.ndarray:
        return np.array([2.0 if q[5] == "W" else 1.0 for q in seqs])

    offline = [q for q in dict.fromkeys(space.random(40, rng)) if q[5] != "W"]
    data = Dataset.from_records([(f"s{i}", q, {"y": 1.0}) for i, q in enumerate(offline)])
    settings = GFlowNetSettings(steps=steps, batch_size=32, hidden=32, layers=2, lr=3e-3)
    return space, reward, data, settings


def test_training_learns_the_one_beneficial_edit():
    space, reward, data, settings = _single_edit_task(0, steps=200)
    gen = GFlowNetEditGenerator(settings).fit(reward, data, space, np.random.default_rng(0))
    loss = np.array(gen.history_.loss)
    # the loss settles low (how high it starts depends on the first draws: 0.4 to 7 by seed)
    assert loss[-50:].mean() < min(0.5, loss[:50].mean())
    # log Z converges to the enumerated one: R = 2**16 with the edit, 1 without, within 2 edits
    with_w = 1 + 23 * 19
    total = 1 + 24 * 19 + math.comb(24, 2) * 19**2
    assert abs(gen.history_.log_z[-1] - math.log(with_w * 2**16 + total - with_w)) < 1.0
    hits = np.mean([q[5] == "W" for q in gen.sample(400, np.random.default_rng(1))])
    chance = np.mean([q[5] == "W" for q in space.random(4000, np.random.default_rng(2))])
    # the offline data never show the edit: it was found and learned
    assert chance < 0.01 and hits > 0.8


def test_same_seed_same_samples():
    space, reward, data, settings = _single_edit_task(1, steps=8)

    def run() -> list[str]:
        gen = GFlowNetEditGenerator(settings).fit(reward, data, space, np.random.default_rng(3))
        return gen.sample(50, np.random.default_rng(4))

    first = run()
    assert first == run()
    assert len(first) == 50


def test_auto_picks_the_edit_process_for_long_sequences_near_parents_or_the_data():
    from seqdesign.config import RoundSettings
    from seqdesign.generators import EDIT_MIN_LENGTH, TRUST_MIN_LENGTH
    from seqdesign.loop import resolve_generator

    def space(length: int, parents: bool, max_len: int | None = None) -> SequenceSpace:
        rules = Constraints(parents=("A" * length,), max_edits=4) if parents else Constraints()
        return SequenceSpace(PROTEIN, length, max_len or length, rules)

    auto, ehvi = RoundSettings(), RoundSettings(acquisition="ehvi")
    long, short = EDIT_MIN_LENGTH, EDIT_MIN_LENGTH - 1
    assert resolve_generator(auto, 1, space(long, True)) == "gfn-edit"
    assert resolve_generator(auto, 1, space(short, True)) == "gfn"
    assert resolve_generator(auto, 2, space(long, True)) == "gfn-edit"  # MOGFN-AL: edits
    assert resolve_generator(auto, 2, space(short, True)) == "mogfn"
    assert resolve_generator(auto, 2, space(TRUST_MIN_LENGTH, False)) == "gfn-edit"
    assert resolve_generator(auto, 2, space(TRUST_MIN_LENGTH - 1, False)) == "mogfn"
    assert resolve_generator(ehvi, 2, space(long, True)) == "gfn-edit"  # MOGFN-AL's setting
    # no parents: the trust region around the best measured sequences from TRUST_MIN_LENGTH on
    assert resolve_generator(auto, 1, space(TRUST_MIN_LENGTH, False)) == "gfn-edit"
    assert resolve_generator(auto, 1, space(TRUST_MIN_LENGTH - 1, False)) == "gfn"
    # lengths that vary: the trust region too (each design keeps its parent's length)
    assert resolve_generator(auto, 1, space(12, False, TRUST_MIN_LENGTH)) == "gfn-edit"
    assert resolve_generator(auto, 1, space(12, False, TRUST_MIN_LENGTH - 1)) == "gfn"
    edit = RoundSettings(generator="gfn-edit")
    assert resolve_generator(edit, 1, space(long, False, long + 5)) == "gfn-edit"
    with pytest.raises(ConfigError, match="no --parent sequence has a length"):
        short_parent = Constraints(parents=("A" * long,), max_edits=4)
        resolve_generator(edit, 1, SequenceSpace(PROTEIN, long + 1, long + 5, short_parent))


def test_without_parents_it_edits_the_best_measured_sequences():
    """The trust region: parents = the top measured by the reward, at most round(0.1 L) edits."""
    length = 30
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), length)) for _ in range(40)]
    seqs = list(dict.fromkeys(seqs))

    def reward(batch: list[str]) -> np.ndarray:
        return np.array([q.count("G") for q in batch], dtype=np.float64)

    data = Dataset.from_records([(f"s{i}", q, {"g": q.count("G")}) for i, q in enumerate(seqs)])
    space = SequenceSpace(DNA, length, length)
    s = GFlowNetSettings.for_budget("fast", steps=20, trust_parents=3, trust_radius=0.1)
    gen = GFlowNetEditGenerator(s).fit(reward, data, space, np.random.default_rng(1))
    top = sorted(seqs, key=lambda q: (-q.count("G"), q))[:3]
    assert sorted(gen.space_.constraints.parents) == sorted(top)
    assert gen.space_.constraints.max_edits == 3
    out = gen.sample(64, np.random.default_rng(2))
    assert out and all(min(sum(a != b for a, b in zip(q, p)) for p in top) <= 3 for q in out)


def test_trust_radius_is_capped_and_long_edits_train_fewer_steps():
    """At L = 120 the radius is trust_max_edits, not 12, and the steps shrink with L * (k + 1)."""
    length = 120
    rng = np.random.default_rng(0)
    seqs = list(dict.fromkeys("".join(rng.choice(list("ACGT"), length)) for _ in range(12)))

    def reward(batch: list[str]) -> np.ndarray:
        return np.array([q.count("G") for q in batch], dtype=np.float64)

    data = Dataset.from_records([(f"s{i}", q, {"g": q.count("G")}) for i, q in enumerate(seqs)])
    s = GFlowNetSettings.for_budget(
        "fast", steps=40, hidden=16, trust_parents=2, trust_max_edits=3, edit_work=240
    )
    gen = GFlowNetEditGenerator(s).fit(reward, data, SequenceSpace(DNA, length, length), rng)
    assert gen.space_.constraints.max_edits == 3  # round(0.1 * 120) = 12, capped
    # work per trajectory 120 * 4 = 480 = twice edit_work: half the steps
    assert len(gen.history_.loss) == 20
    assert edit_steps(s, 50, 3) == 40  # 200 <= edit_work: all of them
    assert edit_steps(s, 10_000, 3) == 4  # never under a tenth
    out = gen.sample(32, np.random.default_rng(2))
    parents = gen.space_.constraints.parents
    assert out and all(min(sum(a != b for a, b in zip(q, p)) for p in parents) <= 3 for q in out)


def _ragged_space(max_run: int = 0) -> SequenceSpace:
    """Parents of lengths 6, 9 and 12 in a 5-14 space: edits keep each parent's length."""
    parents = ("AAACCC", "ACGTACGTA", "CCCCGGGGTTTT")
    rules = Constraints(parents=parents, max_edits=2, max_homopolymer=max_run or None)
    return SequenceSpace(DNA, 5, 14, rules)


def test_parents_of_several_lengths_keep_their_lengths():
    space = _ragged_space(max_run=4)
    env = EditEnv.from_space(space, "cpu")
    assert env.length == 12 and env.lengths.tolist() == [6, 9, 12]
    policy = build_edit_policy(env, 16, 1, seed=0)
    traj = sample_edits(policy, env, 300, torch.Generator().manual_seed(0), epsilon=0.5)
    seqs = decode(traj.tokens, env.lengths[traj.parent], DNA)
    parents = space.constraints.parents
    assert {len(q) for q in seqs} == {6, 9, 12}
    for q, p in zip(seqs, traj.parent.tolist(), strict=True):
        assert len(q) == len(parents[p])
        assert sum(a != b for a, b in zip(q, parents[p])) <= 2
    assert all(space.check(seqs))  # the homopolymer limit holds; the padding makes no runs
    pad = torch.arange(12)[None, :] >= env.lengths[traj.parent][:, None]
    assert not bool(traj.tokens[pad].any())  # nothing is written past a row's length
    # the loss's one-pass scoring agrees that every sampled action was allowed
    _, legal = edit_log_pf(policy, env, traj)
    assert bool(legal.all())


def test_padding_does_not_reach_the_policy_or_the_backward_count():
    env = EditEnv.from_space(_ragged_space(), "cpu")
    policy = build_edit_policy(env, 16, 2, seed=0)
    state = env.initial(torch.tensor([0, 1]))
    noisy = dataclasses.replace(state, tokens=state.tokens.clone())
    noisy.tokens[0, 6:] = 3  # garbage past the 6 letters of row 0
    noisy.tokens[1, 9:] = 2
    a, b = policy(state), policy(noisy)
    assert torch.allclose(a, b, atol=1e-6)
    # a 9-letter sequence is one edit from parent 1 only (parent 0, 6 letters, shares a prefix)
    tokens = torch.as_tensor(encode_tokens(["ACGTACGTT", "AAACCG"], DNA, 12))
    tokens = torch.where(tokens == len(DNA), 0, tokens)
    reach = env.terminal_parents(tokens, torch.tensor([9, 6]))
    assert reach.tolist() == [[False, True, False], [True, False, False]]


def test_trust_region_with_lengths_that_vary():
    """Parents = the best measured of any length; k from their median length; designs keep it."""
    rng = np.random.default_rng(0)
    seqs = list(
        dict.fromkeys(
            "".join(rng.choice(list(PROTEIN.letters), int(n)))
            for n in rng.integers(12, 31, size=60)
        )
    )

    def reward(batch: list[str]) -> np.ndarray:
        return np.array([q.count("W") + 0.01 * len(q) for q in batch], dtype=np.float64)

    values = {q: float(v) for q, v in zip(seqs, reward(seqs), strict=True)}
    data = Dataset.from_records([(f"s{i}", q, {"w": values[q]}) for i, q in enumerate(seqs)])
    space = SequenceSpace(PROTEIN, 12, 30)
    s = GFlowNetSettings.for_budget("fast", steps=20, trust_parents=5, trust_radius=0.1)
    gen = GFlowNetEditGenerator(s).fit(reward, data, space, np.random.default_rng(1))
    top = sorted(seqs, key=lambda q: (-values[q], q))[:5]
    assert sorted(gen.space_.constraints.parents) == sorted(top)
    k = max(1, round(0.1 * float(np.median([len(p) for p in top]))))
    assert gen.space_.constraints.max_edits == k
    out = gen.sample(64, np.random.default_rng(2))
    assert out
    for q in out:
        same = [p for p in top if len(p) == len(q)]
        assert same and min(sum(a != b for a, b in zip(q, p)) for p in same) <= k


def test_several_objectives_edit_the_measured_front():
    """MOGFN-AL's trust region: parents front by front (both objectives maximized here)."""
    from seqdesign.config import RoundSettings
    from seqdesign.loop import front_region

    rng = np.random.default_rng(0)
    seqs = list(dict.fromkeys("".join(rng.choice(list("ACGT"), 30)) for _ in range(30)))
    a = rng.random(len(seqs))
    b = 1.0 - a + 0.3 * rng.random(len(seqs))  # a trade-off
    b[3] = np.nan  # a missing measurement counts as that objective's worst
    data = Dataset.from_records([(f"s{i}", q, {"a": a[i], "b": b[i]}) for i, q in enumerate(seqs)])
    settings = RoundSettings()
    settings = dataclasses.replace(
        settings, gflownet=dataclasses.replace(settings.gflownet, trust_parents=6)
    )
    region = front_region(SequenceSpace(DNA, 30, 30), data, np.array([1.0, 1.0]), settings)
    y = np.stack([a, np.where(np.isnan(b), np.nanmin(b), b)], 1)
    front = {seqs[i] for i in np.flatnonzero(non_dominated(y))}
    parents = region.constraints.parents
    assert len(parents) == 6 and region.constraints.max_edits == 3
    assert set(parents[: len(front)]) == front or front >= set(parents)
    # minimizing b instead: the front changes with the sign
    flipped = front_region(SequenceSpace(DNA, 30, 30), data, np.array([1.0, -1.0]), settings)
    y2 = np.stack([a, -np.where(np.isnan(b), np.nanmax(b), b)], 1)
    front2 = {seqs[i] for i in np.flatnonzero(non_dominated(y2))}
    assert set(flipped.constraints.parents[: len(front2)]) == front2 or front2 >= set(
        flipped.constraints.parents
    )


@pytest.mark.parametrize("hops", [1, 2])
def test_front_hops_move_the_trust_region(hops, gc_campaign):
    """Each hop edits the previous hop's predicted front: only with 2 do designs pass k edits.

    On the round's score (``front_reward = "sum"``): the hops' mechanics do not depend on the
    reward, and with 30 training steps the per-parent aim often learns only to stop at its
    parents in this toy (tests/unit/test_front_reward.py covers its hops and that case)."""
    from seqdesign.loop import run_round

    space, seqs, data, s = gc_campaign(80, "gfn-edit", front_hops=hops, front_reward="sum")
    out = run_round(data, space, 20, s, seed=3).table["sequence"].tolist()
    k = 3  # round(0.1 * 30)
    dist = [min(sum(a != b for a, b in zip(q, p)) for p in seqs) for q in out]
    assert len(out) == 20 and max(dist) <= hops * k
    if hops == 2:
        assert max(dist) > k


def test_each_front_hop_trains_its_share_of_the_steps(gc_campaign):
    """[multiobjective] hop_steps: every hop trains that fraction of [gflownet] steps."""
    from seqdesign.config import build_settings
    from seqdesign.loop import run_round

    space, _, data, s = gc_campaign(60, "gfn-edit", 30, front_hops=3, hop_steps=0.5)
    fits: list[int] = []

    def progress(stage: str, step: int, total: int, detail: str = "") -> None:
        if stage == "gflownet" and step == total:
            fits.append(total)

    run_round(data, space, 10, s, seed=1, progress=progress)
    assert fits == [15, 15, 15]
    with pytest.raises(ConfigError, match="hop_steps"):
        build_settings("fast", {"multiobjective": {"hop_steps": 0.0}}, {})


def test_each_front_hop_samples_hop_oversample_per_design(gc_campaign, monkeypatch):
    """[multiobjective] hop_oversample: every hop samples that many candidates per design."""
    from seqdesign.config import build_settings
    from seqdesign.generators.gfn_edit import GFlowNetEditGenerator
    from seqdesign.loop import run_round

    asked: list[int] = []
    real = GFlowNetEditGenerator.sample

    def sample(self: GFlowNetEditGenerator, n: int, rng: np.random.Generator) -> list[str]:
        asked.append(n)
        return real(self, n, rng)

    monkeypatch.setattr(GFlowNetEditGenerator, "sample", sample)
    space, _, data, s = gc_campaign(60, "gfn-edit", 30, front_hops=2, hop_oversample=7)
    run_round(data, space, 10, s, seed=1)
    assert asked[:2] == [70, 70]
    with pytest.raises(ConfigError, match="hop_oversample"):
        build_settings("fast", {"multiobjective": {"hop_oversample": 0}}, {})


def test_given_parents_of_several_lengths_are_kept():
    """--parent sequences of several lengths are the parents (no trust region over them)."""
    space = _ragged_space()
    rng = np.random.default_rng(0)
    seqs = space.random(40, rng)
    data = Dataset.from_records([(f"s{i}", q, {"g": q.count("G")}) for i, q in enumerate(seqs)])

    def reward(batch: list[str]) -> np.ndarray:
        return np.array([q.count("G") for q in batch], dtype=np.float64)

    s = GFlowNetSettings.for_budget("fast", steps=10, trust_parents=1)
    gen = GFlowNetEditGenerator(s).fit(reward, data, space, np.random.default_rng(1))
    parents = space.constraints.parents
    assert gen.space_.constraints.parents == parents and gen.space_.constraints.max_edits == 2
    for q in gen.sample(64, np.random.default_rng(2)):
        same = [p for p in parents if len(p) == len(q)]
        assert same and min(sum(a != b for a, b in zip(q, p)) for p in same) <= 2
