"""Update rules: gradient descent, Adam, FIRE and the learned optimizer."""

from .adam import Adam
from .base import State, UpdateRule, cap_step, reset_replicas
from .fire import Fire
from .gradient_descent import GradientDescent
from .learned import LearnedOptimizer, Scales
from .network import LearnedOptimizerNet, NetworkConfig

__all__ = [
    "Adam",
    "Fire",
    "GradientDescent",
    "LearnedOptimizer",
    "LearnedOptimizerNet",
    "NetworkConfig",
    "Scales",
    "State",
    "UpdateRule",
    "cap_step",
    "reset_replicas",
]
