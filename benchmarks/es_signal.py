"""Is there a gradient to follow? The evolution-strategies signal of a training configuration.

Before a long meta-training run, this measures at the starting parameters what the run
would see in its first iteration, ``--repeats`` times with independent tasks and
perturbations: the cosine between the gradient estimates of the two halves of the
antithetic pairs (two independent estimates at the same parameters: about 0 when the
estimate is noise, towards 1 when there is a direction to follow), and the cosine between
the full estimates of different repeats. Each configuration's row goes to the section
``es-signal`` of docs/benchmarks.md.

Usage: ``python benchmarks/es_signal.py workflows/config/metatrain.yaml workflows/config/metatrain-hops.yaml
--repeats 4 --workers 2``.
"""

from __future__ import annotations

import argparse
import itertools
import json
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from _report import machine, update_section

from lopt_lammps.metatrain import TrainConfig, make_learner, make_trainer, shape_fitness


def estimate(job: tuple[str, int]) -> dict:
    """One first iteration of ``config`` with seed ``repeat``: the per-pair gradient contributions."""
    path, repeat = job
    torch.set_num_threads(1)
    config = replace(TrainConfig.from_yaml(path), seed=repeat)
    learner = make_learner(config)
    theta = learner.initial()
    trainer = make_trainer(config.trainer, config.seed, config.pairs, config.sigma, config.learning_rate, learner.scale())
    population = trainer.ask(theta, 0)
    tasks = config.distribution.sample(config.seed, 0, config.tasks_per_iteration)
    losses = np.stack([learner.evaluate(population, task, config.replicas, None).mean(axis=1) for task in tasks])
    diagnostics = trainer.tell(torch.nn.Parameter(theta.clone()), population, shape_fitness(losses, config.shaping), 0)
    offset = 1 if config.trainer == "esmc" else 0
    fitness = shape_fitness(losses, config.shaping)
    z = (population[offset : offset + config.pairs] - theta) / config.sigma
    direction = ((fitness[offset : offset + config.pairs] - fitness[offset + config.pairs :])[:, None] * z.numpy()).mean(0)
    return {"config": path, "repeat": repeat, "half_cosine": diagnostics["gradient_cosine_halves"],
            "direction": direction.tolist(), "parameters": int(theta.numel()), "pairs": config.pairs}


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-300))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("configs", nargs="+", type=Path, help="training YAML files")
    parser.add_argument("--repeats", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", action="store_true", help="print the rows as a JSON list on the last line")
    args = parser.parse_args()
    jobs = [(str(c), r) for c in args.configs for r in range(args.repeats)]
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(estimate, jobs))
    rows = []
    for config in map(str, args.configs):
        mine = [r for r in results if r["config"] == config]
        halves = np.array([r["half_cosine"] for r in mine])
        across = [cosine(np.array(a["direction"]), np.array(b["direction"])) for a, b in itertools.combinations(mine, 2)]
        rows.append({"config": config, "parameters": mine[0]["parameters"], "pairs": mine[0]["pairs"],
                     "half_cosine_mean": float(halves.mean()), "half_cosine_sd": float(halves.std(ddof=1)) if len(halves) > 1 else 0.0,
                     "repeat_cosine_mean": float(np.mean(across)) if across else float("nan")})
    lines = [
        "## Evolution-strategies signal at the start of training (`benchmarks/es_signal.py`)",
        "",
        f"Measured on {machine()}. The first iteration of each configuration, {args.repeats} times with",
        "independent tasks and perturbations. *Half-population cosine*: between the gradient estimates of",
        "the two halves of the antithetic pairs (independent estimates at the same parameters; about 0 for",
        "noise); *across repeats*: between the full estimates of different repeats (different tasks too).",
        "",
        "| configuration | parameters | antithetic pairs | half-population cosine (mean +- sd) | cosine across repeats |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    lines += [f"| `{r['config']}` | {r['parameters']} | {r['pairs']} | {r['half_cosine_mean']:.2f} +- {r['half_cosine_sd']:.2f} "
              f"| {r['repeat_cosine_mean']:.2f} |" for r in rows]
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        update_section("es-signal", text)
    if args.json:
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
