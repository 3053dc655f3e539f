"""The learned hop policy: basin hopping whose decisions are a small learned function.

Where :class:`~lopt_lammps.search.policies.BasinHopping` draws its moves blindly, this
policy reads each atom of the current minimum (invariant features, see :func:`atom_features`)
and chooses:

* the kind of move (swap, single-atom move, all-atom displacement): softmax of three
  logits, each shifted in proportion to the chain's stagnation (hops without a new best,
  as a fraction of the patience);
* for a swap, which atom of the strongly bound element (Cu in Ag-Cu) and which of the
  other (Ag) trade places: a softmax over the atoms of each element of a linear score of
  their features;
* for a single-atom move, which atom goes to the surface: a softmax of a linear score
  of its features and element; and where it lands: a softmax over ``SITE_CANDIDATES``
  random landing sites of a linear score of theirs (see :func:`site_features`; in a periodic
  cell the atom goes to a random point);
* for a displacement, each atom's step: the base step times exp(a linear score), so the
  policy can move some atoms more than others, and times exp(a linear score of the atom's
  features less their mean over the cluster): the focus, which shifts the step between atoms
  (which ones move) at the same geometric-mean step;
* the Metropolis temperature, itself shifted by stagnation.

All parameters live in one flat vector (:data:`PARAMETERS` names its slices), 27 numbers:
few enough for evolution strategies to learn with a population of tens. The initial
vector (:func:`initial_parameters`) reproduces the basin-hopping settings it is built
from: zero feature weights (uniform choices), the same move probabilities, step and
temperature, and a strongly negative coordination weight for single-atom moves where
basin hopping moves the least coordinated atom. Trained parameters start there. With zero
site weights a single-atom move draws one random direction, as basin hopping does (a uniform
choice among candidates is the same distribution), so such a policy also uses basin hopping's
random numbers there.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np

from ..errors import CheckpointError
from ..paths import atomic_write_text
from ..systems import COHESIVE_ENERGY, NEAREST_NEIGHBOUR, System
from .moves import move_into_cell, move_to_surface, random_directions, surface_sites
from .policies import BasinHoppingSettings

#: features per atom: coordination / 12, fraction of like neighbours, distance from the
#: centre over the largest distance
N_FEATURES = 3
#: features per landing site: atoms within SITE_RADIUS / 12, distance from the centre over
#: the largest atom's
N_SITE_FEATURES = 2
#: landing sites a single-atom move chooses among (when its site score is not zero)
SITE_CANDIDATES = 8
#: a site's atoms are counted within this many nearest-neighbour distances (the atom it
#: lands on is at 1, that atom's neighbours in a flat surface at sqrt(2))
SITE_RADIUS = 1.5
#: slices of the parameter vector
PARAMETERS = {
    "move_logits": 3,          # swap, atom, displace
    "move_stagnation": 3,      # added to the logits times the stagnation in [0, 1]
    "swap_strong": N_FEATURES, # score of the strongly bound element's atom in a swap
    "swap_weak": N_FEATURES,   # score of the other element's atom in a swap
    "atom_score": N_FEATURES,  # score of the atom a single-atom move takes
    "atom_element": 1,         # ... plus this for atoms of the strongly bound element
    "log_step": 1,             # log of the displacement step, in nearest-neighbour distances
    "step_score": N_FEATURES,  # per-atom step factor exp(score)
    "log_kt": 1,               # log of kT / E0
    "kt_stagnation": 1,        # added to log kT times the stagnation
    "site_score": N_SITE_FEATURES,  # score of a single-atom move's landing site
    "focus_score": N_FEATURES,  # per-atom step factor exp(score of the centred features)
}
N_PARAMETERS = sum(PARAMETERS.values())
#: relative size of evolution-strategy perturbations per slice
PERTURBATION = {"move_logits": 0.3, "move_stagnation": 0.3, "swap_strong": 1.0, "swap_weak": 1.0, "atom_score": 1.0,
                "atom_element": 0.5, "log_step": 0.1, "step_score": 0.3, "log_kt": 0.2, "kt_stagnation": 0.3,
                "site_score": 2.0,  # its features span about half the range of the atoms'
                "focus_score": 2.0}  # centred features: a few tenths either side of zero
#: the coordination weight that makes a single-atom move take (nearly always) the least coordinated atom
SURFACE_WEIGHT = -40.0
#: neighbours are within this many times the pair's nearest-neighbour distance
NEIGHBOUR_CUTOFF = 1.25


def slices() -> dict[str, slice]:
    out, start = {}, 0
    for name, size in PARAMETERS.items():
        out[name] = slice(start, start + size)
        start += size
    return out


def changed_slices(theta: np.ndarray, start: np.ndarray) -> list[str]:
    """Names of the slices in which ``theta`` differs from ``start`` (what training moved)."""
    return [name for name, where in slices().items() if not np.allclose(theta[where], start[where], rtol=0, atol=1e-12)]


def perturbation_scale(groups: tuple[str, ...] | None = None) -> np.ndarray:
    """Relative perturbation size of every parameter (N_PARAMETERS,); zero outside ``groups``
    (names of :data:`PARAMETERS`) when given, so that only those are trained."""
    return np.concatenate([np.full(size, PERTURBATION[name] if groups is None or name in groups else 0.0)
                           for name, size in PARAMETERS.items()])


def initial_parameters(settings: BasinHoppingSettings) -> np.ndarray:
    """The parameters that reproduce basin hopping with ``settings``."""
    theta = np.zeros(N_PARAMETERS)
    s = slices()
    displace = 1.0 - settings.swap_probability - settings.atom_move_probability
    theta[s["move_logits"]] = np.log(np.maximum([settings.swap_probability, settings.atom_move_probability, displace], 1e-6))
    if settings.atom_move_target == "surface":
        theta[s["atom_score"].start] = SURFACE_WEIGHT
    theta[s["log_step"]] = math.log(settings.step)
    theta[s["log_kt"]] = math.log(max(settings.temperature, 1e-6))
    return theta


def atom_features(system: System, x: np.ndarray) -> np.ndarray:
    """Invariant features (N, N_FEATURES) of each atom of structure ``x``.

    Neighbours are counted within ``NEIGHBOUR_CUTOFF`` times each pair's own
    nearest-neighbour distance (the mean of the two elements'), so the features mean the
    same in Ag, Cu and Ag-Cu.
    """
    elements = system.elements
    types = np.asarray(system.types) - 1
    nn = np.array([NEAREST_NEIGHBOUR.get(e, system.nearest_neighbour()) for e in elements])
    cut = NEIGHBOUR_CUTOFF * 0.5 * (nn[:, None] + nn[None, :])[types][:, types]
    d = x[:, None, :] - x[None, :, :]
    if system.periodic:
        d -= system.cell_length() * np.round(d / system.cell_length())
    r2 = (d * d).sum(-1)
    near = (r2 < cut**2) & ~np.eye(len(x), dtype=bool)
    count = near.sum(axis=1)
    like = (near & (types[:, None] == types[None, :])).sum(axis=1) / np.maximum(count, 1)
    if system.periodic:
        radial = np.zeros(len(x))
    else:
        r = np.linalg.norm(x - x.mean(axis=0), axis=1)
        radial = r / max(r.max(), 1e-12)
    return np.stack([count / 12.0, like, radial], axis=1)


def site_features(x: np.ndarray, atom: int, sites: np.ndarray, length: float) -> np.ndarray:
    """Features (K, N_SITE_FEATURES) of landing sites ``sites`` (K, 3) for atom ``atom`` of
    structure ``x``: how many other atoms lie within ``SITE_RADIUS`` nearest-neighbour
    distances ``length`` (few on a vertex, more where the surface is flat or hollow), over 12,
    and the site's distance from the others' centre over their largest."""
    others = np.delete(x, atom, axis=0)
    centre = others.mean(axis=0)
    near = (np.linalg.norm(sites[:, None, :] - others[None, :, :], axis=2) < SITE_RADIUS * length).sum(axis=1)
    radius = np.linalg.norm(others - centre, axis=1).max()
    return np.stack([near / 12.0, np.linalg.norm(sites - centre, axis=1) / max(radius, 1e-12)], axis=1)


def _softmax_pick(scores: np.ndarray, rng: np.random.Generator) -> int:
    p = np.exp(scores - scores.max())
    return int(rng.choice(len(scores), p=p / p.sum()))


class LearnedHopPolicy:
    """The hop policy of parameters ``theta`` (N_PARAMETERS,) for ``system``; restarts after
    ``patience`` hops without a new best (0: never), as basin hopping does."""

    def __init__(self, system: System, theta: np.ndarray, patience: int):
        if np.shape(theta) != (N_PARAMETERS,) or not np.isfinite(theta).all():
            raise ValueError(f"hop-policy parameters must be {N_PARAMETERS} finite numbers")
        self.system = system
        self.patience = patience
        self.types = np.asarray(system.types) - 1
        self.p = {name: np.asarray(theta[sl], dtype=float) for name, sl in slices().items()}
        strengths = [COHESIVE_ENERGY.get(e, 3.0) for e in system.elements]
        #: the strongly bound element's type index (None for one element)
        self.strong = int(np.argmax(strengths)) if len(system.elements) > 1 else None
        self.length = system.nearest_neighbour()
        self.stagnant = 0

    def _stagnation(self) -> float:
        return min(self.stagnant / self.patience, 1.0) if self.patience else 0.0

    def propose(self, x: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, str]:
        logits = self.p["move_logits"] + self.p["move_stagnation"] * self._stagnation()
        if self.strong is None:
            logits = logits.copy()
            logits[0] = -np.inf  # nothing to swap
        kind = ("swap", "atom", "displace")[_softmax_pick(logits, rng)]
        if kind == "swap":
            return self._swap(x, rng), kind
        if kind == "atom":
            return self._move_atom(x, rng), kind
        return self._displace(x, rng), kind

    def _features(self, x: np.ndarray, *weights: np.ndarray) -> np.ndarray | None:
        """The atoms' features when any of ``weights`` is not zero, else None: zero weights score
        every atom alike, so the features are not computed for them (the choice is the same)."""
        return atom_features(self.system, x) if any(w.any() for w in weights) else None

    @staticmethod
    def _scores(phi: np.ndarray | None, atoms: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """Linear scores of ``atoms``: zeros when their features were not needed (``phi`` None)."""
        return np.zeros(len(atoms)) if phi is None else phi[atoms] @ weights

    def _swap(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        strong = np.flatnonzero(self.types == self.strong)
        weak = np.flatnonzero(self.types != self.strong)
        phi = self._features(x, self.p["swap_strong"], self.p["swap_weak"])
        i = strong[_softmax_pick(self._scores(phi, strong, self.p["swap_strong"]), rng)]
        j = weak[_softmax_pick(self._scores(phi, weak, self.p["swap_weak"]), rng)]
        moved = x.copy()
        moved[[i, j]] = moved[[j, i]]
        return moved

    def _move_atom(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        scores = self._scores(self._features(x, self.p["atom_score"]), np.arange(len(x)), self.p["atom_score"])
        if self.strong is not None:
            scores = scores + self.p["atom_element"][0] * (self.types == self.strong)
        atom = _softmax_pick(scores, rng)
        if self.system.periodic:
            return move_into_cell(x, atom, self.system.cell_length(), rng)
        if not self.p["site_score"].any():
            return move_to_surface(x, atom, self.length, rng)
        sites = surface_sites(x, atom, self.length, random_directions(SITE_CANDIDATES, rng))
        moved = x.copy()
        moved[atom] = sites[_softmax_pick(site_features(x, atom, sites, self.length) @ self.p["site_score"], rng)]
        return moved

    def _displace(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        step = np.full(len(x), math.exp(self.p["log_step"][0]) * self.length)
        phi = self._features(x, self.p["step_score"], self.p["focus_score"])
        if phi is not None:
            step = step * np.exp(phi @ self.p["step_score"] + (phi - phi.mean(axis=0)) @ self.p["focus_score"])
        return x + rng.uniform(-1.0, 1.0, size=x.shape) * step[:, None]

    def accept(self, current: float, trial: float, rng: np.random.Generator) -> bool:
        if trial < current:
            return True
        kt = math.exp(self.p["log_kt"][0] + self.p["kt_stagnation"][0] * self._stagnation()) * self.system.energy_scale()
        return rng.random() < math.exp(-(trial - current) / kt)

    def restart(self, stagnant: int) -> bool:
        self.stagnant = stagnant
        return 0 < self.patience <= stagnant


#: checkpoint format of hop policies (a JSON file: nothing in it can execute)
POLICY_FORMAT = "lopt-lammps/hop-policy"
POLICY_VERSION = 3
#: the parameter group each later file version appended; older files load with them at zero
ADDED_IN_VERSION = {2: "site_score", 3: "focus_score"}


def version_layout(version: int) -> dict[str, int]:
    """The parameter slices of a file of ``version`` (a prefix of :data:`PARAMETERS`)."""
    later = {name for v, name in ADDED_IN_VERSION.items() if v > version}
    return {name: size for name, size in PARAMETERS.items() if name not in later}


#: widths of the parameter blocks whose training perturbations are drawn separately: the
#: version-1 parameters, then each group added since
NOISE_BLOCKS = (sum(version_layout(1).values()), *(PARAMETERS[name] for name in ADDED_IN_VERSION.values()))


def save_policy(path: str | Path, theta: np.ndarray, patience: int, metadata: dict | None = None) -> None:
    """Write a hop policy (parameters, patience, provenance) atomically as JSON."""
    payload = {"format": POLICY_FORMAT, "version": POLICY_VERSION, "parameters": dict(PARAMETERS),
               "theta": [float(v) for v in theta], "patience": int(patience), "metadata": metadata or {}}
    atomic_write_text(Path(path), json.dumps(payload, indent=1) + "\n")


def load_policy(path: str | Path) -> tuple[np.ndarray, int, dict]:
    """Parameters, patience and metadata of a hop-policy file, refusing anything else."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"hop-policy file {path} not found")
    try:
        payload = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise CheckpointError(f"{path} is not a readable hop-policy file ({err}); retrain with `lopt-lammps train`") from err
    if not isinstance(payload, dict) or payload.get("format") != POLICY_FORMAT:
        raise CheckpointError(f"{path} is not a lopt-lammps hop-policy file")
    version = payload.get("version")
    layout = version_layout(version) if version in range(1, POLICY_VERSION + 1) else None
    if layout is None or payload.get("parameters") != layout:
        raise CheckpointError(f"{path} was written for another version of the hop policy; retrain with this lopt-lammps")
    try:
        theta = np.asarray(payload.get("theta"), dtype=float)
    except (TypeError, ValueError):
        theta = np.zeros(0)  # not numbers: refused below
    if theta.shape == (sum(layout.values()),):
        theta = np.concatenate([theta, np.zeros(N_PARAMETERS - len(theta))])  # the later groups trail, at zero
    patience = payload.get("patience")
    if theta.shape != (N_PARAMETERS,) or not np.isfinite(theta).all() or not isinstance(patience, int) or patience < 0:
        raise CheckpointError(f"{path}: the parameters are damaged (need {N_PARAMETERS} finite numbers and a patience >= 0)")
    return theta, patience, dict(payload.get("metadata") or {})


def policy_fingerprint(theta: np.ndarray, patience: int) -> str:
    """Short hash of a policy's parameters (identifies it in records). Trailing added groups
    that are all zero are left out, so a policy keeps its fingerprint as groups are added."""
    theta = np.asarray(theta, dtype=float)
    for name in reversed(ADDED_IN_VERSION.values()):
        where = slices()[name]
        if where.stop != len(theta) or theta[where].any():
            break
        theta = theta[: where.start]
    return hashlib.sha256(json.dumps([[round(float(v), 12) for v in theta], int(patience)]).encode()).hexdigest()[:16]
