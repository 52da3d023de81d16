"""One design round (data in, proposals out) and a simulated campaign (rounds + an oracle).

The round reads left to right: fit the proxy, turn its posterior into a reward (the
acquisition), fit the generator on that reward, sample candidates, select the batch.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from seqdesign.acquisition import acquire
from seqdesign.config import RoundSettings
from seqdesign.dataset import Dataset
from seqdesign.distance import nearest
from seqdesign.errors import ConfigError, SpaceTooSmallError
from seqdesign.generators import (
    EDIT_GENERATORS,
    VECTOR_GENERATORS,
    make_generator,
    prefers_edits,
)
from seqdesign.generators.base import RewardFn
from seqdesign.generators.exhaustive import EXHAUSTIVE_LIMIT, check_enumerable
from seqdesign.generators.gfn_edit import around
from seqdesign.gflownet.edits import substitution_parents
from seqdesign.metrics import campaign_metrics
from seqdesign.moacquisition import MultiObjectiveAcquisition, ParentAim, ParentGain, check_kind
from seqdesign.motifs import reverse_complement
from seqdesign.multiobjective import front_order, hypervolume, pareto_ranks
from seqdesign.proxy.ensemble import DeepEnsemble, Posterior
from seqdesign.select import eligible, select_diverse
from seqdesign.space import SequenceSpace

log = logging.getLogger(__name__)

ENUMERATE_LIMIT = EXHAUSTIVE_LIMIT
"""Spaces at most this large are enumerated when the generator finds too few new sequences."""

Progress = Callable[..., None]
"""``(stage, step, total, detail="")``: called as work advances (stages: proxy, gflownet)."""


@dataclass(frozen=True)
class Objective:
    """A named objective and its direction."""

    name: str
    maximize: bool = True


def maximizing(objectives: list[Objective]) -> np.ndarray:
    """(K,) +1 for each maximized objective, -1 for each minimized one: labels times these are
    maximized."""
    return np.array([1.0 if o.maximize else -1.0 for o in objectives])


@dataclass
class RoundResult:
    """What a round produced.

    Attributes:
        table: one row per proposal, best first: id, sequence, proxy_mean, proxy_std,
            acquisition, min_dist_to_labeled, pred_<objective> and pred_<objective>_std per
            objective, and (several objectives) pareto_rank: the Pareto rank of the predicted
            means among the proposals (1 = on their front).
        proxy_metrics: held-out quality of the proxy (Spearman, coverage, std scale).
        seconds: wall time of the round.
    """

    table: pd.DataFrame
    proxy_metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def _scalar(
    samples: np.ndarray, signs: np.ndarray, center: np.ndarray, scale: np.ndarray
) -> np.ndarray:
    """(M, N, K) label-unit samples -> (M, N) one maximized objective.

    One objective: its signed value, in label units. Several: the mean of the signed,
    standardized objectives (an equal-weight scalarization; each objective centred on
    ``center`` and divided by ``scale``, the measured mean and standard deviation, so that its
    offset and units weigh nothing).
    """
    if samples.shape[-1] == 1:
        return samples[..., 0] * signs[0]
    return ((samples - center) * signs / scale).mean(axis=-1)


def run_round(
    dataset: Dataset,
    space: SequenceSpace,
    n: int,
    settings: RoundSettings,
    seed: int,
    objectives: list[Objective] | None = None,
    exclude: set[str] | None = None,
    round_index: int = 1,
    progress: Progress | None = None,
    taken_ids: Collection[str] = (),
) -> RoundResult:
    """Propose ``n`` new sequences from the labeled ``dataset``.

    Args:
        dataset: the labeled (and possibly unlabeled) sequences; its objectives are modeled.
        space: the sequences allowed.
        n: the batch size.
        settings: round settings (validated here).
        seed: master seed; every random step derives from it.
        objectives: directions per dataset objective (default: all maximized).
        exclude: sequences never to propose besides the dataset's own.
        round_index: used in the proposal ids (``sd_r{round}_{i:04d}``).
        progress: optional progress callback.
        taken_ids: ids already in use (a campaign's records); proposals skip them.

    Raises:
        InputError: too few measurements to fit the proxy.
        SpaceTooSmallError: fewer than ``n`` valid unseen sequences exist.
    """
    t0 = time.perf_counter()
    settings.validate()
    objectives = objectives or [Objective(o) for o in dataset.objectives]
    settings = settings.for_objectives(len(objectives))
    kappa = settings.kappa
    assert kappa is not None  # for_objectives set it
    signs = maximizing(objectives)
    seen = set(dataset.sequences) | (exclude or set())
    _check_space(space, seen, n)
    ss = np.random.SeedSequence(seed)
    proxy_rng, gen_rng, sample_rng, ts_rng = (np.random.default_rng(s) for s in ss.spawn(4))

    dataset.check_fittable()
    measured = dataset.subset(dataset.labeled)
    name = resolve_generator(settings, len(objectives), space)  # refuse before training
    proxy = DeepEnsemble(settings.proxy, device=settings.device)
    on_proxy = (lambda i, t: progress("proxy", i, t)) if progress else None
    proxy.fit(dataset, space.alphabet, space.max_len, proxy_rng, on_step=on_proxy)
    center, scale = proxy.y_mean_, proxy.y_std_

    labels = measured.labels.copy()
    filled = np.where(np.isnan(labels), np.nanmean(labels, axis=0), labels)
    incumbent = float(_scalar(filled[None], signs, center, scale).max())
    multi: MultiObjectiveAcquisition | None = None
    if len(objectives) > 1:
        multi = MultiObjectiveAcquisition.from_labels(
            settings.acquisition, kappa, signs, labels, ts_rng
        )
        if multi.kind == "ehvi":  # noisy EHVI: each member's front of its own predictions
            at_measured = proxy.posterior(list(measured.sequences)).samples
            multi = multi.with_noisy_front(multi.normalize(at_measured))

    def reward(seqs: list[str]) -> np.ndarray:
        if multi is not None:
            return multi.score(multi.normalize(proxy.posterior(seqs).samples))
        samples = _scalar(proxy.posterior(seqs).samples, signs, center, scale)
        return acquire(settings.acquisition, samples, kappa=kappa, incumbent=incumbent, rng=ts_rng)

    def vector_reward(seqs: list[str]) -> np.ndarray:
        assert multi is not None
        return multi.per_objective(multi.normalize(proxy.posterior(seqs).samples))

    gen_data = dataset.subset(np.array([space.contains(q) for q in dataset.sequences], dtype=bool))
    gen_space = space
    on_front = name in EDIT_GENERATORS and multi is not None and space.rules.max_edits is None
    if on_front:
        gen_space = front_region(space, gen_data, signs, settings)
        mo, gs = settings.multiobjective, settings.gflownet
        per_hop = dataclasses.replace(gs, steps=max(1, round(gs.steps * mo.hop_steps)))
        generator = make_generator(name, dataclasses.replace(settings, gflownet=per_hop), progress)
    else:
        generator = make_generator(name, settings, progress)
    # per parent: the edit GFlowNet on the front with a per-objective acquisition (ehvi
    # trains on its own score; a vector generator on the vector)
    per_parent: dict[str, Callable[[list[str], np.ndarray], Callable[..., np.ndarray]]] = {
        "per-parent": ParentAim.from_parents,
        "parent-gain": ParentGain.from_parents,
    }
    aim = on_front and settings.multiobjective.front_reward in per_parent
    aim = aim and name not in VECTOR_GENERATORS and settings.acquisition != "ehvi"
    # exhaustive search shortlists the space front by front on the vector (ehvi then ranks the
    # shortlist, as it ranks the samples of a vector generator)
    vector = name in VECTOR_GENERATORS or (name == "exhaustive" and multi is not None)

    def reward_in(where: SequenceSpace) -> RewardFn:
        """The generator's reward in ``where``: per parent of its trust region, or one."""
        if vector:
            return vector_reward
        if not aim:
            return reward
        parents = list(where.constraints.parents)
        by_parent = per_parent[settings.multiobjective.front_reward](
            parents, vector_reward(parents)
        )

        def aimed(seqs: list[str]) -> np.ndarray:
            return by_parent(seqs, vector_reward(seqs))

        return aimed

    draws = (settings.multiobjective.hop_oversample if on_front else settings.oversample) * n

    def draw() -> list[str]:
        """The generator's sample; aimed per parent, a GFlowNet that learned only to stop at
        its parents (nothing drawn is new or off a parent) is refit on the round's score in
        the same trust region and sampled again."""
        out = generator.sample(draws, sample_rng)
        if not aim:
            return out
        parents = set(generator.space_.constraints.parents)
        if all(q in seen or q in parents for q in out):
            log.info("front hop: the aimed GFlowNet only stopped at its parents; refit on the sum")
            generator.fit(reward, gen_data, generator.space_, gen_rng)
            out = generator.sample(draws, sample_rng)
        return out

    generator.fit(reward_in(gen_space), gen_data, gen_space, gen_rng)
    candidates: list[str] = []
    for _ in range(1, settings.multiobjective.front_hops if on_front else 1):
        # the next hop edits the designs of the predicted front (pooled with every hop's)
        hop = [q for q in dict.fromkeys(draw()) if q not in seen]
        if not hop:
            break
        candidates += hop
        gen_space = around_front(space, hop, vector_reward(hop), settings)
        generator.fit(reward_in(gen_space), gen_data, gen_space, gen_rng)
    candidates += draw()
    pool, scores = eligible(
        candidates, reward(candidates) if candidates else np.zeros(0), space, seen
    )
    # top up when the generator found too few new sequences: from where it searched first (a
    # trust region stays one), then from the whole space
    for where in dict.fromkeys([generator.space_, space]):
        if len(pool) >= n:
            break
        if where.size() <= ENUMERATE_LIMIT:
            extra = [q for q in where.enumerate() if q not in seen]
        else:
            extra = [q for q in where.random(max(20 * n, 1024), sample_rng) if q not in seen]
        in_pool = set(pool)
        extra = [q for q in dict.fromkeys(extra) if q not in in_pool]
        if extra:
            pool, scores = eligible(
                pool + extra, np.concatenate([scores, reward(extra)]), space, seen
            )
    if len(pool) < n:
        raise SpaceTooSmallError(
            f"found only {len(pool)} valid unseen sequences for a batch of {n}; widen the length "
            "range" + _constraint_hint(space) + " or ask for fewer"
        )
    if proxy.symmetric_:
        pool, scores = one_strand(pool, scores, seen, space, n)
    min_distance = settings.selection.resolve(space)
    if multi is None:
        picks = select_diverse(pool, scores, n, min_distance)
        picks = sorted(picks, key=lambda i: (-scores[i], pool[i]))  # best first
    else:  # consider candidates spread along the predicted front, then the diversity rule
        order = multi.order(multi.normalize(proxy.posterior(pool).samples), scores, n)
        picks = [
            int(order[i]) for i in select_diverse([pool[i] for i in order], scores, n, min_distance)
        ]
    chosen = [pool[i] for i in picks]
    post = proxy.posterior(chosen)
    table = _proposal_table(
        chosen, scores[picks], post, objectives, signs, (center, scale), measured
    )
    table["id"] = proposal_ids(round_index, len(table), taken_ids)
    return RoundResult(table, dict(proxy.metrics_), time.perf_counter() - t0)


def one_strand(
    pool: list[str], scores: np.ndarray, seen: set[str], space: SequenceSpace, n: int
) -> tuple[list[str], np.ndarray]:
    """The candidates (best first) less those whose reverse complement is measured, excluded or
    a better candidate: for a proxy that reads both strands as one molecule, they are designs
    already made. All of them when fewer than ``n`` would be left."""
    kept: set[str] = set()
    keep = []
    for i, q in enumerate(pool):
        rc = reverse_complement(q, space.alphabet)
        if rc in seen or rc in kept:
            continue
        kept.add(q)
        keep.append(i)
    if len(keep) < n:
        return pool, scores
    return [pool[i] for i in keep], scores[keep]


def front_region(
    space: SequenceSpace, data: Dataset, signs: np.ndarray, settings: RoundSettings
) -> SequenceSpace:
    """The trust region of several objectives: k substitutions of the measured Pareto front.

    As MOGFN-AL edited the current front (Jain et al. 2023): the parents are the sequences of
    ``data`` (the rows inside ``space``) with at least one measurement, front by front (most
    isolated first within a front, the NSGA-II order) up to ``trust_parents``; a missing
    measurement counts as the objective's worst. ``run_round`` then moves it
    ``front_hops - 1`` times onto the predicted front of what it designed, each hop training
    ``hop_steps`` of the GFlowNet's steps.
    """
    measured = data.labeled
    y = data.labels[measured] * signs
    worst = np.where(np.isnan(y), np.inf, y).min(axis=0, initial=np.inf)  # (K,)
    y = np.where(np.isnan(y), np.where(np.isfinite(worst), worst, 0.0), y)
    seqs = [q for q, ok in zip(data.sequences, measured, strict=True) if ok]
    return around_front(space, seqs, y, settings)


def around_front(
    space: SequenceSpace, seqs: list[str], y: np.ndarray, settings: RoundSettings
) -> SequenceSpace:
    """``space`` narrowed to k substitutions of the first ``trust_parents`` of ``seqs`` in
    front order of their (N, K) values ``y`` (larger better)."""
    order = front_order(y, settings.gflownet.trust_parents)
    return around(space, [seqs[i] for i in order], settings.gflownet)


def resolve_generator(
    settings: RoundSettings, n_objectives: int, space: SequenceSpace | None = None
) -> str:
    """The generator a round uses: ``auto`` is ``gfn`` for one objective, ``mogfn`` for several
    (``gfn`` on EHVI, i.e. MOGFN-AL, with ``--acquisition ehvi``). Where the space calls for
    edits (:func:`~seqdesign.generators.prefers_edits`: parents at a fixed length of at least
    :data:`~seqdesign.generators.EDIT_MIN_LENGTH`, or no parents and a longest length of at least
    :data:`~seqdesign.generators.TRUST_MIN_LENGTH`), ``auto`` is ``gfn-edit`` for one objective
    and for several (MOGFN-AL: edits of the measured front, :func:`front_region`, on the
    round's acquisition).

    Raises:
        ConfigError: a generator or acquisition that needs several objectives got one, ``ei``
            got several, ``gfn-edit`` has no parents to edit, or ``exhaustive`` got a space of
            more than :data:`~seqdesign.generators.exhaustive.EXHAUSTIVE_LIMIT` sequences.
    """
    name, acq = settings.generator, settings.acquisition
    if name in EDIT_GENERATORS and space is not None and space.rules.max_edits is not None:
        substitution_parents(space, name)  # refuse before the proxy is trained, not after
    if name == "exhaustive" and space is not None:
        check_enumerable(space)
    gfn = "gfn-edit" if prefers_edits(space) else "gfn"
    if n_objectives == 1:
        if name in VECTOR_GENERATORS or acq == "ehvi":
            what = f"generator {name!r}" if name in VECTOR_GENERATORS else "acquisition 'ehvi'"
            raise ConfigError(f"{what} needs several objectives; the data has one")
        return gfn if name == "auto" else name
    check_kind(acq, n_objectives)
    if name == "auto":
        return gfn if acq == "ehvi" or gfn == "gfn-edit" else "mogfn"
    return name


def _check_space(space: SequenceSpace, seen: set[str], n: int) -> None:
    size = space.size()
    if size > 10 * (len(seen) + n):
        return
    free = size - sum(1 for q in seen if space.contains(q))
    if free < n:
        raise SpaceTooSmallError(
            f"the space holds {'at most ' if space.rules.filters else ''}{size} sequences ({space.alphabet.name}, length {space.min_len}-"
            f"{space.max_len}) and {size - free} are already measured or excluded: {free} left, "
            f"fewer than the {n} asked for" + _constraint_hint(space, upper_bound=False)
        )


def _constraint_hint(space: SequenceSpace, upper_bound: bool = True) -> str:
    """``", loosen the constraints (...)"`` when the space has any, else ``""``."""
    if not space.constrained:
        return ""
    if not upper_bound:
        return f" under the constraints {space.constraints.describe()}"
    return f", loosen the constraints ({space.constraints.describe()})"


def _proposal_table(
    chosen: list[str],
    acq: np.ndarray,
    post: Posterior,
    objectives: list[Objective],
    signs: np.ndarray,
    standard: tuple[np.ndarray, np.ndarray],
    measured: Dataset,
) -> pd.DataFrame:
    """The proposals best first (by Pareto rank first with several objectives), ids unset."""
    scalar = _scalar(post.samples, signs, *standard)  # (M, N)
    mean, std = post.mean, post.std
    table = pd.DataFrame(
        {
            "id": "",
            "sequence": chosen,
            "proxy_mean": scalar.mean(axis=0) * (signs[0] if len(signs) == 1 else 1.0),
            "proxy_std": scalar.std(axis=0, ddof=1),
            "acquisition": acq,
            "min_dist_to_labeled": nearest(chosen, measured.sequences) if len(measured) else 0,
        }
    )
    for k, o in enumerate(objectives):
        table[f"pred_{o.name}"] = mean[:, k]
        table[f"pred_{o.name}_std"] = std[:, k]
    if len(objectives) > 1:
        table["pareto_rank"] = pareto_ranks(mean * signs)
        table = table.sort_values(
            ["pareto_rank", "acquisition", "sequence"], ascending=[True, False, True], kind="stable"
        )
        table = table.reset_index(drop=True)
    return table


def proposal_ids(round_index: int, n: int, taken: Collection[str] = ()) -> list[str]:
    """``sd_r{round}_{k:04d}`` for the first ``n`` numbers ``k`` from 1 whose id is not taken.

    Outside records can carry ids of this form (a standalone round's output ingested into a
    campaign); skipping them keeps every id naming one sequence.
    """
    taken = set(taken)
    ids: list[str] = []
    k = 0
    while len(ids) < n:
        k += 1
        rid = f"sd_r{round_index}_{k:04d}"
        if rid not in taken:
            ids.append(rid)
    return ids


@dataclass
class CampaignResult:
    """Per-round metrics of a simulated campaign and every sequence measured."""

    summary: pd.DataFrame
    rounds: list[pd.DataFrame]


def simulate(
    label: Callable[[list[str]], np.ndarray],
    space: SequenceSpace,
    objective_names: list[str],
    start: list[str],
    rounds: int,
    n: int,
    settings: RoundSettings,
    seed: int,
    limit: float | None = None,
    on_round: Callable[[int, RoundResult, dict[str, float]], None] | None = None,
    progress: Progress | None = None,
    propose: Callable[[Dataset, int, int], RoundResult] | None = None,
    reference: np.ndarray | None = None,
    true_hypervolume: float | None = None,
) -> CampaignResult:
    """A closed loop: label ``start`` with ``label``, then ``rounds`` of propose + label.

    Args:
        label: the in-silico lab: sequences -> (N, K) scores (objective 0 is the one reported).
        space, objective_names: the design space and the oracle's objectives.
        start: the starting sequences (labeled before round 1).
        rounds, n: number of rounds and batch size.
        settings, seed: round settings and master seed (round r uses a seed derived from it).
        limit: mean of the n best scores of the whole space, when known (ratio to limit).
        on_round: called after each round with (round, result, metrics).
        progress: optional progress callback of the rounds.
        propose: ``(data, round, round_seed) -> RoundResult`` in place of :func:`run_round`
            (a model-free baseline, for example).
        reference: several objectives: the hypervolume reference point (K,) (default: the
            starting data's minimum on each objective).
        true_hypervolume: the hypervolume of the whole space's front above ``reference``, when
            known (gives ``hv_fraction``).

    With several objectives the summary gains ``hypervolume`` (of the true scores of every
    sequence proposed so far, unique and not in the start, above ``reference``) and
    ``hv_fraction`` (that divided by ``true_hypervolume``; NaN when unknown).
    """
    y0 = label(start)
    records = [
        (f"start_{i + 1:05d}", q, dict(zip(objective_names, map(float, y0[i]))))
        for i, q in enumerate(start)
    ]
    round_seeds = np.random.SeedSequence(seed).generate_state(rounds)
    proposed: list[str] = []
    scores: list[float] = []
    all_y: list[np.ndarray] = []
    multi = len(objective_names) > 1
    ref = np.asarray(reference, dtype=np.float64) if reference is not None else y0.min(axis=0)
    rows, tables = [], []
    for r in range(1, rounds + 1):
        data = Dataset.from_records(records, objective_names)
        if propose is None:
            res = run_round(
                data, space, n, settings, int(round_seeds[r - 1]), round_index=r, progress=progress
            )
        else:
            res = propose(data, r, int(round_seeds[r - 1]))
        seqs = res.table["sequence"].tolist()
        y = label(seqs)
        table = res.table.copy()
        for k, name in enumerate(objective_names):
            table[name] = y[:, k]
        tables.append(table)
        records += [
            (i, q, dict(zip(objective_names, map(float, row))))
            for i, q, row in zip(table["id"], seqs, y)
        ]
        proposed += seqs
        scores += y[:, 0].tolist()
        all_y.append(y)
        m = campaign_metrics(proposed, np.array(scores), start, n, limit)
        if multi:
            m.update(_hypervolume_metrics(proposed, np.vstack(all_y), start, ref, true_hypervolume))
        m = {
            "round": r,
            **m,
            "batch_max": float(y[:, 0].max()),
            **res.proxy_metrics,
            "seconds": res.seconds,
        }
        rows.append(m)
        if on_round:
            on_round(r, res, m)
    return CampaignResult(pd.DataFrame(rows), tables)


def new_proposals(proposed: Sequence[str], start: Sequence[str]) -> list[int]:
    """Indices of the first proposal of each sequence not in ``start``, in proposal order."""
    start_set = set(start)
    first = {q: i for i, q in reversed(list(enumerate(proposed))) if q not in start_set}
    return sorted(first.values())


def _hypervolume_metrics(
    proposed: list[str],
    y: np.ndarray,
    start: list[str],
    ref: np.ndarray,
    true_hv: float | None,
) -> dict[str, float]:
    """Hypervolume of the unique proposed sequences not in the start, and its true fraction."""
    keep = new_proposals(proposed, start)
    hv = hypervolume(y[keep], ref, rng=np.random.default_rng(0)) if keep else 0.0
    return {
        "hypervolume": hv,
        "hv_fraction": hv / true_hv if true_hv else float("nan"),
    }
