"""[multiobjective] front_reward: the edit GFlowNet on the front, scored per parent (by the
ray to the ideal point, MOEA/D, or by the gains over the parent with losses weighted)."""

from __future__ import annotations

import numpy as np
import pytest

from seqdesign.errors import ConfigError
from seqdesign.moacquisition import ParentAim, ParentGain

PARENTS = ["AAAA", "CCCC", "GGGG"]
U = np.array([[0.9, 0.2], [0.5, 0.5], [0.2, 0.9]])  # one end, the middle, the other end


def test_parent_aim_by_hand():
    """z* = max + 0.1 = (1, 1); gaps (0.1, 0.8), (0.5, 0.5), (0.8, 0.1); score = mean(u_p) +
    t * mean(g_p) with t = 1 - max_k (1 - u_k) / g_pk."""
    aim = ParentAim.from_parents(PARENTS, U)
    np.testing.assert_allclose(aim.ideal, [1.0, 1.0])
    np.testing.assert_allclose(aim.gaps, [[0.1, 0.8], [0.5, 0.5], [0.8, 0.1]])
    seqs = ["AAAA", "CCCC", "GGGG", "AAAT", "CCCT", "GGGT"]
    u = np.vstack([U, [[0.95, 0.6], [0.6, 0.6], [0.3, 0.95]]])
    # parents: their own sums; AAAT: t = 1 - max(0.05 / 0.1, 0.4 / 0.8) = 0.5 -> 0.55 + 0.225;
    # CCCT: t = 1 - 0.4 / 0.5 = 0.2 -> 0.5 + 0.1; GGGT: t = 1 - 0.7 / 0.8 = 0.125 -> 0.55 +
    # 0.05625
    np.testing.assert_allclose(aim(seqs, u), [0.55, 0.5, 0.55, 0.775, 0.6, 0.60625])
    assert aim(["AAAA"], np.array([[1.0, 1.0]]))[0] == pytest.approx(1.0)  # the ideal point


def test_the_score_is_the_sum_of_the_ray_point_reached():
    """Never above the design's own equal-weight sum; equal to it on the parent's ray."""
    aim = ParentAim.from_parents(PARENTS, U)
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 4)) for _ in range(200)]
    u = rng.random((200, 2))
    assert (aim(seqs, u) <= u.mean(axis=1) + 1e-12).all()
    on_ray = U[[0, 1, 2]] + 0.3 * aim.gaps
    np.testing.assert_allclose(aim(PARENTS, on_ray), on_ray.mean(axis=1))


def test_the_same_values_score_by_the_nearest_parent():
    """(0.6, 0.6) is progress from the middle parent, a loss from either end's."""
    aim = ParentAim.from_parents(PARENTS, U)
    u = np.array([[0.6, 0.6]] * 3)
    near_a, near_c, near_g = aim(["AAAT", "CCCT", "GGGT"], u)
    assert near_c == pytest.approx(0.6)  # t = 0.2
    assert near_a == pytest.approx(0.55 - 3 * 0.45) and near_g == pytest.approx(near_a)  # t = -3


def test_ties_take_the_best_parent_and_other_lengths_every_parent():
    aim = ParentAim.from_parents(PARENTS, U)
    u = np.array([[0.55, 0.55], [0.55, 0.55]])
    tied, short = aim(["AACC", "AC"], u)  # AACC: two edits from AAAA and from CCCC
    assert tied == pytest.approx(0.55) and short == pytest.approx(0.55)  # the middle's t = 0.1


def test_parent_aim_refuses_a_mismatch():
    with pytest.raises(ConfigError, match="one acquisition vector per parent"):
        ParentAim.from_parents(PARENTS, U[:2])
    with pytest.raises(ConfigError, match="finite"):
        ParentAim.from_parents(PARENTS, np.where(U > 0.8, np.nan, U))
    for margin in (0.0, np.inf):
        with pytest.raises(ConfigError, match="margin"):
            ParentAim.from_parents(PARENTS, U, margin)
    aim = ParentAim.from_parents(PARENTS, U)
    with pytest.raises(ConfigError, match=r"shape \(2, 2\)"):
        aim(["AAAT", "CCCT"], U)
    assert aim([], np.zeros((0, 2))).shape == (0,)


def test_parent_gain_by_hand():
    """score = mean(u_p) + mean_k (max(d_k, 0) + 3 min(d_k, 0)), d = u - u_p, p the nearest."""
    gain = ParentGain.from_parents(PARENTS, U)
    seqs = ["AAAA", "AAAT", "AAAT", "CCCT", "GGGT", "AC"]
    u = np.array([[0.9, 0.2], [0.95, 0.2], [0.8, 0.4], [0.6, 0.6], [0.3, 0.8], [0.55, 0.55]])
    # AAAT: a gain alone, as the sum; a trade of 0.1 for 0.2: 0.55 + (-0.3 + 0.2) / 2;
    # CCCT: gains on both; GGGT: 0.55 + (0.1 - 0.3) / 2; AC (no parent of its length): the
    # middle's 0.5 + 0.05
    np.testing.assert_allclose(gain(seqs, u), [0.55, 0.575, 0.5, 0.6, 0.45, 0.55])


def test_parent_gain_is_the_sum_without_losses_and_below_it_with_them():
    """A gain on one objective alone scores as under the sum (the aim's plateau scores it as
    the parent); a trade scores below the sum; loss_weight 1 is the sum itself."""
    gain = ParentGain.from_parents(PARENTS, U)
    aim = ParentAim.from_parents(PARENTS, U)
    rng = np.random.default_rng(0)
    seqs = ["".join(rng.choice(list("ACGT"), 4)) for _ in range(200)]
    u = rng.random((200, 2))
    assert (gain(seqs, u) <= u.mean(axis=1) + 1e-12).all()
    one_up = U + np.array([[0.05, 0.0], [0.0, 0.05], [0.05, 0.0]])
    np.testing.assert_allclose(gain(PARENTS, one_up), one_up.mean(axis=1))
    np.testing.assert_allclose(aim(PARENTS, one_up), U.mean(axis=1))
    trade = U + np.array([[-0.1, 0.15], [0.15, -0.1], [0.15, -0.1]])
    assert (gain(PARENTS, trade) < trade.mean(axis=1) - 1e-6).all()
    plain = ParentGain.from_parents(PARENTS, U, loss_weight=1.0)
    np.testing.assert_allclose(plain(seqs, u), u.mean(axis=1))


def test_parent_gain_refuses_a_mismatch():
    with pytest.raises(ConfigError, match="one acquisition vector per parent"):
        ParentGain.from_parents(PARENTS, U[:2])
    with pytest.raises(ConfigError, match="finite"):
        ParentGain.from_parents(PARENTS, np.where(U > 0.8, np.inf, U))
    for w in (0.5, np.nan):
        with pytest.raises(ConfigError, match="loss_weight"):
            ParentGain.from_parents(PARENTS, U, w)
    with pytest.raises(ConfigError, match=r"shape \(2, 2\)"):
        ParentGain.from_parents(PARENTS, U)(["AAAT", "CCCT"], U)


def test_front_reward_setting_is_validated():
    from seqdesign.config import build_settings

    with pytest.raises(ConfigError, match="front_reward"):
        build_settings("fast", {"multiobjective": {"front_reward": "hv"}}, {})


def _one_edit_of_each(parents: tuple[str, ...]) -> list[str]:
    return [p[:-1] + ("A" if p[-1] != "A" else "C") for p in parents]


def _record(monkeypatch, cls):  # type: ignore[no-untyped-def]
    """Patch ``cls`` (ParentAim or ParentGain) to record what the round builds, in order: the
    scores, the parents' acquisition vectors each was built from, and the vectors each call
    scored."""
    made: list[ParentAim | ParentGain] = []
    built_u: list[np.ndarray] = []
    scored: list[np.ndarray] = []
    real_from = cls.from_parents.__func__
    real_call = cls.__call__

    def from_parents(c, parents, u, *args):  # type: ignore[no-untyped-def]
        built_u.append(np.asarray(u))
        made.append(real_from(c, parents, u, *args))
        return made[-1]

    def call(self, sequences, u):  # type: ignore[no-untyped-def]
        scored.append(np.asarray(u))
        return real_call(self, sequences, u)

    monkeypatch.setattr(cls, "from_parents", classmethod(from_parents))
    monkeypatch.setattr(cls, "__call__", call)
    return made, built_u, scored


@pytest.fixture
def built(monkeypatch) -> list[ParentAim]:  # type: ignore[no-untyped-def]
    """Every ParentAim the round builds, in order."""
    return _record(monkeypatch, ParentAim)[0]


@pytest.mark.parametrize(
    ("cls", "chosen"),
    [
        (ParentAim, {"front_reward": "per-parent"}),
        (ParentGain, {}),
        (ParentGain, {"front_reward": "parent-gain"}),
    ],
    ids=["per-parent", "default", "parent-gain"],
)
def test_each_hop_trains_on_its_own_parents_score(cls, chosen, gc_campaign, monkeypatch):
    """Scored per parent (parent-gain is the default): every hop's generator trains on the
    score of its own trust region's parents (at a parent, that parent's sum; off its ray, or
    where an edit trades one objective for another, below the design's own sum), and the
    parents change from hop to hop."""
    from seqdesign.generators.gfn_edit import GFlowNetEditGenerator
    from seqdesign.loop import run_round

    made, built_u, scored = _record(monkeypatch, cls)
    checked: list[tuple[str, ...]] = []
    real_fit = GFlowNetEditGenerator.fit

    def fit(self, reward, dataset, space, rng):  # type: ignore[no-untyped-def]
        parents = space.constraints.parents
        if len(made) > len(checked):  # a per-parent fit: built for this trust region
            assert made[len(checked)].parents == parents
            at_parents = np.asarray(reward(list(parents)))
            np.testing.assert_allclose(at_parents, scored[-1].mean(axis=1), atol=1e-9)
            np.testing.assert_allclose(at_parents, built_u[len(checked)].mean(axis=1))
            off = np.asarray(reward(_one_edit_of_each(parents)))
            own_sum = scored[-1].mean(axis=1)
            assert (off <= own_sum + 1e-9).all() and (off < own_sum - 1e-6).any()
            checked.append(parents)
        return real_fit(self, reward, dataset, space, rng)

    monkeypatch.setattr(GFlowNetEditGenerator, "fit", fit)
    space, _, data, s = gc_campaign(60, "gfn-edit", 30, front_hops=2, **chosen)
    table = run_round(data, space, 10, s, seed=1).table
    assert len(table) == 10 and len(checked) == 2 and checked[0] != checked[1]


@pytest.mark.parametrize("hops", [1, 2])
def test_an_aim_that_only_stops_at_its_parents_falls_back_to_the_round_score(
    hops, gc_campaign, monkeypatch, built
):
    """Every aimed fit here learns only to stop at its parents (measured ones in the first
    hop, the previous hop's designs after): each is refit once on the round's score in the
    same trust region, and the batch is new sequences."""
    from seqdesign.generators.gfn_edit import GFlowNetEditGenerator
    from seqdesign.loop import run_round

    space, seqs, data, s = gc_campaign(
        60, "gfn-edit", 30, front_hops=hops, front_reward="per-parent"
    )
    fits: list[tuple[str, object, tuple[str, ...]]] = []  # (kind, reward, parents)
    real_fit, real_sample = GFlowNetEditGenerator.fit, GFlowNetEditGenerator.sample

    def fit(self, reward, dataset, space, rng):  # type: ignore[no-untyped-def]
        kind = "aim" if len(built) > sum(k == "aim" for k, _, _ in fits) else "sum"
        fits.append((kind, reward, space.constraints.parents))
        return real_fit(self, reward, dataset, space, rng)

    def sample(self, n, rng):  # type: ignore[no-untyped-def]
        parents = list(self.space_.constraints.parents)
        if fits[-1][0] == "aim":  # it learned only to stop at its parents
            return (parents * n)[:n]
        return real_sample(self, n, rng)

    monkeypatch.setattr(GFlowNetEditGenerator, "fit", fit)
    monkeypatch.setattr(GFlowNetEditGenerator, "sample", sample)
    table = run_round(data, space, 10, s, seed=2).table
    assert [k for k, _, _ in fits] == ["aim", "sum"] * hops
    for (_, aimed, parents), (_, plain, again) in zip(fits[::2], fits[1::2], strict=True):
        assert again == parents  # the refit searches the same trust region
        xs = _one_edit_of_each(parents)
        a, b = np.asarray(aimed(xs)), np.asarray(plain(xs))  # type: ignore[operator]
        assert (a <= b + 1e-9).all() and (a < b - 1e-6).any()  # the sum, not the aim
    assert len(table) == 10 and not set(table["sequence"]) & set(seqs)


def test_ehvi_trains_the_front_hops_on_its_own_score(gc_campaign, monkeypatch):
    """--acquisition ehvi: the hops train on expected hypervolume improvement, not an aim."""
    import dataclasses

    from seqdesign.loop import run_round

    def refuse(*args: object, **kwargs: object) -> ParentAim:
        raise AssertionError("ehvi built a per-parent aim")

    monkeypatch.setattr(ParentAim, "from_parents", classmethod(refuse))
    monkeypatch.setattr(ParentGain, "from_parents", classmethod(refuse))
    for front_reward in ("per-parent", "parent-gain"):
        space, _, data, s = gc_campaign(60, "gfn-edit", 30, front_hops=2, front_reward=front_reward)
        ehvi = dataclasses.replace(s, acquisition="ehvi")
        assert len(run_round(data, space, 10, ehvi, seed=1).table) == 10
