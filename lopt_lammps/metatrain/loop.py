"""The meta-training loop: sample tasks, evaluate the population, update, checkpoint.

Work is split over the processes of a ``torch.distributed`` group (gloo): each worker
evaluates every W-th task of an iteration and the losses are summed over workers, so
every worker computes the same update; the result does not depend on W. Start workers
locally with ``workers=...`` (or ``lopt-lammps train --workers``), or across nodes with
``torchrun`` (each process then calls :func:`train` with ``workers=1``).

The state is checkpointed atomically every ``save_every`` iterations; a killed run
started again with the same output folder continues from the last checkpoint and
produces bit-identical results, because all randomness derives from (seed, iteration).
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from ..errors import CheckpointError
from ..paths import atomic_torch_save, torch_load
from .config import TrainConfig
from .learners import HopLearner, RuleLearner, make_learner
from .trainers import make_trainer

STATE_FORMAT = "lopt-lammps/training-state"
STATE_VERSION = 1
STATE_FILE = "state.pt"


@dataclass
class Workers:
    """This process's place in the worker group."""

    rank: int = 0
    size: int = 1

    def mine(self, count: int) -> list[int]:
        return [i for i in range(count) if i % self.size == self.rank]

    def sum(self, values: np.ndarray) -> np.ndarray:
        if self.size == 1:
            return values
        tensor = torch.from_numpy(np.ascontiguousarray(values, dtype=np.float64))
        dist.all_reduce(tensor)
        return tensor.numpy()


def _save_state(path: Path, config: TrainConfig, iteration: int, theta: torch.Tensor, trainer, history: list) -> None:
    payload = {
        "format": STATE_FORMAT,
        "version": STATE_VERSION,
        "config": config.to_dict(),
        "iteration": iteration,
        "theta": theta.detach().clone(),
        "trainer": trainer.state_dict(),
        "history": json.dumps(history),
    }
    atomic_torch_save(payload, path)


def load_state(path: Path, config: TrainConfig) -> dict[str, Any]:
    """Read a training checkpoint, refusing corrupt ones and ones of another configuration."""
    payload = torch_load(path, "training checkpoint", "delete it to start over")
    if not isinstance(payload, dict) or payload.get("format") != STATE_FORMAT:
        raise CheckpointError(f"{path} is not a lopt-lammps training checkpoint")
    if payload.get("version") != STATE_VERSION:
        raise CheckpointError(f"{path} has training-state version {payload.get('version')}, this lopt-lammps reads {STATE_VERSION}")
    theta = payload.get("theta")
    if (not isinstance(payload.get("iteration"), int) or not isinstance(payload.get("trainer"), dict)
            or not isinstance(payload.get("history"), str) or not isinstance(theta, torch.Tensor) or not torch.isfinite(theta).all()):
        raise CheckpointError(f"training checkpoint {path} is damaged (missing or non-finite entries); delete it to start over")
    if not config.continues(payload.get("config")):
        raise CheckpointError(
            f"{path} was written with a different training configuration; use the same "
            "configuration to resume (only iterations may grow, along the same schedule), or a new output folder"
        )
    if payload["iteration"] > config.iterations:
        raise CheckpointError(f"{path} holds {payload['iteration']} iterations, more than iterations ({config.iterations}); "
                              "raise iterations or use a new output folder")
    return payload


def shape_fitness(losses: np.ndarray, shaping: str = "standardise") -> np.ndarray:
    """Per-task losses (T, P) -> one loss per member (P,).

    ``standardise``: each task's losses centred on their median and divided by their
    spread, so tasks whose losses vary more do not drown the others; ``rank``: each task's
    centred ranks in [-0.5, 0.5] (only the order counts: robust to outliers and to tasks
    of any scale).
    """
    if shaping == "rank":
        ranks = losses.argsort(axis=1, kind="stable").argsort(axis=1, kind="stable")
        return (ranks / max(losses.shape[1] - 1, 1) - 0.5).mean(axis=0)
    centred = losses - np.median(losses, axis=1, keepdims=True)
    spread = losses.std(axis=1, keepdims=True) + 1e-12
    return (centred / spread).mean(axis=0)


def _evaluate(learner, population, tasks, replicas, workers, accelerator) -> np.ndarray:
    """Losses (T, P, replicas) of every member on every task, the tasks split over workers."""
    losses = np.zeros((len(tasks), len(population), replicas))
    for t in workers.mine(len(tasks)):
        losses[t] = learner.evaluate(population, tasks[t], replicas, accelerator)
    return workers.sum(losses)


def held_out_metric(learner, theta: torch.Tensor, start: torch.Tensor, config: TrainConfig, workers, accelerator) -> dict[str, float]:
    """Mean held-out loss of ``theta`` with a 95 % interval over tasks x replicas, and its
    paired difference to the parameters training started from (same tasks and seeds)."""
    tasks = config.distribution.held_out_tasks()
    losses = _evaluate(learner, torch.stack([theta, start]), tasks, config.held_out_replicas, workers, accelerator)
    now, before = losses[:, 0].ravel(), losses[:, 1].ravel()
    half = lambda v: float(1.96 * v.std(ddof=1) / np.sqrt(len(v))) if len(v) > 1 else float("nan")  # noqa: E731
    return {"held_out": float(now.mean()), "held_out_interval": half(now),
            "held_out_change": float((now - before).mean()), "held_out_change_interval": half(now - before)}


def train(
    config: TrainConfig,
    out: str | Path,
    workers: Workers | None = None,
    accelerator: str | None = None,
    progress: bool = True,
    stop_after: int | None = None,
) -> torch.Tensor:
    """Train (or resume training) into folder ``out``; returns the trained parameters.

    ``stop_after`` ends this call after that many iterations (for tests and time slices).
    """
    workers = workers or Workers()
    # one thread per worker process: results must not depend on how many cores a machine has
    torch.set_num_threads(1)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    learner = make_learner(config)
    start_theta = learner.initial()
    theta = torch.nn.Parameter(start_theta.clone())
    trainer = make_trainer(config.trainer, config.seed, config.pairs, config.sigma, config.learning_rate, learner.scale(),
                           config.schedule, config.schedule_length, learner.noise_blocks)
    start, history = 0, []
    state_path = out / STATE_FILE
    if state_path.exists():
        state = load_state(state_path, config)
        if state["theta"].shape != start_theta.shape:
            raise CheckpointError(f"{state_path} holds {state['theta'].numel()} parameters, this lopt-lammps trains "
                                  f"{start_theta.numel()}: it was written by another version; delete it to start over")
        with torch.no_grad():
            theta.copy_(state["theta"])
        trainer.load_state_dict(state["trainer"], theta)
        start, history = state["iteration"], json.loads(state["history"])
    end = config.iterations if stop_after is None else min(config.iterations, start + stop_after)
    metadata = _metadata(config)
    bar = None
    if progress and workers.rank == 0:
        from tqdm import tqdm

        bar = tqdm(total=config.iterations, initial=start, desc=f"meta-training ({config.learner}, {config.trainer})", unit="it")
    for iteration in range(start, end):
        tasks = config.distribution.sample(config.seed, iteration, config.tasks_per_iteration)
        population = trainer.ask(theta.detach(), iteration)
        losses = _evaluate(learner, population, tasks, config.replicas, workers, accelerator).mean(axis=2)
        diagnostics = trainer.tell(theta, population, shape_fitness(losses, config.shaping), iteration)
        raw = losses.mean(axis=0)
        record = {"iteration": iteration, "loss": float(raw[0] if config.trainer == "esmc" else raw.mean()),
                  "best_member": float(raw.min()), **diagnostics}
        if config.held_out_every and (iteration + 1) % config.held_out_every == 0:
            record.update(held_out_metric(learner, theta.detach(), start_theta, config, workers, accelerator))
        history.append(record)
        if workers.rank == 0 and ((iteration + 1) % config.save_every == 0 or iteration + 1 == end):
            _save_state(state_path, config, iteration + 1, theta, trainer, history)
            learner.save(theta.detach(), out / learner.output, {**metadata, "iterations": iteration + 1})
            (out / "history.json").write_text(json.dumps(history, indent=1))
        if bar is not None:
            bar.update(1)
            bar.set_postfix(loss=f"{record['loss']:.4f}")
    if bar is not None:
        bar.close()
    if workers.rank == 0 and history:
        from .plots import plot_training

        plot_training(history, out / "training_curve.png", config.trainer, config.distribution.held_out)
    return theta.detach()


def output_path(config: TrainConfig, out: str | Path) -> Path:
    """Where :func:`train` writes the trained optimizer or policy."""
    return Path(out) / (HopLearner.output if config.learner == "hops" else RuleLearner.output)


def _metadata(config: TrainConfig) -> dict[str, Any]:
    """Provenance stored with the trained optimizer (the commit the run started from)."""
    from ..provenance import git_commit

    return {"training_config": json.dumps(config.to_dict()), "commit": git_commit()}


def _exit_with_parent() -> None:
    """Stop this worker as soon as the process that started it is gone: a killed training
    leaves no workers behind that would go on computing and writing checkpoints."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _spawned(rank: int, size: int, init_file: str, config: TrainConfig, out: str, accelerator: str | None) -> None:
    _exit_with_parent()
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=size)
    try:
        train(config, out, Workers(rank, size), accelerator, progress=rank == 0)
    finally:
        dist.destroy_process_group()


def train_parallel(config: TrainConfig, out: str | Path, n_workers: int, accelerator: str | None = None) -> None:
    """Run :func:`train` on ``n_workers`` local processes (one LAMMPS each)."""
    if n_workers <= 1:
        train(config, out, accelerator=accelerator)
        return
    import torch.multiprocessing as mp

    with tempfile.TemporaryDirectory() as tmp:
        init_file = os.path.join(tmp, "init")
        mp.spawn(_spawned, args=(n_workers, init_file, config, str(out), accelerator), nprocs=n_workers, join=True)


def workers_from_environment() -> Workers:
    """Join the process group ``torchrun`` set up (RANK, WORLD_SIZE in the environment)."""
    if "WORLD_SIZE" not in os.environ or int(os.environ["WORLD_SIZE"]) == 1:
        return Workers()
    dist.init_process_group("gloo", init_method="env://")
    return Workers(dist.get_rank(), dist.get_world_size())
