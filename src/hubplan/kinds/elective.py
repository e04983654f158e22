"""Elective and diagnostic throughput: surgical hubs and community diagnostic centres.

Each unit of an option (its hubs) has a capacity a year; demand per area comes from the
service (an expression of population by age, ``docs/elective.md``); patients go to the
nearest unit with spare capacity, or stay in the catchment of their nearest unit; demand
that no unit treats is the waiting list's growth a year.

Capacity of one unit a year (``docs/elective.md``)::

    surgical:   sessions_per_week x cases_per_session x weeks_per_year x utilisation_target
    diagnostic: scanner_hours_per_week x tests_per_hour x weeks_per_year x utilisation_target

The service gives either the surgical pair (``sessions_per_week``, ``cases_per_session``) or
the diagnostic pair (``scanner_hours_per_week``, ``tests_per_hour``). A numeric column of
``network.sites`` with one of those four names gives that value unit by unit (e.g. the
theatre sessions of each hub); the parameter is then the value for none of them (every unit
of the option must have a value in the column).

Allocation, ``overflow = 1`` (the nearest unit with spare capacity): every (area, unit) pair
is taken in order of minutes (ties: area order, then unit order); an area's patients still
untreated go to that unit as far as its spare capacity allows. A unit therefore takes the
patients nearest to it until it is full, and the patients of a full unit go on to the next
nearest unit with room. It is computed event by event (one unit filling at a time), which is
the same as walking the pairs (checked against that walk in the tests). ``overflow = 0``
(catchments): every area belongs to its nearest unit and nowhere else; a unit treats
``min(capacity, demand of its catchment)``, every area of the catchment the same share.

Per unit: demand first seen (the demand of its catchment, the areas nearest to it),
activity, utilisation (activity / capacity), overflow in (patients from other catchments
treated here) and out (patients of its catchment treated elsewhere), and the waiting-list
change a year: the demand of its catchment that no unit treats (positive: the list grows).
Spare capacity (capacity - activity) is what could clear an existing list; with no list
given, the change cannot be negative.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hubplan.errors import InputError
from hubplan.kinds import Kind, KindResult, KindTable, Measure, Parameter

if TYPE_CHECKING:
    from hubplan.access.evaluate import Evaluation
    from hubplan.geography.network import Network
    from hubplan.services.service import Service

#: The capacity pairs: (blocks a week, cases per block, what a block is).
SURGICAL = ("sessions_per_week", "cases_per_session")
DIAGNOSTIC = ("scanner_hours_per_week", "tests_per_hour")
#: Kind parameters a numeric site column of the same name may give unit by unit.
PER_UNIT = (*SURGICAL, *DIAGNOSTIC)
#: Area columns whose sum is the population (when there is no ``population`` column).
POPULATION_BANDS = ("population_0_15", "population_16_59", "population_60_plus")
#: Patients below this count as none (floating-point dust from the allocation).
_DUST = 1e-9


@dataclass(frozen=True)
class Allocation:
    """Where every area's patients are treated.

    ``treated[j, i]``: patients a year of area ``i`` treated at unit ``j``; ``nearest[i]``:
    the unit nearest to area ``i`` (its catchment; -1 when no unit is reachable);
    ``untreated[i]``: patients a year of area ``i`` treated nowhere.
    """

    treated: np.ndarray
    nearest: np.ndarray
    untreated: np.ndarray


def _nearest(minutes: np.ndarray) -> np.ndarray:
    """Nearest unit per area (ties: the first unit), -1 where none is reachable."""
    nearest = np.argmin(minutes, axis=0)
    reachable = np.isfinite(minutes[nearest, np.arange(minutes.shape[1])])
    return np.where(reachable, nearest, -1)


def allocate(minutes: np.ndarray, demand: np.ndarray, capacity: np.ndarray, *, overflow: bool) -> Allocation:
    """Allocate patients to units (the rules of the module docstring).

    Parameters
    ----------
    minutes:
        ``(units, areas)`` minutes from each area to each unit (``inf``: no road).
    demand:
        Patients a year per area (>= 0).
    capacity:
        Patients a year each unit can treat (>= 0).
    overflow:
        True: nearest unit with spare capacity; False: the catchment of the nearest unit only.

    >>> a = allocate(np.array([[10.0, 20.0], [30.0, 25.0]]), np.array([6.0, 6.0]),
    ...              np.array([8.0, 8.0]), overflow=True)
    >>> a.treated.tolist()   # unit 1 fills with area 1 (6) and 2 of area 2; 4 go on to unit 2
    [[6.0, 2.0], [0.0, 4.0]]
    """
    minutes = np.asarray(minutes, dtype=np.float64)
    demand = np.asarray(demand, dtype=np.float64)
    capacity = np.asarray(capacity, dtype=np.float64)
    n_units, n_areas = minutes.shape
    nearest = _nearest(minutes) if n_units else np.full(n_areas, -1)
    treated = np.zeros((n_units, n_areas))
    if not overflow:
        has = nearest >= 0
        catchment = np.bincount(nearest[has], weights=demand[has], minlength=n_units)
        share = np.divide(capacity, catchment, out=np.ones(n_units), where=catchment > 0)
        share = np.minimum(share, 1.0)
        treated[nearest[has], np.flatnonzero(has)] = demand[has] * share[nearest[has]]
        return Allocation(treated, nearest, demand - treated.sum(axis=0))
    remaining = demand.copy()
    spare = capacity.copy()
    active = spare > _DUST
    live = np.flatnonzero(remaining > _DUST)
    while len(live) and active.any():
        sub = np.where(active[:, None], minutes[:, live], np.inf)
        target = np.argmin(sub, axis=0)
        t = sub[target, np.arange(len(live))]
        ok = np.isfinite(t)
        live, target, t = live[ok], target[ok], t[ok]
        if not len(live):
            break
        order = np.lexsort((target, live, t))  # by minutes, then area, then unit
        order = order[np.argsort(target[order], kind="stable")]  # grouped by unit, minutes order kept
        units_sorted, areas_sorted, t_sorted = target[order], live[order], t[order]
        need = remaining[areas_sorted]
        cum = np.cumsum(need)
        starts = np.flatnonzero(np.r_[True, units_sorted[1:] != units_sorted[:-1]])
        before = np.r_[0.0, cum][starts]  # cumulative sum before each unit's group
        group_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
        within = cum - before[group_of]
        exceeds = within > spare[units_sorted] + _DUST
        if not exceeds.any():
            treated[units_sorted, areas_sorted] += need
            remaining[areas_sorted] = 0.0
            break
        # the first unit to fill: smallest (minutes, area, unit) among each unit's first excess
        first: dict[int, int] = {}
        for position in np.flatnonzero(exceeds):
            first.setdefault(int(units_sorted[position]), int(position))
        j, k = min(first.items(), key=lambda uk: (t_sorted[uk[1]], areas_sorted[uk[1]], uk[0]))
        group = np.flatnonzero(units_sorted == j)
        full = group[group < k]
        treated[j, areas_sorted[full]] += need[full]
        remaining[areas_sorted[full]] = 0.0
        part = min(max(spare[j] - float(need[full].sum()), 0.0), float(need[k]))
        treated[j, areas_sorted[k]] += part
        remaining[areas_sorted[k]] -= part
        spare[j] = 0.0
        active[j] = False
        live = live[remaining[live] > _DUST]
    untreated = np.maximum(demand - treated.sum(axis=0), 0.0)
    return Allocation(treated, nearest, untreated)


def population(network: "Network") -> np.ndarray | None:
    """People per area: the ``population`` column, else the sum of the age bands, else None."""
    areas = network.areas
    if "population" in areas.columns:
        return areas["population"].to_numpy(dtype=np.float64)
    if all(c in areas.columns for c in POPULATION_BANDS):
        return areas[list(POPULATION_BANDS)].to_numpy(dtype=np.float64).sum(axis=1)
    return None


class ElectiveKind(Kind):
    name = "elective"
    title = "Elective and diagnostic throughput (capacity, activity, waiting-list change)"
    parameters = (
        Parameter("sessions_per_week", "theatre sessions a week per unit",
                  "surgical capacity: theatre sessions (lists) a week at each unit", 0, 1000, required=False),
        Parameter("cases_per_session", "cases per session",
                  "surgical capacity: operations per theatre session", 0, 100, required=False),
        Parameter("scanner_hours_per_week", "scanner hours a week per unit",
                  "diagnostic capacity: scanner (or room) hours a week at each unit", 0, 20000, required=False),
        Parameter("tests_per_hour", "tests per scanner hour",
                  "diagnostic capacity: tests, checks or scans per scanner hour", 0, 100, required=False),
        Parameter("weeks_per_year", "weeks a year", "weeks a year the units work", 1, 53),
        Parameter("utilisation_target", "fraction", "share of the sessions or hours used (e.g. 0.85)", 0, 1),
        Parameter("overflow", "1 = overflow, 0 = catchment",
                  "1: patients go to the nearest unit with spare capacity; 0: to their nearest unit only",
                  0, 1, integer=True),
    )
    site_columns = PER_UNIT

    # ------------------------------------------------------------------ capacity
    def _pair(self, service: "Service", network: "Network") -> tuple[str, str]:
        def given(name: str) -> bool:
            return service.parameters.get(name) is not None or name in network.sites.columns

        surgical, diagnostic = (any(given(n) for n in pair) for pair in (SURGICAL, DIAGNOSTIC))
        where = f"service {service.name!r} (kind 'elective')"
        if surgical == diagnostic:
            raise InputError(
                f"{where}: give either sessions_per_week and cases_per_session (surgical) or "
                f"scanner_hours_per_week and tests_per_hour (diagnostic), "
                + ("not both" if surgical else "got neither")
            )
        pair = SURGICAL if surgical else DIAGNOSTIC
        for name in pair:
            if not given(name):
                raise InputError(f"{where}: {pair[0]} and {pair[1]} go together; parameter {name!r} has no value")
        return pair

    def _per_unit(self, service: "Service", network: "Network", units: list[str], name: str) -> np.ndarray:
        """The value of ``name`` for each unit: the site column where the network has one."""
        if name not in network.sites.columns:
            return np.full(len(units), float(service.parameters[name]))
        column = pd.to_numeric(network.sites.loc[units, name], errors="coerce").to_numpy(dtype=np.float64)
        p = next(q for q in self.parameters if q.name == name)
        for code, value in zip(units, column):
            if not p.accepts(value):
                raise InputError(
                    f"site {code}, column {name!r}: expected {p.describe()} for a unit of the option, "
                    f"got {network.sites.at[code, name]!r}"
                )
        return column

    def capacity(self, service: "Service", network: "Network", units: list[str]) -> pd.DataFrame:
        """Per unit: the two capacity inputs, weeks, utilisation and patients a year it can treat."""
        blocks, per_block = self._pair(service, network)
        weeks = float(service.parameters["weeks_per_year"])
        utilisation = float(service.parameters["utilisation_target"])
        b = self._per_unit(service, network, units, blocks)
        c = self._per_unit(service, network, units, per_block)
        return pd.DataFrame({blocks: b, per_block: c, "capacity_per_year": b * c * weeks * utilisation},
                            index=pd.Index(units, name="site_code"))

    # ------------------------------------------------------------------ assess
    def assess(self, evaluation: "Evaluation", baseline: "Evaluation | None" = None) -> KindResult:
        ev = evaluation
        net, service, option = ev.network, ev.service, ev.option
        if option.spokes:
            raise InputError(
                f"option {option.name!r}: the elective kind has no spokes (every unit is a hub with its own "
                f"capacity); list {', '.join(option.spokes)} as hubs"
            )
        units = list(option.hubs)
        cap = self.capacity(service, net, units)
        capacity = cap["capacity_per_year"].to_numpy()
        positions = net.site_positions(units, "hub")
        minutes = net.minutes_by_site[positions].astype(np.float64)
        demand = ev.patients_per_year
        overflow = bool(int(service.parameters["overflow"]))
        alloc = allocate(minutes, demand, capacity, overflow=overflow)
        units_table = self._unit_table(net, units, cap, alloc, minutes, demand)
        measures = self._measures(service, net, alloc, minutes, demand, units_table, overflow)
        tables = [KindTable("units", "Capacity, activity and waiting-list change per unit", units_table,
                            notes=(self._capacity_note(service, net),))]
        notes = [self._allocation_note(overflow)]
        ics = self.ics_table(net, units, alloc, capacity, demand)
        if ics is not None:
            tables.append(KindTable("ics", "Capacity and activity per integrated care system (per 100,000 population)",
                                    ics, notes=(ICS_NOTE,)))
        else:
            notes.append("no per-ICS table: the network's areas have no 'icb' column")
        demand_def = service.demand_definition
        if demand_def.is_proxy:
            notes.append(f"demand is a PROXY: {demand_def.expression} ({demand_def.note})")
        return KindResult(kind=self.name, option=option.name, measures=measures, tables=tuple(tables),
                          notes=tuple(notes))

    def _unit_table(self, net: "Network", units: list[str], cap: pd.DataFrame, alloc: Allocation,
                    minutes: np.ndarray, demand: np.ndarray) -> pd.DataFrame:
        n_units = len(units)
        has = alloc.nearest >= 0
        first_seen = np.bincount(alloc.nearest[has], weights=demand[has], minlength=n_units)
        capacity = cap["capacity_per_year"].to_numpy()
        activity = np.minimum(alloc.treated.sum(axis=1), capacity)  # min(capacity, allocated)
        activity = np.where(np.isclose(activity, capacity, rtol=1e-12, atol=1e-9), capacity, activity)  # float dust
        own = np.zeros(n_units)
        out = np.zeros(n_units)
        for j in range(n_units):
            mine = alloc.nearest == j
            own[j] = alloc.treated[j, mine].sum()
            out[j] = alloc.treated[:, mine].sum() - own[j]
        waiting = np.bincount(alloc.nearest[has], weights=alloc.untreated[has], minlength=n_units)
        finite = np.where(np.isfinite(minutes), minutes, 0.0)
        treated_minutes = (alloc.treated * finite).sum(axis=1)
        table = pd.DataFrame({
            "site_code": units,
            "site_name": net.sites.loc[units, "site_name"].astype(str).to_numpy(),
            cap.columns[0]: cap.iloc[:, 0].to_numpy(),
            cap.columns[1]: cap.iloc[:, 1].to_numpy(),
            "capacity_per_year": capacity,
            "demand_first_seen_per_year": first_seen,
            "activity_per_year": activity,
            "utilisation": np.divide(activity, capacity, out=np.full(n_units, np.nan), where=capacity > 0),
            "overflow_in_per_year": np.maximum(activity - own, 0.0),
            "overflow_out_per_year": out,
            "waiting_list_change_per_year": waiting,
            "spare_capacity_per_year": _clean(capacity - activity),
            "mean_minutes_of_treated": np.divide(treated_minutes, activity, out=np.full(n_units, np.nan),
                                                 where=activity > _DUST),
        })
        if "icb" in net.sites.columns:
            table.insert(2, "icb", net.sites.loc[units, "icb"].astype(str).to_numpy())
        return table

    def _measures(self, service: "Service", net: "Network", alloc: Allocation, minutes: np.ndarray,
                  demand: np.ndarray, units: pd.DataFrame, overflow: bool) -> tuple[Measure, ...]:
        capacity_note = self._capacity_note(service, net)
        total_treated = float(alloc.treated.sum())
        finite = np.where(np.isfinite(minutes), minutes, 0.0)
        mean_minutes = float((alloc.treated * finite).sum() / total_treated) if total_treated > _DUST else None
        demand_note = _demand_note(service)
        rule = "nearest unit with spare capacity" if overflow else "nearest unit only (catchments, no overflow)"
        utilisation = units["utilisation"].dropna()
        measures = [
            Measure("demand_per_year", "Demand a year", "patients a year", float(demand.sum()), None, demand_note),
            Measure("capacity_per_year", "Capacity a year", "patients a year", float(units["capacity_per_year"].sum()),
                    None, capacity_note),
            Measure("activity_per_year", "Activity a year (patients treated)", "patients a year",
                    float(units["activity_per_year"].sum()),
                    "higher", f"min(capacity, patients allocated) per unit; allocation: {rule}; {capacity_note}"),
            Measure("unmet_demand_per_year", "Unmet demand a year (waiting-list growth)", "patients a year",
                    float(_clean(np.array([alloc.untreated.sum()]))[0]), "lower",
                    f"demand no unit treats: the waiting list grows by this much a year (no existing list or "
                    f"its clearance modelled); {demand_note}; {capacity_note}"),
            Measure("spare_capacity_per_year", "Spare capacity a year", "patients a year",
                    float(units["spare_capacity_per_year"].sum()), None,
                    "capacity not used by this demand: at most this much of an existing list could be cleared a year"),
            Measure("mean_minutes_to_treatment", "Mean minutes to the unit of treatment", "min", mean_minutes,
                    "lower", f"road minutes, weighted by patients treated; allocation: {rule}"),
        ]
        for threshold in service.thresholds_minutes:
            within = float((alloc.treated * (minutes <= threshold)).sum())
            measures.append(Measure(
                f"treated_within_{threshold:g}_min_share", f"Patients treated within {threshold:g} min",
                "fraction of patients treated", within / total_treated if total_treated > _DUST else None,
                "higher", f"share of the patients treated whose unit is within {threshold:g} road minutes"))
        measures += [
            Measure("utilisation_max", "Highest utilisation of a unit", "fraction of capacity",
                    float(utilisation.max()) if len(utilisation) else None, None, "activity / capacity"),
            Measure("utilisation_min", "Lowest utilisation of a unit", "fraction of capacity",
                    float(utilisation.min()) if len(utilisation) else None, None, "activity / capacity"),
        ]
        return tuple(measures)

    def _capacity_note(self, service: "Service", network: "Network") -> str:
        p = service.parameters
        blocks, per_block = self._pair(service, network)
        columns = [n for n in (blocks, per_block) if n in network.sites.columns]
        parts = []
        for name in (blocks, per_block, "weeks_per_year", "utilisation_target"):
            src = service.sources.get(name)
            value = "per unit (site column)" if name in columns else p.get(name)
            label = f"{name} = {value}"
            if src is not None and src.key:
                label += f" [{src.key}, {src.confidence or 'no grade'}]"
            parts.append(label)
        return f"capacity = {' x '.join(n for n in (blocks, per_block, 'weeks_per_year', 'utilisation_target'))}: " \
               + "; ".join(parts)

    @staticmethod
    def _allocation_note(overflow: bool) -> str:
        if overflow:
            return ("allocation: each unit takes the patients nearest to it until full; patients of a full unit go "
                    "to the next nearest unit with spare capacity; demand no unit can take is unmet")
        return ("allocation: catchments, no overflow: each area goes to its nearest unit only; a unit treats "
                "min(capacity, its catchment's demand), every area of the catchment the same share")

    @staticmethod
    def ics_table(net: "Network", units: list[str], alloc: Allocation, capacity: np.ndarray,
                  demand: np.ndarray) -> pd.DataFrame | None:
        """Per ICS (the areas' ``icb``): population, demand of residents, units, capacity and
        activity at the units in the ICS, residents treated anywhere, waiting-list change, and
        the figures per 100,000 population (``None`` when the areas have no population)."""
        if "icb" not in net.areas.columns:
            return None
        area_icb = net.areas["icb"].fillna("(none)").astype(str).to_numpy()
        unit_icb = _unit_icb(net, units, area_icb)
        people = population(net)
        residents_treated = alloc.treated.sum(axis=0)
        activity = alloc.treated.sum(axis=1)
        rows: list[dict[str, Any]] = []
        for name in sorted(set(area_icb) | set(unit_icb)):
            mine = area_icb == name
            here = unit_icb == name
            pop = float(people[mine].sum()) if people is not None else None
            cap, act = float(capacity[here].sum()), float(activity[here].sum())
            treated = float(residents_treated[mine].sum())

            def per_100k(x: float) -> float | None:
                return x / pop * 100_000 if pop else None

            rows.append({
                "icb": name, "population": pop, "demand_per_year": float(demand[mine].sum()),
                "units": int(here.sum()), "capacity_per_year": cap, "activity_per_year": act,
                "utilisation": (1.0 if np.isclose(act, cap, rtol=1e-12) else act / cap) if cap > 0 else None,
                "residents_treated_per_year": treated,
                "waiting_list_change_per_year": float(alloc.untreated[mine].sum()),
                "demand_per_100k": per_100k(float(demand[mine].sum())),
                "capacity_per_100k": per_100k(cap),
                "activity_per_100k": per_100k(treated),
            })
        return pd.DataFrame(rows)


#: What the per-ICS table's columns mean.
ICS_NOTE = (
    "population, demand, residents treated and waiting-list change are of the people living in the ICS; units, "
    "capacity, activity and utilisation are of the units located in it (a unit's ICS: the site's 'icb', else "
    "the ICS of its nearest area); capacity_per_100k = capacity of its units / its population; "
    "activity_per_100k = its residents treated anywhere / its population"
)


def _clean(values: np.ndarray) -> np.ndarray:
    """Floating-point dust (below a millionth of a patient) as 0."""
    return np.where(np.abs(values) < 1e-6, 0.0, values)


def _unit_icb(net: "Network", units: list[str], area_icb: np.ndarray) -> np.ndarray:
    if "icb" in net.sites.columns:
        return net.sites.loc[units, "icb"].fillna("(none)").astype(str).to_numpy()
    positions = net.site_positions(units, "hub")
    return np.array([area_icb[int(np.argmin(net.minutes_by_site[p]))] for p in positions], dtype=object)


def _demand_note(service: "Service") -> str:
    d = service.demand_definition
    text = f"demand = {d.expression}"
    if d.source:
        text += f" [{d.source}, {d.confidence or 'no grade'}]"
    if d.is_proxy:
        text += " (PROXY)"
    return text


KIND = ElectiveKind()
