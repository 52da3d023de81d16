"""The torchgfn comparison starts both libraries from the same network (benchmarks/).

``gfn_throughput.initial_weights`` lays seqdesign's initial MLP policy out as torchgfn's ``MLP``
state dict; torchgfn is not installed here, so its network is rebuilt from plain ``nn`` layers
with the same layout (Linear, ReLU, Linear, ReLU under ``trunk``, then ``last_layer``) and the
same input (one-hot prefix, position-major, then one-hot prefix length).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from seqdesign.gflownet.policy import build_policy

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gfn_throughput.py"


def _load():
    spec = importlib.util.spec_from_file_location("gfn_throughput", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _TorchgfnLikeMLP(nn.Module):
    def __init__(self, n_in: int, n_out: int, hidden: int) -> None:
        super().__init__()
        self.trunk = nn.Sequential(
            nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
        )
        self.last_layer = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.last_layer(self.trunk(x))


def _prefix_input(tokens: torch.Tensor, t: int, letters: int) -> torch.Tensor:
    b, length = tokens.shape
    x = torch.full((b, length), -1)
    x[:, :t] = tokens[:, :t]
    valid = x >= 0
    onehot = F.one_hot(x.clamp(min=0), letters) * valid.unsqueeze(-1)
    n = F.one_hot(valid.sum(-1), length + 1)
    return torch.cat([onehot.flatten(-2), n], -1).float()


@pytest.mark.parametrize(("length", "letters"), [(8, 4), (5, 20)])
def test_torchgfn_network_computes_seqdesigns_policy_at_step_zero(length: int, letters: int):
    bench = _load()
    seed = 3
    net = _TorchgfnLikeMLP(length * letters + length + 1, letters + 1, bench.HIDDEN)
    net.load_state_dict(bench.initial_weights(length, letters, seed))
    policy = build_policy("mlp", letters, length, bench.HIDDEN, bench.LAYERS, 1, seed)
    tokens = torch.randint(0, letters, (6, length), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours, _ = policy(tokens)  # (B, L+1, A+1)
        for t in range(length + 1):
            theirs = net(_prefix_input(tokens, t, letters))
            assert torch.allclose(theirs, ours[:, t], atol=1e-5), t
    # another seed gives another network: the weights follow the seed
    first = bench.initial_weights(length, letters, seed)["trunk.0.weight"]
    other = bench.initial_weights(length, letters, seed + 1)["trunk.0.weight"]
    assert not torch.equal(other, first)
