"""Seeds for a refinement stage: the lowest minima of a composition scan, reused across compositions.

In a scan of one cluster size, the lowest structures of neighbouring compositions are
often the best guesses for each other (the same geometric motif with a few atoms of a
different element; Rossi et al., Phys. Rev. Lett. 93, 105503, 2004, search bimetallic
clusters in this way). The seeds of a composition are its own ``top`` lowest distinct
minima and the lowest minimum of each of its ``neighbours`` nearest compositions,
transmuted: atoms of the elements in surplus become atoms of the elements in deficit,
the element with the lower cohesive energy (which segregates to the surface, as Ag does
in Ag-Cu) taking the least coordinated sites.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
from ase import Atoms

from . import dbfile
from .campaign import REQUIRED_KEYS as CAMPAIGN_KEYS
from .errors import ConfigError
from .systems import COHESIVE_ENERGY, System, parse_formula

#: neighbours are atoms within this many nearest-neighbour distances
COORDINATION_CUTOFF = 1.25


def coordination(atoms: Atoms, cutoff: float) -> np.ndarray:
    """Number of neighbours of each atom within ``cutoff``."""
    d = atoms.get_all_distances(mic=bool(np.any(atoms.pbc)))
    return (d < cutoff).sum(axis=1) - 1


def transmute(atoms: Atoms, target: System) -> Atoms:
    """``atoms`` with the composition of ``target``, same positions (see the module docstring)."""
    if len(atoms) != target.n_atoms:
        raise ConfigError(f"cannot transmute {atoms.get_chemical_formula()} into {target.formula}: different sizes")
    out = atoms.copy()
    symbols = out.get_chemical_symbols()
    cn = coordination(out, COORDINATION_CUTOFF * target.nearest_neighbour())
    want = dict(target.counts)
    have = Counter(symbols)
    surplus = [e for e in have if have[e] > want.get(e, 0)]
    deficit = sorted((e for e in want if have[e] < want[e]), key=lambda e: COHESIVE_ENERGY.get(e, 3.0))
    for new in deficit:  # surface-loving elements first, onto the least coordinated sites
        to_surface = all(COHESIVE_ENERGY.get(new, 3.0) <= COHESIVE_ENERGY.get(old, 3.0) for old in surplus)
        while have[new] < want[new]:
            candidates = [i for i, s in enumerate(symbols) if have[s] > want.get(s, 0)]
            pick = min(candidates, key=lambda i: cn[i] if to_surface else -cn[i])
            have[symbols[pick]] -= 1
            have[new] += 1
            symbols[pick] = new
    out.set_chemical_symbols(symbols)
    out.calc = None
    return out


def seed_structures(database: str | Path, system: System, top: int, neighbours: int) -> list[Atoms]:
    """Seeds of ``system`` from a ranked campaign database (see the module docstring)."""
    ranked = dbfile.select(Path(database), CAMPAIGN_KEYS, size=system.n_atoms, sort="rank")
    own = [row.toatoms() for row in ranked if row.composition == system.formula and row.rank <= top]
    others = {row.composition: row for row in ranked if row.rank == 1 and row.composition != system.formula}
    fraction = dict(system.counts)

    def distance(composition: str) -> float:
        counts = dict(parse_formula(composition))
        return sum(abs(counts.get(e, 0) - fraction.get(e, 0)) for e in set(counts) | set(fraction))

    nearest = sorted(others, key=lambda c: (distance(c), c))[:neighbours]
    seeds = own + [transmute(others[c].toatoms(), system) for c in nearest]
    if not seeds:
        raise ConfigError(f"{database} holds no minima of size {system.n_atoms} to seed {system.formula} from")
    return seeds
