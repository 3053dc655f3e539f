"""Meta-training of the learned update rule and the learned hop policy: tasks, objectives, learners, outer trainers, loop."""

from .config import TrainConfig
from .evaluate import evaluate_population
from .learners import HopLearner, RuleLearner, make_learner
from .loop import (
    STATE_FILE,
    Workers,
    load_state,
    output_path,
    shape_fitness,
    train,
    train_parallel,
    workers_from_environment,
)
from .objective import anytime_loss, final_loss, hit_time_loss, log_gap_loss
from .tasks import Task, TaskDistribution
from .trainers import AntitheticES, GeneticAlgorithm, make_trainer

__all__ = [
    "STATE_FILE",
    "AntitheticES",
    "GeneticAlgorithm",
    "Task",
    "TaskDistribution",
    "TrainConfig",
    "Workers",
    "HopLearner",
    "RuleLearner",
    "anytime_loss",
    "evaluate_population",
    "final_loss",
    "load_state",
    "hit_time_loss",
    "log_gap_loss",
    "make_learner",
    "output_path",
    "make_trainer",
    "shape_fitness",
    "train",
    "train_parallel",
    "workers_from_environment",
]
