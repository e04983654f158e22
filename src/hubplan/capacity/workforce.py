"""Workforce: rota minimums, consultants needed, operator volumes, the training pipeline
and the standards check for each hub. Pure functions on per-site numbers.

Rules (service parameters from :class:`hubplan.services.service.Service`):

* **Consultants needed per hub** = ``max(rota minimum, ceil(procedures /
  procedures_per_consultant))``. The rota minimum is the smallest team that can run
  a 24/7 on-call rota (5 interventionists per thrombectomy centre [PQ2017]_; 6
  vascular surgeons per arterial hub [HSJ-GIRFT2018]_). ``procedures_per_consultant``
  is the yearly activity one consultant can carry; ``None`` (the default, as no
  source gives one) means the rota alone sets the number.
* **Procedures per operator** = procedures / consultants needed, compared with the
  minimum yearly volume for competence (40 for thrombectomy [BSNR-TRAIN]_; note that
  figure counts all cerebral vascular procedures including thrombectomy, so a flag on
  thrombectomy counts alone is conservative).
* **Network totals**: consultants needed over all hubs against the workforce
  available (120 = 24 centres x 5; 150 for 30 centres [PQ2017]_). The available
  workforce is shared out in proportion to need (an assumption, for want of staff
  numbers by site), giving the shortfall by site and by region.
* **Training pipeline**: see :func:`training_pipeline`.

Standards flags (short, stable strings; a flag is only tested when its threshold has
a value, ``None`` means no source and no test):

``below_min_patients``
    catchment patients per year < ``min_patients_per_hub``.
``above_max_patients``
    patients admitted to the hub per year > ``max_patients_per_hub`` (the maximum is a
    unit size: the largest unit, or the most one team can take [ALLEN2019]_). Without
    an admissions figure the catchment is compared. Under ``direct`` the two are
    equal; under ``treat_and_transfer`` most of a hub's catchment is admitted at its
    spokes, so comparing the catchment would flag almost every hub.
``below_min_procedures``
    procedures per year < ``min_procedures_per_hub``.
``below_rota_minimum``
    consultants the hub can have (its share of the available workforce, or its
    staff in post) < ``rota_minimum_consultants``.
``operator_volume_below_minimum``
    procedures per operator per year < ``operator_min_procedures_per_year``.

References
----------
.. [PQ2017] UK Parliament written answer, Mechanical Thrombectomy, 20 December 2017.
.. [HSJ-GIRFT2018] HSJ (2018) reporting the GIRFT vascular surgery report.
.. [ALLEN2019] Allen M et al. Maximising access to thrombectomy services for stroke in
   England: a modelling study. Eur Stroke J 2019.
.. [BSNR-TRAIN] Lenthall R et al. BSNR training guidance for mechanical thrombectomy.
   Clin Radiol 2017;72(2):175.e11-18.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd

from hubplan.capacity.parameters import require_parameter
from hubplan.errors import InputError

__all__ = [
    "FLAG_ABOVE_MAX_PATIENTS",
    "FLAG_BELOW_MIN_PATIENTS",
    "FLAG_BELOW_MIN_PROCEDURES",
    "FLAG_BELOW_ROTA_MINIMUM",
    "FLAG_OPERATOR_VOLUME_BELOW_MINIMUM",
    "STANDARD_FLAGS",
    "NetworkWorkforce",
    "TrainingPipeline",
    "allocate_workforce",
    "consultants_needed",
    "hub_workforce_table",
    "network_workforce",
    "procedures_per_operator",
    "standards_flags",
    "training_pipeline",
]

FLAG_BELOW_MIN_PATIENTS = "below_min_patients"
FLAG_ABOVE_MAX_PATIENTS = "above_max_patients"
FLAG_BELOW_MIN_PROCEDURES = "below_min_procedures"
FLAG_BELOW_ROTA_MINIMUM = "below_rota_minimum"
FLAG_OPERATOR_VOLUME_BELOW_MINIMUM = "operator_volume_below_minimum"

#: Every standards flag and what it means (in the order flags are listed).
STANDARD_FLAGS: Mapping[str, str] = {
    FLAG_BELOW_MIN_PATIENTS: "catchment patients per year below min_patients_per_hub",
    FLAG_ABOVE_MAX_PATIENTS: "patients admitted per year above max_patients_per_hub",
    FLAG_BELOW_MIN_PROCEDURES: "procedures per year below min_procedures_per_hub",
    FLAG_BELOW_ROTA_MINIMUM: "consultants available to the hub below rota_minimum_consultants",
    FLAG_OPERATOR_VOLUME_BELOW_MINIMUM: (
        "procedures per operator per year below operator_min_procedures_per_year"
    ),
}

_TOL = 1e-9


def _nonneg(value: float, name: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and v >= 0.0):
        raise InputError(f"{name} must be a number >= 0, got {value!r}")
    return v


def _rota_minimum(value: int | None) -> int:
    rota = require_parameter(value, "rota_minimum_consultants")
    if isinstance(rota, bool) or float(rota) != int(rota) or int(rota) < 1:
        raise InputError(f"rota_minimum_consultants must be a whole number >= 1, got {value!r}")
    return int(rota)


def _per_consultant(value: float | None) -> float | None:
    if value is None:
        return None
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise InputError(f"procedures_per_consultant must be a number > 0, got {value!r}")
    return v


# ----------------------------------------------------------------- per hub
def consultants_needed(
    procedures_per_year: float,
    rota_minimum_consultants: int | None,
    procedures_per_consultant: float | None = None,
) -> int:
    """Consultants a hub needs: ``max(rota minimum, ceil(procedures / per-consultant))``.

    Parameters
    ----------
    procedures_per_year:
        Procedures the hub performs per year (>= 0).
    rota_minimum_consultants:
        Smallest team for a 24/7 rota (e.g. 5 for thrombectomy [PQ2017]_). ``None``
        raises :class:`~hubplan.errors.InputError` asking for ``--rota-minimum``.
    procedures_per_consultant:
        Procedures one consultant can carry per year; ``None`` = rota only.

    Examples
    --------
    >>> consultants_needed(150, 5)
    5
    >>> consultants_needed(450, 5, procedures_per_consultant=80)  # ceil(5.625) = 6
    6
    """
    procedures = _nonneg(procedures_per_year, "procedures_per_year")
    rota = _rota_minimum(rota_minimum_consultants)
    capacity = _per_consultant(procedures_per_consultant)
    if capacity is None:
        return rota
    ratio = procedures / capacity
    activity = math.ceil(ratio - _TOL * max(ratio, 1.0))
    return max(rota, int(activity))


def procedures_per_operator(procedures_per_year: float, consultants: float) -> float:
    """Procedures each operator performs per year: procedures / consultants.

    >>> procedures_per_operator(150, 5)
    30.0
    """
    procedures = _nonneg(procedures_per_year, "procedures_per_year")
    n = float(consultants)
    if not (math.isfinite(n) and n > 0.0):
        raise InputError(f"consultants must be a number > 0, got {consultants!r}")
    return procedures / n


HUB_WORKFORCE_COLUMNS: tuple[str, ...] = (
    "site_code",
    "procedures_per_year",
    "rota_minimum_consultants",
    "activity_consultants",
    "consultants_needed",
    "procedures_per_operator",
    "operator_min_procedures_per_year",
    "operator_volume_below_minimum",
)


def hub_workforce_table(
    procedures_per_year: pd.Series | Mapping[str, float],
    *,
    rota_minimum_consultants: int | None,
    procedures_per_consultant: float | None = None,
    operator_min_procedures_per_year: float | None = None,
) -> pd.DataFrame:
    """Consultants needed and operator volumes for each hub.

    Parameters
    ----------
    procedures_per_year:
        Procedures per year indexed by hub site code.
    rota_minimum_consultants, procedures_per_consultant:
        As for :func:`consultants_needed`.
    operator_min_procedures_per_year:
        Minimum yearly procedures per operator; ``None`` = not checked (the column
        ``operator_volume_below_minimum`` is then False).

    Returns
    -------
    pandas.DataFrame
        Columns ``HUB_WORKFORCE_COLUMNS``; ``activity_consultants`` is the unrounded
        activity-driven need (0 when ``procedures_per_consultant`` is None).

    Examples
    --------
    >>> t = hub_workforce_table({"A": 100.0, "B": 450.0}, rota_minimum_consultants=5,
    ...                         procedures_per_consultant=80, operator_min_procedures_per_year=40)
    >>> t["consultants_needed"].tolist(), t["procedures_per_operator"].tolist()
    ([5, 6], [20.0, 75.0])
    >>> t["operator_volume_below_minimum"].tolist()
    [True, False]
    """
    series = pd.Series(procedures_per_year, dtype="float64")
    rota = _rota_minimum(rota_minimum_consultants)
    capacity = _per_consultant(procedures_per_consultant)
    operator_min = (
        None
        if operator_min_procedures_per_year is None
        else _nonneg(operator_min_procedures_per_year, "operator_min_procedures_per_year")
    )
    procedures = series.to_numpy(dtype=np.float64)
    if procedures.size and not (np.all(np.isfinite(procedures)) and np.all(procedures >= 0)):
        raise InputError("procedures_per_year must be finite numbers >= 0")
    needed = np.array(
        [consultants_needed(p, rota, capacity) for p in procedures], dtype=np.int64
    )
    activity = procedures / capacity if capacity is not None else np.zeros_like(procedures)
    per_operator = procedures / needed if needed.size else procedures
    below = (
        per_operator < operator_min - _TOL
        if operator_min is not None
        else np.zeros(procedures.shape, dtype=bool)
    )
    return pd.DataFrame(
        {
            "site_code": [str(c) for c in series.index],
            "procedures_per_year": procedures,
            "rota_minimum_consultants": rota,
            "activity_consultants": activity,
            "consultants_needed": needed,
            "procedures_per_operator": per_operator,
            "operator_min_procedures_per_year": (
                np.nan if operator_min is None else operator_min
            ),
            "operator_volume_below_minimum": below,
        },
        columns=list(HUB_WORKFORCE_COLUMNS),
    )


# ----------------------------------------------------------------- network
def allocate_workforce(
    consultants_needed_by_site: pd.Series | Mapping[str, float], consultants_available: float
) -> pd.Series:
    """Share the available workforce among hubs in proportion to their need.

    Each hub gets ``min(need, available * need / total need)``; with enough staff
    every hub gets its need. Proportional sharing is an assumption standing in for
    staff-in-post numbers by site, which hubplan does not have. Values are WTE
    (fractions allowed).

    >>> allocate_workforce({"A": 5, "B": 10}, 12).tolist()
    [4.0, 8.0]
    >>> allocate_workforce({"A": 5, "B": 10}, 20).tolist()
    [5.0, 10.0]
    """
    need = pd.Series(consultants_needed_by_site, dtype="float64")
    available = _nonneg(consultants_available, "workforce_available")
    total = float(need.sum())
    if total <= 0.0:
        return need * 0.0
    share = min(1.0, available / total)
    return need * share


@dataclass(frozen=True)
class NetworkWorkforce:
    """Consultants needed across a network's hubs against the workforce available.

    Attributes
    ----------
    consultants_needed:
        Sum over hubs of consultants needed.
    consultants_available:
        Workforce available (``None`` if not given; then no shortfall is computed).
    shortfall:
        ``max(0, needed - available)`` (0.0 when available is None).
    sites:
        One row per hub: site_code, consultants_needed, consultants_allocated
        (proportional share, see :func:`allocate_workforce`), shortfall, and any
        region columns passed in.
    regions:
        Long table, one row per (region_type, region): hubs, consultants_needed,
        consultants_allocated, shortfall.
    """

    consultants_needed: int
    consultants_available: float | None
    shortfall: float
    sites: pd.DataFrame
    regions: pd.DataFrame


def network_workforce(
    sites: pd.DataFrame,
    consultants_available: float | None,
    *,
    region_columns: Sequence[str] = ("icb", "isdn", "country"),
) -> NetworkWorkforce:
    """Network totals, and the shortfall by hub and by region.

    Parameters
    ----------
    sites:
        One row per hub with columns ``site_code`` and ``consultants_needed`` and
        optionally the region columns.
    consultants_available:
        Workforce available across the network (e.g. 120 or 150 interventionists).
        ``None`` gives totals without allocation or shortfall.
    region_columns:
        Region columns to total by; those absent from ``sites`` are skipped.

    Examples
    --------
    >>> hubs = pd.DataFrame({"site_code": ["A", "B", "C"], "consultants_needed": [5, 5, 6],
    ...                      "isdn": ["N", "N", "S"]})
    >>> result = network_workforce(hubs, 12, region_columns=("isdn",))
    >>> result.consultants_needed, result.shortfall
    (16, 4.0)
    >>> result.regions[["region", "consultants_needed", "shortfall"]].to_dict("list")
    {'region': ['N', 'S'], 'consultants_needed': [10, 6], 'shortfall': [2.5, 1.5]}
    """
    for col in ("site_code", "consultants_needed"):
        if col not in sites.columns:
            raise InputError(f"sites table needs a {col!r} column")
    need = sites["consultants_needed"].astype("float64")
    need_values = need.to_numpy()
    total_needed = int(round(float(need.sum())))
    regions_present = [c for c in region_columns if c in sites.columns]
    # Built from arrays in one go, and totalled by region with numpy (each region's sums in
    # the order pandas' groupby would take): this runs for every option of every draw of
    # an uncertainty run.
    columns: dict[str, Any] = {"site_code": sites["site_code"].array,
                               "consultants_needed": sites["consultants_needed"].array}
    for col in regions_present:
        columns[col] = sites[col].to_numpy()
    if consultants_available is None:
        allocated_values = np.full(len(need_values), np.nan)
        shortfall_values = np.full(len(need_values), np.nan)
        shortfall = 0.0
        available: float | None = None
    else:
        available = _nonneg(consultants_available, "workforce_available")
        allocated_values = allocate_workforce(need.reset_index(drop=True), available).to_numpy()
        shortfall_values = np.maximum(need_values - allocated_values, 0.0)
        shortfall = max(0.0, float(need.sum()) - available)
    columns["consultants_allocated"] = allocated_values
    columns["shortfall"] = shortfall_values
    table = pd.DataFrame(columns)
    needed_ints = table["consultants_needed"].to_numpy()
    rows: list[dict[str, Any]] = []
    for col in regions_present:
        group_of, names = pd.factorize(table[col], sort=True, use_na_sentinel=False)
        for g, region in enumerate(names.tolist()):
            members = group_of == g
            rows.append(
                {
                    "region_type": col,
                    "region": region,
                    "hubs": int(members.sum()),
                    "consultants_needed": int(needed_ints[members].sum()),
                    "consultants_allocated": float(allocated_values[members].sum())
                    if available is not None
                    else np.nan,
                    "shortfall": float(shortfall_values[members].sum())
                    if available is not None
                    else np.nan,
                }
            )
    regions = pd.DataFrame(
        rows,
        columns=[
            "region_type",
            "region",
            "hubs",
            "consultants_needed",
            "consultants_allocated",
            "shortfall",
        ],
    )
    return NetworkWorkforce(
        consultants_needed=total_needed,
        consultants_available=available,
        shortfall=shortfall,
        sites=table,
        regions=regions,
    )


# ----------------------------------------------------------------- pipeline
@dataclass(frozen=True)
class TrainingPipeline:
    """How the workforce grows with training, and the first year it meets a need.

    Attributes
    ----------
    year_need_met:
        First year (0 = today) with workforce >= need; ``None`` if not within the
        horizon. Add ``start_year`` for a calendar year.
    calendar_year_need_met:
        ``start_year + year_need_met`` when ``start_year`` was given, else ``None``.
    table:
        One row per year 0..horizon: year, calendar_year, workforce_start, leavers,
        qualified, workforce, workforce_needed, gap (need - workforce, >= 0),
        need_met.
    """

    year_need_met: int | None
    calendar_year_need_met: int | None
    workforce_today: float
    workforce_needed: float
    trainees_per_year: float
    training_years: float
    attrition_per_year: float
    table: pd.DataFrame


def training_pipeline(
    workforce_today: float | None,
    workforce_needed: float,
    trainees_per_year: float | None,
    training_years: float | None,
    *,
    attrition_per_year: float = 0.0,
    current_output_per_year: float | None = None,
    horizon_years: int = 30,
    start_year: int | None = None,
) -> TrainingPipeline:
    """Year-by-year workforce from training, and the first year it meets a need.

    Model (whole years; year 0 is today, with ``workforce_today``):

    * Each year ``t >= 1`` a new intake of ``trainees_per_year`` starts training and
      qualifies after ``L = ceil(training_years)`` years, joining the workforce in
      year ``t + L - 1``; so new intakes add ``trainees_per_year`` a year from year
      ``L`` on.
    * Trainees already in training today qualify in years ``1 .. L-1`` at
      ``current_output_per_year`` a year. The default (``None``) is
      ``trainees_per_year``, i.e. the programme has been running at this intake
      (a steady pipeline); 0 means a new programme with no one in training.
    * Each year ``attrition_per_year`` of the workforce at the start of the year
      leaves (retirement, moving away); those qualifying that year are not subject
      to it: ``workforce[t] = workforce[t-1] * (1 - attrition) + qualified[t]``.
      Trainees are assumed to complete training (no attrition in training).

    Parameters
    ----------
    workforce_today:
        Operators in post today (e.g. 80 interventional neuroradiologists,
        [CLIFTON2017]). ``None`` raises, asking for ``--workforce-today``.
    workforce_needed:
        Workforce to reach (e.g. consultants needed by an option, or 150).
    trainees_per_year:
        New trainees starting each year (>= 0). ``None`` raises (``--trainees-per-year``).
    training_years:
        Length of training in years (> 0; e.g. 2 for the INR route). ``None`` raises
        (``--training-years``).
    attrition_per_year:
        Fraction of the workforce leaving each year, in [0, 1). Default 0.0: an
        assumption (no source found); try 0.03-0.05 as a sensitivity.
    current_output_per_year:
        Yearly output of trainees already in training (years 1 .. L-1). Default: the
        same as ``trainees_per_year`` (assumption: steady pipeline).
    horizon_years:
        Last year examined (>= 0).
    start_year:
        Calendar year of year 0, for the ``calendar_year`` column (optional).

    Examples
    --------
    80 today, 15 a year, 2-year training, no attrition, steady pipeline:
    80, 95, 110, 125, 140, 155 -> 150 is met in year 5.

    >>> training_pipeline(80, 150, 15, 2).year_need_met
    5
    >>> training_pipeline(80, 150, 15, 2, current_output_per_year=0).year_need_met
    6
    """
    today = _nonneg(require_parameter(workforce_today, "workforce_today"), "workforce_today")
    need = _nonneg(workforce_needed, "workforce_needed")
    intake = _nonneg(require_parameter(trainees_per_year, "trainees_per_year"), "trainees_per_year")
    years = float(require_parameter(training_years, "training_years"))
    if not (math.isfinite(years) and years > 0.0):
        raise InputError(f"training_years must be a number > 0, got {training_years!r}")
    attrition = float(attrition_per_year)
    if not (math.isfinite(attrition) and 0.0 <= attrition < 1.0):
        raise InputError(
            f"attrition_per_year must be a fraction in [0, 1), got {attrition_per_year!r} (--attrition)"
        )
    current = intake if current_output_per_year is None else _nonneg(
        current_output_per_year, "current_output_per_year"
    )
    horizon = int(horizon_years)
    if horizon < 0 or horizon != horizon_years:
        raise InputError(f"horizon_years must be a whole number >= 0, got {horizon_years!r}")
    length = max(1, math.ceil(years - _TOL))

    rows: list[dict[str, Any]] = []
    workforce = today
    met_year: int | None = None
    for year in range(horizon + 1):
        if year == 0:
            start, leavers, qualified = today, 0.0, 0.0
        else:
            start = workforce
            leavers = start * attrition
            qualified = intake if year >= length else current
            workforce = start - leavers + qualified
        met = workforce >= need - _TOL * max(need, 1.0)
        if met and met_year is None:
            met_year = year
        rows.append(
            {
                "year": year,
                "calendar_year": (start_year + year) if start_year is not None else None,
                "workforce_start": start,
                "leavers": leavers,
                "qualified": qualified,
                "workforce": workforce,
                "workforce_needed": need,
                "gap": max(0.0, need - workforce),
                "need_met": bool(met),
            }
        )
    table = pd.DataFrame(rows)
    if start_year is None:
        table["calendar_year"] = pd.array([None] * len(table), dtype="Int64")
    else:
        table["calendar_year"] = table["calendar_year"].astype("int64")
    return TrainingPipeline(
        year_need_met=met_year,
        calendar_year_need_met=(
            start_year + met_year if (start_year is not None and met_year is not None) else None
        ),
        workforce_today=today,
        workforce_needed=need,
        trainees_per_year=intake,
        training_years=years,
        attrition_per_year=attrition,
        table=table,
    )


# ----------------------------------------------------------------- standards
def standards_flags(
    *,
    catchment_patients: float | None = None,
    admissions_per_year: float | None = None,
    procedures_per_year: float | None = None,
    consultants_available: float | None = None,
    procedures_per_operator: float | None = None,
    min_patients_per_hub: float | None = None,
    max_patients_per_hub: float | None = None,
    min_procedures_per_hub: float | None = None,
    rota_minimum_consultants: int | None = None,
    operator_min_procedures_per_year: float | None = None,
) -> list[str]:
    """Standards flags for one hub (see the module docstring for their meaning).

    A flag is tested only when both the hub's value and the threshold are given;
    a threshold of ``None`` (no source) is never flagged. Flags come back in the
    order of :data:`STANDARD_FLAGS`.

    Parameters
    ----------
    catchment_patients:
        Patients per year whose hub this is (compared with the minimum).
    admissions_per_year:
        Patients admitted to the hub per year (compared with the maximum; the
        catchment is used when this is ``None``).
    procedures_per_year:
        Procedures the hub performs per year.
    consultants_available:
        Consultants the hub can have (its share of the available workforce, or its
        staff in post); compared with the rota minimum.
    procedures_per_operator:
        Procedures per operator per year.
    min_patients_per_hub, max_patients_per_hub, min_procedures_per_hub,
    rota_minimum_consultants, operator_min_procedures_per_year:
        The service's standards (``Service`` fields of the same names).

    Examples
    --------
    >>> standards_flags(catchment_patients=900, procedures_per_year=90,
    ...                 min_patients_per_hub=1500, min_procedures_per_hub=150,
    ...                 procedures_per_operator=18, operator_min_procedures_per_year=40)
    ['below_min_patients', 'below_min_procedures', 'operator_volume_below_minimum']
    """

    def below(value: float | None, threshold: float | None) -> bool:
        return (
            value is not None
            and threshold is not None
            and float(value) < float(threshold) - _TOL * max(abs(float(threshold)), 1.0)
        )

    def above(value: float | None, threshold: float | None) -> bool:
        return (
            value is not None
            and threshold is not None
            and float(value) > float(threshold) + _TOL * max(abs(float(threshold)), 1.0)
        )

    flags: list[str] = []
    if below(catchment_patients, min_patients_per_hub):
        flags.append(FLAG_BELOW_MIN_PATIENTS)
    unit_size = admissions_per_year if admissions_per_year is not None else catchment_patients
    if above(unit_size, max_patients_per_hub):
        flags.append(FLAG_ABOVE_MAX_PATIENTS)
    if below(procedures_per_year, min_procedures_per_hub):
        flags.append(FLAG_BELOW_MIN_PROCEDURES)
    if below(consultants_available, rota_minimum_consultants):
        flags.append(FLAG_BELOW_ROTA_MINIMUM)
    if below(procedures_per_operator, operator_min_procedures_per_year):
        flags.append(FLAG_OPERATOR_VOLUME_BELOW_MINIMUM)
    return flags
