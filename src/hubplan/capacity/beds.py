"""Beds, procedures and sessions for each site: pure functions on per-site numbers.

Beds are sized with the Erlang loss model (M/G/c/c): patients arrive at random
(a Poisson process of ``patients_per_year`` admissions), each occupies one bed for
its stay, and a patient who finds every bed full is refused (diverted or placed
elsewhere) rather than queued. Two classical results make this model the standard
tool for bed pools [DEBRUIN2009]_ [JONES2003]_:

* The **offered load** ``a = patients_per_year * length_of_stay_days / 365`` (in
  Erlangs, i.e. beds) is the mean number of occupied beds if no one were refused.
* The probability that an arriving patient finds all ``c`` beds full is Erlang's
  loss formula ``B(c, a) = (a**c / c!) / sum_{k=0..c} a**k / k!``. It depends on the
  stay distribution only through its mean (the *insensitivity* of M/G/c/c), so a
  skewed stay (lognormal, say) needs the same beds as an exponential one with the
  same mean. :mod:`hubplan.capacity.simulation` checks this by simulation.

Sizing at a single occupancy target (85% [BAGUST1999]_) treats small and large units
alike; sizing at a refusal probability shows that small units need proportionally
more beds. Both are reported.

Names used throughout: ``patients_per_year`` (admissions to the site per year),
``length_of_stay_days`` (mean stay), ``occupancy_target`` (fraction 0..1),
``refusal_target`` (largest acceptable probability that an arriving patient finds no
bed), ``peaking_factor`` (peak-period arrival rate / mean arrival rate, >= 1).

References
----------
.. [BAGUST1999] Bagust A, Place M, Posnett JW. Dynamics of bed use in accommodating
   emergency admissions. BMJ 1999;319:155.
.. [DEBRUIN2009] de Bruin AM et al. Dimensioning hospital wards using the Erlang loss
   model. Ann Oper Res 2009, doi:10.1007/s10479-009-0647-8.
.. [JONES2003] Jones R. Bed pools and Erlang queueing (HCAF, 2003); HSJ 2001;111:28-32.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, overload

import numpy as np
import numpy.typing as npt
import pandas as pd

from hubplan.capacity.parameters import CLI_FLAGS, require_parameter
from hubplan.errors import InputError

__all__ = [
    "DAYS_PER_YEAR",
    "WEEKS_PER_YEAR",
    "BedNeed",
    "bed_need",
    "bed_table",
    "beds_at_occupancy",
    "beds_for_refusal",
    "erlang_b",
    "offered_load",
    "procedures_per_year",
    "sessions_per_week",
]

#: Days in a year used to turn yearly admissions into a daily arrival rate.
DAYS_PER_YEAR: float = 365.0

#: Weeks a year that an emergency service runs sessions (assumption: all year round).
WEEKS_PER_YEAR: float = 52.0

_REL_TOL = 1e-9

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _check_fraction(value: float, name: str, *, open_upper: bool = False) -> float:
    v = float(value)
    ok = 0.0 < v < 1.0 if open_upper else 0.0 < v <= 1.0
    if not (math.isfinite(v) and ok):
        interval = "(0, 1)" if open_upper else "(0, 1]"
        raise InputError(
            f"{name} must be a fraction in {interval}, got {value!r} ({CLI_FLAGS.get(name, name)})"
        )
    return v


def _nonnegative_array(values: Any, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.size and not (np.all(np.isfinite(arr)) and np.all(arr >= 0.0)):
        raise InputError(f"{name} must be finite numbers >= 0, got {values!r}")
    return arr


def _positive(value: float, name: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0.0):
        raise InputError(f"{name} must be a number > 0, got {value!r}")
    return v


def _scalar_or_array(arr: np.ndarray, template: Any) -> Any:
    """A Python scalar when the input was a scalar, else the array."""
    if np.ndim(template) == 0:
        return arr.item()
    return arr


# ---------------------------------------------------------------------------- beds
@overload
def offered_load(
    patients_per_year: float, length_of_stay_days: float, *, peaking_factor: float = ...
) -> float: ...
@overload
def offered_load(
    patients_per_year: npt.ArrayLike, length_of_stay_days: float, *, peaking_factor: float = ...
) -> Any: ...
def offered_load(
    patients_per_year: Any, length_of_stay_days: float, *, peaking_factor: float = 1.0
) -> Any:
    """Offered load in Erlangs (beds): ``patients_per_year * peaking_factor * los / 365``.

    With ``peaking_factor=1`` this is the mean number of occupied beds if no patient
    were refused (Little's law). A peaking factor > 1 multiplies the arrival rate to
    represent a busy week or season; beds are then sized for that peak.

    Parameters
    ----------
    patients_per_year:
        Admissions per year (scalar or array, >= 0).
    length_of_stay_days:
        Mean length of stay in days (> 0).
    peaking_factor:
        Peak arrival rate / mean arrival rate (>= 1; 1 = no peaking).

    Returns
    -------
    float or numpy.ndarray
        Offered load in beds (Erlangs), same shape as ``patients_per_year``.

    Examples
    --------
    >>> round(offered_load(1500, 3.0), 4)  # 1,500 admissions a year staying 3 days
    12.3288
    >>> round(offered_load(365, 2.0, peaking_factor=1.2), 6)
    2.4
    """
    patients = _nonnegative_array(patients_per_year, "patients_per_year")
    los = _positive(length_of_stay_days, "length_of_stay_days")
    peak = float(peaking_factor)
    if not (math.isfinite(peak) and peak >= 1.0):
        raise InputError(f"peaking_factor must be a number >= 1, got {peaking_factor!r}")
    return _scalar_or_array(patients * peak * los / DAYS_PER_YEAR, patients_per_year)


def beds_at_occupancy(offered_load_beds: Any, occupancy_target: float = 0.85) -> Any:
    """Smallest whole number of beds ``c`` with ``offered_load / c <= occupancy_target``.

    That is ``ceil(load / target)``, computed with a relative tolerance of 1e-9 so
    that floating-point noise (2.55 / 0.85 = 3.0000000000000004) does not add a bed.
    A load of zero needs no beds.

    Parameters
    ----------
    offered_load_beds:
        Offered load (mean occupied beds), scalar or array, >= 0.
    occupancy_target:
        Target mean occupancy, a fraction in (0, 1]; 0.85 by default [BAGUST1999]_.

    Returns
    -------
    int or numpy.ndarray of int64

    Examples
    --------
    >>> beds_at_occupancy(2.55, 0.85)
    3
    >>> beds_at_occupancy(12.328767, 0.85)  # 12.33 / 0.85 = 14.5 -> 15
    15
    """
    load = _nonnegative_array(offered_load_beds, "offered_load_beds")
    target = _check_fraction(occupancy_target, "occupancy_target")
    ratio = load / target
    beds = np.ceil(ratio - _REL_TOL * np.maximum(ratio, 1.0)).astype(np.int64)
    beds = np.maximum(beds, 0)
    return _scalar_or_array(beds, offered_load_beds)


def erlang_b(beds: Any, offered_load_beds: Any) -> Any:
    """Erlang loss probability ``B(c, a)``: an arriving patient finds all ``c`` beds full.

    Computed by the recurrence ``B(0, a) = 1``, ``B(k, a) = a B(k-1, a) / (k + a B(k-1, a))``,
    which only adds and divides positive numbers and so is numerically stable for
    thousands of beds (the factorial formula overflows beyond c ~ 170). Vectorised:
    ``beds`` and ``offered_load_beds`` broadcast against each other.

    The M/G/c/c loss probability depends on the length-of-stay distribution only
    through its mean (insensitivity), so this holds for any stay distribution.

    Parameters
    ----------
    beds:
        Number of beds ``c`` (integer >= 0), scalar or array.
    offered_load_beds:
        Offered load ``a`` in Erlangs (>= 0), scalar or array.

    Returns
    -------
    float or numpy.ndarray
        Probability in [0, 1].

    Examples
    --------
    >>> round(erlang_b(15, 10.0), 4)  # classic table value
    0.0365
    >>> round(erlang_b(5, 2.0), 4)
    0.0367
    """
    c_arr = np.asarray(beds)
    if c_arr.size and (
        not np.all(np.isfinite(c_arr.astype(np.float64)))
        or np.any(c_arr.astype(np.float64) < 0)
        or np.any(np.mod(c_arr.astype(np.float64), 1.0) != 0.0)
    ):
        raise InputError(f"beds must be whole numbers >= 0, got {beds!r}")
    c_arr = c_arr.astype(np.int64)
    a_arr = _nonnegative_array(offered_load_beds, "offered_load_beds")
    c_b, a_b = np.broadcast_arrays(c_arr, a_arr)
    result = np.ones(a_b.shape, dtype=np.float64)
    max_c = int(c_b.max()) if c_b.size else 0
    b = np.ones(a_b.shape, dtype=np.float64)
    for k in range(1, max_c + 1):
        ab = a_b * b
        b = ab / (k + ab)
        result = np.where(c_b == k, b, result)
    if np.ndim(beds) == 0 and np.ndim(offered_load_beds) == 0:
        return float(result)
    return result


def beds_for_refusal(offered_load_beds: Any, refusal_target: float = 0.01) -> Any:
    """Smallest whole number of beds ``c`` with Erlang loss ``B(c, a) <= refusal_target``.

    Steps the stable recurrence of :func:`erlang_b` upwards until the target is met
    (vectorised over loads). A load of zero needs no beds. Insensitive to the stay
    distribution beyond its mean (M/G/c/c).

    Parameters
    ----------
    offered_load_beds:
        Offered load in Erlangs (>= 0), scalar or array.
    refusal_target:
        Largest acceptable probability that an arriving patient finds no bed, in (0, 1).

    Returns
    -------
    int or numpy.ndarray of int64

    Examples
    --------
    >>> beds_for_refusal(10.0, 0.05)  # B(14, 10) = 0.057, B(15, 10) = 0.0365
    15
    """
    load = _nonnegative_array(offered_load_beds, "offered_load_beds")
    p = _check_fraction(refusal_target, "refusal_target", open_upper=True)
    flat = load.reshape(-1)
    beds = np.zeros(flat.shape, dtype=np.int64)
    done = flat == 0.0
    b = np.ones(flat.shape, dtype=np.float64)
    k = 0
    while not bool(np.all(done)):
        k += 1
        ab = flat * b
        b = np.where(done, b, ab / (k + ab))
        newly = (~done) & (b <= p)
        beds[newly] = k
        done = done | newly
    return _scalar_or_array(beds.reshape(load.shape), offered_load_beds)


@dataclass(frozen=True)
class BedNeed:
    """Beds one site needs for its admissions, and how they were worked out.

    Attributes
    ----------
    patients_per_year:
        Admissions to the site per year.
    length_of_stay_days:
        Mean length of stay, days.
    peaking_factor:
        Peak arrival rate / mean arrival rate used for sizing (1 = none).
    mean_occupied_beds:
        Mean occupied beds over the year, ``patients_per_year * los / 365`` (no peaking).
    peak_offered_load:
        Offered load in the peak period, ``mean_occupied_beds * peaking_factor``; the
        load that both bed figures are sized for.
    occupancy_target:
        Target mean occupancy (fraction).
    beds_at_target_occupancy:
        Smallest ``c`` with ``peak_offered_load / c <= occupancy_target``.
    refusal_probability_at_target_occupancy:
        Erlang loss ``B(beds_at_target_occupancy, peak_offered_load)``.
    refusal_target:
        Largest acceptable probability that an arriving patient finds no bed.
    beds_for_refusal:
        Smallest ``c`` with ``B(c, peak_offered_load) <= refusal_target``.
    refusal_probability:
        ``B(beds_for_refusal, peak_offered_load)``, the refusal probability achieved.
    occupancy_at_refusal_beds:
        Mean occupancy of ``beds_for_refusal`` beds in the peak period:
        carried load ``a (1 - B)`` / beds.
    """

    patients_per_year: float
    length_of_stay_days: float
    peaking_factor: float
    mean_occupied_beds: float
    peak_offered_load: float
    occupancy_target: float
    beds_at_target_occupancy: int
    refusal_probability_at_target_occupancy: float
    refusal_target: float
    beds_for_refusal: int
    refusal_probability: float
    occupancy_at_refusal_beds: float


def bed_need(
    patients_per_year: float,
    length_of_stay_days: float | None,
    *,
    occupancy_target: float = 0.85,
    refusal_target: float = 0.01,
    peaking_factor: float = 1.0,
) -> BedNeed:
    """Beds one site needs at a target occupancy and at a refusal probability.

    Parameters
    ----------
    patients_per_year:
        Admissions per year (>= 0).
    length_of_stay_days:
        Mean stay in days (> 0). ``None`` (no sourced value) raises
        :class:`~hubplan.errors.InputError` asking for ``--los``.
    occupancy_target:
        Fraction in (0, 1]; 0.85 by default [BAGUST1999]_.
    refusal_target:
        Fraction in (0, 1); 0.01 by default (assumption: one patient in a hundred
        finds no bed).
    peaking_factor:
        Multiplies the arrival rate for sizing (>= 1; 1 by default, i.e. no peaking).

    Examples
    --------
    >>> need = bed_need(1500, 3.0)
    >>> round(need.mean_occupied_beds, 2), need.beds_at_target_occupancy, need.beds_for_refusal
    (12.33, 15, 21)
    """
    los = float(require_parameter(length_of_stay_days, "length_of_stay_days"))
    mean_beds = float(offered_load(float(patients_per_year), los))
    peak = float(offered_load(float(patients_per_year), los, peaking_factor=peaking_factor))
    at_target = int(beds_at_occupancy(peak, occupancy_target))
    for_refusal = int(beds_for_refusal(peak, refusal_target))
    refusal = float(erlang_b(for_refusal, peak))
    return BedNeed(
        patients_per_year=float(patients_per_year),
        length_of_stay_days=los,
        peaking_factor=float(peaking_factor),
        mean_occupied_beds=mean_beds,
        peak_offered_load=peak,
        occupancy_target=float(occupancy_target),
        beds_at_target_occupancy=at_target,
        refusal_probability_at_target_occupancy=float(erlang_b(at_target, peak)),
        refusal_target=float(refusal_target),
        beds_for_refusal=for_refusal,
        refusal_probability=refusal,
        occupancy_at_refusal_beds=(peak * (1.0 - refusal) / for_refusal) if for_refusal else 0.0,
    )


BED_TABLE_COLUMNS: tuple[str, ...] = (
    "site_code",
    "patients_per_year",
    "length_of_stay_days",
    "peaking_factor",
    "mean_occupied_beds",
    "peak_offered_load",
    "occupancy_target",
    "beds_at_target_occupancy",
    "refusal_probability_at_target_occupancy",
    "refusal_target",
    "beds_for_refusal",
    "refusal_probability",
    "occupancy_at_refusal_beds",
)


def bed_table(
    patients_per_year: pd.Series | Mapping[str, float],
    length_of_stay_days: float | None,
    *,
    occupancy_target: float = 0.85,
    refusal_target: float = 0.01,
    peaking_factor: float = 1.0,
) -> pd.DataFrame:
    """Bed needs for many sites at once: one row per site, columns as :class:`BedNeed`.

    Parameters
    ----------
    patients_per_year:
        Admissions per year indexed by site code (a pandas Series or a mapping).
    length_of_stay_days, occupancy_target, refusal_target, peaking_factor:
        As for :func:`bed_need`; the same for every site.

    Returns
    -------
    pandas.DataFrame
        Columns ``BED_TABLE_COLUMNS``, rows in the input order.

    Examples
    --------
    >>> bed_table({"A": 1500.0, "B": 3000.0}, 3.0)[["site_code", "beds_at_target_occupancy", "beds_for_refusal"]]
      site_code  beds_at_target_occupancy  beds_for_refusal
    0         A                        15                21
    1         B                        30                36
    """
    los = float(require_parameter(length_of_stay_days, "length_of_stay_days"))
    series = pd.Series(patients_per_year, dtype="float64")
    patients = series.to_numpy(dtype=np.float64)
    mean_beds = np.asarray(offered_load(patients, los), dtype=np.float64)
    peak = np.asarray(offered_load(patients, los, peaking_factor=peaking_factor), dtype=np.float64)
    at_target = np.asarray(beds_at_occupancy(peak, occupancy_target), dtype=np.int64)
    for_refusal = np.asarray(beds_for_refusal(peak, refusal_target), dtype=np.int64)
    refusal = np.asarray(erlang_b(for_refusal, peak), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.where(for_refusal > 0, peak * (1.0 - refusal) / for_refusal, 0.0)
    return pd.DataFrame(
        {
            "site_code": [str(code) for code in series.index],
            "patients_per_year": patients,
            "length_of_stay_days": los,
            "peaking_factor": float(peaking_factor),
            "mean_occupied_beds": mean_beds,
            "peak_offered_load": peak,
            "occupancy_target": float(occupancy_target),
            "beds_at_target_occupancy": at_target,
            "refusal_probability_at_target_occupancy": np.asarray(
                erlang_b(at_target, peak), dtype=np.float64
            ),
            "refusal_target": float(refusal_target),
            "beds_for_refusal": for_refusal,
            "refusal_probability": refusal,
            "occupancy_at_refusal_beds": occupancy,
        },
        columns=list(BED_TABLE_COLUMNS),
    )


# ------------------------------------------------------------ procedures, sessions
def procedures_per_year(hub_patients_per_year: Any, procedure_share: float = 1.0) -> Any:
    """Procedures a hub performs per year: ``hub_patients_per_year * procedure_share``.

    ``hub_patients_per_year`` are the patients who need the hub (for thrombectomy the
    service's ``hub_share`` already makes them the eligible patients, so the default
    share is 1). Use ``procedure_share`` < 1 when only some hub patients have the
    procedure.

    >>> procedures_per_year(150.0)
    150.0
    >>> procedures_per_year(200.0, 0.5)
    100.0
    """
    patients = _nonnegative_array(hub_patients_per_year, "hub_patients_per_year")
    share = float(procedure_share)
    if not (math.isfinite(share) and 0.0 <= share <= 1.0):
        raise InputError(f"procedure_share must be a fraction in [0, 1], got {procedure_share!r}")
    return _scalar_or_array(patients * share, hub_patients_per_year)


def sessions_per_week(
    procedures_per_year_: Any,
    procedures_per_session: float | None,
    *,
    weeks_per_year: float = WEEKS_PER_YEAR,
) -> Any:
    """Theatre or interventional sessions per week needed for the procedures.

    ``procedures / (procedures_per_session * weeks_per_year)``, not rounded (round up
    with ``math.ceil`` for whole sessions).

    Parameters
    ----------
    procedures_per_year_:
        Procedures per year (scalar or array, >= 0).
    procedures_per_session:
        Procedures one session (a half-day list, 4 hours) completes. No preset has a
        sourced value: ``None`` raises :class:`~hubplan.errors.InputError`.
    weeks_per_year:
        Weeks a year the sessions run; 52 by default (assumption: an emergency
        service runs all year; use about 42-48 for elective lists).

    >>> sessions_per_week(520.0, 2.0)
    5.0
    >>> round(sessions_per_week(150.0, 1.0, weeks_per_year=50.0), 2)
    3.0
    """
    per_session = _positive(
        require_parameter(procedures_per_session, "procedures_per_session"),
        "procedures_per_session",
    )
    weeks = _positive(weeks_per_year, "weeks_per_year")
    procedures = _nonnegative_array(procedures_per_year_, "procedures_per_year")
    return _scalar_or_array(procedures / (per_session * weeks), procedures_per_year_)
