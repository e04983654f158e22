"""Optimal hub sites: exact (HiGHS) and fast heuristic site selection, sweeps, Pareto sets.

The optimiser sees a :class:`SiteSelectionProblem` (a cost matrix, demand, ``k`` and
constraints), built from a network and a service by
:meth:`SiteSelectionProblem.from_network`. :func:`solve` returns an immutable
:class:`Solution`; :func:`sweep` solves for several ``k``; :func:`pareto` traces mean
time against the minimum hub volume. See ``docs/optimise.md``.
"""

from __future__ import annotations

from hubplan.optimise.api import optimise, solve, solve_heuristic
from hubplan.optimise.problem import Objective, SiteSelectionProblem
from hubplan.optimise.solution import Solution
from hubplan.optimise.sweep import pareto, plot_pareto, plot_sweep, sweep

__all__ = [
    "Objective",
    "SiteSelectionProblem",
    "Solution",
    "optimise",
    "pareto",
    "plot_pareto",
    "plot_sweep",
    "solve",
    "solve_heuristic",
    "sweep",
]
