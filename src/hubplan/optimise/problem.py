"""The site-selection problem: a cost matrix, demand, k and the constraints.

The optimiser sees only a matrix of minutes from *clients* (groups of patients) to
*candidate* sites and the patients per year of each client; geography, pathways and
services are turned into that matrix by :meth:`SiteSelectionProblem.from_network`.
Every client is served by its cheapest open candidate (ties go to the candidate that
comes first, which is the network's site order), exactly as the pathway rules route
patients to their nearest hub.

>>> import numpy as np
>>> from hubplan.optimise import SiteSelectionProblem, solve
>>> problem = SiteSelectionProblem(
...     cost_minutes=np.array([[10.0, 40.0, 30.0], [35.0, 12.0, 20.0], [50.0, 30.0, 8.0]]),
...     demand=np.array([100.0, 50.0, 80.0]),
...     candidate_codes=("H1", "H2", "H3"),
...     k=2,
... )
>>> solution = solve(problem)
>>> solution.sites, solution.status
(('H1', 'H3'), 'optimal')
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from enum import Enum
from typing import TYPE_CHECKING, Sequence

import numpy as np

from hubplan.errors import InfeasibleError, InputError
from hubplan.services.options import Option, Pathway, resolve_spokes
from hubplan.validation import LIMITS, check_number
from hubplan.formatting import counted

if TYPE_CHECKING:
    from hubplan.geography.network import Network
    from hubplan.services import Service

#: Minutes are floats: first-site ties are compared with this tolerance (as in pathways).
TIE_TOLERANCE_MINUTES = 1e-6


class Objective(str, Enum):
    """What "best" means."""

    P_MEDIAN = "p-median"
    """Minimise the demand-weighted mean minutes to the hub."""
    COVERAGE = "coverage"
    """Maximise the share of patients within ``threshold_minutes`` of their hub."""
    P_CENTRE = "p-centre"
    """Minimise the longest time of any patient (ties broken by the mean)."""

    @classmethod
    def parse(cls, value: "str | Objective") -> "Objective":
        if isinstance(value, Objective):
            return value
        key = str(value).strip().lower().replace("_", "-")
        aliases = {
            "median": "p-median", "pmedian": "p-median", "mean": "p-median",
            "covering": "coverage", "mclp": "coverage", "maximal-covering": "coverage",
            "center": "p-centre", "p-center": "p-centre", "pcentre": "p-centre",
            "pcenter": "p-centre", "centre": "p-centre", "minimax": "p-centre",
        }
        key = aliases.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise InputError(
                f"unknown objective {value!r}: expected p-median, coverage or p-centre"
            ) from None

    @property
    def unit(self) -> str:
        return "share of patients" if self is Objective.COVERAGE else "minutes"


@dataclass(frozen=True, eq=False)
class SiteSelectionProblem:
    """Choose ``k`` hub sites among candidates for clients with demand.

    Parameters
    ----------
    cost_minutes:
        ``(n_clients, n_candidates)`` minutes from each client to its hub if that
        candidate is its hub; ``inf`` = cannot be served from there.
    demand:
        Patients per year of each client (``>= 0``).
    candidate_codes:
        Site code of each column, in the network's site order (ties go to the first).
    k:
        Number of hubs to open, kept sites included.
    objective:
        :class:`Objective` (``p-median``, ``coverage`` or ``p-centre``).
    threshold_minutes:
        The coverage threshold ``T`` (coverage only).
    keep:
        Codes that must be hubs (e.g. today's centres).
    min_patients_per_hub, max_patients_per_hub:
        Bounds on each open hub's catchment (patients per year whose hub it is).
    max_minutes:
        Optional: no patient may be more than this many minutes from the hub.
    max_hubs_by_workforce:
        Optional cap on ``k`` from a workforce budget (see :meth:`from_network`).
    workforce_note:
        How that cap was worked out, for the message if ``k`` exceeds it.
    pathway, spoke_codes, bypass_minutes, transfer_delay_minutes:
        How to turn a set of hubs back into an :class:`~hubplan.services.options.Option`
        (``spoke_codes`` = the sites that are spokes when they are not hubs).
    description:
        What the clients and candidates are, for reports.
    """

    cost_minutes: np.ndarray
    demand: np.ndarray
    candidate_codes: tuple[str, ...]
    k: int
    objective: Objective = Objective.P_MEDIAN
    threshold_minutes: float | None = None
    keep: tuple[str, ...] = ()
    min_patients_per_hub: float | None = None
    max_patients_per_hub: float | None = None
    max_minutes: float | None = None
    max_hubs_by_workforce: int | None = None
    workforce_note: str = ""
    pathway: Pathway = Pathway.DIRECT
    spoke_codes: tuple[str, ...] = ()
    bypass_minutes: float = 0.0
    transfer_delay_minutes: float | None = None
    description: str = ""
    client_codes: tuple[str, ...] | None = field(default=None, repr=False)
    #: Reduced cost matrices shared by copies that differ only in k or constraints.
    _reduced: dict = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        cost = _frozen_copy(self.cost_minutes)
        demand = _frozen_copy(self.demand).reshape(-1)
        if cost.ndim != 2:
            raise InputError(f"cost_minutes must be a 2-D matrix, got shape {cost.shape}")
        if cost.shape[0] != demand.shape[0]:
            raise InputError(
                f"cost_minutes has {cost.shape[0]} rows (clients) but demand has {demand.shape[0]} values"
            )
        if cost.shape[1] != len(self.candidate_codes):
            raise InputError(
                f"cost_minutes has {cost.shape[1]} columns but there are "
                f"{len(self.candidate_codes)} candidate codes"
            )
        if np.isnan(cost).any() or (cost < 0).any():
            raise InputError("cost_minutes must be minutes >= 0 (inf = no route), without NaN")
        if not np.isfinite(demand).all() or (demand < 0).any():
            raise InputError("demand must be finite patients per year >= 0")
        codes = tuple(str(c) for c in self.candidate_codes)
        if len(set(codes)) != len(codes):
            raise InputError("candidate codes must be unique")
        cost.setflags(write=False)
        demand.setflags(write=False)
        object.__setattr__(self, "cost_minutes", cost)
        object.__setattr__(self, "demand", demand)
        object.__setattr__(self, "candidate_codes", codes)
        object.__setattr__(self, "objective", Objective.parse(self.objective))
        object.__setattr__(self, "pathway", Pathway.parse(self.pathway))
        keep = tuple(dict.fromkeys(str(c) for c in self.keep))
        unknown = [c for c in keep if c not in codes]
        if unknown:
            raise InputError(
                f"keep site {unknown[0]} is not a candidate (it is excluded, closed or not in this network)"
            )
        object.__setattr__(self, "keep", keep)
        if not isinstance(self.k, (int, np.integer)) or isinstance(self.k, bool):
            raise InputError(f"k: {self.k!r} is not {LIMITS['k'].describe()}")
        object.__setattr__(self, "k", check_number(self.k, "k", "k"))
        if self.objective is Objective.COVERAGE and self.threshold_minutes is None:
            raise InputError("the coverage objective needs threshold_minutes > 0 (e.g. 45)")
        for name in ("threshold_minutes", "min_patients_per_hub", "max_patients_per_hub", "max_minutes"):
            check_number(getattr(self, name), name, name)

    # ------------------------------------------------------------------ basics
    @property
    def n_clients(self) -> int:
        return int(self.cost_minutes.shape[0])

    @property
    def n_candidates(self) -> int:
        return int(self.cost_minutes.shape[1])

    @property
    def keep_positions(self) -> np.ndarray:
        index = {c: i for i, c in enumerate(self.candidate_codes)}
        return np.array(sorted(index[c] for c in self.keep), dtype=np.intp)

    @property
    def has_volume_limits(self) -> bool:
        return self.min_patients_per_hub is not None or self.max_patients_per_hub is not None

    @property
    def total_demand(self) -> float:
        return float(self.demand.sum())

    def positions(self, codes: Sequence[str]) -> np.ndarray:
        """Candidate positions of site codes (unknown codes raise :class:`InputError`)."""
        index = {c: i for i, c in enumerate(self.candidate_codes)}
        missing = [c for c in codes if c not in index]
        if missing:
            raise InputError(f"site {missing[0]} is not a candidate of this problem")
        return np.array([index[c] for c in codes], dtype=np.intp)

    def with_k(self, k: int) -> "SiteSelectionProblem":
        """The same problem with another number of hubs."""
        return self.with_changes(k=int(k))

    def with_changes(self, **changes: object) -> "SiteSelectionProblem":
        """The same problem with fields changed (e.g. ``min_patients_per_hub=1500``)."""
        shared = not ({"cost_minutes", "demand"} & set(changes))
        return replace(self, _reduced=self._reduced if shared else {}, **changes)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ evaluation
    def assignment(self, open_positions: "Sequence[int] | np.ndarray") -> tuple[np.ndarray, np.ndarray]:
        """Each client's hub (candidate position) and minutes to it for a set of hubs.

        Ties go to the candidate that comes first; unreachable clients get ``inf``.
        """
        chosen = np.sort(np.asarray(open_positions, dtype=np.intp))
        sub = self.cost_minutes[:, chosen]
        best = np.argmin(sub, axis=1)
        return chosen[best], sub[np.arange(self.n_clients), best]

    def objective_value(self, open_positions: "Sequence[int] | np.ndarray") -> float:
        """The objective of a set of hubs, in :attr:`Objective.unit`.

        p-median: demand-weighted mean minutes; coverage: share of patients within the
        threshold; p-centre: the longest minutes of any client with patients.
        """
        _, minutes = self.assignment(open_positions)
        return self._objective_of(minutes)

    def _objective_of(self, minutes: np.ndarray) -> float:
        w = self.demand
        total = w.sum()
        served = w > 0
        if self.objective is Objective.P_MEDIAN:
            if not np.isfinite(minutes[served]).all():
                return math.inf
            return float(np.dot(minutes[served], w[served]) / total) if total > 0 else 0.0
        if self.objective is Objective.COVERAGE:
            assert self.threshold_minutes is not None
            within = minutes <= float(self.threshold_minutes) + TIE_TOLERANCE_MINUTES
            return float(w[within].sum() / total) if total > 0 else 1.0
        return float(minutes[served].max()) if served.any() else 0.0

    def hub_patients(self, open_positions: "Sequence[int] | np.ndarray") -> np.ndarray:
        """Patients per year whose hub is each candidate (zero where not open)."""
        hub, minutes = self.assignment(open_positions)
        ok = np.isfinite(minutes)
        return np.bincount(hub[ok], weights=self.demand[ok], minlength=self.n_candidates)

    def violations(self, open_positions: "Sequence[int] | np.ndarray") -> list[str]:
        """The constraints a set of hubs breaks, in words (empty = feasible)."""
        chosen = np.asarray(open_positions, dtype=np.intp)
        problems: list[str] = []
        if len(set(chosen.tolist())) != self.k:
            problems.append(f"{len(set(chosen.tolist()))} hubs instead of k = {self.k}")
        missing = sorted(set(self.keep_positions.tolist()) - set(chosen.tolist()))
        if missing:
            problems.append(f"keep site {self.candidate_codes[missing[0]]} is not a hub")
        _, minutes = self.assignment(chosen)
        served = self.demand > 0
        if not np.isfinite(minutes[served]).all():
            problems.append("some patients cannot reach any hub")
        if self.max_minutes is not None and (minutes[served] > self.max_minutes + TIE_TOLERANCE_MINUTES).any():
            problems.append(f"some patients are more than {self.max_minutes:g} minutes from a hub")
        volume = self.hub_patients(chosen)
        for j in chosen:
            if self.min_patients_per_hub is not None and volume[j] < self.min_patients_per_hub - 1e-6:
                problems.append(
                    f"{self.candidate_codes[j]} gets {volume[j]:,.0f} patients, fewer than {self.min_patients_per_hub:,.0f}"
                )
            if self.max_patients_per_hub is not None and volume[j] > self.max_patients_per_hub + 1e-6:
                problems.append(
                    f"{self.candidate_codes[j]} gets {volume[j]:,.0f} patients, more than {self.max_patients_per_hub:,.0f}"
                )
        return problems

    def option(self, sites: Sequence[str], name: str | None = None) -> Option:
        """The :class:`~hubplan.services.options.Option` with these hubs (for ``evaluate``)."""
        hubs = tuple(sites)
        hub_set = set(hubs)
        spokes = tuple(c for c in self.spoke_codes if c not in hub_set)
        pathway = self.pathway if spokes else Pathway.DIRECT
        return Option(
            name=name or f"{len(hubs)} hub{'' if len(hubs) == 1 else 's'} ({self.objective.value})",
            hubs=hubs,
            spokes=spokes if pathway is Pathway.TREAT_AND_TRANSFER else (),
            pathway=pathway,
            bypass_minutes=self.bypass_minutes,
            transfer_delay_minutes=self.transfer_delay_minutes,
        )

    # ------------------------------------------------------------------ feasibility
    def check_feasible(self) -> None:
        """Raise :class:`InfeasibleError` naming the constraint that cannot be met.

        These are quick necessary conditions checked before any solving; the exact
        method proves infeasibility of what remains.
        """
        n_keep = len(self.keep)
        if self.max_hubs_by_workforce is not None and self.k > self.max_hubs_by_workforce:
            raise InfeasibleError(
                f"workforce: {self.workforce_note or 'the workforce budget'} allows at most "
                f"{self.max_hubs_by_workforce} hubs, but k is {self.k}"
            )
        if n_keep > self.k:
            raise InfeasibleError(f"keep has {n_keep} sites but k is {self.k}: raise k or keep fewer")
        if self.k > self.n_candidates:
            raise InfeasibleError(
                f"k is {self.k} but there are only {self.n_candidates} candidate sites"
                + (" after exclusions" if self.description else "")
            )
        served = self.demand > 0
        reachable = np.isfinite(self.cost_minutes).any(axis=1)
        stranded = np.flatnonzero(served & ~reachable)
        if len(stranded):
            raise InfeasibleError(
                f"{len(stranded)} clients with patients cannot reach any candidate site, e.g. "
                f"{self._client_label(stranded[0])}"
            )
        if self.max_minutes is not None:
            near = (self.cost_minutes <= self.max_minutes + TIE_TOLERANCE_MINUTES).any(axis=1)
            far = np.flatnonzero(served & ~near)
            if len(far):
                raise InfeasibleError(
                    f"max minutes {self.max_minutes:g}: {len(far)} clients have no candidate site that "
                    f"close, e.g. {self._client_label(far[0])}"
                )
        total = self.total_demand
        hi = self.max_patients_per_hub
        lo = self.min_patients_per_hub
        if hi is not None and lo is not None and lo > hi:
            raise InfeasibleError(
                f"min patients per hub ({lo:,.0f}) is more than max patients per hub ({hi:,.0f})"
            )
        if hi is not None and total > self.k * hi + 1e-6:
            raise InfeasibleError(
                f"max patients per hub: {counted(self.k, 'hub')} of at most {hi:,.0f} patients {'holds' if self.k == 1 else 'hold'} "
                f"{self.k * hi:,.0f}, fewer than the {total:,.0f} patients per year; "
                f"at least {counted(math.ceil(total / hi - 1e-9), 'hub')} {'is' if math.ceil(total / hi - 1e-9) == 1 else 'are'} needed"
            )
        if lo is not None and total < self.k * lo - 1e-6:
            raise InfeasibleError(
                f"min patients per hub: {total:,.0f} patients per year cannot give each of {counted(self.k, 'hub')} "
                f"{lo:,.0f}; at most {counted(int(total // lo) if lo > 0 else self.k, 'hub')} can reach that volume"
            )
        if lo is not None and lo > 0:
            # the most a hub can ever get: clients for which it can be the first open site
            best_possible = self._largest_possible_catchment()
            keep_pos = self.keep_positions
            for j in keep_pos:
                if best_possible[j] < lo - 1e-6:
                    raise InfeasibleError(
                        f"min patients per hub: keep site {self.candidate_codes[j]} can get at most "
                        f"{best_possible[j]:,.0f} patients per year, fewer than {lo:,.0f}"
                    )
            able = np.flatnonzero(best_possible >= lo - 1e-6)
            if len(able) < self.k:
                order = np.argsort(-best_possible, kind="stable")[: self.k]
                raise InfeasibleError(
                    f"min patients per hub: only {len(able)} candidate sites could ever reach "
                    f"{lo:,.0f} patients per year, but k is {self.k}; the {self.k} largest possible "
                    f"catchments range down to {best_possible[order[-1]]:,.0f}"
                )
        if hi is not None:
            # patients whose first choice among all candidates is a kept site stay there
            surely = self._surest_catchment()
            for j in self.keep_positions:
                if surely[j] > hi + 1e-6:
                    raise InfeasibleError(
                        f"max patients per hub: keep site {self.candidate_codes[j]} is the nearest "
                        f"candidate for {surely[j]:,.0f} patients per year, more than {hi:,.0f}"
                    )

    def _client_label(self, row: int) -> str:
        if self.client_codes is not None:
            return str(self.client_codes[row])
        return f"client {row}"

    def _largest_possible_catchment(self) -> np.ndarray:
        """Per candidate: patients of clients for which no kept site is strictly nearer."""
        cost = self.cost_minutes
        keep = self.keep_positions
        if len(keep):
            nearest_keep = cost[:, keep].min(axis=1)
            able = cost <= nearest_keep[:, None]
        else:
            able = np.ones_like(cost, dtype=bool)
        able &= np.isfinite(cost)
        return (self.demand[:, None] * able).sum(axis=0)

    def _surest_catchment(self) -> np.ndarray:
        """Per candidate: patients whose nearest candidate of all is this one."""
        hub, minutes = self.assignment(np.arange(self.n_candidates))
        ok = np.isfinite(minutes)
        return np.bincount(hub[ok], weights=self.demand[ok], minlength=self.n_candidates)

    # ------------------------------------------------------------------ adapter
    @classmethod
    def from_network(
        cls,
        network: "Network",
        service: "Service",
        *,
        k: int,
        objective: "Objective | str" = Objective.P_MEDIAN,
        threshold_minutes: float | None = None,
        pathway: "Pathway | str | None" = None,
        spokes: "Sequence[str] | str | None" = None,
        candidates: "Sequence[str] | str | None" = None,
        keep: "Sequence[str] | str | None" = None,
        exclude: "Sequence[str] | str | None" = None,
        min_patients_per_hub: float | None = None,
        max_patients_per_hub: float | None = None,
        max_minutes: float | None = None,
        workforce_available: int | None = None,
        consultants_per_hub: int | None = None,
        transfer_delay_minutes: float | None = None,
        bypass_minutes: float = 0.0,
    ) -> "SiteSelectionProblem":
        """Build the problem for a service on a network.

        ``candidates``, ``keep`` and ``exclude`` take site codes or a capability name
        (``keep="thrombectomy"`` = today's thrombectomy centres). ``candidates``
        defaults to every site (``direct``) or every site that is a hub or a spoke
        (``treat_and_transfer``).

        ``direct``: clients are the areas with patients and ``cost[a, j]`` is the road
        minutes from area ``a`` to site ``j``.

        ``treat_and_transfer`` with ``bypass_minutes == 0``: every candidate that is
        not a hub is a spoke, so the set of first sites (hubs and spokes) does not
        depend on the choice and each area's first site ``f(a)`` is its nearest site of
        that set. Then, exactly as in the pathway rules,
        ``cost[a, h] = T[a, h]`` if ``h`` ties with ``f(a)`` for nearest, otherwise
        ``T[a, f(a)] + transfer delay + S[f(a), h]``, and the cheapest open ``h`` is the
        hub the spoke transfers to. With a bypass the first site depends on the hubs;
        that case is not a cost-matrix problem and raises :class:`InputError` here (use
        :func:`hubplan.optimise.improve_with_evaluate`, a heuristic).

        The workforce cap is ``workforce_available // consultants_per_hub`` hubs
        (``consultants_per_hub`` defaults to the service's rota minimum).
        """
        path = Pathway.parse(pathway if pathway is not None else service.pathway)
        site_codes = network.site_codes

        def codes_of(value: "Sequence[str] | str | None", what: str) -> list[str]:
            if value is None:
                return []
            if isinstance(value, str):
                if value.strip() == "":
                    return []
                if "," in value:
                    value = [v.strip() for v in value.split(",") if v.strip()]
                else:
                    try:
                        return network.sites_with(value)
                    except InputError:
                        value = [value]
            pos = network.site_positions(list(value), what)
            return [site_codes[p] for p in pos]

        keep_codes = codes_of(keep, "keep site")
        exclude_codes = set(codes_of(exclude, "excluded site"))
        both = [c for c in keep_codes if c in exclude_codes]
        if both:
            raise InputError(f"site {both[0]} is both kept and excluded")
        if path is Pathway.TREAT_AND_TRANSFER:
            if spokes is None:
                spokes = service.spoke_capability or "rest"
            spoke_pool = resolve_spokes(network, spokes, [])
        else:
            spoke_pool = []
        if candidates is None:
            if path is Pathway.TREAT_AND_TRANSFER and spoke_pool:
                pool = set(spoke_pool) | set(keep_codes)
                cand_list = [c for c in site_codes if c in pool]
            else:
                cand_list = list(site_codes)
        else:
            cand_list = codes_of(candidates, "candidate site")
            outside = [c for c in keep_codes if c not in set(cand_list)]
            if outside:
                raise InputError(
                    f"keep site {outside[0]} is not one of the candidates: a kept site must be a candidate "
                    "(add it to the candidates or stop keeping it)"
                )
        cand_set = set(cand_list) - exclude_codes
        cand_pos = np.array([i for i, c in enumerate(site_codes) if c in cand_set], dtype=np.intp)
        if len(cand_pos) == 0:
            raise InputError("no candidate sites left after exclusions")
        cand_codes = tuple(site_codes[i] for i in cand_pos)

        demand_all = service.demand_values(network)
        served = np.flatnonzero(demand_all > 0)
        minutes = network.area_site_minutes[served].astype(np.float64)
        delay = float(
            service.transfer_delay_minutes if transfer_delay_minutes is None else transfer_delay_minutes
        )
        first_sites: list[str] = []
        if path is Pathway.TREAT_AND_TRANSFER and spoke_pool:
            if float(bypass_minutes) > 0:
                raise InputError(
                    "treat_and_transfer with bypass is not a cost-matrix problem (who goes to a "
                    "spoke depends on the hubs chosen): optimise with bypass 0 and then improve "
                    "with hubplan.optimise.improve_with_evaluate, or use method 'heuristic'"
                )
            if network.site_site_minutes is None:
                raise InputError("treat_and_transfer needs site-to-site minutes")
            outside = sorted(set(cand_codes) - set(spoke_pool) - set(keep_codes))
            if outside:
                raise InputError(
                    f"candidate {outside[0]} is not a spoke when it is not a hub, so the first "
                    "site of patients would depend on the choice; give spokes 'rest' or a "
                    "capability that includes every candidate"
                )
            first_set = sorted(set(spoke_pool) | set(cand_codes))
            first_pos = network.site_positions(first_set)
            first_pos = np.sort(first_pos)
            first_sites = [site_codes[p] for p in first_pos]
            cost = _transfer_cost(
                minutes, network.site_site_minutes.astype(np.float64), first_pos, cand_pos, delay
            )
        else:
            cost = minutes[:, cand_pos]
        wf_cap = None
        wf_note = ""
        if workforce_available is not None:
            per_hub = consultants_per_hub if consultants_per_hub is not None else service.rota_minimum_consultants
            if per_hub is None or int(per_hub) < 1:
                raise InputError(
                    "a workforce budget needs the consultants each hub needs (consultants_per_hub / "
                    "the service's rota minimum)"
                )
            wf_cap = int(workforce_available) // int(per_hub)
            wf_note = f"{int(workforce_available)} consultants / {int(per_hub)} per hub"
        obj = Objective.parse(objective)
        if obj is Objective.COVERAGE and threshold_minutes is None:
            threshold_minutes = 45.0 if 45.0 in service.thresholds_minutes else service.thresholds_minutes[0]
        how = (
            f"{len(served):,} areas with patients of {network.n_areas:,} (demand {service.demand_definition.describe()}), "
            f"{len(cand_codes)} candidate sites, pathway {path.value}"
        )
        if first_sites:
            how += f", {len(first_sites)} first sites (hubs + spokes), transfer delay {delay:g} min"
        return cls(
            cost_minutes=cost,
            demand=demand_all[served],
            candidate_codes=cand_codes,
            k=k,
            objective=obj,
            threshold_minutes=threshold_minutes,
            keep=tuple(keep_codes),
            min_patients_per_hub=min_patients_per_hub,
            max_patients_per_hub=max_patients_per_hub,
            max_minutes=max_minutes,
            max_hubs_by_workforce=wf_cap,
            workforce_note=wf_note,
            pathway=path,
            spoke_codes=tuple(first_sites),
            bypass_minutes=0.0,
            transfer_delay_minutes=delay if path is Pathway.TREAT_AND_TRANSFER else None,
            description=how,
            client_codes=tuple(network.areas.index[served]),
        )


def _frozen_copy(values: object) -> np.ndarray:
    """A read-only float64 array: our own read-only arrays are shared, others copied."""
    if isinstance(values, np.ndarray) and values.dtype == np.float64 and not values.flags.writeable:
        return values
    return np.array(values, dtype=np.float64)


def _transfer_cost(
    minutes: np.ndarray,
    site_minutes: np.ndarray,
    first_pos: np.ndarray,
    cand_pos: np.ndarray,
    delay_minutes: float,
) -> np.ndarray:
    """Treat-and-transfer minutes to each candidate hub (see ``from_network``)."""
    to_first = minutes[:, first_pos]
    nearest = np.argmin(to_first, axis=1)
    t0 = to_first[np.arange(len(to_first)), nearest]
    f0 = first_pos[nearest]
    cost = t0[:, None] + delay_minutes + site_minutes[np.ix_(f0, cand_pos)]
    to_cand = minutes[:, cand_pos]
    tied = to_cand <= t0[:, None] + TIE_TOLERANCE_MINUTES
    cost = np.where(tied, to_cand, cost)
    cost[~np.isfinite(t0)] = np.inf
    return cost
