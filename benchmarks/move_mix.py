"""Hop policies that differ from a given one only in how often they swap.

For each ``--swap`` share p, writes ``OUT/<name>-swap<p>.json``: the policy (the shipped one
by default, or its untrained start with ``--untrained``) whose move-kind logits give a swap
with probability p, the other two kinds keeping their ratio. Compare them with
``benchmarks/search_quality.py --learned LABEL=PATH ...`` on systems outside the held-out set:
the swap share is the one basin-hopping knob whose best value a trained swap choice can move,
so trained and untrained policies are swept together, at the same shares and seeds.

Usage: ``python benchmarks/move_mix.py [POLICY] [--untrained] --swap 0.15 0.45 0.6 --out
results/move-mix``; prints the paths written, one per line, as ``LABEL=PATH`` for ``--learned``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from lopt_lammps.errors import CheckpointError
from lopt_lammps.pretrained import pretrained_policy_path
from lopt_lammps.search.learned_policy import initial_parameters, load_policy, save_policy, slices
from lopt_lammps.search.policies import BasinHoppingSettings


def with_swap_share(theta: np.ndarray, share: float) -> np.ndarray:
    """``theta`` with its move-kind logits set so that a swap has probability ``share`` (at no
    stagnation); the single-atom move and the displacement keep their ratio."""
    if not 0.0 < share < 1.0:
        raise ValueError(f"a swap share must lie strictly between 0 and 1, got {share}")
    where = slices()["move_logits"]
    logits = theta[where]
    p = np.exp(logits - logits.max())
    p /= p.sum()
    rest = p[1:] * (1.0 - share) / p[1:].sum()
    out = theta.copy()
    out[where] = np.log(np.concatenate([[share], rest]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("policy", nargs="?", type=Path, help="a hop policy (default: the shipped one)")
    parser.add_argument("--untrained", action="store_true", help="start from the policy's untrained start (basin hopping's defaults) instead")
    parser.add_argument("--swap", type=float, nargs="+", required=True, help="swap probabilities, each in (0, 1)")
    parser.add_argument("--out", type=Path, default=Path("results/move-mix"))
    args = parser.parse_args()
    path = args.policy or pretrained_policy_path()
    try:
        theta, patience, metadata = load_policy(path)
    except CheckpointError as err:
        raise SystemExit(str(err)) from err
    name = "untrained" if args.untrained else "trained"
    if args.untrained:
        theta, metadata = initial_parameters(BasinHoppingSettings()), {}
    try:
        variants = {share: with_swap_share(theta, share) for share in args.swap}
    except ValueError as err:
        raise SystemExit(f"--swap: {err}") from err
    args.out.mkdir(parents=True, exist_ok=True)
    for share, varied in variants.items():
        label = f"{name}-swap{share:g}"
        target = args.out / f"{label}.json"
        save_policy(target, varied, patience, {**metadata, "move_mix": f"{name} policy with swap probability {share:g}", "from": str(path)})
        print(f"{label}={target}")


if __name__ == "__main__":
    main()
