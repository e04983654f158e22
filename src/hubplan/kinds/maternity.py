"""Maternity: births, obstetric and midwife-led units, transfers in labour (``docs/maternity.md``).

An option's hubs are **obstetric units** (OU) and its spokes **freestanding midwife-led
units** (FMU). An OU site whose ``alongside_mlu`` capability is set (a column of
``network.sites``; ``1/0`` in a sites or new-sites CSV) also has an **alongside midwife-led
unit** (AMU). Demand is expected births a year per area (the bundled ``births`` column).

Where labour care starts (the Birthplace in England "planned place of birth"):

- a share ``fmu_uptake`` of the births of an area start at the **nearest open unit** (for
  areas whose nearest unit is an FMU, that FMU; otherwise the nearest OU), the rest
  (``1 - fmu_uptake``) at the **nearest OU** (the option evaluated again without spokes);
- of the births starting at an OU site with an AMU, a share ``amu_uptake`` start in the AMU.

Transfers in labour (or soon after birth) to an OU happen at a rate by parity and unit type,
``nulliparous_share x rate_nulliparous + (1 - nulliparous_share) x rate_multiparous``; an
FMU's transfers go by road to the OU it transfers to (``network.site_site_minutes``, the
engine's spoke-to-hub choice), an AMU's stay in the building (0 road minutes).

Against a baseline (today's option), each area's births are followed in two groups, those
who start at the nearest open unit and those who start at the nearest OU: a woman travels
further in labour when the minutes to the unit where her labour care starts rise by more
than :data:`FURTHER_MINUTES`.

Per unit: births (women starting labour care there) a year, transfers out, midwives needed
for 24/7 cover ``max(min_midwives_on_duty x 168 / hours_per_wte x (1 + leave_uplift),
births / births_per_wte_midwife)`` and cost a year ``births x cost per birth by setting``
(Schroeder et al. 2012: average costs per planned-place birth, not the marginal saving of
closing a unit).

>>> from hubplan.testing import make_network
>>> from hubplan import Option, Service, evaluate
>>> from hubplan.kinds import assess
>>> net = make_network([[10, 30], [40, 5]], [[0, 25], [25, 0]], demand=[100, 50],
...                    site_codes=["OU", "FMU"], demand_column="births")
>>> service = Service.preset("maternity", parameters={"fmu_uptake": 0.2})
>>> option = Option("today", hubs=("OU",), spokes=("FMU",), pathway="treat_and_transfer")
>>> result = assess(evaluate(net, service, option))
>>> result.table("units").frame[["site_code", "type", "births"]].values.tolist()
[['OU', 'OU', 140.0], ['FMU', 'FMU', 10.0]]
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from hubplan.access.equity import area_groupings
from hubplan.errors import InputError
from hubplan.kinds import Kind, KindResult, KindTable, Measure, Parameter
from hubplan.services.options import Pathway

if TYPE_CHECKING:
    from hubplan.access.evaluate import Evaluation
    from hubplan.services.service import Service

#: A birth "travels further in labour" when the minutes to the unit where labour care starts
#: rise by more than this (minutes; smaller changes are rounding of the road times).
FURTHER_MINUTES = 0.5
#: Hours in a week: one post staffed 24 hours a day, 7 days a week.
HOURS_PER_WEEK = 168.0
#: The site capability that marks an obstetric unit with an alongside midwife-led unit.
ALONGSIDE_COLUMN = "alongside_mlu"



def _fraction(name: str, unit: str, description: str) -> Parameter:
    return Parameter(name, unit, description, low=0.0, high=1.0)


class MaternityKind(Kind):
    name = "maternity"
    title = "Maternity (births, obstetric and midwife-led units, transfers in labour)"
    site_columns = (ALONGSIDE_COLUMN,)
    replaces = ("transfers_per_year",)  # by the kind's own transfers_per_year
    parameters = (
        _fraction("fmu_uptake", "fraction of births", "share of the births of an area whose nearest open unit "
                  "is a freestanding midwife-led unit that start labour care there"),
        _fraction("amu_uptake", "fraction of births", "share of the births starting at an obstetric unit site "
                  "with an alongside midwife-led unit that start in the alongside unit"),
        _fraction("nulliparous_share", "fraction of births", "share of women giving birth for the first time"),
        _fraction("transfer_nulliparous_fmu", "fraction of women", "transfer rate, nulliparous, planned FMU"),
        _fraction("transfer_multiparous_fmu", "fraction of women", "transfer rate, multiparous, planned FMU"),
        _fraction("transfer_nulliparous_amu", "fraction of women", "transfer rate, nulliparous, planned AMU"),
        _fraction("transfer_multiparous_amu", "fraction of women", "transfer rate, multiparous, planned AMU"),
        Parameter("min_midwives_on_duty", "midwives", "midwives on duty at all times in every unit", low=0.0,
                  high=50.0),
        Parameter("hours_per_wte", "hours a week", "contracted hours of one whole-time-equivalent midwife",
                  low=1.0, high=HOURS_PER_WEEK),
        Parameter("leave_uplift", "fraction", "allowance for leave, training and sickness on top of rostered hours",
                  low=0.0, high=2.0),
        Parameter("births_per_wte_midwife", "births a year per WTE midwife", "births one whole-time midwife "
                  "covers a year (a Birthrate Plus-style ratio)", low=1.0, high=1000.0, required=False),
        Parameter("cost_per_birth_fmu", "GBP per birth", "mean cost of a birth planned in an FMU", low=0.0,
                  required=False),
        Parameter("cost_per_birth_amu", "GBP per birth", "mean cost of a birth planned in an AMU", low=0.0,
                  required=False),
        Parameter("cost_per_birth_ou", "GBP per birth", "mean cost of a birth planned in an OU", low=0.0,
                  required=False),
    )

    # ------------------------------------------------------------------ the model
    def assess(self, evaluation: "Evaluation", baseline: "Evaluation | None" = None) -> KindResult:
        service = evaluation.service
        p = {prm.name: self.value(service, prm.name) for prm in self.parameters}
        starts = _labour_starts(evaluation, float(p["fmu_uptake"]))
        units = self._units(evaluation, starts, p)
        fmu = units[units["type"] == "FMU"]
        midwife_led = units[units["type"] != "OU"]
        transfers = float(units["transfers_out"].sum())
        fmu_transfers = float(fmu["transfers_out"].sum())
        transfer_minutes = float((fmu["transfers_out"] * fmu["transfer_minutes"]).sum())
        ratio = p["births_per_wte_midwife"]
        costs = [p["cost_per_birth_fmu"], p["cost_per_birth_amu"], p["cost_per_birth_ou"]]
        further = _further(evaluation, baseline, starts) if baseline is not None else None
        rates = _rates(p)
        uptake_note = (f"fmu_uptake {p['fmu_uptake']:g} and amu_uptake {p['amu_uptake']:g} are local figures, not standards "
                       f"({_source(service, 'fmu_uptake')}; {_source(service, 'amu_uptake')})")
        rate_note = (f"transfer rates (Birthplace 2011, rounded, medium confidence) mixed by nulliparous share "
                     f"{p['nulliparous_share']:g}: FMU {rates['FMU']:.4g}, AMU {rates['AMU']:.4g} of women "
                     "starting labour care there; same parity mix assumed at every unit")
        cover_note = (f"24/7 cover = {p['min_midwives_on_duty']:g} midwives on duty (assumption) x "
                      f"{HOURS_PER_WEEK:g} h / {p['hours_per_wte']:g} h x (1 + {p['leave_uplift']:g} uplift, "
                      f"assumption) = {_cover(p):.4g} WTE per unit")
        measures = (
            Measure("births_at_midwife_led_units", "Births at midwife-led units", "births a year",
                    float(midwife_led["births"].sum()), None,
                    "women starting labour care at an FMU or AMU (Birthplace 'planned place'); " + uptake_note
                    + "; shown, not scored: whether more is better depends on the women's risk and choice"),
            Measure("transfers_per_year", "Intrapartum transfers", "transfers a year", transfers, "lower",
                    "transfers to an obstetric unit in labour or soon after birth, from FMUs and AMUs; " + rate_note
                    + "; " + uptake_note),
            Measure("mean_transfer_minutes", "Mean transfer road minutes (FMU to OU)", "min",
                    transfer_minutes / fmu_transfers if fmu_transfers > 0 else None, "lower",
                    "road minutes from the FMU to the OU it transfers to, weighted by transfers; excludes the "
                    "wait for an ambulance and handover (Rowe et al. 2013: median 60 min from the decision to "
                    "transfer to assessment at the OU); AMU transfers (0 min, in the building) not included"),
            Measure("transfer_women_minutes", "Women-minutes of road transfer in labour", "women-minutes a year",
                    transfer_minutes, "lower", "FMU transfers a year x road minutes to the OU; " + rate_note),
            Measure("women_further_in_labour", "Women travelling further in labour", "births a year",
                    None if further is None else further["births"], "lower",
                    f"births whose minutes to the unit where labour care starts rise by more than "
                    f"{FURTHER_MINUTES:g} min against the baseline; " + uptake_note
                    + ("" if further is not None else "; no baseline given")),
            Measure("mean_added_minutes", "Mean added minutes (those travelling further)", "min",
                    None if further is None else further["mean"], "lower",
                    "mean rise in minutes to the unit where labour care starts, over the births that travel "
                    "further" + ("" if further is not None else "; no baseline given")),
            Measure("max_added_minutes", "Largest added minutes", "min",
                    None if further is None else further["max"], "lower",
                    "largest rise in minutes to the unit where labour care starts (an area with births)"
                    + ("" if further is not None else "; no baseline given")),
            Measure("smallest_unit_births", "Smallest unit's births", "births a year",
                    float(units["births"].min()), "higher",
                    "births a year at the smallest unit (OU, AMU or FMU); no published minimum for a viable "
                    "FMU was found; " + uptake_note),
            Measure("fmu_midwives_for_cover", "Midwives for 24/7 cover at freestanding units", "WTE",
                    float(fmu["midwives_for_cover"].sum()), "lower", cover_note + ", summed over the FMUs"),
            Measure("midwives_needed", "Midwives needed", "WTE",
                    float(units["midwives_needed"].sum()) if ratio is not None else None, "lower",
                    "sum over units of max(24/7 cover, births / births_per_wte_midwife); " + cover_note
                    + ("" if ratio is not None else "; births_per_wte_midwife has no sourced value: give it "
                       "(e.g. from a Birthrate Plus assessment) to get this figure")),
            Measure("cost_per_year", "Cost of births a year", "GBP a year",
                    float(units["cost_per_year"].sum()) if all(c is not None for c in costs) else None, "lower",
                    "births x mean cost per birth by planned setting (Schroeder et al. 2012, low-risk women, "
                    "intrapartum and immediate postnatal costs including transfers; price year not confirmed, "
                    "about 2010); average costs, not the marginal saving of closing a unit; OU births of "
                    "higher-risk women cost more than the low-risk mean"),
        )
        tables = [KindTable("units", "Births, transfers, midwives and cost per unit", units, (
            "births = women starting labour care at the unit a year (Birthplace 'planned place'); " + uptake_note,
            rate_note, cover_note,
            "midwives_for_births and midwives_needed need births_per_wte_midwife (no sourced value in the "
            "preset)" if ratio is None else f"midwives_for_births = births / {ratio:g} births per WTE",
            "cost a year = births x cost per birth (Schroeder et al. 2012; average costs, price year about 2010, "
            "not confirmed)",
        ))]
        imd = _imd_table(evaluation, baseline, starts)
        if imd is not None:
            tables.append(KindTable("imd_quintile", "Births and minutes in labour by IMD quintile", imd, (
                "IMD 2019 quintile of the area (1 = most deprived); areas without one (Wales) left out",
                f"further: minutes to the unit where labour care starts rise by more than {FURTHER_MINUTES:g} min",
            )))
        engine = float(evaluation.summary["transfers_per_year"])
        notes = [uptake_note, rate_note,
                 f"the {engine:,.0f} transfers a year of the general summary (and the hubs' 'transferred in') "
                 "apply the service's hub_share to every birth nearer a freestanding unit, without the uptake; "
                 f"read the intrapartum transfers here ({transfers:,.0f} a year) instead"]
        if ALONGSIDE_COLUMN not in evaluation.network.sites.columns:
            notes.append(f"the network's sites have no {ALONGSIDE_COLUMN} column: no obstetric unit has an "
                         "alongside midwife-led unit")
        return KindResult(kind=self.name, option=evaluation.option.name, measures=measures,
                          tables=tuple(tables), notes=tuple(notes))

    def _units(self, evaluation: "Evaluation", starts: "_Starts", p: dict[str, Any]) -> pd.DataFrame:
        net = evaluation.network
        sites = net.sites
        codes = net.site_codes
        alongside = (sites[ALONGSIDE_COLUMN].to_numpy(dtype=bool) if ALONGSIDE_COLUMN in sites.columns
                     else np.zeros(net.n_sites, dtype=bool))
        rates = _rates(p)
        amu_uptake = float(p["amu_uptake"])
        cover = _cover(p)
        ratio = p["births_per_wte_midwife"]
        cost = {"FMU": p["cost_per_birth_fmu"], "AMU": p["cost_per_birth_amu"], "OU": p["cost_per_birth_ou"]}
        rows: list[dict[str, Any]] = []

        def row(position: int, unit_type: str, births: float, transfer_to: str, minutes: float | None) -> None:
            transfers = births * rates[unit_type] if unit_type != "OU" else 0.0
            for_births = births / ratio if ratio is not None else None
            per_birth = cost[unit_type]
            name = str(sites["site_name"].iloc[position])
            rows.append({
                "site_code": codes[position],
                "site_name": name + (" (alongside midwife-led unit)" if unit_type == "AMU" else ""),
                "type": unit_type,
                "births": births,
                "transfers_out": transfers,
                "transfer_to": transfer_to,
                "transfer_minutes": minutes,
                "midwives_for_cover": cover,
                "midwives_for_births": for_births,
                "midwives_needed": max(cover, for_births) if for_births is not None else None,
                "cost_per_birth": per_birth,
                "cost_per_year": births * per_birth if per_birth is not None else None,
            })

        for h in evaluation.hub_positions:
            at_site = float(starts.per_site[h])
            if alongside[h]:
                row(int(h), "OU", at_site * (1 - amu_uptake), "", None)
                row(int(h), "AMU", at_site * amu_uptake, codes[h], 0.0)
            else:
                row(int(h), "OU", at_site, "", None)
        ss = net.site_site_minutes
        for s, hub in zip(evaluation.spoke_positions, evaluation.routes.spoke_hub):
            minutes = float(ss[s, hub]) if ss is not None else None
            row(int(s), "FMU", float(starts.per_site[s]), codes[hub], minutes)
        frame = pd.DataFrame(rows)
        for col in ("transfer_minutes", "midwives_for_births", "midwives_needed", "cost_per_birth", "cost_per_year"):
            frame[col] = frame[col].astype(float)
        return frame


@dataclasses.dataclass(frozen=True)
class _Starts:
    """Where labour care starts, per area and group, and births starting at each site."""

    near_births: np.ndarray  # births a year per area of the women who start at the nearest open unit (fmu_uptake)
    ou_births: np.ndarray  # births a year per area of the women who start at the nearest OU (the rest)
    near_minutes: np.ndarray  # minutes to the nearest open unit (FMU or OU)
    ou_minutes: np.ndarray  # minutes to the nearest OU
    per_site: np.ndarray  # births a year starting at each site (position)


def _labour_starts(evaluation: "Evaluation", fmu_uptake: float) -> _Starts:
    from hubplan.access.evaluate import evaluate

    births = evaluation.patients_per_year
    routes = evaluation.routes
    if len(evaluation.spoke_positions):
        option = dataclasses.replace(evaluation.option, spokes=(), pathway=Pathway.DIRECT, assignment={})
        direct = evaluate(evaluation.network, evaluation.service, option).routes
    else:
        direct = routes
    at_fmu = np.isin(routes.first_site, evaluation.spoke_positions)
    # the same two groups in every option: where the nearest open unit is an OU, both
    # groups start at the nearest OU
    near = births * fmu_uptake
    ou = births - near
    ou_minutes = np.asarray(direct.time_to_first, dtype=float)
    n = evaluation.network.n_sites
    per_site = (np.bincount(routes.first_site[at_fmu], weights=near[at_fmu], minlength=n)
                + np.bincount(direct.first_site, weights=np.where(at_fmu, ou, births), minlength=n))
    near_minutes = np.where(at_fmu, np.asarray(routes.time_to_first, dtype=float), ou_minutes)
    return _Starts(near, ou, near_minutes, ou_minutes, per_site)


def _rates(p: dict[str, Any]) -> dict[str, float]:
    nulli = float(p["nulliparous_share"])
    return {unit: nulli * float(p[f"transfer_nulliparous_{unit.lower()}"])
            + (1 - nulli) * float(p[f"transfer_multiparous_{unit.lower()}"]) for unit in ("FMU", "AMU")}


def _cover(p: dict[str, Any]) -> float:
    return float(p["min_midwives_on_duty"]) * HOURS_PER_WEEK / float(p["hours_per_wte"]) * (1 + float(p["leave_uplift"]))


def _source(service: "Service", name: str) -> str:
    src = service.sources.get(name)
    if src is None or not src.key:
        return f"{name}: no source recorded"
    return f"{name}: {src.key}" + (f", {src.confidence}" if src.confidence else "")


def _changes(evaluation: "Evaluation", baseline: "Evaluation", starts: _Starts) -> tuple[np.ndarray, np.ndarray]:
    """Births (two groups per area, stacked) and the change in their minutes against the baseline.

    Each woman keeps her group (nearest open unit / nearest OU) in both options; the groups'
    sizes are this option's (``fmu_uptake`` of the option's service).
    """
    if (baseline.network.n_areas != evaluation.network.n_areas
            or not baseline.network.areas.index.equals(evaluation.network.areas.index)):
        raise InputError("maternity: the baseline must be evaluated on the same network (same areas) as the option")
    if not np.array_equal(baseline.patients_per_year, evaluation.patients_per_year):
        raise InputError("maternity: the baseline must have the same births per area as the option")
    before = _labour_starts(baseline, 0.0)  # the minutes do not depend on the uptake
    weights = np.concatenate([starts.near_births, starts.ou_births])
    change = np.concatenate([starts.near_minutes - before.near_minutes, starts.ou_minutes - before.ou_minutes])
    return weights, change


def _summary(weights: np.ndarray, change: np.ndarray) -> dict[str, float | None]:
    further = (change > FURTHER_MINUTES) & (weights > 0)
    total = float(weights[further].sum())
    return {
        "births": total,
        "mean": float(np.dot(change[further], weights[further]) / total) if total > 0 else None,
        "max": float(change[further].max()) if further.any() else None,
    }


def _further(evaluation: "Evaluation", baseline: "Evaluation", starts: _Starts) -> dict[str, float | None]:
    weights, change = _changes(evaluation, baseline, starts)
    return _summary(weights, change)


def _imd_table(evaluation: "Evaluation", baseline: "Evaluation | None", starts: _Starts) -> pd.DataFrame | None:
    groupings, _ = area_groupings(evaluation.network.areas)
    imd = next((g for g in groupings if g.name == "imd_quintile"), None)
    if imd is None:
        return None
    minutes = np.concatenate([starts.near_minutes, starts.ou_minutes])
    weights_now = np.concatenate([starts.near_births, starts.ou_births])
    codes = np.concatenate([imd.codes, imd.codes])
    change = _changes(evaluation, baseline, starts)[1] if baseline is not None else None
    rows = []
    for i, (key, label) in enumerate(zip(imd.spec.groups, imd.spec.labels)):
        mask = codes == i
        w = weights_now[mask]
        births = float(w.sum())
        row: dict[str, Any] = {
            "imd_quintile": key, "label": label, "births": births,
            "mean_minutes_to_start": float(np.dot(minutes[mask], w) / births) if births > 0 else None,
        }
        if change is not None:
            s = _summary(w, change[mask])
            row.update(women_further=s["births"], mean_added_minutes=s["mean"], max_added_minutes=s["max"])
        rows.append(row)
    frame = pd.DataFrame(rows)
    for col in frame.columns:
        if col not in ("imd_quintile", "label"):
            frame[col] = frame[col].astype(float)
    return frame


KIND = MaternityKind()
