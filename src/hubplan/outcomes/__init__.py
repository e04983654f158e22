"""From minutes to patients who benefit: the clinical outcome of every area under an option.

A service's outcome model (``Service.outcome``, from ``presets.toml`` or the user) turns
each area's minutes to its first hospital and to its hub into expected outcomes per
admission; :func:`hubplan.access.evaluate` multiplies them by the area's patients and
adds them up (``summary["outcomes"]``, docs/outcomes.md). Two models:

``stroke`` (thrombectomy and hyperacute stroke services)
    A timeline from onset to treatment: onset to call, ambulance response and time on
    scene, the road (or air) minutes to the first hospital, door to needle there
    (thrombolysis, IVT, at the first hospital), then for thrombectomy (MT) arrival to
    puncture at the hub, or door-in-door-out at the spoke (the service's
    ``transfer_delay_minutes``), the transfer and arrival to puncture after a transfer.
    Admissions are split by occlusion type and treatment (shares in ``presets.toml``);
    the modified Rankin Scale distribution and utility of each group at its times come
    from the ``stroke-outcome`` package (University of Exeter SAMueL group, MIT), called
    directly. A treatment whose time is past the package's no-effect time (378 min for
    IVT, 480 min for MT) is not given, and a treatment counts only while it helps
    (:func:`_only_if_it_helps`). Haemorrhagic strokes have no distribution in the package and are not counted.

``curve`` (any service)
    A user's curve of the probability of a good outcome (or of a bad one, ``risk``)
    against minutes to the hub, from a CSV (:func:`read_curve`), interpolated linearly
    and flat beyond its ends. hubplan ships no default curve for other services: the
    evidence conflicts (e.g. ruptured aortic aneurysm mortality against travel time).

Both give per admission: the probability of a good outcome, the same added against
the model's baseline (stroke: no IVT or MT for the same patients; curve: its value at
its last minute) and, for stroke, the added utility (QALY-style, Wang 2020 weights).
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from hubplan.errors import InputError
from hubplan.services import Service
from hubplan.validation import shown

__all__ = [
    "AreaOutcomes", "CurveModel", "OutcomeModel", "StrokeModel", "STROKE_PARAMETERS",
    "outcome_model", "outcome_summary", "prepare_tables", "read_curve", "no_outcome_summary",
]

#: The package's no-effect times (its constructor defaults): IVT 6.3 h (Emberson 2014),
#: MT 8 h (Fransen 2016). Treatment at or after them is not given.
IVT_NO_EFFECT_MINUTES = 378.0
MT_NO_EFFECT_MINUTES = 480.0
#: Grid step (minutes) of the package's curves tabulated for evaluations and optimisation
#: matrices (:meth:`StrokeModel.value_matrix`); linear interpolation of the package's own
#: values, within 1e-10 of the package per admission (tests/test_outcomes.py).
GRID_MINUTES = 0.1

GOOD = "good outcome (mRS 0-2)"


@dataclass(frozen=True)
class OutcomeParameter:
    name: str
    unit: str
    low: float
    high: float
    description: str


_MINUTES = (0.0, 1440.0)
STROKE_PARAMETERS: tuple[OutcomeParameter, ...] = (
    OutcomeParameter("onset_to_call_minutes", "min", *_MINUTES, "stroke onset to the call for an ambulance"),
    OutcomeParameter("call_to_ambulance_minutes", "min", *_MINUTES, "call to ambulance arrival"),
    OutcomeParameter("on_scene_minutes", "min", *_MINUTES, "ambulance time on scene"),
    OutcomeParameter("door_to_needle_minutes", "min", *_MINUTES, "arrival at the first hospital to thrombolysis"),
    OutcomeParameter("arrival_to_puncture_minutes", "min", *_MINUTES,
                     "arrival at the thrombectomy centre to puncture, taken there directly"),
    OutcomeParameter("transfer_arrival_to_puncture_minutes", "min", *_MINUTES,
                     "arrival at the thrombectomy centre to puncture, after a transfer"),
    OutcomeParameter("haemorrhagic_share", "fraction of admissions", 0.0, 1.0, "haemorrhagic strokes (not modelled)"),
    OutcomeParameter("lvo_share", "fraction of ischaemic strokes", 0.0, 1.0, "large-vessel occlusions"),
    OutcomeParameter("nlvo_ivt_share", "fraction of nLVO strokes", 0.0, 1.0, "non-LVO strokes thrombolysed"),
    OutcomeParameter("lvo_ivt_share", "fraction of LVO strokes", 0.0, 1.0, "LVO strokes thrombolysed"),
    OutcomeParameter("lvo_mt_share", "fraction of LVO strokes", 0.0, 1.0, "LVO strokes given thrombectomy"),
    OutcomeParameter("mt_with_ivt_share", "fraction of thrombectomies", 0.0, 1.0,
                     "thrombectomies after thrombolysis"),
)


@dataclass(frozen=True, eq=False)
class AreaOutcomes:
    """Per area, per admission: probability of a good outcome, added against the baseline,
    added utility (``None`` for a curve) and the treatment times (stroke)."""

    good: np.ndarray
    added_good: np.ndarray
    added_utility: np.ndarray | None
    columns: dict[str, np.ndarray] = field(default_factory=dict)


def added_words(measure: str) -> str:
    """What "added" counts, in words: ``added good outcomes`` for the stroke model's mRS 0-2,
    else the model's own measure (``added survival to discharge`` for a curve)."""
    return "added good outcomes" if measure == GOOD else f"added {measure}"


class OutcomeModel:
    """What every outcome model gives (see the module docstring)."""

    name: str = ""
    measure: str = GOOD
    baseline: str = ""
    source: str = ""
    notes: tuple[str, ...] = ()
    #: Rows ``parameter, value, unit, source, confidence, note`` for reports.
    parameter_rows: tuple[dict[str, Any], ...] = ()

    def per_admission(self, time_to_first: np.ndarray, time_to_hub: np.ndarray,
                      transferred: np.ndarray) -> AreaOutcomes:
        raise NotImplementedError

    def per_admission_routed(self, minutes_by_site: np.ndarray, hub_site: np.ndarray, time_to_first: np.ndarray,
                             time_to_hub: np.ndarray, transferred: np.ndarray) -> AreaOutcomes:
        """:meth:`per_admission` for routes on a network whose site-major road minutes
        are ``minutes_by_site`` (``hub_site``: each area's hub position); a model may answer
        the areas that go straight to their hub from a table per area and site."""
        return self.per_admission(time_to_first, time_to_hub, transferred)

    def value_matrix(self, first_minutes: np.ndarray, hub_minutes: np.ndarray, transferred: np.ndarray,
                     measure: str = "good") -> np.ndarray:
        """Added good outcomes (``measure="good"``) or utility per admission for arrays of
        minutes of any shape (broadcast), tabulated: for optimisation matrices."""
        raise NotImplementedError


# --------------------------------------------------------------------------- stroke
#: The timeline's figures, as named in the model's parameter rows.
_TIMELINE = ("onset_to_call_minutes", "call_to_ambulance_minutes", "on_scene_minutes", "door_to_needle_minutes",
             "arrival_to_puncture_minutes", "transfer_arrival_to_puncture_minutes")


def _timeline_sources(rows: tuple[dict[str, Any], ...]) -> str:
    """Where the timeline's figures come from: the defaults, except those the user set.

    >>> _timeline_sources(())
    'medians and modelling defaults, confidence M'
    >>> _timeline_sources(({"parameter": "outcome.door_to_needle_minutes", "source": "user override"},))
    'medians and modelling defaults (confidence M), except door to needle (user override)'
    """
    given = [str(r["parameter"]).removeprefix("outcome.") for r in rows if r.get("source") == "user override"]
    given = [g for g in _TIMELINE if g in given]
    if not given:
        return "medians and modelling defaults, confidence M"
    words = ", ".join(g.removesuffix("_minutes").replace("_", " ") for g in given)
    return f"medians and modelling defaults (confidence M), except {words} (user override)"


class StrokeModel(OutcomeModel):
    """The ``stroke`` model: a timeline to IVT and MT and the ``stroke-outcome`` package."""

    name = "stroke"
    baseline = "no thrombolysis or thrombectomy for the same patients"

    def __init__(self, values: Mapping[str, Any], service_name: str, rows: tuple[dict[str, Any], ...] = ()) -> None:
        p: dict[str, float] = {}
        for prm in STROKE_PARAMETERS:
            value = values.get(prm.name)
            if value is None:
                raise InputError(f"service {service_name!r}: the stroke outcome model needs "
                                 f"{prm.name} ({prm.description}, {prm.unit})")
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                    or not prm.low <= float(value) <= prm.high:
                raise InputError(f"service {service_name!r}: outcome {prm.name} must be a number from "
                                 f"{prm.low:g} to {prm.high:g} ({prm.unit}), got {shown(value)}")
            p[prm.name] = float(value)
        unknown = sorted(set(values) - {q.name for q in STROKE_PARAMETERS} - {"model"})
        if unknown:
            raise InputError(f"service {service_name!r}: the stroke outcome model has no setting {unknown[0]!r}: "
                             f"expected one of {', '.join(q.name for q in STROKE_PARAMETERS)}")
        if p["lvo_mt_share"] * p["mt_with_ivt_share"] > p["lvo_ivt_share"] + 1e-12:
            raise InputError(
                f"service {service_name!r}: outcome lvo_ivt_share ({p['lvo_ivt_share']:g}) must be at least "
                f"lvo_mt_share x mt_with_ivt_share ({p['lvo_mt_share'] * p['mt_with_ivt_share']:g}): "
                "the thrombectomies after thrombolysis are thrombolysed LVO strokes")
        self.p = p
        self.parameter_rows = rows
        self.pre_hospital_minutes = p["onset_to_call_minutes"] + p["call_to_ambulance_minutes"] + p["on_scene_minutes"]
        isch = 1.0 - p["haemorrhagic_share"]
        lvo = isch * p["lvo_share"]
        nlvo = isch - lvo
        both = lvo * p["lvo_mt_share"] * p["mt_with_ivt_share"]
        mt_only = lvo * p["lvo_mt_share"] - both
        ivt_only = lvo * p["lvo_ivt_share"] - both
        #: Shares of all admissions: (name, stroke type code, IVT, MT, share).
        self.cohorts: tuple[tuple[str, int, bool, bool, float], ...] = (
            ("nlvo_ivt", 1, True, False, nlvo * p["nlvo_ivt_share"]),
            ("lvo_ivt_only", 2, True, False, ivt_only),
            ("lvo_mt_only", 2, False, True, mt_only),
            ("lvo_ivt_mt", 2, True, True, both),
        )
        self.untreated = {1: nlvo * (1.0 - p["nlvo_ivt_share"]), 2: lvo - ivt_only - mt_only - both}
        self.source = (f"stroke-outcome {_package_version()} (STROKE-OUTCOME: Emberson 2014, Fransen 2016, "
                       "Wang 2020 utilities); timeline ALLEN2024-TIMES / SAMUEL-BOOK; shares SAMUEL-1 / SAMUEL-BOOK "
                       "(confidence M; shares are targets of 20% IVT and 10% MT)")
        notes = [
            f"ESTIMATED: expected outcomes from the stroke-outcome model over a timeline of "
            f"{self.pre_hospital_minutes:g} min before the ambulance leaves (onset to call "
            f"{p['onset_to_call_minutes']:g}, response {p['call_to_ambulance_minutes']:g}, on scene "
            f"{p['on_scene_minutes']:g}), door to needle {p['door_to_needle_minutes']:g} and arrival to puncture "
            f"{p['arrival_to_puncture_minutes']:g} ({p['transfer_arrival_to_puncture_minutes']:g} after a transfer) "
            f"min; {_timeline_sources(rows)}",
            "good outcomes are counted among ischaemic strokes only; haemorrhagic strokes "
            f"({100 * p['haemorrhagic_share']:.1f}% of admissions) are not modelled",
            f"treatment past the no-effect time (IVT {IVT_NO_EFFECT_MINUTES:g} min, MT {MT_NO_EFFECT_MINUTES:g} min "
            "from onset) is not given, and where the model expects a worse outcome with treatment than without "
            "(close to those times) the patient counts as untreated",
        ]
        if p["lvo_mt_share"] == 0:
            notes.append("no thrombectomy in this service: LVO strokes are counted with thrombolysis alone")
        self.notes = tuple(notes)

    # ---------------------------------------------------------------- times
    def times(self, time_to_first: np.ndarray, time_to_hub: np.ndarray,
              transferred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Onset to needle (IVT at the first hospital) and onset to puncture (MT at the hub)."""
        p = self.p
        otn = self.pre_hospital_minutes + np.asarray(time_to_first, dtype=np.float64) + p["door_to_needle_minutes"]
        atp = np.where(transferred, p["transfer_arrival_to_puncture_minutes"], p["arrival_to_puncture_minutes"])
        otp = self.pre_hospital_minutes + np.asarray(time_to_hub, dtype=np.float64) + atp
        return otn, otp

    # ---------------------------------------------------------------- exact (the package)
    def cohort_outcomes(self, otn: np.ndarray, otp: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
        """For each treated cohort at these times, straight from ``stroke-outcome``:
        P(mRS <= 2), utility shift and mRS shift per patient; plus ``untreated_<code>``."""
        n = len(otn)
        stype, ivt, mt, t_ivt, t_mt = [], [], [], [], []
        for _, code, gives_ivt, gives_mt, _ in self.cohorts:
            stype.append(np.full(n, code))
            ivt.append(gives_ivt & (otn < IVT_NO_EFFECT_MINUTES))
            mt.append(gives_mt & (otp < MT_NO_EFFECT_MINUTES))
            t_ivt.append(otn)
            t_mt.append(otp)
        stype += [np.array([1, 2])]
        ivt += [np.zeros(2, dtype=bool)]
        mt += [np.zeros(2, dtype=bool)]
        t_ivt += [np.zeros(2)]
        t_mt += [np.zeros(2)]
        full = _call_package(np.concatenate(stype), np.concatenate(ivt), np.concatenate(mt),
                             np.concatenate(t_ivt), np.concatenate(t_mt))
        out: dict[str, dict[str, np.ndarray]] = {}
        base = len(self.cohorts) * n
        for i, code in enumerate((1, 2)):
            out[f"untreated_{code}"] = {key: values[base + i: base + i + 1] for key, values in full.items()}
        for c, (name, code, *_rest) in enumerate(self.cohorts):
            sl = slice(c * n, (c + 1) * n)
            out[name] = _only_if_it_helps({key: values[sl] for key, values in full.items()},
                                          float(out[f"untreated_{code}"]["good"][0]))
        return out

    def per_admission(self, time_to_first: np.ndarray, time_to_hub: np.ndarray,
                      transferred: np.ndarray) -> AreaOutcomes:
        """Per area: the package's outcomes from its curves tabulated every
        :data:`GRID_MINUTES` and interpolated linearly (within 1e-10 per admission of calling
        it directly, tests/test_outcomes.py; 3.9e-14 on the national area x site minutes and
        about ten times faster, benchmarks/bench_outcomes.py); :meth:`per_admission_exact`
        calls it directly."""
        both = self.value_matrices(time_to_first, time_to_hub, transferred, ("good", "utility"))
        return self._area_outcomes(time_to_first, time_to_hub, transferred, both["good"], both["utility"])

    def _area_outcomes(self, time_to_first: np.ndarray, time_to_hub: np.ndarray, transferred: np.ndarray,
                       added: np.ndarray, utility: np.ndarray) -> AreaOutcomes:
        """The :class:`AreaOutcomes` of the added good outcomes and utility per admission:
        the untreated patients' good outcomes added, and the treatment times."""
        otn, otp = self.times(time_to_first, time_to_hub, transferred)
        nt = self._tables["untreated"]
        isch = 1.0 - self.p["haemorrhagic_share"]
        lvo = isch * self.p["lvo_share"]
        good = (isch - lvo) * nt[1] + lvo * nt[2] + added
        return AreaOutcomes(good=good, added_good=added, added_utility=utility,
                            columns={"onset_to_needle_minutes": otn, "onset_to_puncture_minutes": otp})

    def per_admission_routed(self, minutes_by_site: np.ndarray, hub_site: np.ndarray, time_to_first: np.ndarray,
                             time_to_hub: np.ndarray, transferred: np.ndarray) -> AreaOutcomes:
        """:meth:`per_admission`, the same values to the bit, with the areas that go straight
        to their hub by road (not transferred, time to hub = the matrix's minutes to that
        hub) read from a table of every area x site (:func:`direct_outcome_table`, built
        once per matrix and parameters); only the other areas (transfers, helicopter) are
        worked out. Nationally a lookup of about 0.3 ms instead of about 2 ms."""
        first = np.asarray(time_to_first, dtype=np.float64)
        hub = np.asarray(time_to_hub, dtype=np.float64)
        transferred = np.asarray(transferred, dtype=bool)
        minutes = np.asarray(minutes_by_site)
        if minutes.ndim != 2 or hub.ndim != 1 or minutes.shape[1] != len(hub):
            return self.per_admission(first, hub, transferred)
        table = direct_outcome_table(self, minutes)
        flat = np.asarray(hub_site, dtype=np.intp) * minutes.shape[1] + np.arange(len(hub))
        straight = ~transferred & (first == hub) & (hub == minutes.reshape(-1).take(flat))
        added = table["good"].reshape(-1).take(flat)
        utility = table["utility"].reshape(-1).take(flat)
        if not straight.all():
            rest = ~straight
            worked = self.value_matrices(first[rest], hub[rest], transferred[rest], ("good", "utility"))
            added[rest] = worked["good"]
            utility[rest] = worked["utility"]
        return self._area_outcomes(first, hub, transferred, added, utility)

    @property
    def table_key(self) -> tuple[tuple[str, float], ...]:
        """What a table of this model's values depends on: its parameters."""
        return tuple(sorted(self.p.items()))

    def per_admission_exact(self, time_to_first: np.ndarray, time_to_hub: np.ndarray,
                            transferred: np.ndarray) -> AreaOutcomes:
        """:meth:`per_admission` with ``stroke-outcome`` called directly on every cohort at
        these times (the reference: tests and the benchmark)."""
        otn, otp = self.times(time_to_first, time_to_hub, transferred)
        res = self.cohort_outcomes(otn, otp)
        nt = {code: float(res[f"untreated_{code}"]["good"][0]) for code in (1, 2)}
        good = np.full(len(otn), self.untreated[1] * nt[1] + self.untreated[2] * nt[2])
        added = np.zeros(len(otn))
        utility = np.zeros(len(otn))
        for name, code, _, _, share in self.cohorts:
            good += share * res[name]["good"]
            added += share * (res[name]["good"] - nt[code])
            utility += share * res[name]["utility_shift"]
        return AreaOutcomes(good=good, added_good=added, added_utility=utility,
                            columns={"onset_to_needle_minutes": otn, "onset_to_puncture_minutes": otp})

    # ---------------------------------------------------------------- tabulated
    @property
    def _tables(self) -> dict[str, Any]:
        cached = getattr(self, "_tables_cache", None)
        if cached is None:
            cached = _stroke_tables()
            self._tables_cache = cached
        return cached

    def value_matrix(self, first_minutes: np.ndarray, hub_minutes: np.ndarray, transferred: np.ndarray,
                     measure: str = "good") -> np.ndarray:
        return self.value_matrices(first_minutes, hub_minutes, transferred, (measure,))[measure]

    def value_matrices(self, first_minutes: np.ndarray, hub_minutes: np.ndarray, transferred: np.ndarray,
                       measures: tuple[str, ...] = ("good", "utility")) -> dict[str, np.ndarray]:
        """:meth:`value_matrix` for several measures at once: the times, where they fall on
        the grid and which LVO patients get thrombolysis rather than thrombectomy are worked
        out once for all of them (the same values, to the bit, as one measure at a time)."""
        keys = {"good": "good", "utility": "utility_shift"}
        unknown = [m for m in measures if m not in keys]
        if unknown:
            raise ValueError(f"unknown outcome measure {unknown[0]!r}: expected good or utility")
        otn, otp = self.times(first_minutes, hub_minutes, transferred)
        tables = self._tables
        t, slopes, nt = tables["curves"], tables["slopes"], tables["untreated"]
        # linear interpolation on the regular grid: where each time falls, worked out once
        # for onset-to-needle and once for onset-to-puncture, then a lookup per curve of its
        # value and of its step to the next grid point (c[i] + frac * (c[i + 1] - c[i]), the
        # same values as np.interp on the grid, without a binary search per curve)
        needle, puncture = _grid_place(otn), _grid_place(otp)

        def at(curve: str, what: str, place: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
            i, frac = place
            return t[curve][what][i] + frac * slopes[curve][what][i]  # type: ignore[no-any-return]

        use_ivt = None
        shape = np.broadcast(otn, otp).shape
        values: dict[str, np.ndarray] = {}
        for measure in measures:
            key = keys[measure]
            value = np.zeros(shape)
            for name, code, _, _, share in self.cohorts:
                if share == 0:
                    continue
                if name == "nlvo_ivt":
                    v = at("nlvo_ivt", key, needle)
                elif name == "lvo_ivt_only":
                    v = at("lvo_ivt", key, needle)
                elif name == "lvo_mt_only":
                    v = at("lvo_mt", key, puncture)
                else:
                    # the package's rule for IVT and MT: the one with the lower mRS shift (a tie:
                    # MT) when both are given (within their no-effect times); else the one given
                    if use_ivt is None:
                        ivt_shift, mt_shift = at("lvo_ivt", "mrs_shift", needle), at("lvo_mt", "mrs_shift", puncture)
                        use_ivt = np.where(otp >= MT_NO_EFFECT_MINUTES, True,
                                           np.where(otn >= IVT_NO_EFFECT_MINUTES, False, ivt_shift < mt_shift))
                    v = np.where(use_ivt, at("lvo_ivt", key, needle), at("lvo_mt", key, puncture))
                # counted only while it helps (see _only_if_it_helps)
                v = np.maximum(v - nt[code], 0.0) if key == "good" else np.maximum(v, 0.0)
                value = value + share * v
            values[measure] = value
        return values


#: Tables kept by :func:`direct_outcome_table` (two national tables are about 66 MB each).
DIRECT_TABLES_KEPT = 2
_DIRECT_TABLES: "OrderedDict[tuple[int, tuple[tuple[str, float], ...]], tuple[Any, dict[str, np.ndarray]]]" = OrderedDict()
_DIRECT_TABLES_LOCK = threading.Lock()
#: Sites per block when a table is built (bounds the temporaries: about 40 MB nationally).
_TABLE_BLOCK_SITES = 16


def direct_outcome_table(model: StrokeModel, minutes_by_site: np.ndarray) -> dict[str, np.ndarray]:
    """``{"good", "utility"}``: the added good outcomes and utility per admission of every
    area (columns) going straight to every site (rows) of the site-major road minutes,
    read only, worked out by :meth:`StrokeModel.value_matrices` (about 0.2 s nationally)
    and kept for the last :data:`DIRECT_TABLES_KEPT` matrices and parameter sets."""
    key = (id(minutes_by_site), model.table_key)
    with _DIRECT_TABLES_LOCK:
        kept = _DIRECT_TABLES.get(key)
        if kept is not None and kept[0]() is minutes_by_site:
            _DIRECT_TABLES.move_to_end(key)
            return kept[1]
    n_sites, n_areas = minutes_by_site.shape
    table = {"good": np.empty((n_sites, n_areas)), "utility": np.empty((n_sites, n_areas))}
    for start in range(0, n_sites, _TABLE_BLOCK_SITES):
        rows = np.asarray(minutes_by_site[start:start + _TABLE_BLOCK_SITES], dtype=np.float64)
        block = model.value_matrices(rows, rows, np.zeros(rows.shape, dtype=bool), ("good", "utility"))
        table["good"][start:start + len(rows)] = block["good"]
        table["utility"][start:start + len(rows)] = block["utility"]
    for values in table.values():
        values.setflags(write=False)
    with _DIRECT_TABLES_LOCK:
        _DIRECT_TABLES[key] = (weakref.ref(minutes_by_site), table)
        _DIRECT_TABLES.move_to_end(key)
        while len(_DIRECT_TABLES) > DIRECT_TABLES_KEPT:
            _DIRECT_TABLES.popitem(last=False)
    return table


def _grid_place(minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index of the grid point at or below each time and the fraction to the next (times
    beyond the grid's end, 1440 min, take its last value: every curve is flat there)."""
    last = int(round(1440.0 / GRID_MINUTES))
    x = np.clip(np.asarray(minutes, dtype=np.float64), 0.0, 1440.0) / GRID_MINUTES
    i = np.minimum(np.floor(x).astype(np.intp), last - 1)
    return i, x - i


@lru_cache(maxsize=1)
def _package_version() -> str:
    from importlib import metadata

    try:
        return metadata.version("stroke-outcome")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        return "(not installed)"


def _call_package(stroke_type: np.ndarray, ivt: np.ndarray, mt: np.ndarray, otn: np.ndarray,
                  otp: np.ndarray) -> dict[str, np.ndarray]:
    """One ``stroke_outcome.continuous_outcome.Continuous_outcome`` run (a fresh model: the
    package keeps trial data between calls); its stdout (a labelling notice printed under
    pandas 3) is swallowed so that JSON output stays clean."""
    import pandas as pd
    from stroke_outcome.continuous_outcome import Continuous_outcome

    frame = pd.DataFrame({
        "stroke_type_code": stroke_type.astype(np.int64),
        "onset_to_needle_mins": np.asarray(otn, dtype=np.float64),
        "ivt_chosen_bool": ivt.astype(np.int64),
        "onset_to_puncture_mins": np.asarray(otp, dtype=np.float64),
        "mt_chosen_bool": mt.astype(np.int64),
    })
    with _PACKAGE_LOCK, contextlib.redirect_stdout(io.StringIO()):
        model = Continuous_outcome()
        model.assign_patients_to_trial(frame)
        _, _, full = model.calculate_outcomes()
    return {
        "good": np.asarray(full["each_patient_mrs_dist_post_stroke"], dtype=np.float64)[:, 2],
        "utility": np.asarray(full["each_patient_utility_post_stroke"], dtype=np.float64),
        "utility_shift": np.asarray(full["each_patient_utility_shift"], dtype=np.float64),
        "mrs_shift": np.asarray(full["each_patient_mrs_shift"], dtype=np.float64),
    }


def _only_if_it_helps(outcome: dict[str, np.ndarray], untreated_good: float) -> dict[str, np.ndarray]:
    """A treatment counts only while it helps: where the package's expected outcome with it
    is below no treatment (close to the no-effect time, from treatment-related deaths:
    mRS from 364 min for nLVO thrombolysis, 446 min for thrombectomy), the patient counts
    as untreated. Each measure is judged on its own, so every one falls with time and
    is the no-treatment value past the windows."""
    return {
        "good": np.maximum(outcome["good"], untreated_good),
        "utility_shift": np.maximum(outcome["utility_shift"], 0.0),
        "mrs_shift": np.minimum(outcome["mrs_shift"], 0.0),
        "utility": outcome["utility"] - outcome["utility_shift"] + np.maximum(outcome["utility_shift"], 0.0),
    }


#: One caller of the package at a time: it is not thread-safe (a model's trial data are
#: shared between instances) and swallowing its stdout swaps the process's ``sys.stdout``,
#: so two server threads that built the tables at once got broadcast errors and left
#: ``sys.stdout`` pointing at a thread's buffer.
_PACKAGE_LOCK = threading.RLock()


def _stroke_tables() -> dict[str, Any]:
    """The package's outcome of each treatment on a grid of minutes from onset (treatment
    past its no-effect time not given, as in :meth:`StrokeModel.cohort_outcomes`), built
    once per process whichever thread asks first."""
    with _PACKAGE_LOCK:
        return _build_stroke_tables()


def prepare_tables() -> None:
    """Build the stroke outcome tables now (about 1.4 s) rather than on the first
    evaluation that needs them: a server does this before it forks its workers."""
    _stroke_tables()


@lru_cache(maxsize=1)
def _build_stroke_tables() -> dict[str, Any]:
    grid = np.arange(0.0, 1440.0 + GRID_MINUTES / 2, GRID_MINUTES)
    n = len(grid)
    curves = {}
    for name, code, gives_ivt, gives_mt in (("nlvo_ivt", 1, True, False), ("lvo_ivt", 2, True, False),
                                            ("lvo_mt", 2, False, True)):
        ivt = np.full(n, gives_ivt) & (grid < IVT_NO_EFFECT_MINUTES)
        mt = np.full(n, gives_mt) & (grid < MT_NO_EFFECT_MINUTES)
        curves[name] = _call_package(np.full(n, code), ivt, mt, grid, grid)
    untreated = _call_package(np.array([1, 2]), np.zeros(2, bool), np.zeros(2, bool), np.zeros(2), np.zeros(2))
    # each curve's step from one grid point to the next, for the interpolation
    slopes = {name: {what: values[1:] - values[:-1] for what, values in curve.items()} for name, curve in curves.items()}
    return {"grid": grid, "curves": curves, "slopes": slopes,
            "untreated": {1: float(untreated["good"][0]), 2: float(untreated["good"][1])}}


# --------------------------------------------------------------------------- curve
@dataclass(frozen=True, eq=False)
class Curve:
    """A user's outcome curve: minutes and the probability of a good outcome."""

    minutes: tuple[float, ...]
    good: tuple[float, ...]
    measure: str
    source: str
    confidence: str
    path: str


def read_curve(path: str | Path) -> Curve:
    """Read an outcome curve CSV: ``minutes`` and either ``good_outcome`` (probability of a
    good outcome, e.g. survival) or ``risk`` (probability of a bad one, e.g. death), plus
    optional ``measure``, ``source`` and ``confidence`` columns (one value for every row).

    Minutes must rise strictly; the good-outcome probability must not rise with minutes
    (a curve where waiting longer helps is not an outcome of access). Errors name the
    file, row and column.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(f"{p}: cannot read the outcome curve ({exc.strerror or exc})") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    header = [h.strip() for h in (csv.reader(io.StringIO(text)).__next__() if text.strip() else [])]
    if "minutes" not in header or not ({"good_outcome", "risk"} & set(header)):
        raise InputError(f"{p}: an outcome curve needs columns minutes and good_outcome (or risk), "
                         f"got {', '.join(header) or 'no header'}")
    if "good_outcome" in header and "risk" in header:
        raise InputError(f"{p}: give good_outcome or risk, not both")
    column = "good_outcome" if "good_outcome" in header else "risk"
    if len(rows) < 2:
        raise InputError(f"{p}: an outcome curve needs at least two rows, got {len(rows)}")
    minutes: list[float] = []
    good: list[float] = []
    for i, row in enumerate(rows, start=2):
        row = {str(k).strip(): v for k, v in row.items()}
        for name, low, high in (("minutes", 0.0, 1440.0), (column, 0.0, 1.0)):
            raw = (row.get(name) or "").strip()
            try:
                value = float(raw)
            except ValueError:
                value = math.nan
            if not (math.isfinite(value) and low <= value <= high):
                raise InputError(f"{p}: row {i}, column {name}: expected a number from {low:g} to {high:g}, "
                                 f"got {raw!r}")
            if name == "minutes":
                if minutes and value <= minutes[-1]:
                    raise InputError(f"{p}: row {i}, column minutes: {value:g} does not come after "
                                     f"{minutes[-1]:g} (minutes must rise from row to row)")
                minutes.append(value)
            else:
                good.append(value if column == "good_outcome" else 1.0 - value)
        if len(good) > 1 and good[-1] > good[-2] + 1e-12:
            raise InputError(f"{p}: row {i}, column {column}: the outcome {'improves' if column == 'good_outcome' else 'risk falls'} "
                             "with more minutes; a curve of outcome against access time must not")
    meta = {}
    for name in ("measure", "source", "confidence"):
        values = {(r.get(name) or "").strip() for r in rows} if name in header else {""}
        if len(values) > 1:
            raise InputError(f"{p}: column {name}: expected one value for every row, got {len(values)} different")
        meta[name] = values.pop()
    if not meta["source"]:
        raise InputError(f"{p}: column source: an outcome curve must say where it comes from "
                         "(a source column, e.g. a paper or local audit)")
    if meta["confidence"]:
        grades = {"h": "H", "m": "M", "l": "L", "derived": "derived", "assumption": "assumption"}
        if meta["confidence"].lower() not in grades:
            raise InputError(f"{p}: column confidence: expected H, M or L (high, medium, low), derived or "
                             f"assumption, as in presets.toml, got {meta['confidence']!r}")
        meta["confidence"] = grades[meta["confidence"].lower()]
    measure = meta["measure"] or ("good outcome" if column == "good_outcome" else "no bad outcome")
    return Curve(tuple(minutes), tuple(good), measure, meta["source"], meta["confidence"] or "not given", str(p))


class CurveModel(OutcomeModel):
    """The ``curve`` model: probability of a good outcome against minutes to the hub."""

    name = "curve"

    def __init__(self, curve: Curve) -> None:
        self.curve = curve
        self._t = np.asarray(curve.minutes)
        self._g = np.asarray(curve.good)
        self.measure = curve.measure
        self.baseline = f"the curve's value at its last point ({curve.minutes[-1]:g} min)"
        self.source = f"user curve {Path(curve.path).name}: {curve.source} (confidence {curve.confidence})"
        self.notes = (f"ESTIMATED: {curve.measure} from the user's curve {Path(curve.path).name} "
                      f"({curve.source}; confidence {curve.confidence}) against minutes to the hub, interpolated "
                      "linearly between its points and flat beyond them",)
        self.parameter_rows = ({"parameter": "outcome_curve", "value": Path(curve.path).name,
                                "unit": "minutes -> probability", "source": curve.source,
                                "confidence": curve.confidence, "note": curve.measure},)

    def per_admission(self, time_to_first: np.ndarray, time_to_hub: np.ndarray,
                      transferred: np.ndarray) -> AreaOutcomes:
        good = np.interp(np.asarray(time_to_hub, dtype=np.float64), self._t, self._g)
        return AreaOutcomes(good=good, added_good=good - self._g[-1], added_utility=None)

    def value_matrix(self, first_minutes: np.ndarray, hub_minutes: np.ndarray, transferred: np.ndarray,
                     measure: str = "good") -> np.ndarray:
        if measure != "good":
            raise InputError("an outcome curve has no utility: optimise for good outcomes")
        return np.interp(np.asarray(hub_minutes, dtype=np.float64), self._t, self._g) - self._g[-1]  # type: ignore[no-any-return]


# --------------------------------------------------------------------------- per service
def outcome_model(service: Service) -> OutcomeModel | None:
    """The service's outcome model, or ``None`` when it has none (docs/outcomes.md)."""
    settings = dict(service.outcome)
    if not settings:
        return None
    model = settings.get("model")
    if model == "stroke":
        return StrokeModel(settings, service.name, tuple(_rows(service, settings)))
    if model == "curve":
        path = settings.get("curve")
        if not isinstance(path, (str, Path)):
            raise InputError(f"service {service.name!r}: the curve outcome model needs curve = \"FILE.csv\"")
        return CurveModel(read_curve(path))
    if model is None:  # figures for a model the service does not have
        raise InputError(f"service {service.name!r} has no outcome model to change (given: "
                         f"{', '.join(sorted(map(str, settings)))}): give a curve instead, outcome_curve = "
                         "\"FILE.csv\" under [service] or --outcome-curve FILE.csv (docs/outcomes.md)")
    raise InputError(f"service {service.name!r}: outcome model must be 'stroke' or 'curve', got {shown(model)}")


def _rows(service: Service, settings: Mapping[str, Any]) -> list[dict[str, Any]]:
    units = {p.name: p.unit for p in STROKE_PARAMETERS}
    rows = []
    for name, value in settings.items():
        if name == "model":
            continue
        src = service.sources.get(f"outcome.{name}")
        rows.append({"parameter": f"outcome.{name}", "value": value,
                     "unit": (src.unit if src and src.unit else units.get(name, "")),
                     "source": src.key if src else "", "confidence": src.confidence if src else "",
                     "note": src.note if src else ""})
    return rows


def outcome_summary(model: OutcomeModel, values: AreaOutcomes, patients: np.ndarray) -> dict[str, Any]:
    """The ``outcomes`` object of an evaluation's summary (docs/json.md)."""
    w = np.asarray(patients, dtype=np.float64)
    return {
        "measure": model.measure,
        "model": model.name,
        "good_outcomes_per_year": float(np.dot(w, values.good)),
        "added_good_outcomes_per_year": float(np.dot(w, values.added_good)),
        "added_utility_per_year": None if values.added_utility is None else float(np.dot(w, values.added_utility)),
        "baseline": model.baseline,
        "source": model.source,
        "estimated": True,
        "notes": list(model.notes),
        "parameters": [dict(r) for r in model.parameter_rows],
    }


def no_outcome_summary(service: Service) -> dict[str, Any]:
    """The ``outcomes`` object when a service has no outcome model."""
    return {
        "measure": None, "model": None, "good_outcomes_per_year": None, "added_good_outcomes_per_year": None,
        "added_utility_per_year": None, "baseline": None, "source": None, "estimated": False,
        "notes": [f"no outcome model for {service.name}: hubplan ships one for stroke services only, and none "
                  "where the evidence conflicts; give your own curve with --outcome-curve FILE.csv "
                  "(docs/outcomes.md)"],
        "parameters": [],
    }
