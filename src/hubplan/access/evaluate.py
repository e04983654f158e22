"""Evaluation: what an option does to every area, site and region, and comparisons.

>>> from hubplan.testing import tiny_network
>>> from hubplan import Option, Service, evaluate
>>> net = tiny_network()
>>> ev = evaluate(net, Service(name="demo"), Option(name="A", hubs=("H1",)))
>>> round(ev.summary["time_to_hub"]["mean"], 2)
20.0
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hubplan.access.equity import GAPS, area_groupings, equity_breakdown, equity_frame
from hubplan.errors import InputError
from hubplan.geography.codes import CODED_REGION_TYPES, region_codes
from hubplan.jsonable import to_jsonable
from hubplan.geography.network import MINUTES_SOURCES, Network
from hubplan.services.options import Option, Pathway
from hubplan.outcomes import AreaOutcomes, OutcomeModel, no_outcome_summary, outcome_model, outcome_summary
from hubplan.services.pathways import (
    ROUTE_NAMES,
    ROUTE_TRANSFER,
    Routes,
    add_helicopter,
    route_direct,
    route_treat_and_transfer,
)
from hubplan.services import Service
from hubplan.stats import grouped_summary, weighted_summary

if TYPE_CHECKING:
    import geopandas as gpd

#: Changes smaller than this (minutes) count as unchanged in comparisons.
CHANGE_TOLERANCE_MINUTES = 1e-4
#: Thresholds for "longer by more than" counts in comparisons.
LONGER_BY_MINUTES = (5.0, 15.0, 30.0)



#: What an evaluation reads from its network's areas that does not depend on the option:
#: each region type's labels and the equity groupings. A network's tables do not change once
#: built, so they are read once per network, not once per evaluation (the planner's server
#: evaluates the same national network on every click).
_AREA_READS: "weakref.WeakKeyDictionary[Network, dict[Any, Any]]" = weakref.WeakKeyDictionary()
_AREA_READS_LOCK = threading.Lock()


def _read_once(network: Network, key: Any, read: Any) -> Any:
    with _AREA_READS_LOCK:
        cached = _AREA_READS.setdefault(network, {})
        if key in cached:
            return cached[key]
    value = read()
    with _AREA_READS_LOCK:
        return _AREA_READS[network].setdefault(key, value)


def network_groupings(network: Network) -> tuple[tuple[Any, ...], tuple[str, ...]]:
    """:func:`~hubplan.access.equity.area_groupings` of a network's areas, read once per network."""
    return _read_once(network, "groupings", lambda: area_groupings(network.areas))  # type: ignore[no-any-return]


def network_demand(network: Network, service: Service) -> np.ndarray:
    """The service's patients a year per area of the network (read only), worked out once
    per network and demand expression: the values depend on nothing else."""
    def read() -> np.ndarray:
        values = service.demand_values(network)
        values.setflags(write=False)
        return values

    return _read_once(network, ("demand", service.demand_definition.expression), read)  # type: ignore[no-any-return]


def region_labels(network: Network, by: str) -> tuple[np.ndarray, np.ndarray]:
    """Each area's position among the sorted names of its ``by`` regions, and those names
    (``"(none)"`` for an area without one, every area when the areas have no such column),
    read once per network."""
    def read() -> tuple[np.ndarray, np.ndarray]:
        if by not in network.areas.columns:
            return np.zeros(network.n_areas, dtype=np.intp), np.array(["(none)"], dtype=object)
        labels = network.areas[by].fillna("(none)").astype(str).to_numpy()
        codes, names = pd.factorize(labels, sort=True)
        codes.setflags(write=False)
        return codes, np.asarray(names)

    return _read_once(network, ("regions", by), read)  # type: ignore[no-any-return]


@dataclass(frozen=True, eq=False)
class Evaluation:
    """What an option does. Tables are built on first use and then kept.

    Attributes
    ----------
    summary:
        The JSON-contract summary: patients, time_to_first S, time_to_hub S, sites, hubs,
        plus spokes, hub_patients, transfers_per_year and patients_by_route.
    """

    network: Network
    service: Service
    option: Option
    routes: Routes
    patients_per_year: np.ndarray
    hub_positions: np.ndarray
    spoke_positions: np.ndarray
    transfer_delay_minutes: float
    summary: dict[str, Any] = field(default_factory=dict)
    #: Per area, per admission outcomes (``None`` when the service has no outcome model).
    outcome_values: AreaOutcomes | None = None
    outcome_model: OutcomeModel | None = None

    # ------------------------------------------------------------------ tables
    @cached_property
    def areas(self) -> pd.DataFrame:
        """One row per area: patients, first site, hub, minutes to each, route."""
        codes = self.network.sites.index.to_numpy()
        r = self.routes
        table = pd.DataFrame(
            {
                "area_name": self.network.areas["area_name"].to_numpy(),
                "patients_per_year": self.patients_per_year,
                "first_site_code": codes[r.first_site],
                "hub_site_code": codes[r.hub_site],
                "time_to_first_minutes": r.time_to_first,
                "time_to_hub_minutes": r.time_to_hub,
                "route": ROUTE_NAMES[r.route],
            },
            index=self.network.areas.index,
        )
        for col in self.network.region_types:
            table[col] = self.network.areas[col].to_numpy()
            if col in CODED_REGION_TYPES and col != "country":
                table[f"{col}_code"] = region_codes(self.network.areas, col)
        o = self.outcome_values
        if o is not None:
            for name, values in o.columns.items():
                table[name] = values
            table["good_outcomes_per_year"] = self.patients_per_year * o.good
            table["added_good_outcomes_per_year"] = self.patients_per_year * o.added_good
            if o.added_utility is not None:
                table["added_utility_per_year"] = self.patients_per_year * o.added_utility
        return table

    @cached_property
    def sites(self) -> pd.DataFrame:
        """One row per site: role and activity per year (see docs/ARCHITECTURE.md)."""
        net, r = self.network, self.routes
        n = net.n_sites
        share = float(self.service.hub_share)
        first_seen = np.bincount(r.first_site, weights=self.patients_per_year, minlength=n)
        catchment = np.bincount(r.hub_site, weights=self.patients_per_year, minlength=n)
        role = np.full(n, "closed", dtype=object)
        role[self.spoke_positions] = "spoke"
        role[self.hub_positions] = "hub"
        is_hub = role == "hub"
        # patients first seen at a spoke who need the hub are transferred to its hub
        transferred_pat = self.patients_per_year * (r.route == 2)
        transfers_out = share * np.bincount(r.first_site, weights=transferred_pat, minlength=n)
        transferred_in = share * np.bincount(r.hub_site, weights=transferred_pat, minlength=n)
        hub_direct = np.where(is_hub, share * first_seen, 0.0)
        table = pd.DataFrame(
            {
                "site_name": net.sites["site_name"].to_numpy(),
                "role": role,
                "patients_first_seen": first_seen,
                "hub_patients_direct": hub_direct,
                "hub_patients_transferred_in": transferred_in,
                "hub_patients": hub_direct + transferred_in,
                "transfers_out": transfers_out,
                "admissions": first_seen + transferred_in,
                "catchment_patients": np.where(is_hub, catchment, 0.0),
            },
            index=net.sites.index,
        )
        for col in net.region_types:
            if col in net.sites.columns:
                table[col] = net.sites[col].to_numpy()
                if col in CODED_REGION_TYPES and col != "country":
                    table[f"{col}_code"] = region_codes(net.sites, col)
        if "ods_code" in net.sites.columns:
            table.insert(1, "ods_code", net.sites["ods_code"].to_numpy())
        table["minutes_source"] = net.minutes_source.to_numpy()
        o = self.outcome_values
        if o is not None:  # outcomes of the patients whose hub each site is
            table["added_good_outcomes_per_year"] = np.where(
                is_hub, np.bincount(r.hub_site, weights=self.patients_per_year * o.added_good, minlength=n), 0.0)
        return table

    @property
    def estimated_sites(self) -> list[str]:
        """Codes of this option's hubs and spokes whose road minutes are estimated."""
        return estimated_sites(self.network, np.concatenate([self.hub_positions, self.spoke_positions]))

    def travel_times_json(self) -> dict[str, Any]:
        """Where the option's minutes come from, and how accurate estimated ones are."""
        return travel_times_json(self.network, np.concatenate([self.hub_positions, self.spoke_positions]))

    def regions(self, by: str = "icb") -> pd.DataFrame:
        """Demand-weighted statistics per region of type ``by`` (one row per region)."""
        rows = []
        for item in self.regions_json(by):
            row = {"region_type": item["region_type"], "region": item["region"], "region_code": item["region_code"],
                   "patients": item["patients"]}
            for which in ("time_to_first", "time_to_hub"):
                s = item[which]
                for stat in ("mean", "median", "p90", "max"):
                    row[f"{which}_{stat}"] = s[stat]
                for t, share in s["within"].items():
                    row[f"{which}_within_{t}"] = share
            rows.append(row)
        return pd.DataFrame(rows)

    def regions_json(self, by: str = "icb") -> list[dict[str, Any]]:
        """Per-region statistics as JSON-ready dicts."""
        self.network.check_region_type(by)
        codes, names = region_labels(self.network, by)
        thresholds = self.service.thresholds_minutes
        w = self.patients_per_year
        first = grouped_summary(self.routes.time_to_first, w, codes, len(names), thresholds)
        hub = grouped_summary(self.routes.time_to_hub, w, codes, len(names), thresholds)
        totals = np.bincount(codes, weights=w, minlength=len(names))
        ons = region_codes(self.network.areas, by, names)
        return [
            {"region_type": by, "region": str(name), "region_code": ons[i], "patients": float(totals[i]),
             "time_to_first": first[i], "time_to_hub": hub[i]}
            for i, name in enumerate(names)
        ]

    @cached_property
    def _equity(self) -> dict[str, Any]:
        return equity_breakdown(self.network.areas, self.routes.time_to_first, self.routes.time_to_hub,
                                self.patients_per_year, self.service.thresholds_minutes,
                                groupings=network_groupings(self.network))

    def equity_json(self) -> dict[str, Any]:
        """Access by deprivation and rurality (docs/equity.md), JSON-ready (``null``, not NaN):
        ``{"groups": [...], "gaps": {...}, "notes": [...]}`` (see
        :func:`hubplan.access.equity.equity_breakdown`)."""
        return self._equity

    def equity(self) -> pd.DataFrame:
        """Access by deprivation and rurality, one row per group of each grouping present
        (IMD quintile, Core20 or not, WIMD quintile, rural-urban): ``grouping, group, label,
        areas, patients, time_to_first_mean, ..., time_to_hub_within_<T>``. Empty (no rows)
        when the network's areas have no such columns; :meth:`equity_json` says why."""
        return equity_frame(self._equity["groups"])

    def to_geodataframe(self) -> "gpd.GeoDataFrame":
        """:attr:`areas` with each area's outline as a geometry in British National Grid
        (EPSG:27700): the bundled 2011 LSOA boundaries, or points at the areas' centres for a
        network without them (:func:`hubplan.geography.outlines.areas_geodataframe`)."""
        from hubplan.geography.outlines import areas_geodataframe

        return areas_geodataframe(self.network, self.areas)

    def sites_geodataframe(self) -> "gpd.GeoDataFrame":
        """:attr:`sites` with each site as a point in British National Grid (EPSG:27700)."""
        from hubplan.geography.outlines import sites_geodataframe

        return sites_geodataframe(self.network, self.sites)

    def to_json(self, by: str = "icb") -> dict[str, Any]:
        """The ``hubplan evaluate --format json`` object (the contract in docs/json.md)."""
        option = self.option.describe()
        option["transfer_delay_minutes"] = self.transfer_delay_minutes
        option["service"] = self.service.name
        sites = self.sites.reset_index()
        sites = sites[sites["role"] != "closed"]
        return {
            "option": option,
            "summary": self.summary,
            "travel_times": self.travel_times_json(),
            "sites": sites.to_dict(orient="records"),
            "regions": self.regions_json(by),
            "equity": self.equity_json(),
            "outcomes": self.outcomes_json(by),
        }

    def outcomes_json(self, by: str = "icb") -> dict[str, Any]:
        """The summary's ``outcomes`` with breakdowns: ``by_region`` (regions of type ``by``),
        ``by_group`` (the equity groupings: IMD quintile, Core20, rural-urban) and ``by_site``
        (each hub's catchment); no breakdowns without an outcome model."""
        head = dict(self.summary["outcomes"])
        o = self.outcome_values
        if o is None:
            return {**head, "by_region": [], "by_group": [], "by_site": []}
        w = self.patients_per_year
        parts = {"good_outcomes_per_year": w * o.good, "added_good_outcomes_per_year": w * o.added_good}
        if o.added_utility is not None:
            parts["added_utility_per_year"] = w * o.added_utility

        def rows(codes: np.ndarray, names: Any, extra: dict[str, Any]) -> list[dict[str, Any]]:
            ok = codes >= 0  # areas outside every group of a grouping (e.g. Wales for IMD) are left out
            sums = {k: np.bincount(codes[ok], weights=v[ok], minlength=len(names)) for k, v in parts.items()}
            patients = np.bincount(codes[ok], weights=w[ok], minlength=len(names))
            return [{**extra, "group" if "grouping" in extra else "region": str(name), "patients": float(patients[i]),
                     **{k: float(v[i]) for k, v in sums.items()}} for i, name in enumerate(names)]

        by_type = by in self.network.region_types or not self.network.region_types
        if by_type:
            codes, names = region_labels(self.network, by)
        else:
            codes, names = np.zeros(self.network.n_areas, dtype=np.intp), np.array(["(all)"])
        by_region = rows(codes, names, {"region_type": by})
        if by_type:
            for row, code in zip(by_region, region_codes(self.network.areas, by, names)):
                row["region_code"] = code
        groupings, _ = network_groupings(self.network)
        by_group: list[dict[str, Any]] = []
        for g in groupings:
            for row, label in zip(rows(g.codes, g.spec.groups, {"grouping": g.name}), g.spec.labels):
                row["label"] = label
                by_group.append(row)
        sites = self.sites
        by_site = [{"site_code": str(code), "site_name": str(row["site_name"]),
                    "added_good_outcomes_per_year": float(row["added_good_outcomes_per_year"])}
                   for code, row in sites[sites["role"] == "hub"].iterrows()]
        return to_jsonable({**head, "by_region": by_region, "by_group": by_group, "by_site": by_site})


def _added_minutes_gap(network: Network, a: int, b: int) -> str | None:
    """What is missing when the minutes between sites ``a`` and ``b`` are unknown because
    one of them is a new site with the user's own minutes (``--add-times``): its minutes
    to another site are its minutes from the area where that site is, so the user's file
    lacks that row. ``None`` when neither site is such a site."""
    added = network.sites.attrs.get("added_minutes", {})
    codes = network.site_codes
    for new, other in ((b, a), (a, b)):
        code = str(codes[new])
        if code not in added:
            continue
        area = _site_area(network, other)
        if area is not None and not np.isfinite(network.area_site_minutes[area, new]):
            area_code = network.areas.index[area]
            return (f"{added[code]}: no minutes from area {area_code} (where site {codes[other]} is) to new "
                    f"site '{code}', which hubplan takes as the minutes between the two sites")
    return None


def _site_area(network: Network, site: int) -> int | None:
    """The area standing in for a site when other sites are timed to it (see
    :func:`hubplan.geography.new_sites.add_sites`)."""
    from hubplan.geography.new_sites import _nearest_areas

    code = str(network.site_codes[site])
    given = network.sites.attrs.get("site_areas", {}).get(code)
    if given is not None:
        return int(network.areas.index.get_loc(given)) if given in network.areas.index else None
    row = network.sites.iloc[site]
    lat, lon = row.get("latitude"), row.get("longitude")
    if lat is None or lon is None or not np.isfinite(lat) or not np.isfinite(lon):
        return None
    return int(_nearest_areas(network, np.array([float(lat)]), np.array([float(lon)]))[0])


def _stranded_message(network: Network, option: Option, routes: Routes, stranded: np.ndarray) -> str:
    """Why areas cannot reach a hub: a spoke-to-hub time missing from site_times.csv, or none
    of the option's hubs in travel_times.csv for the area (named where the files are known)."""
    files = network.areas.attrs.get("files", {})
    code = network.areas.index[stranded[0]]
    sites = network.site_codes
    if network.site_site_minutes is not None:
        first, hub = routes.first_site[stranded], routes.hub_site[stranded]
        leg = network.site_site_minutes[first, hub] if len(routes.spoke_hub) else np.zeros(len(first))
        missing = np.flatnonzero(~np.isfinite(leg) & (first != hub))
        if len(missing):
            i = int(missing[0])
            area = network.areas.index[stranded[i]]
            pairs = len({(int(a), int(b)) for a, b in zip(first[missing], hub[missing])})
            source = files.get("site_times", "the network's site-to-site minutes")
            spoke, to = sites[first[i]], sites[hub[i]]
            added = _added_minutes_gap(network, int(first[i]), int(hub[i]))
            if added is not None:
                return (
                    f"{added}, so patients first seen at spoke {spoke} (e.g. from area {area}) cannot be "
                    f"transferred to hub {to} of option {option.name!r}; add that row ({pairs} "
                    f"pair{'s' if pairs > 1 else ''} of sites missing)"
                )
            return (
                f"{source}: no minutes for from_site '{spoke}', to_site '{to}': patients first seen at spoke "
                f"{spoke} (e.g. from area {area}) cannot be transferred to hub {to} of option "
                f"{option.name!r}; add them ({pairs} such pair{'s' if pairs > 1 else ''} missing)"
            )
    source = files.get("travel_times")
    added = network.sites.attrs.get("added_minutes", {})
    by_file: dict[str, list[str]] = {}
    for hub in option.hubs:
        if hub in added:
            by_file.setdefault(added[hub], []).append(hub)
    missing_in = [f"{label} has no row from {code} to {', '.join(hubs)}" for label, hubs in by_file.items()]
    others = len(option.hubs) > sum(len(h) for h in by_file.values())
    if source and others:
        missing_in.append(f"{source} has no row from {code} to any of its {'other ' if by_file else ''}hubs")
    where = f" ({'; '.join(missing_in)})" if missing_in else ""
    return (
        f"{len(stranded)} area{'s' if len(stranded) != 1 else ''} with patients cannot reach any hub of option "
        f"{option.name!r} by road, e.g. {code}{where}"
    )


def estimated_sites(network: Network, positions: "np.ndarray | list[int]") -> list[str]:
    """Codes of the sites at ``positions`` whose road minutes are estimated, in network order."""
    source = network.minutes_source.to_numpy()
    used = np.unique(np.asarray(positions, dtype=np.intp))
    return [network.site_codes[i] for i in used if source[i] == "estimated"]


def travel_times_json(network: Network, positions: "np.ndarray | list[int]") -> dict[str, Any]:
    """Where the minutes of the sites at ``positions`` come from, and how accurate estimated
    ones are (the ``travel_times`` object of docs/json.md)."""
    used = np.unique(np.asarray(positions, dtype=np.intp))
    source = network.minutes_source.to_numpy()[used]
    accuracy = network.travel_time_accuracy
    estimated = estimated_sites(network, used)
    return {
        "sources": {name: int((source == name).sum()) for name in MINUTES_SOURCES},
        "estimated_sites": estimated,
        "accuracy": accuracy.to_json() if estimated and accuracy is not None else None,
        "note": accuracy.describe() if estimated and accuracy is not None else None,
        "cautions": minutes_cautions(network, estimated),
    }


def minutes_cautions(network: Network, codes: "list[str]") -> list[str]:
    """Cautions about the estimated minutes of the sites ``codes`` (a site far from every
    area, such as on an island; see :func:`hubplan.geography.new_sites.add_sites`)."""
    cautions = network.sites.attrs.get("minutes_cautions", {})
    return [cautions[c] for c in codes if c in cautions]


def evaluate(network: Network, service: Service, option: Option) -> Evaluation:
    """Evaluate an option for a service on a network (the pathway rules of docs/pathways.md).

    Raises
    ------
    InputError
        Unknown site codes, treat-and-transfer without site-to-site minutes, or areas
        with patients that cannot reach any hub.
    """
    hubs = network.site_positions(option.hubs, "hub")
    spokes = network.site_positions(option.spokes, "spoke")
    demand = network_demand(network, service)
    delay = float(
        service.transfer_delay_minutes
        if option.transfer_delay_minutes is None
        else option.transfer_delay_minutes
    )
    minutes = network.minutes_by_site
    if option.pathway is Pathway.TREAT_AND_TRANSFER and len(spokes):
        if network.site_site_minutes is None:
            raise InputError(
                "treat_and_transfer needs site-to-site minutes: give site_times.csv with the network"
            )
        assigned = None
        if option.assignment:
            assigned = np.full(len(spokes), -1, dtype=np.intp)
            spoke_index = {code: i for i, code in enumerate(option.spokes)}
            for spoke_code, hub_code in option.assignment.items():
                assigned[spoke_index[spoke_code]] = network.site_positions([hub_code], "hub")[0]
        routes = route_treat_and_transfer(
            minutes,
            network.site_site_minutes,
            hubs,
            spokes,
            bypass_minutes=option.bypass_minutes,
            transfer_delay_minutes=delay,
            assigned=assigned,
        )
    else:
        routes = route_direct(minutes, hubs)
    if option.helicopter is not None:
        h = option.helicopter
        routes = add_helicopter(
            routes,
            network.areas["latitude"].to_numpy(),
            network.areas["longitude"].to_numpy(),
            network.sites["latitude"].to_numpy(),
            network.sites["longitude"].to_numpy(),
            hubs,
            threshold_minutes=h.threshold_minutes,
            dispatch_minutes=h.dispatch_minutes,
            speed_kmh=h.speed_kmh,
            handover_minutes=h.handover_minutes,
        )
    stranded = np.flatnonzero(~np.isfinite(routes.time_to_hub) & (demand > 0))
    if len(stranded):
        raise InputError(_stranded_message(network, option, routes, stranded))
    thresholds = service.thresholds_minutes
    route_counts = np.bincount(routes.route, weights=demand, minlength=len(ROUTE_NAMES))
    transferred = float(route_counts[2])
    to_hub = weighted_summary(routes.time_to_hub, demand, thresholds)
    same = routes.time_to_first is routes.time_to_hub or np.array_equal(routes.time_to_first, routes.time_to_hub)
    summary = {
        "patients": float(demand.sum()),
        "time_to_first": dict(to_hub) if same else weighted_summary(routes.time_to_first, demand, thresholds),
        "time_to_hub": to_hub,
        "sites": int(len(hubs) + len(spokes)),
        "hubs": int(len(hubs)),
        "spokes": int(len(spokes)),
        "hub_patients": float(demand.sum() * service.hub_share),
        "transfers_per_year": transferred * float(service.hub_share),
        "patients_by_route": {str(n): float(c) for n, c in zip(ROUTE_NAMES, route_counts)},
        "demand": service.demand_definition.to_json(network),
    }
    model = outcome_model(service)
    values = None
    if model is not None:
        values = model.per_admission_routed(minutes, routes.hub_site, routes.time_to_first, routes.time_to_hub,
                                            routes.route == ROUTE_TRANSFER)
        summary["outcomes"] = outcome_summary(model, values, demand)
    else:
        summary["outcomes"] = no_outcome_summary(service)
    return Evaluation(
        network=network,
        service=service,
        option=option,
        routes=routes,
        patients_per_year=demand,
        hub_positions=hubs,
        spoke_positions=spokes,
        transfer_delay_minutes=delay,
        summary=summary,
        outcome_values=values,
        outcome_model=model,
    )


# --------------------------------------------------------------------------- compare
@dataclass(frozen=True, eq=False)
class Comparison:
    """How option ``b`` changes times against option ``a`` (b minus a, minutes)."""

    a: Evaluation
    b: Evaluation
    summary: dict[str, Any]

    @cached_property
    def areas(self) -> pd.DataFrame:
        """Per area: patients, time to hub and to first under a and b, and the change."""
        a, b = self.a, self.b
        table = pd.DataFrame(
            {
                "area_name": a.network.areas["area_name"].to_numpy(),
                "patients_per_year": a.patients_per_year,
                "time_to_hub_a": a.routes.time_to_hub,
                "time_to_hub_b": b.routes.time_to_hub,
                "change_time_to_hub": b.routes.time_to_hub - a.routes.time_to_hub,
                "time_to_first_a": a.routes.time_to_first,
                "time_to_first_b": b.routes.time_to_first,
                "change_time_to_first": b.routes.time_to_first - a.routes.time_to_first,
            },
            index=a.network.areas.index,
        )
        for col in a.network.region_types:
            table[col] = a.network.areas[col].to_numpy()
            if col in CODED_REGION_TYPES and col != "country":
                table[f"{col}_code"] = region_codes(a.network.areas, col)
        return table

    def regions(self, by: str = "icb") -> pd.DataFrame:
        """The comparison summary for each region of type ``by``."""
        self.a.network.check_region_type(by)
        codes, names = region_labels(self.a.network, by)
        change = self.b.routes.time_to_hub - self.a.routes.time_to_hub
        ons = region_codes(self.a.network.areas, by, names)
        rows = []
        for g, name in enumerate(names):
            mask = codes == g
            row: dict[str, Any] = {"region_type": by, "region": str(name), "region_code": ons[g]}
            row.update(_change_summary(change[mask], self.a.patients_per_year[mask]))
            row["mean_time_to_hub_a"] = _mean(self.a.routes.time_to_hub[mask], self.a.patients_per_year[mask])
            row["mean_time_to_hub_b"] = _mean(self.b.routes.time_to_hub[mask], self.a.patients_per_year[mask])
            rows.append(row)
        return pd.DataFrame(rows)

    @cached_property
    def _equity_rows(self) -> list[dict[str, Any]]:
        a, b = self.a, self.b
        groupings, _ = network_groupings(a.network)
        w = a.patients_per_year
        change = b.routes.time_to_hub - a.routes.time_to_hub
        rows = []
        for g in groupings:
            for i, (key, label) in enumerate(zip(g.spec.groups, g.spec.labels)):
                mask = g.codes == i
                row: dict[str, Any] = {"grouping": g.name, "group": key, "label": label}
                row.update(_change_summary(change[mask], w[mask]))
                row["mean_time_to_hub_a"] = _mean(a.routes.time_to_hub[mask], w[mask])
                row["mean_time_to_hub_b"] = _mean(b.routes.time_to_hub[mask], w[mask])
                rows.append(row)
        return rows

    @cached_property
    def _equity(self) -> dict[str, Any]:
        a, b = self.a, self.b
        gaps_a, gaps_b = a.equity_json()["gaps"], b.equity_json()["gaps"]
        gaps = {
            key: {"a": gaps_a[key], "b": gaps_b[key],
                  "change": None if gaps_a[key] is None or gaps_b[key] is None else gaps_b[key] - gaps_a[key]}
            for key in GAPS
        }
        return to_jsonable({"groups": self._equity_rows, "gaps": gaps, "notes": a.equity_json()["notes"]})

    def equity(self) -> pd.DataFrame:
        """Who gains and who loses in each equity group (docs/equity.md): per group, the
        columns of :meth:`regions` (patients with a longer / shorter journey to hub, mean
        change in minutes, ...) and the group's mean minutes to hub under a and b."""
        rows = self._equity_rows
        return pd.DataFrame(rows) if rows else pd.DataFrame(columns=["grouping", "group", "label"])

    def equity_json(self) -> dict[str, Any]:
        """:meth:`equity` as JSON: ``{"groups": [...], "gaps": {key: {"a", "b", "change"}},
        "notes": [...]}`` (``null``, not NaN)."""
        return self._equity

    def to_json(self, by: str = "icb") -> dict[str, Any]:
        regions = self.regions(by).to_dict(orient="records")
        return {
            "a": self.a.option.name,
            "b": self.b.option.name,
            "summary": self.summary,
            "regions": regions,
            "equity": self.equity_json(),
            "outcomes": self.summary["outcomes"],
        }


def _mean(values: np.ndarray, weights: np.ndarray) -> float:
    total = weights.sum()
    return float(np.dot(values, weights) / total) if total > 0 else float("nan")


def _change_summary(change: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    longer = change > CHANGE_TOLERANCE_MINUTES
    shorter = change < -CHANGE_TOLERANCE_MINUTES
    w_long, w_short = weights[longer], weights[shorter]
    out = {
        "patients": float(weights.sum()),
        "patients_longer": float(w_long.sum()),
        "patients_shorter": float(w_short.sum()),
        "patients_unchanged": float(weights[~longer & ~shorter].sum()),
        "mean_change_minutes": _mean(change, weights),
        "mean_increase_if_longer": _mean(change[longer], w_long),
        "mean_decrease_if_shorter": _mean(-change[shorter], w_short),
        "max_increase_minutes": float(change[longer & (weights > 0)].max()) if (longer & (weights > 0)).any() else 0.0,
        "max_decrease_minutes": float(-change[shorter & (weights > 0)].min()) if (shorter & (weights > 0)).any() else 0.0,
    }
    for t in LONGER_BY_MINUTES:
        out[f"patients_longer_by_more_than_{int(t)}"] = float(weights[change > t + CHANGE_TOLERANCE_MINUTES].sum())
    return out


def compare(a: Evaluation, b: Evaluation) -> Comparison:
    """Compare two evaluations of the same network: who gains and who loses under ``b``.

    Counts are patients per year (demand-weighted); a change within
    ``CHANGE_TOLERANCE_MINUTES`` counts as unchanged.
    """
    if a.network is not b.network and (
        a.network.n_areas != b.network.n_areas
        or not a.network.areas.index.equals(b.network.areas.index)
    ):
        raise InputError("compare needs two evaluations of the same network (same areas)")
    if not np.array_equal(a.patients_per_year, b.patients_per_year):
        raise InputError("compare needs the same demand under both options (same service)")
    change = b.routes.time_to_hub - a.routes.time_to_hub
    summary: dict[str, Any] = dict(_change_summary(change, a.patients_per_year))
    summary["time_to_hub_a"] = a.summary["time_to_hub"]
    summary["time_to_hub_b"] = b.summary["time_to_hub"]
    summary["outcomes"] = outcome_change(a.summary["outcomes"], b.summary["outcomes"])
    return Comparison(a=a, b=b, summary=summary)


OUTCOME_FIGURES = ("good_outcomes_per_year", "added_good_outcomes_per_year", "added_utility_per_year")


def outcome_change(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Outcomes under ``a`` and ``b`` and the change (b minus a; ``None`` where unknown)."""
    change = {k: (None if a.get(k) is None or b.get(k) is None else float(b[k]) - float(a[k])) for k in OUTCOME_FIGURES}
    return {"measure": b.get("measure"), "baseline": b.get("baseline"), "source": b.get("source"),
            "a": {k: a.get(k) for k in OUTCOME_FIGURES}, "b": {k: b.get(k) for k in OUTCOME_FIGURES},
            "change": change, "notes": list(b.get("notes") or [])}
