"""Does the ES gradient carry signal? The check before a long meta-training run.

Runs the first ``--iterations`` iterations of each training configuration (held-out
evaluation off) and reads the trainer's diagnostics per iteration: the cosine between
the gradient estimates of the two halves of the antithetic pairs (two independent
estimates at the same parameters), the gradient norm, and the parameters' drift against
the distance Adam drifts on pure noise. Where the estimate is noise, the cosine scatters
around 0 with a spread of about 1/sqrt(d) for d parameters; a signal shows as a mean
cosine clearly above that. The sign-flip test pools all pairs of an iteration (see
:func:`lopt_lammps.metatrain.trainers.sign_flip_p`); its p-values are combined over the
iterations (Fisher). Runs resume from ``OUT/<config>`` (delete it to rerun).

``--trained FOLDER ...`` runs nothing: it reads the same diagnostics from finished training
runs (``lopt-lammps train CONFIG --out FOLDER``, one folder per ``--configs`` entry, in order)
over all their iterations (a stopped run: those it finished; ``--after N``: those after the
first N), with the held-out metric's change
from the start, and writes them to the section ``es-signal-trained`` (``--section`` names another).

Usage: ``python benchmarks/es_signal.py [--configs workflows/config/metatrain-hops.yaml ...]
[--iterations 4] [--workers 2] [--trained FOLDER ...] [--section NAME] [--json] [--no-write]``.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
from _report import machine, publish
from scipy.stats import chi2

from lopt_lammps.metatrain import TrainConfig, train_parallel
from lopt_lammps.metatrain.learners import make_learner

ROOT = Path(__file__).resolve().parent.parent


def fisher_combined(p_values: list[float]) -> float:
    """Fisher's combination of independent p-values (one per iteration)."""
    return float(chi2.sf(-2 * np.log(p_values).sum(), 2 * len(p_values)))


def signal_row(config_path: Path, iterations: int, workers: int, out: Path) -> dict:
    """Train the first ``iterations`` of a configuration (held-out evaluation off) and summarise them."""
    config = replace(TrainConfig.from_yaml(config_path), iterations=iterations, held_out_every=0, save_every=1)
    folder = out / config_path.stem
    train_parallel(config, folder, n_workers=workers)
    return summary(config_path, config, json.loads((folder / "history.json").read_text()))


def trained_row(config_path: Path, folder: Path, after: int = 0) -> dict:
    """The diagnostics of a finished training run of ``config_path`` in ``folder``, with its
    held-out metric, over its iterations after the first ``after``."""
    if not (folder / "history.json").is_file():
        raise SystemExit(f"{folder} holds no history.json: give the --out folder of a training run that has saved a checkpoint")
    history = json.loads((folder / "history.json").read_text())[after:]
    if not history:
        raise SystemExit(f"{folder} has no iterations after the first {after}: lower --after")
    row = summary(config_path, TrainConfig.from_yaml(config_path), history)
    row["folder"] = str(folder)
    row["first_iteration"] = after + 1
    row["held_out_change"] = [{"iteration": h["iteration"], "change": h["held_out_change"], "interval": h["held_out_change_interval"]}
                              for h in history if "held_out_change" in h]
    return row


def summary(config_path: Path, config: TrainConfig, history: list[dict]) -> dict:
    """Per-iteration cosines and sign-flip p-values of a run's history, combined."""
    cosines = np.array([h["gradient_cosine_halves"] for h in history])
    p_values = [h["gradient_signal_p"] for h in history]
    n_params = int((make_learner(config).scale() > 0).sum())  # the parameters trained
    half = 1.96 * cosines.std(ddof=1) / math.sqrt(len(cosines)) if len(cosines) > 1 else float("nan")
    return {"config": str(config_path.relative_to(ROOT)) if config_path.is_relative_to(ROOT) else str(config_path),
            "learner": config.learner, "trainer": config.trainer, "parameters": n_params, "pairs": config.pairs,
            "tasks_per_iteration": config.tasks_per_iteration, "iterations": len(history),
            "cosines": cosines.round(4).tolist(), "mean_cosine": float(cosines.mean()), "mean_cosine_interval": half,
            "noise_spread": 1 / math.sqrt(n_params), "sign_flip_p": p_values, "combined_p": fisher_combined(p_values),
            "drift_over_random_walk": history[-1]["drift"] / history[-1]["random_walk"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", type=Path, default=[ROOT / "workflows/config/metatrain-hops.yaml"])
    parser.add_argument("--iterations", type=int, default=4, help="iterations of each configuration")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes")
    parser.add_argument("--out", type=Path, default=Path("results/es-signal"))
    parser.add_argument("--trained", nargs="+", type=Path, metavar="FOLDER",
                        help="summarise these finished training runs of --configs (in order) instead of training")
    parser.add_argument("--after", type=int, default=0, metavar="N",
                        help="with --trained: summarise only the iterations after the first N (a run's later part)")
    parser.add_argument("--json", action="store_true", help="end with the table as one line of JSON")
    parser.add_argument("--no-write", action="store_true", help="print only, do not update docs/benchmarks.md")
    parser.add_argument("--section", help="section of docs/benchmarks.md (default: es-signal, with --trained es-signal-trained)")
    args = parser.parse_args()
    if args.trained:
        if len(args.trained) != len(args.configs):
            raise SystemExit(f"--trained names {len(args.trained)} folders for {len(args.configs)} --configs: give one folder per configuration")
        if args.after < 0:
            raise SystemExit(f"--after {args.after}: give the number of first iterations to leave out (0 or more)")
        publish_trained([trained_row(path.resolve(), folder, args.after) for path, folder in zip(args.configs, args.trained)], args)
        return
    rows = [signal_row(path.resolve(), args.iterations, args.workers, args.out) for path in args.configs]
    section = args.section or "es-signal"
    lines = [
        f"## Is there an ES signal? (`benchmarks/es_signal.py`, section {section})",
        "",
        f"Measured on {machine()}. The first iterations of each training configuration; per",
        "iteration, the cosine between the gradient estimates of the two halves of the antithetic",
        "pairs (independent estimates at the same parameters). Pure noise gives cosines around 0 with a",
        "spread of about 1/sqrt(d) for d parameters. Sign-flip p: per iteration, how often the",
        "pairs' estimates summed with random signs are longer than as observed (all pairs pooled;",
        "no signal: p uniform), and Fisher's combination over the iterations. Drift: distance from",
        "the start over the distance Adam drifts on pure noise.",
        "",
        "| configuration | learner | parameters d | pairs | tasks / iteration | cosines per iteration | mean (95 %) | 1/sqrt(d) | sign-flip p per iteration | combined p | drift / noise drift |",
        "| --- | --- | ---: | ---: | ---: | --- | ---: | ---: | --- | ---: | ---: |",
    ]
    for r in rows:
        lines.append(f"| `{r['config']}` | {r['learner']} ({r['trainer']}) | {r['parameters']} | {r['pairs']} | "
                     f"{r['tasks_per_iteration']} | {', '.join(f'{c:.2f}' for c in r['cosines'])} | "
                     f"{r['mean_cosine']:.2f} ± {r['mean_cosine_interval']:.2f} | {r['noise_spread']:.2f} | "
                     f"{', '.join(f'{p:.2f}' for p in r['sign_flip_p'])} | {r['combined_p']:.3f} | "
                     f"{r['drift_over_random_walk']:.2f} |")
    publish(section, lines, rows, not args.no_write, args.json)


def publish_trained(rows: list[dict], args: argparse.Namespace) -> None:
    section = args.section or "es-signal-trained"
    lines = [
        f"## The ES signal over whole training runs (`benchmarks/es_signal.py --trained`, section {section})",
        "",
        f"Summarised on {machine()}. As the section above, over all iterations of finished",
        f"training runs{f' after their first {args.after}' if args.after else ''}; held-out: the change of the run's own held-out metric (its configuration's",
        "held_out compositions) from the parameters training started from, paired, with its 95 % interval",
        "(lower is better).",
        "",
        "| configuration | parameters d | pairs | iterations | mean cosine (95 %) | 1/sqrt(d) | combined sign-flip p | drift / noise drift | held-out change by iteration |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        held = ", ".join(f"{h['iteration'] + 1}: {h['change']:+.2f} ± {h['interval']:.2f}" for h in r["held_out_change"]) or "-"
        first, last = r["first_iteration"], r["first_iteration"] + r["iterations"] - 1
        iterations = r["iterations"] if first == 1 else f"{first}-{last}"
        lines.append(f"| `{r['config']}` | {r['parameters']} | {r['pairs']} | {iterations} | "
                     f"{r['mean_cosine']:.2f} ± {r['mean_cosine_interval']:.2f} | {r['noise_spread']:.2f} | "
                     f"{r['combined_p']:.2g} | {r['drift_over_random_walk']:.2f} | {held} |")
    publish(section, lines, rows, not args.no_write, args.json)


if __name__ == "__main__":
    main()
