"""Walk-in and community services: minor injuries units and community beds (docs/community.md).

Every patient goes by car to the nearest open unit (the engine's ``direct`` pathway; the
option's hubs are the units). For each unit this kind reports:

- **patients a year**: the service's demand living nearest the unit (attendances for a
  minor injuries unit, admissions for community beds);
- **within opening hours / displaced**: a unit open ``h`` hours a day on ``d`` days a week,
  with arrivals assumed spread evenly over an arrival window of ``W`` hours of every day of
  the week (the opening hours inside it), sees the share
  ``min(h, W) / W * d / 7`` of them; the rest arrive while it is closed and go elsewhere;
- **staff**: patients seen per opening hour (over ``h * d * 365 / 7`` opening hours a year)
  divided by patients a practitioner sees an hour, and the whole practitioners on duty while
  open (at least one); empty when no figure for patients per practitioner hour is given;
- **beds**: the Erlang loss model of :mod:`hubplan.capacity` on the patients seen, with the
  service's ``length_of_stay_days`` and ``occupancy_target`` (and a refusal target); empty
  when the service has no length of stay (a walk-in unit has no beds).

Option-level measures: patients per unit (fewest, most), the share of demand within the
access threshold, patients displaced by opening hours, beds needed and practitioner hours a
year. Every note names the parameters it rests on with their source and confidence.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hubplan.capacity import DAYS_PER_YEAR, beds_at_occupancy, beds_for_refusal, offered_load
from hubplan.errors import InputError
from hubplan.kinds import Kind, KindResult, KindTable, Measure, Parameter
from hubplan.stats import WITHIN_TOLERANCE
from hubplan.formatting import counted

if TYPE_CHECKING:
    from hubplan.access.evaluate import Evaluation
    from hubplan.services.service import Service, Source

#: Columns of the per-unit table, in order.
UNIT_COLUMNS: tuple[str, ...] = (
    "site_code",
    "site_name",
    "patients_per_year",
    "within_opening_hours",
    "displaced",
    "opening_hours_per_year",
    "seen_per_opening_hour",
    "staff_per_opening_hour",
    "practitioners_on_duty",
    "mean_occupied_beds",
    "beds_at_target_occupancy",
    "beds_for_refusal",
)


def share_within_opening_hours(opening_hours_per_day: float, opening_days_per_week: float,
                               arrival_window_hours: float) -> float:
    """Share of arrivals that find the unit open: ``min(h, W) / W * d / 7``.

    Arrivals are spread evenly over ``W`` hours of every day of the week and the unit's
    ``h`` opening hours lie inside that window (a unit open at least ``W`` hours catches every
    arrival of its open days).

    >>> share_within_opening_hours(12, 7, 24)
    0.5
    >>> round(share_within_opening_hours(12, 5, 16), 6)  # 12/16 * 5/7
    0.535714
    """
    return min(float(opening_hours_per_day), float(arrival_window_hours)) / float(arrival_window_hours) \
        * float(opening_days_per_week) / 7.0


def opening_hours_per_year(opening_hours_per_day: float, opening_days_per_week: float) -> float:
    """Hours a year a unit is open: ``h * d * 365 / 7``.

    >>> opening_hours_per_year(12, 7)
    4380.0
    """
    return float(opening_hours_per_day) * float(opening_days_per_week) * DAYS_PER_YEAR / 7.0


class CommunityKind(Kind):
    name = "community"
    title = "Walk-in and community services (minor injuries units, community beds)"
    parameters = (
        Parameter("opening_hours_per_day", "hours a day",
                  "hours a day the unit is open on the days it opens (24 = around the clock)",
                  low=1.0, high=24.0),
        Parameter("opening_days_per_week", "days a week", "days a week the unit opens", low=1, high=7,
                  integer=True),
        Parameter("arrival_window_hours", "hours a day",
                  "hours of each day over which patients would arrive, evenly (24 = evenly round the clock); "
                  "the opening hours lie inside this window", low=1.0, high=24.0),
        Parameter("access_threshold_minutes", "min",
                  "car minutes to the nearest unit counted as good access", low=1.0, high=240.0),
        Parameter("patients_per_practitioner_hour", "patients an hour",
                  "patients one practitioner sees in an hour on duty (no value: staffing left empty)",
                  low=0.1, high=30.0, required=False),
        Parameter("refusal_target", "probability",
                  "largest acceptable probability that an arriving patient finds every bed full "
                  "(no value: beds for refusal left empty)", low=0.0001, high=0.5, required=False),
    )

    def assess(self, evaluation: "Evaluation", baseline: "Evaluation | None" = None) -> KindResult:
        ev, service = evaluation, evaluation.service
        option = ev.option
        if option.spokes:
            raise InputError(
                f"option {option.name!r} (kind {self.name!r}): a community service's units are the option's "
                f"hubs (every patient goes to the nearest open unit); list {', '.join(option.spokes)} as hubs, "
                "not spokes"
            )
        hours = float(self.value(service, "opening_hours_per_day"))
        days = float(self.value(service, "opening_days_per_week"))
        window = float(self.value(service, "arrival_window_hours"))
        threshold = float(self.value(service, "access_threshold_minutes"))
        per_hour = self.value(service, "patients_per_practitioner_hour")
        refusal = self.value(service, "refusal_target")
        los = service.length_of_stay_days

        share = share_within_opening_hours(hours, days, window)
        open_hours = opening_hours_per_year(hours, days)
        codes = list(dict.fromkeys(option.hubs))
        sites = ev.sites.loc[codes]
        patients = sites["patients_first_seen"].to_numpy(dtype=np.float64)
        within = patients * share
        displaced = patients - within
        seen_per_hour = within / open_hours
        nan = np.full(len(codes), np.nan)
        if per_hour is None:
            staff, on_duty = nan, nan
        else:
            staff = seen_per_hour / float(per_hour)
            on_duty = np.maximum(1.0, np.ceil(staff - 1e-9)).astype(np.float64)
        if los is None:
            occupied, at_target, for_refusal = nan, nan, nan
        else:
            occupied = np.asarray(offered_load(within, float(los)), dtype=np.float64)
            at_target = np.asarray(beds_at_occupancy(occupied, service.occupancy_target), dtype=np.float64)
            for_refusal = (nan if refusal is None
                           else np.asarray(beds_for_refusal(occupied, float(refusal)), dtype=np.float64))
        frame = pd.DataFrame(
            {
                "site_code": [str(c) for c in codes],
                "site_name": [str(n) for n in sites["site_name"]],
                "patients_per_year": patients,
                "within_opening_hours": within,
                "displaced": displaced,
                "opening_hours_per_year": open_hours,
                "seen_per_opening_hour": seen_per_hour,
                "staff_per_opening_hour": staff,
                "practitioners_on_duty": on_duty,
                "mean_occupied_beds": occupied,
                "beds_at_target_occupancy": at_target,
                "beds_for_refusal": for_refusal,
            },
            columns=list(UNIT_COLUMNS),
        )

        areas = ev.areas
        weights = areas["patients_per_year"].to_numpy(dtype=np.float64)
        minutes = areas["time_to_first_minutes"].to_numpy(dtype=np.float64)
        total = float(weights.sum())
        near = float(weights[minutes <= threshold + WITHIN_TOLERANCE].sum() / total) if total > 0 else math.nan

        unit = _demand_unit(service)
        demand_note = _demand_note(service)
        hours_note = (
            f"open {hours:g} h a day, {days:g} days a week "
            f"({_source_text(service, 'opening_hours_per_day', 'opening_days_per_week')}); ASSUMED: arrivals spread evenly over "
            f"{window:g} h of every day, the opening hours inside them ({_source_text(service, 'arrival_window_hours')}), "
            f"so {share:.1%} arrive while the unit is open"
        )
        staff_note = (
            f"patients seen per opening hour / {per_hour:g} patients per practitioner hour "
            f"({_source_text(service, 'patients_per_practitioner_hour')}); ASSUMED: arrivals even over the opening "
            "hours; practitioners on duty = that rounded up, at least 1 while open"
            if per_hour is not None else
            "not computed: no sourced figure for patients per practitioner hour (give the parameter "
            "patients_per_practitioner_hour)"
        )
        if los is None:
            beds_note = "not computed: the service has no length of stay (a walk-in unit has no beds)"
        else:
            beds_note = (
                f"Erlang loss model on the patients seen, mean stay {float(los):g} days "
                f"({_source_text(service, 'length_of_stay_days')}), occupancy target {service.occupancy_target:g} "
                f"({_source_text(service, 'occupancy_target')})"
                + ("" if refusal is None else
                   f", refusal target {float(refusal):g} ({_source_text(service, 'refusal_target')})")
            )
        refusal_note = (beds_note if los is None else
                        "not computed: no refusal target given" if refusal is None else beds_note)

        def total_or_none(values: np.ndarray) -> float | None:
            return None if bool(np.isnan(values).any()) else float(values.sum())

        practitioner_hours = None if per_hour is None else float((on_duty * open_hours).sum())
        measures = (
            Measure("patients_per_unit_min", "Patients a year at the least-used unit", unit,
                    float(patients.min()) if len(patients) else None, "higher",
                    f"patients living nearest each open unit by car (before opening hours); {demand_note}; "
                    "higher = the least-used unit is busier"),
            Measure("patients_per_unit_max", "Patients a year at the busiest unit", unit,
                    float(patients.max()) if len(patients) else None, None,
                    f"patients living nearest each open unit by car (before opening hours); {demand_note}"),
            Measure("share_within_threshold", f"Share of demand within {threshold:g} min of a unit", "fraction",
                    near, "higher",
                    f"share of {unit} whose area is within {threshold:g} car minutes of the nearest open unit "
                    f"(threshold: {_source_text(service, 'access_threshold_minutes')}); {demand_note}"),
            Measure("within_opening_hours_per_year", "Patients a year arriving while a unit is open", unit,
                    float(within.sum()), None, f"{hours_note}; {demand_note}"),
            Measure("displaced_per_year", "Patients a year arriving while the unit is closed", unit,
                    float(displaced.sum()), "lower",
                    f"they go elsewhere (an emergency department, another service) or come back; {hours_note}"),
            Measure("beds_needed", "Beds needed at the target occupancy (all units)", "beds",
                    total_or_none(at_target), "lower", beds_note),
            Measure("beds_for_refusal", "Beds needed for the refusal target (all units)", "beds",
                    total_or_none(for_refusal), "lower", refusal_note),
            Measure("practitioner_hours_per_year", "Practitioner hours on duty a year (all units)", "hours a year",
                    practitioner_hours, "lower", staff_note),
        )
        notes = (
            f"Units are the option's {counted(len(codes), 'hub')}; every patient goes by car to the nearest one.",
            f"{demand_note[:1].upper()}{demand_note[1:]}.",
            f"Opening hours: {hours_note}.",
            f"Staff: {staff_note}.",
            f"Beds: {beds_note}.",
        )
        table = KindTable(
            key="units",
            title=f"{service.title or service.name}: patients, opening hours, staff and beds per unit",
            frame=frame,
            notes=(
                f"patients_per_year: {unit} living nearest the unit; within_opening_hours and displaced: "
                f"{hours_note}",
                f"seen_per_opening_hour = within_opening_hours / opening_hours_per_year ({open_hours:g} h "
                f"= {hours:g} h x {days:g} days x 365 / 7); staff: {staff_note}",
                f"beds: {beds_note}",
            ),
        )
        return KindResult(kind=self.name, option=option.name, measures=measures, tables=(table,), notes=notes)


def _source_text(service: "Service", *names: str) -> str:
    """Where the named parameters' values come from, e.g. ``"SHROPCOM-MIU, confidence H"``; when
    they differ, each after its parameter (``"opening_hours_per_day: user override;
    days_per_week: SHROPCOM-MIU, confidence H"``)."""
    texts = {name: _one_source(service.sources.get(name)) for name in names}
    if len(set(texts.values())) <= 1:
        return next(iter(texts.values()), "no source given")
    return "; ".join(f"{name}: {text}" for name, text in texts.items())


def _one_source(src: "Source | None") -> str:
    if src is None or not src.key:
        return "no source given"
    if src.key == "user override":
        return "user override"
    if src.key == "none":
        return "an assumption, no source found" if src.confidence == "assumption" else "no source found"
    return f"{src.key}, confidence {src.confidence}" if src.confidence else src.key


def _demand_unit(service: "Service") -> str:
    src = service.sources.get("demand") or service.sources.get("demand_column")
    return src.unit if src is not None and src.unit else "patients a year"


def _demand_note(service: "Service") -> str:
    d = service.demand_definition
    text = f"demand = {d.expression}"
    if d.source == "none":
        text += " (an assumption, no source found)" if d.confidence == "assumption" else " (no source found)"
    elif d.source:
        text += f" ({d.source}, {d.confidence})" if d.confidence else f" ({d.source})"
    if d.is_proxy:
        text += ", a PROXY"
    return text


KIND = CommunityKind()
