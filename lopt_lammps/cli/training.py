"""Commands for learned optimizers: train, optimizer info / compare."""

from __future__ import annotations

import argparse
from pathlib import Path


def cmd_train(args: argparse.Namespace) -> int:
    from ..metatrain import TrainConfig, output_path, train, train_parallel, workers_from_environment
    from ..paths import check_output_folder

    config = TrainConfig.from_yaml(args.config) if args.config else TrainConfig()
    overrides = {"iterations": args.iterations, "start_policy": None if args.start_policy is None else str(args.start_policy)}
    overrides = {key: value for key, value in overrides.items() if value is not None}
    if overrides:
        config = TrainConfig.from_dict({**config.to_dict(), **overrides})
    check_output_folder(args.out)
    created = not args.out.exists()
    try:
        if args.workers > 1:
            train_parallel(config, args.out, args.workers, args.accelerator)
        else:
            train(config, args.out, workers_from_environment(), args.accelerator)
    except BaseException:
        if created and args.out.is_dir() and not any(args.out.iterdir()):
            args.out.rmdir()  # a run that failed before its first checkpoint leaves no empty folder
        raise
    print(f"trained: {output_path(config, args.out)}; curve: {args.out / 'training_curve.png'}")
    return 0


def _is_policy(path: Path) -> bool:
    """Hop policies are JSON files (``lopt-lammps train`` with learner hops); networks are torch checkpoints."""
    return path.suffix == ".json"


def cmd_optimizer_info(args: argparse.Namespace) -> int:
    if _is_policy(args.path):
        from ..search.learned_policy import load_policy, policy_fingerprint, slices

        theta, patience, metadata = load_policy(args.path)
        print(f"{args.path}: hop policy, fingerprint {policy_fingerprint(theta, patience)}, {len(theta)} parameters, patience {patience}")
        for name, where in slices().items():
            print(f"  {name}: {', '.join(f'{v:.4g}' for v in theta[where])}")
    else:
        from ..optimizers import LearnedOptimizerNet

        net = LearnedOptimizerNet.load(args.path)
        print(f"{args.path}: fingerprint {net.fingerprint()}, variant {net.config.variant}, {net.n_params} parameters")
        metadata = net.metadata
    for key, value in sorted(metadata.items()):
        print(f"  {key}: {str(value)[:200]}")
    return 0


def cmd_optimizer_compare(args: argparse.Namespace) -> int:
    """Whether a trained checkpoint or hop policy is the one shipped with the package."""
    if _is_policy(args.path):
        from ..pretrained import pretrained_policy_path
        from ..search.learned_policy import load_policy, policy_fingerprint

        trained = policy_fingerprint(*load_policy(args.path)[:2])
        shipped = policy_fingerprint(*load_policy(pretrained_policy_path())[:2])
        what = "hop policy"
    else:
        from ..optimizers import LearnedOptimizerNet
        from ..pretrained import pretrained_path

        trained, shipped = LearnedOptimizerNet.load(args.path).fingerprint(), LearnedOptimizerNet.load(pretrained_path()).fingerprint()
        what = "optimizer"
    same = trained == shipped
    print(f"trained {trained} vs shipped {shipped}: " + (f"identical, the shipped {what} is reproduced" if same else "different"))
    return 0 if same else 1
