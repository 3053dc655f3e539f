"""Checks of a workflow configuration before any work (``lopt-lammps workflow check``).

The Snakefile validates its configuration against ``workflows/schemas/config.schema.yaml``
(types, allowed values, defaults), then hands it to :func:`check_config` for what a
schema cannot see: formulas without potential parameters or outside the size limits,
learned optimizers that are missing or damaged, refinement rounds without seeds, and a
results folder that cannot be written. Nothing is created: ``snakemake -n`` with a bad
configuration fails, with a good one leaves no trace.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from .errors import ConfigError, LoptError


def check_config(config: dict[str, Any]) -> None:
    """Raise :class:`ConfigError` naming the first problem of a validated workflow ``config``."""
    try:
        for name, settings in config["campaigns"].items():
            check_campaign(name, settings)
        check_results_folder(Path(config["results"]))
    except KeyError as err:
        raise ConfigError(f"the configuration lacks {err}; give it as the Snakefile validated it (snakemake -n does)") from None


def check_campaign(name: str, settings: dict[str, Any]) -> None:
    """Systems, method and optimizer, and refinement rounds of campaign ``name``."""
    from .pretrained import resolve_method
    from .search import METHODS, BasinHoppingSettings
    from .systems import System

    where = f"campaign {name}"
    for formula in settings["systems"]:
        try:
            System.parse(formula, boundary=settings["boundary"])
        except LoptError as err:
            raise ConfigError(f"{where}: system {formula}: {err}") from None
    if settings["method"] not in ("auto", *METHODS):
        raise ConfigError(f"{where}: method {settings['method']!r} unknown; choose one of auto, {', '.join(METHODS)}")
    method, _ = resolve_method(settings["method"], settings.get("optimizer"))
    if method in ("learned", "loop-learned"):
        from .search import optimizer_fingerprint

        try:
            optimizer_fingerprint(method, settings.get("optimizer"), BasinHoppingSettings())
        except LoptError as err:
            raise ConfigError(f"{where}: optimizer: {err}") from None
    knobs = {"swap": "swap_probability", "atom_moves": "atom_move_probability", "atom_target": "atom_move_target"}
    try:
        BasinHoppingSettings(**{knobs.get(k, k): v for k, v in settings["bh"].items()})
    except LoptError as err:
        raise ConfigError(f"{where}: bh: {err}") from None
    refine = settings["refine"]
    if refine["rounds"] and refine["top"] + refine["neighbours"] < 1:
        raise ConfigError(f"{where}: refine: {refine['rounds']} rounds need seeds: set top or neighbours to at least 1 "
                          "(or rounds to 0)")


def check_results_folder(results: Path) -> None:
    """Refuse a results folder that cannot be created or written, without creating it."""
    existing = results
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"results folder {str(results)!r} is not writable ({existing} is a file); "
                          "set 'results' to a writable folder")
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise ConfigError(f"results folder {str(results)!r} is not writable ({err}); set 'results' to a writable folder") from None
