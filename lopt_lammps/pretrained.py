"""The pretrained learned components shipped with the package: the hop policy of the
``learned`` search and the update-rule network of the ``loop-learned`` search."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from .errors import CheckpointError

PRETRAINED_NAME = "learned_optimizer.pt"
POLICY_NAME = "learned_policy.json"


def _shipped(name: str, what: str) -> Path:
    path = Path(str(resources.files("lopt_lammps.data").joinpath(name)))
    if not path.is_file():
        raise CheckpointError(
            f"this installation ships no pretrained {what}; pass one with --optimizer, or train one "
            "with `lopt-lammps train`"
        )
    return path


def pretrained_path() -> Path:
    """The shipped update-rule network (``loop-learned``); :class:`CheckpointError` if none ships."""
    return _shipped(PRETRAINED_NAME, "learned update rule")


def pretrained_policy_path() -> Path:
    """The shipped hop policy (``learned``); :class:`CheckpointError` if none ships."""
    return _shipped(POLICY_NAME, "learned hop policy")


def resolve_method(method: str, optimizer: str | Path | None) -> tuple[str, str]:
    """``auto`` -> ``learned`` when a learned hop policy is available, else ``bh``; with a reason."""
    if method != "auto":
        return method, f"method {method}"
    if optimizer is not None:
        return "learned", f"method auto: learned hop policy {optimizer}"
    try:
        pretrained_policy_path()
        return "learned", "method auto: the shipped pretrained learned hop policy"
    except CheckpointError:
        return "bh", "method auto: basin hopping, because no pretrained learned hop policy ships with this installation"
