"""Update rules: gradient descent, Adam, FIRE, L-BFGS, the learned optimizer, and staged pairs."""

from .adam import Adam
from .base import State, UpdateRule, cap_step, reset_replicas
from .fire import Fire
from .gradient_descent import GradientDescent
from .lbfgs import Lbfgs
from .learned import LearnedOptimizer, Scales
from .network import LearnedOptimizerNet, NetworkConfig
from .staged import Staged

__all__ = [
    "Adam",
    "Fire",
    "GradientDescent",
    "Lbfgs",
    "LearnedOptimizer",
    "LearnedOptimizerNet",
    "NetworkConfig",
    "Scales",
    "Staged",
    "State",
    "UpdateRule",
    "cap_step",
    "reset_replicas",
]
