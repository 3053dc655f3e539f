"""Meta-training of the learned optimizer: tasks, objective, outer trainers, loop."""

from .config import TrainConfig
from .evaluate import evaluate_population
from .loop import (
    OPTIMIZER_FILE,
    STATE_FILE,
    Workers,
    load_state,
    train,
    train_parallel,
    workers_from_environment,
)
from .objective import anytime_loss, final_loss
from .tasks import Task, TaskDistribution
from .trainers import AntitheticES, GeneticAlgorithm, make_trainer

__all__ = [
    "OPTIMIZER_FILE",
    "STATE_FILE",
    "AntitheticES",
    "GeneticAlgorithm",
    "Task",
    "TaskDistribution",
    "TrainConfig",
    "Workers",
    "anytime_loss",
    "evaluate_population",
    "final_loss",
    "load_state",
    "make_trainer",
    "train",
    "train_parallel",
    "workers_from_environment",
]
