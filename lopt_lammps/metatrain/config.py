"""Meta-training configuration (a YAML file maps onto :class:`TrainConfig`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..optimizers import NetworkConfig
from .tasks import TaskDistribution


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
    #: learning rate: "constant", or "cosine" decay to a tenth
    schedule: str = "constant"
    #: held-out replicas per task (the interval of the held-out metric is over tasks x replicas)
    held_out_replicas: int = 1
    network: NetworkConfig = field(default_factory=NetworkConfig)
    #: learner "hops": basin-hopping settings the hop policy starts from (BasinHoppingSettings fields)
    hops: dict[str, Any] = field(default_factory=dict)
    distribution: TaskDistribution = field(default_factory=TaskDistribution)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(f"unknown training settings: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        values = dict(data)
        try:
            if "network" in values:
                values["network"] = NetworkConfig(**_tuples(values["network"]))
            if "distribution" in values:
                values["distribution"] = TaskDistribution(**_tuples(values["distribution"]))
            config = cls(**values)
        except (TypeError, ValueError) as err:
            raise ConfigError(f"invalid training configuration: {err}") from err
        if config.trainer not in ("esmc", "es", "ga"):
            raise ConfigError(f"trainer {config.trainer!r} unknown: esmc, es or ga")
        for key, allowed in (("learner", ("rule", "hops")), ("shaping", ("standardise", "rank")), ("schedule", ("constant", "cosine"))):
            if getattr(config, key) not in allowed:
                raise ConfigError(f"{key} {getattr(config, key)!r} unknown: {' or '.join(allowed)}")
        if config.learner == "hops":
            from ..search.policies import BasinHoppingSettings

            try:
                BasinHoppingSettings(**config.hops)
            except TypeError as err:
                raise ConfigError(f"hops: {err}; use the fields of BasinHoppingSettings") from err
        if min(config.iterations, config.pairs, config.tasks_per_iteration, config.replicas, config.save_every) < 1:
            raise ConfigError("iterations, pairs, tasks_per_iteration, replicas and save_every must be positive")
        return config

    @classmethod
    def from_yaml(cls, path: str | Path) -> "TrainConfig":
        try:
            data = yaml.safe_load(Path(path).read_text()) or {}
        except (OSError, yaml.YAMLError) as err:
            raise ConfigError(f"cannot read training configuration {path}: {err}") from err
        return cls.from_dict(data)


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    """YAML lists -> tuples (nested one level), as the frozen dataclasses expect."""
    out = {}
    for key, value in data.items():
        if isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        out[key] = value
    return out
