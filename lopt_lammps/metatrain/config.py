"""Meta-training configuration (a YAML file maps onto :class:`TrainConfig`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..optimizers import NetworkConfig
from ..optimizers.learned import network_device
from ..typed import build
from .objective import OBJECTIVES
from .tasks import TaskDistribution

#: how errors name a training configuration
WHERE = "training configuration"


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run; with the seed, the run is reproducible."""

    seed: int = 0
    trainer: str = "esmc"
    iterations: int = 300
    pairs: int = 8
    sigma: float = 0.02
    learning_rate: float = 0.01
    tasks_per_iteration: int = 2
    replicas: int = 2
    save_every: int = 10
    held_out_every: int = 25
    #: what is learned: "rule" (the per-atom network update rule) or "hops" (the hop policy)
    learner: str = "rule"
    #: one loss per member from the per-task losses: "standardise" (centred, scaled) or "rank" (centred ranks)
    shaping: str = "standardise"
    #: learner "hops": the meta-objective, "log_gap" (anytime log gap) or "hit_time" (share of the budget before the first hit)
    objective: str = "log_gap"
    #: learning rate: "constant", or "cosine" decay to a tenth
    schedule: str = "constant"
    #: iterations the cosine schedule spans; unset: ``iterations``. Longer: the run ends partway along it
    schedule_iterations: int | None = None
    #: held-out replicas per task (the interval of the held-out metric is over tasks x replicas)
    held_out_replicas: int = 1
    network: NetworkConfig = field(default_factory=NetworkConfig)
    #: learner "hops": basin-hopping settings the hop policy starts from (BasinHoppingSettings fields)
    hops: dict[str, Any] = field(default_factory=dict)
    #: learner "hops": the parameter groups trained (names in search.learned_policy.PARAMETERS); empty: all
    trained: tuple[str, ...] = ()
    #: learner "hops": a hop-policy file (policy.json of an earlier training) whose parameters
    #: this training starts from instead of ``hops``' basin hopping; its patience must match
    start_policy: str | None = None
    distribution: TaskDistribution = field(default_factory=TaskDistribution)
    #: learner "rule": the torch device the population's networks run on (cpu, cuda, cuda:N);
    #: unset: the compiled CPU network
    network_device: str | None = None

    def __post_init__(self) -> None:
        at_least_one = [k for k in ("iterations", "pairs", "tasks_per_iteration", "replicas", "save_every", "held_out_replicas")
                        if getattr(self, k) < 1]
        if at_least_one:
            raise ConfigError(f"{', '.join(at_least_one)} must be at least 1")
        if self.seed < 0 or self.held_out_every < 0:
            raise ConfigError("seed and held_out_every must not be negative (held_out_every 0: never)")
        if not (self.sigma > 0 and self.learning_rate > 0):
            raise ConfigError(f"sigma ({self.sigma}) and learning_rate ({self.learning_rate}) must be finite numbers above zero")
        for key, allowed in (("trainer", ("esmc", "es", "ga")), ("learner", ("rule", "hops")),
                             ("shaping", ("standardise", "rank")), ("schedule", ("constant", "cosine")),
                             ("objective", tuple(OBJECTIVES))):
            if getattr(self, key) not in allowed:
                raise ConfigError(f"{key} {getattr(self, key)!r} unknown: {' or '.join(allowed)}")
        if self.trained:
            from ..search.learned_policy import PARAMETERS

            unknown = [name for name in self.trained if name not in PARAMETERS]
            if self.learner != "hops" or unknown:
                raise ConfigError(f"trained names parameter groups of the hop policy (learner: hops): {', '.join(PARAMETERS)}"
                                  + (f"; unknown: {', '.join(unknown)}" if unknown else ""))

        if self.schedule_iterations is not None and (self.schedule != "cosine" or self.schedule_iterations < self.iterations):
            raise ConfigError(f"schedule_iterations ({self.schedule_iterations}) is for schedule: cosine and must be at least "
                              f"iterations ({self.iterations})")
        if self.objective != "log_gap" and self.learner != "hops":
            raise ConfigError(f"objective {self.objective} is for learner: hops (the update rule's objective is fixed)")
        if self.start_policy is not None and self.learner != "hops":
            raise ConfigError("start_policy is for learner: hops (a hop-policy file to start from)")
        if self.network_device is not None:
            if self.learner != "rule":
                raise ConfigError("network_device is for learner: rule (the hop policy has no network)")
            network_device(self.network_device)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """A configuration from YAML data, refusing unknown keys, wrong types and out-of-range values."""
        config = build(cls, data, WHERE)
        if config.hops:
            from ..search.policies import BasinHoppingSettings

            build(BasinHoppingSettings, config.hops, WHERE, "hops")
        return config

    @property
    def schedule_length(self) -> int:
        """Iterations the learning-rate schedule spans."""
        return self.schedule_iterations or self.iterations

    def continues(self, stored: Any) -> bool:
        """Whether a checkpoint written under ``stored`` (its ``to_dict()``, perhaps from an older
        version that lacked keys added since with their defaults) may be trained on under this
        configuration: the same, or the same but for ``iterations`` with the same learning-rate
        schedule (a run stopped partway along its ``schedule_iterations`` and extended)."""
        try:
            earlier = type(self).from_dict(stored) if isinstance(stored, dict) else None
        except ConfigError:
            return False
        if earlier is None or (self.schedule == "cosine" and earlier.schedule_length != self.schedule_length):
            return False
        return replace(earlier, iterations=self.iterations, schedule_iterations=self.schedule_iterations) == self

    @classmethod
    def from_yaml(cls, path: str | Path) -> "TrainConfig":
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"cannot read training configuration {path}: {err}") from err
        return cls.from_dict(data)

