"""What a trained hop policy learned, part by part: policies with one trained part switched off,
and with one trained part alone.

For each parameter slice (``lopt_lammps.search.learned_policy.PARAMETERS``) in which a trained
policy differs from its untrained start (basin hopping's defaults as a policy), writes
``OUT/without-<slice>.json``, the trained policy with that slice reset to its start, and
``OUT/only-<slice>.json``, the start with that slice alone trained; ``--start POLICY`` resets
to an earlier stage's values instead. Compare them with
``benchmarks/search_quality.py --learned without-swap_strong=OUT/without-swap_strong.json
... --versus trained`` (the ablation switched off is the only difference between two runs of a
pair of seeds); an ``only-`` file against ``untrained`` measures what that part does by itself.

Usage: ``python benchmarks/policy_ablations.py [POLICY] --out results/policy-ablations``
(POLICY: the shipped ``lopt_lammps/data/learned_policy.json`` by default); prints the paths
written, one per line, as ``LABEL=PATH`` for ``--learned``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from lopt_lammps.errors import CheckpointError
from lopt_lammps.pretrained import pretrained_policy_path
from lopt_lammps.search.learned_policy import changed_slices, initial_parameters, load_policy, save_policy, slices
from lopt_lammps.search.policies import BasinHoppingSettings


def ablations(theta: np.ndarray, start: np.ndarray, start_name: str = "untrained start") -> dict[str, tuple[np.ndarray, str]]:
    """Per trained slice ``name``, with what each variant is: ``without-name``, ``theta`` with
    that slice reset to ``start`` (called ``start_name``), and ``only-name``, ``start`` with that
    slice from ``theta``."""
    out = {}
    for name in changed_slices(theta, start):
        where = slices()[name]
        for label, base, part, what in (("without", theta, start, f"{name} reset to its {start_name}"),
                                        ("only", start, theta, f"all but {name} reset to the {start_name}")):
            variant = base.copy()
            variant[where] = part[where]
            out[f"{label}-{name}"] = (variant, what)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("policy", nargs="?", type=Path, help="a trained hop policy (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=Path("results/policy-ablations"))
    parser.add_argument("--start", type=Path, metavar="POLICY",
                        help="reset to this hop policy's values instead of the untrained start "
                             "(the earlier stage a policy was trained from: what that training changed, part by part)")
    args = parser.parse_args()
    path = args.policy or pretrained_policy_path()
    try:
        theta, patience, metadata = load_policy(path)
        start_file = None if args.start is None else load_policy(args.start)
    except CheckpointError as err:
        raise SystemExit(str(err)) from None
    if start_file is None:
        start, start_name = initial_parameters(BasinHoppingSettings()), "untrained start"
    else:
        start, start_patience, _ = start_file
        if start_patience != patience:
            raise SystemExit(f"--start {args.start} has patience {start_patience}, {path} has {patience}: give the stage {path} was trained from")
        start_name = f"start {args.start}"
    variants = ablations(theta, start, start_name)
    if not variants:
        raise SystemExit(f"{path} equals its {start_name}: nothing was trained to switch off")
    args.out.mkdir(parents=True, exist_ok=True)
    for label, (variant, what) in variants.items():
        target = args.out / f"{label}.json"
        save_policy(target, variant, patience, {**metadata, "ablated": what, "from": str(path)})
        print(f"{label}={target}")


if __name__ == "__main__":
    main()
