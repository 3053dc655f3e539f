"""Potential specifications and the registry of shipped potentials."""

from __future__ import annotations

from typing import Callable, Sequence

from ..errors import PotentialError
from ..paths import potential_file
from .base import Potential
from .lennard_jones import LJ_ELEMENT, LennardJones
from .smatb import Smatb, SmatbPair, TableGrid
from .stillinger_weber import StillingerWeber

__all__ = [
    "LJ_ELEMENT",
    "LennardJones",
    "Potential",
    "Smatb",
    "SmatbPair",
    "StillingerWeber",
    "TableGrid",
    "default_potential",
    "get_potential",
    "potential_by_identity",
    "potential_names",
]

#: name -> factory of the shipped potentials
_REGISTRY: dict[str, Callable[[], Potential]] = {
    "lj": LennardJones,
    "smatb-agcu": lambda: Smatb(potential_file("AgCu.smatb.yaml")),
    "smatb-agcu-table": lambda: Smatb(potential_file("AgCu.smatb.yaml"), backend="table"),
    "sw-si": lambda: StillingerWeber(potential_file("Si.sw"), name="sw-si"),
}

#: which shipped potential is the default for systems made of these elements
_DEFAULTS = (({LJ_ELEMENT}, "lj"), ({"Ag", "Cu"}, "smatb-agcu"), ({"Si"}, "sw-si"))


def potential_names() -> list[str]:
    """Names accepted by :func:`get_potential`."""
    return sorted(_REGISTRY)


def get_potential(name: str) -> Potential:
    """A shipped potential by name (see :func:`potential_names`)."""
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise PotentialError(
            f"unknown potential {name!r}; available: {', '.join(potential_names())}"
        ) from None
    return factory()


def potential_by_identity(identity: str) -> Potential:
    """The shipped potential whose :meth:`~Potential.identity` (name and parameter hash) is ``identity``."""
    for name in potential_names():
        potential = get_potential(name)
        if potential.identity() == identity:
            return potential
    raise PotentialError(
        f"no shipped potential has the identity {identity!r} (its parameters were changed or it is not "
        "shipped with this installation); use the lopt-lammps release and parameter files that wrote it"
    )


def default_potential(elements: Sequence[str]) -> Potential:
    """The shipped potential that covers all ``elements``."""
    for covered, name in _DEFAULTS:
        if set(elements) <= covered:
            return get_potential(name)
    raise PotentialError(
        f"no shipped potential has parameters for {', '.join(sorted(set(elements)))}; "
        "shipped ones cover LJ, Ag/Cu (SMATB) and Si (Stillinger-Weber). "
        "Pass a potential object built from your own parameter file."
    )
