"""Campaign reports: a Markdown page with the plots a materials scientist looks for.

* best energy against evaluations, per composition and method (median over seeds, as
  the gap to the best-known energy);
* excess (mixing) energy against composition for binary scans, relative to the pure
  clusters of the same size: E_exc = E(A_n B_m) - n/N E(A_N) - m/N E(B_N);
* pictures of the lowest structure of each composition;
* a table: best energy, best-known reference, gap, how many seeds found it, after how
  many evaluations.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from ase.visualize.plot import plot_atoms  # noqa: E402

from . import dbfile  # noqa: E402
from .campaign import REQUIRED_KEYS as CAMPAIGN_KEYS  # noqa: E402
from .provenance import git_commit  # noqa: E402
from .references import load_references, references_fingerprint, references_path  # noqa: E402
from .search.result import SearchResult, traces_from_json  # noqa: E402
from .systems import parse_formula  # noqa: E402

GAP_FLOOR = 1e-4


def _best_rows(db_path: Path) -> dict[str, Any]:
    return {row.composition: row for row in dbfile.select(db_path, CAMPAIGN_KEYS, rank=1)}


def _traces(trace_files: list[Path]) -> list[SearchResult]:
    return [traces_from_json(json.loads(Path(f).read_text())) for f in trace_files]


def _sort_key(formula: str) -> tuple:
    """By size, then from rich to poor in the alphabetically first element (Ag38 ... Cu38)."""
    counts = sorted(parse_formula(formula))
    return (sum(n for _, n in counts), tuple((e, -n) for e, n in counts))


def plot_convergence(traces: list[SearchResult], references: dict[str, float], path: Path) -> None:
    """Median gap of the best energy to the reference against evaluations."""
    systems = sorted({t.system.formula for t in traces}, key=_sort_key)
    cols = min(3, len(systems))
    rows = int(np.ceil(len(systems) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.2 * rows), squeeze=False)
    for ax, system in zip(axes.flat, systems):
        ref = references.get(system)
        by_method: dict[str, list[SearchResult]] = {}
        for t in traces:
            if t.system.formula == system:
                by_method.setdefault(t.method, []).append(t)
        lowest = min((min(r.trace_energies) for ts in by_method.values() for t in ts for r in t.runs if r.trace_energies), default=0.0)
        base = ref if ref is not None else lowest
        for i, (method, results) in enumerate(sorted(by_method.items())):
            grid = np.unique(np.geomspace(1, max(t.budget for t in results), 200).astype(int))
            curves = np.array([r.best_at(grid) for t in results for r in t.runs])
            started = ~np.isnan(curves).any(axis=0)  # once every run has a first energy
            median = np.full(len(grid), np.nan)
            median[started] = np.median(curves[:, started], axis=0)
            ax.plot(grid, np.maximum(median - base, GAP_FLOOR), color=f"C{i}", label=f"{method} (median of {len(curves)})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(system + ("" if ref is not None else " (no reference: gap to lowest found)"), fontsize=9)
        ax.set_xlabel("energy+force evaluations")
        ax.set_ylabel(f"best energy - best known (floor {GAP_FLOOR:g})")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(systems):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def stage_gaps(traces: list[SearchResult], refine_traces: dict[int, list[SearchResult]],
               references: dict[str, float]) -> dict[str, list[float]]:
    """Per system, the gap of the campaign's lowest energy to the reference (without one: to
    the lowest energy found) after the search and after each refinement round (the lowest
    found so far, so never rising)."""
    gaps: dict[str, list[float]] = {}
    stages = [traces] + [refine_traces[r] for r in sorted(refine_traces)]
    for system in {t.system.formula for t in traces}:
        lowest, lows = np.inf, []
        for stage in stages:
            found = [min(r.trace_energies) for t in stage if t.system.formula == system for r in t.runs if r.trace_energies]
            lowest = min([lowest, *found])
            lows.append(lowest)
        gaps[system] = [low - references.get(system, lows[-1]) for low in lows]
    return gaps


def plot_stages(gaps: dict[str, list[float]], path: Path) -> None:
    fig, ax = plt.subplots(figsize=(6, 3.8))
    for i, system in enumerate(sorted(gaps, key=_sort_key)):
        ax.plot(range(len(gaps[system])), np.maximum(gaps[system], GAP_FLOOR), "o-", color=f"C{i}", label=system)
    stages = max(len(g) for g in gaps.values())
    ax.set_xticks(range(stages), ["search"] + [f"refine{r}" for r in range(1, stages)])
    ax.set_yscale("log")
    ax.set_ylabel(f"lowest energy - best known (floor {GAP_FLOOR:g})")
    ax.set_title("Lowest energy of the campaign after each stage")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def excess_energies(best: dict[str, float]) -> list[tuple[str, float, float]]:
    """(formula, fraction of the second element, excess energy) for binary scans with both pure ends."""
    by_size: dict[int, dict[str, dict[str, int]]] = {}
    for formula in best:
        counts = dict(parse_formula(formula))
        by_size.setdefault(sum(counts.values()), {})[formula] = counts
    out = []
    for size, members in by_size.items():
        elements = sorted({e for c in members.values() for e in c})
        if len(elements) != 2:
            continue
        a, b = elements
        pure_a, pure_b = f"{a}{size}", f"{b}{size}"
        if pure_a not in best or pure_b not in best:
            continue
        for formula, counts in members.items():
            n_a, n_b = counts.get(a, 0), counts.get(b, 0)
            excess = best[formula] - n_a / size * best[pure_a] - n_b / size * best[pure_b]
            out.append((formula, n_b / size, excess))
    return sorted(out, key=lambda item: item[1])


def plot_excess(points: list[tuple[str, float, float]], path: Path, element: str) -> None:
    fig, ax = plt.subplots(figsize=(5.5, 3.8))
    x = [p[1] for p in points]
    y = [p[2] for p in points]
    ax.plot(x, y, "o-", color="C2")
    for formula, xi, yi in points:
        ax.annotate(formula, (xi, yi), textcoords="offset points", xytext=(3, 5), fontsize=7)
    ax.axhline(0, color="0.5", lw=0.8)
    ax.set_xlabel(f"fraction of {element}")
    ax.set_ylabel("excess energy (eV)")
    ax.set_title("Mixing: excess energy of the lowest structures")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_structures(best_rows: dict[str, Any], path: Path) -> None:
    formulas = sorted(best_rows, key=_sort_key)
    cols = min(4, len(formulas))
    rows = int(np.ceil(len(formulas) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.0 * cols, 3.8 * rows), squeeze=False)
    for ax, formula in zip(axes.flat, formulas):
        atoms = best_rows[formula].toatoms()
        atoms.center()
        plot_atoms(atoms, ax, rotation="15x,30y,0z", radii=0.9)
        ax.set_title(f"{formula}\n{best_rows[formula].energy:.4f}", fontsize=9)
        ax.axis("off")
    for ax in list(axes.flat)[len(formulas):]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(campaign: Path, title: str, notes: list[str] | None = None) -> Path:
    """Build ``campaign/report.md`` and its figures from ``minima.db``, ``traces/*.json`` and
    the refinement rounds' ``refine/*-refine<r>.json``."""
    campaign = Path(campaign)
    figures = campaign / "figures"
    figures.mkdir(exist_ok=True)
    best_rows = _best_rows(campaign / "minima.db")
    traces = _traces(sorted((campaign / "traces").glob("*.json")))
    refs = {k: float(v["energy"]) for k, v in load_references().items()}
    best = {formula: float(row.energy) for formula, row in best_rows.items()}
    lines = [f"# {title}", "", f"Generated {date.today().isoformat()} by lopt-lammps (commit {git_commit()[:12]}).", ""]
    lines += [f"- {note}" for note in notes or []]
    lines += [f"- best-known energies: {references_path().name}, fingerprint {references_fingerprint()}"]
    choices = sorted({t.settings.get("method_choice", t.method) for t in traces})
    lines += [f"- searched with {choice}" for choice in choices]
    lines += ["", "## Lowest structures", "",
              "| composition | lowest energy | per atom | best known | gap | runs that found it | first found after (evaluations) | by |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for formula in sorted(best_rows, key=_sort_key):
        row = best_rows[formula]
        ref = refs.get(formula)
        gap = f"{row.energy - ref:+.4f}" if ref is not None else "n/a"
        if ref is not None and row.energy < ref - 1e-3:
            gap += " (below the best known)"
        stage = row.get("stage", "search")
        finder = f"{row.method}, seed {row.seed}" + (f" ({stage})" if stage != "search" else "")
        lines.append(f"| {formula} | {row.energy:.4f} | {row.energy / row.natoms:.4f} | {ref if ref is not None else 'n/a'} | {gap} | "
                     f"{row.found_by} | {row.evaluations} | {finder} |")
    if traces:
        plot_convergence(traces, refs, figures / "convergence.png")
        lines += ["", "## Best energy against evaluations", "", "![convergence](figures/convergence.png)"]
    by_round: dict[int, list[Path]] = {}
    for path in sorted((campaign / "refine").glob("*-refine*.json")):
        by_round.setdefault(int(path.stem.rsplit("-refine", 1)[1]), []).append(path)
    refine_traces = {r: _traces(paths) for r, paths in by_round.items()}
    if traces and refine_traces:
        plot_stages(stage_gaps(traces, refine_traces, refs), figures / "stages.png")
        lines += ["", "## Refinement rounds", "",
                  "The campaign's lowest energy per composition after the search and after each round of",
                  "seeded basin hopping (a gap at the floor means the best-known energy was reached).", "",
                  "![stages](figures/stages.png)"]
    points = excess_energies(best)
    if points:
        element = sorted({e for f in best for e, _ in parse_formula(f)})[1]
        plot_excess(points, figures / "excess_energy.png", element)
        lines += ["", "## Excess energy against composition", "",
                  "E_exc = E(A_n B_m) - n/N E(A_N) - m/N E(B_N), from the lowest structures found.", "",
                  "![excess energy](figures/excess_energy.png)", "",
                  "| composition | fraction | excess energy |", "| --- | ---: | ---: |"]
        lines += [f"| {f} | {x:.3f} | {e:+.4f} |" for f, x, e in points]
    if best_rows:
        plot_structures(best_rows, figures / "structures.png")
        lines += ["", "## Pictures of the lowest structures", "", "![structures](figures/structures.png)"]
    report = campaign / "report.md"
    report.write_text("\n".join(lines) + "\n")
    return report
