"""GFlowNet training throughput of seqdesign against torchgfn, same environment, policy and batch.

    .venv/bin/python benchmarks/gfn_throughput.py                  # both settings, both libraries
    .venv/bin/python benchmarks/gfn_throughput.py --json bench-out/gfn.json
    .venv/bin/python benchmarks/gfn_throughput.py --length 8 --letters 4 --steps 300 --repeat 1

Each side runs ``--repeat`` times (default 3, seeds ``seed .. seed+N-1``), alternating with the
other side so both see the same load; the best throughput of each side is reported (the TB loss
shown is that run's), and every run is kept in the JSON.

The environment is the same on both sides: an append-only sequence of fixed length L over A
letters (A letter actions and an exit action that is only allowed, and forced, at length L), so
every sequence has exactly one trajectory and P_B = 1. The log-reward is a fixed random linear
function drawn from ``torch.Generator().manual_seed(0)`` (identical in both processes):

    log R(x) = beta * sum_i W[i, x_i] / sqrt(L),    W ~ N(0, 1)  (L, A),  beta = 4

Both sides train the same policy (an MLP on the one-hot prefix plus the one-hot prefix length,
3 linear layers of width 256: seqdesign's ``MLPPolicy(layers=2)`` and torchgfn's
``MLP(n_hidden_layers=2)``), with trajectory balance, Adam (lr 1e-3; log Z lr 5e-2), gradient
clipping at 10, epsilon-uniform exploration 0.01 (so log P_F is recomputed for the loss on both
sides), the same number of on-policy trajectories per step and no offline data, on one torch
thread. Both start from the same weights: seqdesign's policy is built from the run's seed and
copied into torchgfn's MLP (its first layer reads the same one-hot prefix and length, so the two
networks compute the same function at step 0; ``initial_weights``). seqdesign warm-starts log Z
at step 0 from the first batch (a Jensen lower bound); the torchgfn loop gets the same warm start,
so the losses compare the implementations, not the init. ``--torchgfn-init`` gives torchgfn its
own default initialization instead (``nn.Linear``'s; the TB loss then differs: see
docs/performance.md).

Throughput is trajectories per second over the whole training loop (sampling, reward, loss,
backward, Adam step). The torchgfn half runs in ``.venv-torchgfn`` (its own virtual environment,
created by ``make bench``) through a subprocess of this same file (``--side torchgfn``).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
TORCHGFN_PYTHON = ROOT / ".venv-torchgfn" / "bin" / "python"
SETTINGS = [(8, 4, 300), (50, 20, 100)]  # (L, A, steps)
BATCH, HIDDEN, LAYERS, LR, LR_LOGZ, EPSILON, CLIP, BETA = 64, 256, 2, 1e-3, 5e-2, 0.01, 10.0, 4.0


def reward_weights(length: int, letters: int) -> torch.Tensor:
    """(L, A) weights of the log-reward, identical in every process with the same torch."""
    g = torch.Generator().manual_seed(0)
    return BETA * torch.randn(length, letters, generator=g, dtype=torch.float64) / math.sqrt(length)


def warm_up() -> None:
    """Pay torch's one-time costs before any timing, on both sides.

    The first ``torch.optim.Adam`` of a process imports ``torch._dynamo`` (1-2 s here). The
    torchgfn side builds its optimizer outside the timed loop (and importing ``gfn`` already
    loads dynamo); seqdesign's trainer builds its own inside ``train_policy``, so without this
    the seqdesign side alone would time that import (about a third of the L=8 run).
    """
    torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))])


def initial_weights(length: int, letters: int, seed: int) -> dict[str, torch.Tensor]:
    """seqdesign's initial MLP policy for ``seed``, laid out as torchgfn's ``MLP`` state dict.

    seqdesign's first layer is a table: one H-vector per (position, letter) (``inp``) and per
    prefix length (``length``, which also carries the first bias); torchgfn's first
    ``nn.Linear`` reads the same one-hot prefix (position-major) then the one-hot length, so its
    weight is the two tables side by side and its bias zero.
    """
    from seqdesign.gflownet.policy import MLPPolicy, build_policy

    policy = build_policy("mlp", letters, length, HIDDEN, LAYERS, 1, seed)
    assert isinstance(policy, MLPPolicy)
    linears = [m for m in policy.body if isinstance(m, torch.nn.Linear)] + [policy.head]
    first = torch.cat([policy.inp.weight, policy.length.weight], 0).T  # (H, L*A + L + 1)
    state = {"trunk.0.weight": first, "trunk.0.bias": torch.zeros(HIDDEN)}
    for i, lin in enumerate(linears[:-1]):
        state[f"trunk.{2 * i + 2}.weight"] = lin.weight
        state[f"trunk.{2 * i + 2}.bias"] = lin.bias
    state["last_layer.weight"], state["last_layer.bias"] = linears[-1].weight, linears[-1].bias
    return {k: v.detach().clone() for k, v in state.items()}


def run_seqdesign(length: int, letters: int, steps: int, seed: int) -> dict[str, float]:
    """Train seqdesign's GFlowNet (the real trainer, strings and all) and time it."""
    import numpy as np

    from seqdesign.alphabet import DNA, PROTEIN
    from seqdesign.encoding import encode_tokens
    from seqdesign.gflownet.policy import build_policy
    from seqdesign.gflownet.settings import GFlowNetSettings
    from seqdesign.gflownet.trainer import train_policy
    from seqdesign.space import SequenceSpace

    alphabet = {4: DNA, 20: PROTEIN}[letters]
    space = SequenceSpace(alphabet, length, length)
    w = reward_weights(length, letters).numpy()

    class LinearReward:
        def log_reward(self, sequences: list[str], step: int) -> np.ndarray:
            tok = encode_tokens(sequences, alphabet, length)  # (B, L)
            return w[np.arange(length), tok].sum(axis=1)

    s = GFlowNetSettings(
        hidden=HIDDEN,
        layers=LAYERS,
        lr=LR,
        lr_logz=LR_LOGZ,
        batch_size=BATCH,
        epsilon=EPSILON,
        grad_clip=CLIP,
        steps=steps,
    )
    policy = build_policy("mlp", letters, length, HIDDEN, LAYERS, 1, seed)
    gen = torch.Generator().manual_seed(seed)
    warm_up()
    t0 = time.perf_counter()
    hist = train_policy(policy, space, LinearReward(), [], s, gen)
    seconds = time.perf_counter() - t0
    return _result(hist.loss, seconds, steps, policy)


def run_torchgfn(
    length: int, letters: int, steps: int, seed: int, init: Path | None = None
) -> dict[str, float]:
    """Train torchgfn's TBGFlowNet on the same environment and time it.

    ``init``: a file of :func:`initial_weights` to start from (default: torchgfn's own init).
    """
    import torch.nn.functional as F
    from gfn.actions import Actions
    from gfn.env import DiscreteEnv
    from gfn.estimators import DiscretePolicyEstimator
    from gfn.gflownet import TBGFlowNet
    from gfn.preprocessors import Preprocessor
    from gfn.states import DiscreteStates
    from gfn.utils.modules import MLP

    torch.manual_seed(seed)  # torchgfn draws from the global RNG
    w = reward_weights(length, letters).float()
    pos = torch.arange(length)

    class AppendEnv(DiscreteEnv):
        """Fixed-length append-only sequences: state = tokens, -1 where not yet written."""

        def __init__(self) -> None:
            super().__init__(
                n_actions=letters + 1,
                s0=torch.full((length,), -1, dtype=torch.long),
                state_shape=(length,),
                sf=torch.full((length,), -2, dtype=torch.long),
            )

        def make_states_class(self) -> type[DiscreteStates]:
            env = self

            class SeqStates(DiscreteStates):
                state_shape = env.state_shape
                s0 = env.s0
                sf = env.sf
                make_random_states = env.make_random_states
                n_actions = env.n_actions

                def _compute_forward_masks(self) -> torch.Tensor:
                    full = ((self.tensor >= 0).sum(-1) == length).unsqueeze(-1)
                    letters_ok = (~full).expand(*self.batch_shape, letters)
                    return torch.cat([letters_ok, full], -1)

                def _compute_backward_masks(self) -> torch.Tensor:
                    n = (self.tensor >= 0).sum(-1)
                    last = self.tensor.gather(-1, (n - 1).clamp(min=0).unsqueeze(-1))
                    mask = F.one_hot(last.squeeze(-1).clamp(min=0), letters).bool()
                    return mask & (n > 0).unsqueeze(-1)

            return SeqStates

        def step(self, states: DiscreteStates, actions: Actions) -> DiscreteStates:
            t = states.tensor.clone()
            n = (t >= 0).sum(-1, keepdim=True)
            t.scatter_(-1, n, actions.tensor)
            return self.States(t)

        def backward_step(self, states: DiscreteStates, actions: Actions) -> DiscreteStates:
            t = states.tensor.clone()
            n = (t >= 0).sum(-1, keepdim=True)
            t.scatter_(-1, n - 1, -1)
            return self.States(t)

        def log_reward(self, states: DiscreteStates) -> torch.Tensor:  # type: ignore[override]
            return w[pos, states.tensor.clamp(min=0)].sum(-1)

    class PrefixOneHot(Preprocessor):
        """One-hot of the padded prefix (L*A) and of the prefix length (L+1)."""

        def __init__(self) -> None:
            super().__init__(output_dim=length * letters + length + 1)

        def preprocess(self, states: DiscreteStates) -> torch.Tensor:
            t = states.tensor
            valid = t >= 0
            x = F.one_hot(t.clamp(min=0), letters) * valid.unsqueeze(-1)
            n = F.one_hot(valid.sum(-1), length + 1)
            return torch.cat([x.flatten(-2), n], -1).float()

    env = AppendEnv()
    module = MLP(length * letters + length + 1, letters + 1, HIDDEN, LAYERS)
    if init is not None:
        module.load_state_dict(torch.load(init))
    pf = DiscretePolicyEstimator(module, letters + 1, preprocessor=PrefixOneHot())
    gfn = TBGFlowNet(pf=pf, pb=None, constant_pb=True)
    opt = torch.optim.Adam(
        [
            {"params": gfn.pf_pb_parameters(), "lr": LR},
            {"params": gfn.logz_parameters(), "lr": LR_LOGZ},
        ]
    )
    params = list(gfn.parameters())
    losses: list[float] = []
    warm_up()
    t0 = time.perf_counter()
    for step in range(steps):
        traj = gfn.sample_trajectories(env, n=BATCH, save_logprobs=False, epsilon=EPSILON)
        if step == 0:  # the same warm start of log Z as seqdesign's trainer
            with torch.no_grad():
                log_pf = gfn.trajectory_log_probs_forward(traj, recalculate_all_logprobs=True)
                gfn.logZ.fill_(float((traj.log_rewards - log_pf.sum(0)).mean()))
        loss = gfn.loss(env, traj, recalculate_all_logprobs=True)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, CLIP)
        opt.step()
        losses.append(float(loss.detach()))
    seconds = time.perf_counter() - t0
    return _result(losses, seconds, steps, module)


def _result(losses: list[float], seconds: float, steps: int, net: torch.nn.Module) -> dict:
    tail = losses[-max(1, steps // 10) :]
    fifths = [losses[i * steps // 5 : (i + 1) * steps // 5] for i in range(5)]
    return {
        "seconds": seconds,
        "traj_per_s": BATCH * steps / seconds,
        "final_loss": sum(tail) / len(tail),  # mean TB loss over the last 10% of steps
        "loss_fifths": [sum(f) / len(f) for f in fifths if f],  # the curve: mean per fifth
        "params": sum(p.numel() for p in net.parameters()),
    }


def run_side(
    side: str, length: int, letters: int, steps: int, seed: int, same_init: bool = True
) -> dict:
    """One measurement; the torchgfn side runs in its own virtual environment (from
    seqdesign's initial weights for ``seed`` when ``same_init``)."""
    if side == "seqdesign":
        return run_seqdesign(length, letters, steps, seed)
    if not TORCHGFN_PYTHON.exists():
        raise SystemExit(
            f"{TORCHGFN_PYTHON} not found: create it with `make bench-venv` "
            "(python3 -m venv .venv-torchgfn && .venv-torchgfn/bin/pip install torch==2.13.0 "
            "torchgfn)"
        )
    cmd = [str(TORCHGFN_PYTHON), __file__, "--side", "torchgfn"]
    cmd += ["--length", str(length), "--letters", str(letters), "--steps", str(steps)]
    cmd += ["--seed", str(seed)]
    with tempfile.TemporaryDirectory() as tmp:
        if same_init:
            path = Path(tmp) / "init.pt"
            torch.save(initial_weights(length, letters, seed), path)
            cmd += ["--init", str(path)]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--side", choices=["both", "seqdesign", "torchgfn"], default="both")
    p.add_argument("--length", type=int, help="one setting only (with --letters, --steps)")
    p.add_argument("--letters", type=int)
    p.add_argument("--steps", type=int)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--repeat", type=int, default=3, help="runs per side (seeds seed..seed+N-1), best kept"
    )
    p.add_argument("--json", type=Path, help="also write the results here")
    p.add_argument(
        "--torchgfn-init",
        action="store_true",
        help="torchgfn starts from its own default init, not from seqdesign's weights",
    )
    p.add_argument("--init", type=Path, help=argparse.SUPPRESS)  # the subprocess protocol
    a = p.parse_args()
    torch.set_num_threads(1)
    if a.side != "both":  # a single measurement, printed as JSON (the subprocess protocol)
        if a.side == "seqdesign":
            result = run_seqdesign(a.length, a.letters, a.steps, a.seed)
        else:
            result = run_torchgfn(a.length, a.letters, a.steps, a.seed, a.init)
        print(json.dumps(result))
        return
    settings = [(a.length, a.letters, a.steps)] if a.length else SETTINGS
    rows = []
    for length, letters, steps in settings:
        runs: dict[str, list[dict]] = {"seqdesign": [], "torchgfn": []}
        for i in range(a.repeat):  # the sides alternate, so both see the same load
            for side in runs:
                run = run_side(side, length, letters, steps, a.seed + i, not a.torchgfn_init)
                runs[side].append(run)
        ours, ref = (max(runs[k], key=lambda r: r["traj_per_s"]) for k in runs)
        rows.append(
            {
                "length": length,
                "letters": letters,
                "steps": steps,
                "batch": BATCH,
                "repeat": a.repeat,
                "same_init": not a.torchgfn_init,
                "seqdesign": ours,
                "torchgfn": ref,
                "ratio": ours["traj_per_s"] / ref["traj_per_s"],
                "runs": runs,
            }
        )
        print(
            f"L={length} A={letters} batch={BATCH} steps={steps}, best of {a.repeat}: seqdesign "
            f"{ours['traj_per_s']:.0f} traj/s (TB loss {ours['final_loss']:.3f}), torchgfn "
            f"{ref['traj_per_s']:.0f} traj/s (TB loss {ref['final_loss']:.3f}); "
            f"ratio {rows[-1]['ratio']:.1f}x",
            flush=True,
        )
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
