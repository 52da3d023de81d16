"""GFlowNets for sequences: policies, sampling, losses (TB, SubTB), reward shaping, training."""

from seqdesign.gflownet.losses import subtrajectory_balance_loss, trajectory_balance_loss
from seqdesign.gflownet.policy import MLPPolicy, SequencePolicy, TransformerPolicy, build_policy
from seqdesign.gflownet.sampler import Trajectories, sample_trajectories, trajectory_log_pf
from seqdesign.gflownet.settings import GFlowNetSettings
from seqdesign.gflownet.shaping import ShapedReward
from seqdesign.gflownet.trainer import ProgressFn, TrainingHistory, train_policy

__all__ = [
    "GFlowNetSettings",
    "MLPPolicy",
    "ProgressFn",
    "SequencePolicy",
    "ShapedReward",
    "TrainingHistory",
    "Trajectories",
    "TransformerPolicy",
    "build_policy",
    "sample_trajectories",
    "subtrajectory_balance_loss",
    "train_policy",
    "trajectory_balance_loss",
    "trajectory_log_pf",
]
