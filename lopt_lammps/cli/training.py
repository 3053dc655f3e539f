"""Commands for learned optimizers: train, optimizer info / compare."""

from __future__ import annotations

import argparse


def cmd_train(args: argparse.Namespace) -> int:
    from ..metatrain import TrainConfig, output_path, train, train_parallel, workers_from_environment
    from ..paths import check_output_folder

    config = TrainConfig.from_yaml(args.config) if args.config else TrainConfig()
    if args.iterations is not None:
        config = TrainConfig.from_dict({**config.to_dict(), "iterations": args.iterations})
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


def cmd_optimizer_info(args: argparse.Namespace) -> int:
    from ..optimizers import LearnedOptimizerNet

    net = LearnedOptimizerNet.load(args.path)
    print(f"{args.path}: fingerprint {net.fingerprint()}, variant {net.config.variant}, {net.n_params} parameters")
    for key, value in sorted(net.metadata.items()):
        print(f"  {key}: {str(value)[:200]}")
    return 0


def cmd_optimizer_compare(args: argparse.Namespace) -> int:
    """Whether a trained checkpoint has the same weights as the shipped pretrained optimizer."""
    from ..optimizers import LearnedOptimizerNet
    from ..pretrained import pretrained_path

    trained = LearnedOptimizerNet.load(args.path)
    shipped = LearnedOptimizerNet.load(pretrained_path())
    same = trained.fingerprint() == shipped.fingerprint()
    print(f"trained {trained.fingerprint()} vs shipped {shipped.fingerprint()}: "
          + ("identical, the shipped optimizer is reproduced" if same else "different"))
    return 0 if same else 1
