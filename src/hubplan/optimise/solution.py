"""The immutable result of solving a :class:`~hubplan.optimise.SiteSelectionProblem`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

#: Status values: ``optimal`` (proven), ``time_limit`` (best found, with the proven
#: gap), ``infeasible`` (proven: no set of hubs meets the constraints) and, for the
#: heuristic, ``feasible`` (meets every constraint, optimality not proven) or
#: ``no_feasible_found``.
STATUSES = ("optimal", "time_limit", "infeasible", "feasible", "no_feasible_found")


def gap_percent(gap: float) -> str:
    """A proven gap as a percentage to three significant figures, ``<0.001%`` below that
    (not ``1.54e-14%``), ``0%`` when none.

    >>> gap_percent(0.063), gap_percent(0.00047), gap_percent(1.5e-16), gap_percent(0.0)
    ('6.3%', '0.047%', '<0.001%', '0%')
    """
    value = 100 * gap
    if value <= 0:
        return "0%"
    return "<0.001%" if value < 0.001 else f"{value:.3g}%"


@dataclass(frozen=True)
class Solution:
    """Chosen hub sites and what is known about how good they are.

    Attributes
    ----------
    sites:
        Codes of the hubs, in the network's site order.
    objective:
        The objective of ``sites`` in the objective's unit: mean minutes (p-median),
        share of patients within the threshold (coverage) or longest minutes (p-centre).
    bound:
        Proven bound on the best possible objective (lower for minutes, upper for
        coverage); ``nan`` when nothing is proven (heuristic).
    gap:
        ``|objective - bound| / |objective|`` as a fraction; ``nan`` if unknown.
    status:
        One of :data:`STATUSES`.
    method:
        How it was found, e.g. ``"exact (HiGHS, radius formulation)"``.
    seconds:
        Wall-clock seconds spent.
    seed:
        Seed of the heuristic's random generator.
    hub_patients:
        Patients per year whose hub is each site (same order as ``sites``).
    details:
        Model sizes, iterations and other facts for reports.
    """

    sites: tuple[str, ...]
    objective: float
    bound: float
    gap: float
    status: str
    method: str
    seconds: float
    seed: int | None = None
    objective_name: str = "p-median"
    hub_patients: tuple[float, ...] = ()
    details: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        object.__setattr__(self, "sites", tuple(self.sites))
        object.__setattr__(self, "hub_patients", tuple(float(v) for v in self.hub_patients))

    @property
    def proven_optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def found_feasible(self) -> bool:
        """Whether ``sites`` meet every constraint (false for ``no_feasible_found``)."""
        return self.status in ("optimal", "time_limit", "feasible")

    def label(self) -> str:
        """A name for the option these hubs make, saying what is known about them.

        >>> Solution(("H1", "H2"), 20.0, 20.0, 0.0, "optimal", "exact", 1.0).label()
        'optimal 2 hubs (p-median)'
        >>> Solution(("H1", "H2"), 20.0, 19.0, 0.05, "time_limit", "exact", 1.0).label()
        'best 2 hubs found (p-median, proven gap 5%)'
        >>> Solution(("H1", "H2"), 20.0, float("nan"), float("nan"), "feasible", "heuristic", 1.0).label()
        'heuristic 2 hubs (p-median, no bound)'
        >>> Solution(("H1", "H2"), 20.0, float("nan"), float("nan"), "no_feasible_found", "exact", 1.0).label()
        '2 hubs, no feasible set found (p-median)'
        """
        n, what = len(self.sites), self.objective_name
        hubs = f"{n} hub{'' if n == 1 else 's'}"
        if self.status == "optimal":
            return f"optimal {hubs} ({what})"
        if self.status == "time_limit":
            if math.isfinite(self.gap):
                return f"best {hubs} found ({what}, proven gap {gap_percent(self.gap)})"
            return f"best {hubs} found ({what}, time limit, no bound)"
        if self.status == "feasible":
            return f"heuristic {hubs} ({what}, no bound)"
        if self.status == "no_feasible_found":
            return f"{hubs}, no feasible set found ({what})"
        return f"{hubs} ({what}, {self.status})"

    def to_json(self) -> dict[str, Any]:
        """The ``solution`` object of the ``hubplan optimise`` JSON contract."""

        def num(value: float) -> float | None:
            return float(value) if value is not None and math.isfinite(value) else None

        return {
            "sites": list(self.sites),
            "objective": num(self.objective),
            "objective_name": self.objective_name,
            "bound": num(self.bound),
            "gap": num(self.gap),
            "status": self.status,
            "method": self.method,
            "seconds": float(self.seconds),
            "seed": self.seed,
            "hub_patients": {s: v for s, v in zip(self.sites, self.hub_patients)},
            "details": dict(self.details),
        }


def relative_gap(objective: float, bound: float) -> float:
    """``|objective - bound| / max(|objective|, tiny)``; ``nan`` if either is unknown."""
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return float("nan")
    return abs(objective - bound) / max(abs(objective), 1e-12)
