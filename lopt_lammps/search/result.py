"""What a search returns: per-seed traces and the distinct minima found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..systems import System


@dataclass
class Minimum:
    """A relaxed local minimum and the evaluation (of its seed's run) that first found it."""

    energy: float
    positions: np.ndarray
    seed: int
    evaluation: int


@dataclass
class SeedRun:
    """One independent run: best energy so far where it improved, and its minima."""

    seed: int
    evaluations: int
    trace_evaluations: list[int]
    trace_energies: list[float]
    minima: list[Minimum]
    notes: dict[str, Any] = field(default_factory=dict)

    def best_at(self, evaluations: np.ndarray) -> np.ndarray:
        """Best energy after each of ``evaluations`` (NaN before the first record)."""
        ev = np.asarray(self.trace_evaluations)
        en = np.asarray(self.trace_energies, dtype=float)
        idx = np.searchsorted(ev, np.asarray(evaluations), side="right") - 1
        if len(en) == 0:
            return np.full(np.shape(evaluations), np.nan)
        return np.where(idx >= 0, en[np.clip(idx, 0, None)], np.nan)

    def first_hit(self, reference: float, tolerance: float) -> int | None:
        """First evaluation at which the best energy came within ``tolerance`` of ``reference``."""
        return first_hit(self.trace_evaluations, self.trace_energies, reference, tolerance)


def first_hit(evaluations: list[int], energies: list[float], reference: float, tolerance: float) -> int | None:
    """First of a trace's ``evaluations`` whose best energy is within ``tolerance`` of ``reference``."""
    for ev, en in zip(evaluations, energies):
        if en <= reference + tolerance:
            return int(ev)
    return None


@dataclass
class SearchResult:
    """All runs of one method on one system with one budget."""

    system: System
    method: str
    budget: int
    runs: list[SeedRun]
    settings: dict[str, Any] = field(default_factory=dict)

    def best(self) -> Minimum | None:
        minima = [m for run in self.runs for m in run.minima]
        return min(minima, key=lambda m: m.energy) if minima else None

    def hits(self, reference: float, tolerance: float = 1e-3) -> list[int | None]:
        return [run.first_hit(reference, tolerance) for run in self.runs]


def result_to_json(result: SearchResult) -> dict[str, Any]:
    """Traces, minima (with positions) and settings as plain JSON data."""
    data = traces_to_json(result)
    data["boundary"] = result.system.boundary
    data["density"] = result.system.density
    data["potential"] = result.system.potential.name
    for run_data, run in zip(data["runs"], result.runs):
        run_data["minima"] = [
            {"energy": m.energy, "evaluation": m.evaluation, "positions": np.asarray(m.positions).tolist()}
            for m in run.minima
        ]
    return data


def result_from_json(data: dict[str, Any]) -> SearchResult:
    """Inverse of :func:`result_to_json`."""
    system = System.parse(data["system"], potential=data["potential"], boundary=data["boundary"], density=data["density"])
    runs = [
        SeedRun(r["seed"], r["evaluations"], r["trace_evaluations"], r["trace_energies"],
                [Minimum(m["energy"], np.array(m["positions"]), r["seed"], m["evaluation"]) for m in r["minima"]],
                r["notes"])
        for r in data["runs"]
    ]
    return SearchResult(system, data["method"], data["budget"], runs, dict(data["settings"]))


def traces_from_json(data: dict[str, Any]) -> SearchResult:
    """A result holding only the traces of :func:`traces_to_json` (no minima)."""
    system = System.parse(data["system"], boundary=data.get("boundary", "cluster"))
    runs = [SeedRun(r["seed"], r["evaluations"], r["trace_evaluations"], r["trace_energies"], [], r["notes"]) for r in data["runs"]]
    return SearchResult(system, data["method"], data["budget"], runs, dict(data["settings"]))


def traces_to_json(result: SearchResult) -> dict[str, Any]:
    """The per-seed traces of a result as plain JSON data (for reports)."""
    return {
        "system": result.system.formula,
        "boundary": result.system.boundary,
        "method": result.method,
        "budget": result.budget,
        "settings": {k: v for k, v in result.settings.items() if isinstance(v, (int, float, str, bool))},
        "runs": [
            {"seed": int(r.seed), "evaluations": int(r.evaluations),
             "trace_evaluations": [int(v) for v in r.trace_evaluations],
             "trace_energies": [float(v) for v in r.trace_energies],
             "notes": {k: v.item() if isinstance(v, np.generic) else v for k, v in r.notes.items()}}
            for r in result.runs
        ],
    }
