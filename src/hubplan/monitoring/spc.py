"""Statistical process control: XmR charts of monthly activity in the NHS "Making Data Count" style.

An XmR (individuals and moving range) chart draws each period's value against the mean and
process limits worked out from the data themselves (Wheeler; NHS England "Making Data
Count"; the NHS-R community's NHSRplotthedots package). For values :math:`x_1 \\dots x_n`
(or the first ``baseline`` of them, which then fix the limits for later points):

* centre :math:`\\bar x`, the mean of the values;
* moving ranges :math:`MR_t = |x_t - x_{t-1}|` and their mean :math:`\\overline{MR}`;
* process limits :math:`\\bar x \\pm 2.66\\,\\overline{MR}` (3 sigma, with
  :math:`\\sigma = 2.66\\,\\overline{MR}/3 \\approx \\overline{MR}/1.128`), and the 2-sigma lines
  :math:`\\bar x \\pm \\tfrac{2}{3} 2.66\\,\\overline{MR}`.

A point is *special cause* when it triggers one of four rules (:class:`Rule`), each within
one segment of the chart (the limits are recalculated at each ``rebase`` period):

1. ``beyond_limits``: the point lies above the upper or below the lower process limit;
2. ``run``: it is one of 7 or more consecutive points on the same side of the mean (a point
   exactly on the mean breaks the run); every point of the run is flagged;
3. ``trend``: it is one of 6 or more consecutive points each higher (or each lower) than the
   one before (equal neighbours break the trend); every point of the trend is flagged;
4. ``two_of_three``: two or three of three consecutive points lie beyond the same 2-sigma
   line; the points beyond it are flagged.

Otherwise the variation is *common cause*. Special cause has a direction (high or low; for
a point flagged by several rules the first of beyond limits, trend, two of three, run
decides); with an improvement direction (``up`` or ``down``) it is ``improvement``
(blue in Making Data Count) or ``concern`` (orange), without one ``neither`` (purple).
Given a target, the *assurance* compares it with the latest segment's limits: a target
outside the limits on the bad side is always passed (``consistently_passing``), on the
good side never reached (``consistently_failing``), and between them ``hit_and_miss``.

>>> chart = spc_chart([f"2024-{m:02d}" for m in range(1, 13)], [10, 12] * 6, improvement="up")
>>> chart.segments[0].mean, chart.segments[0].mean_moving_range, round(chart.segments[0].upper_limit, 2)
(11.0, 2.0, 16.32)
>>> chart.counts
{'beyond_limits': 0, 'run': 0, 'trend': 0, 'two_of_three': 0}
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hubplan.files import read_csv_records
from hubplan.errors import InputError
from hubplan.jsonable import to_jsonable

#: The XmR constant: 3 / d2 with d2 = 1.128 for moving ranges of two points (Making Data Count uses 2.66).
XMR_LIMIT = 2.66
#: Fewest points the limits are computed from. NHSRplotthedots calls limits from fewer than
#: 12 points "trial limits" and fixes them after 12 by default; with 12 points a run of 7 and a
#: trend of 6 can both be seen.
MIN_POINTS = 12
#: Consecutive points on one side of the mean that make a run (Making Data Count: 7).
RUN_POINTS = 7
#: Consecutive increasing or decreasing points that make a trend (6, as in Western Electric /
#: Nelson's rule 3; NHSRplotthedots uses 7, which ``trend_points=7`` gives).
TREND_POINTS = 6


class Rule(str, Enum):
    """The special-cause rules, in the order that decides a point's direction."""

    BEYOND_LIMITS = "beyond_limits"
    TREND = "trend"
    TWO_OF_THREE = "two_of_three"
    RUN = "run"


#: The rules in the order they are listed in counts and tables.
RULES_LISTED = (Rule.BEYOND_LIMITS, Rule.RUN, Rule.TREND, Rule.TWO_OF_THREE)


class Improvement(str, Enum):
    """Which direction of the value is better."""

    UP = "up"
    DOWN = "down"
    NONE = "none"


class Variation(str, Enum):
    """A point's variation, as Making Data Count colours it."""

    COMMON_CAUSE = "common_cause"  # grey
    IMPROVEMENT = "improvement"  # blue
    CONCERN = "concern"  # orange
    NEITHER = "neither"  # purple: special cause without an improvement direction


class Assurance(str, Enum):
    """Whether the process, as it stands, meets a target."""

    CONSISTENTLY_PASSING = "consistently_passing"
    HIT_AND_MISS = "hit_and_miss"
    CONSISTENTLY_FAILING = "consistently_failing"


COLOURS = {
    Variation.COMMON_CAUSE.value: "#a6a6a6",
    Variation.IMPROVEMENT.value: "#00b0f0",
    Variation.CONCERN.value: "#e46c0a",
    Variation.NEITHER.value: "#490092",
}


@dataclass(frozen=True)
class XmrLimits:
    """Mean and limits of one segment, from its first ``baseline_points`` values."""

    mean: float
    mean_moving_range: float
    baseline_points: int

    @property
    def sigma(self) -> float:
        """One sigma: 2.66 MR-bar / 3 (about MR-bar / 1.128)."""
        return XMR_LIMIT * self.mean_moving_range / 3

    @property
    def upper_limit(self) -> float:
        return self.mean + XMR_LIMIT * self.mean_moving_range

    @property
    def lower_limit(self) -> float:
        return self.mean - XMR_LIMIT * self.mean_moving_range

    @property
    def upper_2sigma(self) -> float:
        return self.mean + 2 * self.sigma

    @property
    def lower_2sigma(self) -> float:
        return self.mean - 2 * self.sigma


def xmr_limits(values: Sequence[float] | np.ndarray, baseline: int | None = None) -> XmrLimits:
    """The XmR mean and mean moving range of ``values`` (of the first ``baseline`` of them)."""
    v = np.asarray(values, dtype=float)
    base = v if baseline is None else v[:baseline]
    if len(base) < 2:
        raise ValueError("XmR limits need at least two values")
    return XmrLimits(float(base.mean()), float(np.abs(np.diff(base)).mean()), len(base))


def _stretches(signs: np.ndarray) -> list[tuple[int, int, int]]:
    """Maximal stretches of equal values: (first index, index after the last, value)."""
    found = []
    start = 0
    for i in range(1, len(signs) + 1):
        if i == len(signs) or signs[i] != signs[start]:
            found.append((start, i, int(signs[start])))
            start = i
    return found


def special_causes(
    values: Sequence[float] | np.ndarray,
    limits: XmrLimits,
    *,
    run_points: int = RUN_POINTS,
    trend_points: int = TREND_POINTS,
) -> list[dict[Rule, int]]:
    """For each point, the rules it triggers and their direction (+1 high, -1 low).

    ``values`` are one segment's, in period order; the rules are those of the module
    docstring. A point at the peak of a trend up that is followed by a trend down takes
    the later trend's direction.
    """
    v = np.asarray(values, dtype=float)
    found: list[dict[Rule, int]] = [{} for _ in range(len(v))]
    for i, x in enumerate(v):
        if x > limits.upper_limit:
            found[i][Rule.BEYOND_LIMITS] = 1
        elif x < limits.lower_limit:
            found[i][Rule.BEYOND_LIMITS] = -1
    for start, end, side in _stretches(np.sign(v - limits.mean)):
        if side and end - start >= run_points:
            for i in range(start, end):
                found[i][Rule.RUN] = side
    steps = np.sign(np.diff(v))
    for start, end, direction in _stretches(steps):
        # steps start..end-1 join points start..end: end - start + 1 points
        if direction and end - start + 1 >= trend_points:
            for i in range(start, end + 1):
                found[i][Rule.TREND] = direction
    for beyond, side in ((v > limits.upper_2sigma, 1), (v < limits.lower_2sigma, -1)):
        for i in range(len(v) - 2):
            if beyond[i:i + 3].sum() >= 2:
                for j in range(i, i + 3):
                    if beyond[j]:
                        found[j][Rule.TWO_OF_THREE] = side
    return found


def _variation(direction: int, improvement: Improvement) -> Variation:
    if direction == 0:
        return Variation.COMMON_CAUSE
    if improvement is Improvement.NONE:
        return Variation.NEITHER
    good = 1 if improvement is Improvement.UP else -1
    return Variation.IMPROVEMENT if direction == good else Variation.CONCERN


def assurance(limits: XmrLimits, target: float, improvement: Improvement) -> Assurance:
    """Making Data Count assurance: where ``target`` lies against the process limits."""
    if improvement is Improvement.NONE:
        raise InputError("--target: an assurance needs --improvement up or down (which side of the target passes)")
    if limits.lower_limit <= target <= limits.upper_limit:
        return Assurance.HIT_AND_MISS
    above = target > limits.upper_limit
    # improvement up: a target above every likely value is never reached
    failing = above if improvement is Improvement.UP else not above
    return Assurance.CONSISTENTLY_FAILING if failing else Assurance.CONSISTENTLY_PASSING


@dataclass(frozen=True)
class SpcSettings:
    """How the charts are drawn (validated on construction).

    ``baseline``: the limits of each segment come from its first ``baseline`` points
    (at least ``min_points``); ``rebase``: periods at which a new segment, with its own
    mean and limits, starts.
    """

    improvement: Improvement = Improvement.NONE
    target: float | None = None
    baseline: int | None = None
    rebase: tuple[dt.date, ...] = ()
    run_points: int = RUN_POINTS
    trend_points: int = TREND_POINTS
    min_points: int = MIN_POINTS

    def __post_init__(self) -> None:
        object.__setattr__(self, "improvement", _improvement(self.improvement))
        object.__setattr__(self, "rebase", tuple(sorted(_date(p, "--rebase") for p in self.rebase)))
        if self.target is not None and not math.isfinite(self.target):
            raise InputError(f"--target: {self.target} is not a finite number")
        if self.target is not None and self.improvement is Improvement.NONE:
            raise InputError("--target: an assurance needs --improvement up or down (which side of the target passes)")
        if self.min_points < 2:
            raise InputError(f"min_points: {self.min_points}; expected at least 2")
        if self.baseline is not None and self.baseline < self.min_points:
            raise InputError(
                f"--baseline: {self.baseline} points; the limits need at least {self.min_points} "
                "(fewer give only trial limits)"
            )
        for name, value in (("--run-points", self.run_points), ("--trend-points", self.trend_points)):
            if not 3 <= value <= 15:
                raise InputError(f"{name}: {value}; expected a whole number of points from 3 to 15")


def _improvement(value: Improvement | str | None) -> Improvement:
    if isinstance(value, Improvement):
        return value
    text = "none" if value is None else str(value).strip().lower()
    try:
        return Improvement(text)
    except ValueError:
        raise InputError(f"--improvement '{value}': expected up, down or none") from None


_PERIOD = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def parse_period(text: str) -> dt.date | None:
    """An ISO ``yyyy-mm-dd`` or ``yyyy-mm`` period as a date (``yyyy-mm`` = its first day), else ``None``."""
    match = _PERIOD.fullmatch(text.strip())
    if match is None:
        return None
    year, month, day = int(match.group(1)), int(match.group(2)), int(match.group(3) or 1)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _date(value: dt.date | str, option: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    parsed = parse_period(str(value))
    if parsed is None:
        raise InputError(f"{option} '{value}': expected a period as yyyy-mm-dd or yyyy-mm")
    return parsed


@dataclass(frozen=True)
class Segment:
    """One stretch of a chart with its own mean and limits."""

    start: str
    end: str
    points: int
    limits: XmrLimits

    @property
    def mean(self) -> float:
        return self.limits.mean

    @property
    def mean_moving_range(self) -> float:
        return self.limits.mean_moving_range

    @property
    def upper_limit(self) -> float:
        return self.limits.upper_limit

    @property
    def lower_limit(self) -> float:
        return self.limits.lower_limit

    def to_dict(self) -> dict[str, Any]:
        lim = self.limits
        return {
            "start": self.start, "end": self.end, "points": self.points, "baseline_points": lim.baseline_points,
            "mean": lim.mean, "mean_moving_range": lim.mean_moving_range, "sigma": lim.sigma,
            "lower_limit": lim.lower_limit, "upper_limit": lim.upper_limit,
            "lower_2sigma": lim.lower_2sigma, "upper_2sigma": lim.upper_2sigma,
        }


#: Columns of :attr:`SpcChart.points`.
POINT_COLUMNS = ["period", "value", "segment", "mean", "lower_limit", "upper_limit", "lower_2sigma",
                 "upper_2sigma", "moving_range", "rules", "direction", "variation"]


@dataclass(frozen=True)
class SpcChart:
    """One XmR chart: its segments and one row per point (:data:`POINT_COLUMNS`).

    ``points['rules']`` holds a tuple of rule names per point (empty: common cause);
    ``direction`` is ``high``, ``low`` or ``None``.
    """

    group: str | None
    points: pd.DataFrame
    segments: tuple[Segment, ...]
    settings: SpcSettings
    assurance: Assurance | None

    @property
    def counts(self) -> dict[str, int]:
        """Points flagged by each rule (a point can count under several)."""
        return {rule.value: int(sum(rule.value in rules for rules in self.points["rules"])) for rule in RULES_LISTED}

    @property
    def variation_counts(self) -> dict[str, int]:
        return {v.value: int((self.points["variation"] == v.value).sum()) for v in Variation}

    @property
    def special_cause_points(self) -> int:
        return int((self.points["variation"] != Variation.COMMON_CAUSE.value).sum())

    def to_dict(self) -> dict[str, Any]:
        last = self.points.iloc[-1]
        return {
            "group": self.group,
            "segments": [s.to_dict() for s in self.segments],
            "special_cause_points": self.special_cause_points,
            "counts": self.counts,
            "variation_counts": self.variation_counts,
            "latest": {"period": last["period"], "value": last["value"], "variation": last["variation"]},
            "assurance": None if self.assurance is None else self.assurance.value,
            "points": [
                {key: (list(row[key]) if key == "rules" else row[key]) for key in self.points.columns}
                for _, row in self.points.iterrows()
            ],
        }


def spc_chart(
    periods: Sequence[str | dt.date],
    values: Sequence[float] | np.ndarray,
    settings: SpcSettings | None = None,
    *,
    group: str | None = None,
    where: str = "values",
    extra_columns: dict[str, np.ndarray] | None = None,
    **options: Any,
) -> SpcChart:
    """The XmR chart of ``values`` over ``periods`` (in order, each period once).

    ``settings`` or keyword ``options`` (the fields of :class:`SpcSettings`, e.g.
    ``improvement="down"``); ``where`` names the series in messages (the file and group);
    ``extra_columns`` (one value per point, e.g. a rate's numerator and denominator) are
    added to :attr:`SpcChart.points` after ``value``.

    Raises
    ------
    InputError
        Periods that do not parse, repeat or are out of order; a segment with fewer than
        ``min_points`` points or fewer than ``baseline``; values that are not finite.
    """
    settings = settings or SpcSettings(**options)
    labels = [p.isoformat() if isinstance(p, dt.date) else str(p).strip() for p in periods]
    dates = [_date(p, f"{where}: period") for p in periods]
    v = np.asarray(values, dtype=float)
    if len(v) != len(dates):
        raise ValueError(f"{len(dates)} periods but {len(v)} values")
    if not np.isfinite(v).all():
        raise InputError(f"{where}: value {v[~np.isfinite(v)][0]} is not a finite number")
    for i in range(1, len(dates)):
        if dates[i] <= dates[i - 1]:
            raise InputError(f"{where}: period {labels[i]} comes after {labels[i - 1]}; expected each period "
                             "once, in order")
    bounds = [0, *(next((i for i, d in enumerate(dates) if d >= r), len(dates)) for r in settings.rebase), len(v)]
    bounds = sorted(set(bounds))
    segments: list[Segment] = []
    rows: list[dict[str, Any]] = []
    for number, (start, end) in enumerate(zip(bounds[:-1], bounds[1:])):
        piece = v[start:end]
        what = f"{where}: {len(piece)} points" + (f" from {labels[start]} to {labels[end - 1]}" if len(bounds) > 2 else "")
        if len(piece) < settings.min_points:
            raise InputError(f"{what}; an XmR chart needs at least {settings.min_points} points for its limits "
                             "(fewer give only trial limits)" + (" in each segment between --rebase periods"
                                                                  if len(bounds) > 2 else ""))
        if settings.baseline is not None and len(piece) < settings.baseline:
            raise InputError(f"{what}, fewer than --baseline {settings.baseline}")
        limits = xmr_limits(piece, settings.baseline)
        segments.append(Segment(labels[start], labels[end - 1], len(piece), limits))
        flags = special_causes(piece, limits, run_points=settings.run_points, trend_points=settings.trend_points)
        for offset, (value, found) in enumerate(zip(piece, flags)):
            direction = next((found[rule] for rule in Rule if rule in found), 0)
            rows.append({
                "period": labels[start + offset], "value": float(value), "segment": number,
                "mean": limits.mean, "lower_limit": limits.lower_limit, "upper_limit": limits.upper_limit,
                "lower_2sigma": limits.lower_2sigma, "upper_2sigma": limits.upper_2sigma,
                "moving_range": None if offset == 0 else float(abs(value - piece[offset - 1])),
                "rules": tuple(rule.value for rule in RULES_LISTED if rule in found),
                "direction": {1: "high", -1: "low"}.get(direction),
                "variation": _variation(direction, settings.improvement).value,
            })
    points = pd.DataFrame(rows, columns=POINT_COLUMNS)
    for position, (name, column) in enumerate((extra_columns or {}).items()):
        points.insert(2 + position, name, np.asarray(column))
    level = None if settings.target is None else assurance(segments[-1].limits, settings.target, settings.improvement)
    return SpcChart(group, points, tuple(segments), settings, level)


# ----------------------------------------------------------------------------- many groups from a CSV
@dataclass(frozen=True)
class SpcColumns:
    """Which CSV columns hold what (matched ignoring case and surrounding spaces).

    ``group`` may name several columns separated by commas (one chart per combination);
    with ``denominator`` the value charted is ``value / denominator * per``.
    """

    period: str = "period"
    value: str = "value"
    group: str | None = None
    denominator: str | None = None

    @property
    def group_columns(self) -> tuple[str, ...]:
        return () if not self.group else tuple(c.strip() for c in self.group.split(",") if c.strip())


@dataclass
class _Row:
    group: str | None
    period: str
    date: dt.date
    row: int
    numerator: float
    denominator: float | None


@dataclass(frozen=True)
class SpcInput:
    """Validated rows of an SPC CSV: ``group``, ``period`` (text), ``date``, ``value``
    [, ``numerator``, ``denominator``] and ``rows`` (spreadsheet rows, header = row 1, of
    each point: several when ``sum`` added rows up), sorted by group and date."""

    frame: pd.DataFrame
    source: str
    columns: SpcColumns
    per: float = 1.0
    notes: tuple[str, ...] = ()


def read_spc_csv(
    path: str | Path, columns: SpcColumns | None = None, *, sum_rows: bool = False, per: float = 1.0
) -> SpcInput:
    """Read and check a CSV of ``period,value[,group]`` rows.

    ``sum_rows`` adds up the rows of the same group and period (the value and the
    denominator separately), e.g. every trust's attendances into England's; without it a
    period repeated within a group is an error. Periods out of order are sorted, with a
    note saying so.

    Raises
    ------
    InputError
        Naming the file, row (header = row 1) and column: a missing column, a period that
        is not ``yyyy-mm-dd`` or ``yyyy-mm``, a repeated period, a value that is not a
        finite number, a denominator that is not > 0.
    """
    columns = columns or SpcColumns()
    path = Path(path)
    source = str(path)
    if not (per > 0 and math.isfinite(per)):
        raise InputError(f"--per: {per}; expected a number > 0")
    header, records = read_csv_records(path, source)
    expected = ", ".join([columns.period, columns.value, *([columns.denominator] if columns.denominator else []),
                          *columns.group_columns])
    if header is None:
        raise InputError(f"{source}: the file is empty; expected a header row with columns {expected}")
    lookup: dict[str, int] = {}
    for index, name in enumerate(header):
        if name.lower() in lookup:
            raise InputError(f"{source}: column '{name}' appears twice in the header")
        lookup[name.lower()] = index
    wanted = [columns.period, columns.value, *([columns.denominator] if columns.denominator else []),
              *columns.group_columns]
    missing = [name for name in wanted if name.lower() not in lookup]
    if missing:
        raise InputError(f"{source}: missing column {', '.join(repr(m) for m in missing)}; expected columns "
                         f"{expected} (found: {', '.join(header)})")
    if not records:
        raise InputError(f"{source}: no rows after the header; expected one row per period")

    columns_found = header

    def cell(record: list[str], name: str) -> str:
        return record[lookup[name.lower()]].strip()

    def number(row: int, record: list[str], name: str, positive: bool = False) -> float:
        text_value = cell(record, name)
        try:
            value = float(text_value)
        except ValueError:
            value = math.nan
        label = columns_found[lookup[name.lower()]]
        if not math.isfinite(value):
            raise InputError(f"{source} row {row}, column '{label}': expected a finite number, got '{text_value}'")
        if positive and not value > 0:
            raise InputError(f"{source} row {row}, column '{label}': expected a denominator > 0, got '{text_value}'")
        return value

    period_label = header[lookup[columns.period.lower()]]
    items: list[_Row] = []
    for row, record in records:
        period = cell(record, columns.period)
        date = parse_period(period)
        if date is None:
            raise InputError(f"{source} row {row}, column '{period_label}': expected a "
                             f"period as yyyy-mm-dd or yyyy-mm, got '{period}'")
        items.append(_Row(
            " / ".join(cell(record, g) for g in columns.group_columns) if columns.group_columns else None,
            period, date, row, number(row, record, columns.value),
            number(row, record, columns.denominator, positive=True) if columns.denominator else None,
        ))
    frame = pd.DataFrame([vars(item) for item in items])
    frame["group_key"] = frame["group"].fillna("")
    notes: list[str] = []
    seen: dict[tuple[str, dt.date], int] = {}
    out_of_order: list[str] = []
    last: dict[str, dt.date] = {}
    for item in items:
        group_key = item.group or ""
        key = (group_key, item.date)
        if key in seen and not sum_rows:
            group_words = f" in group '{item.group}'" if item.group is not None else ""
            raise InputError(
                f"{source} row {item.row}, column '{period_label}': period "
                f"'{item.period}' is repeated{group_words} (first in row {seen[key]}); expected each period "
                "once per group (use --group for one chart per group, or --sum to add the rows up)"
            )
        seen.setdefault(key, item.row)
        if group_key in last and item.date < last[group_key] and group_key not in out_of_order:
            out_of_order.append(group_key)
        last[group_key] = max(item.date, last.get(group_key, item.date))
    if out_of_order:
        which = "" if not columns.group_columns else (
            f" in group{'s' if len(out_of_order) > 1 else ''} " + ", ".join(f"'{g}'" for g in out_of_order[:5])
            + (f" and {len(out_of_order) - 5} more" if len(out_of_order) > 5 else ""))
        notes.append(f"{source}: the periods are not in order{which}; charted in date order")
    aggregations: dict[str, Any] = {"group": "first", "period": "first", "numerator": "sum",
                                    "row": lambda rows: tuple(sorted(rows))}
    if columns.denominator:
        aggregations["denominator"] = "sum"
    grouped = frame.groupby(["group_key", "date"], sort=True, dropna=False).agg(aggregations).reset_index()
    if sum_rows and len(grouped) < len(frame):
        notes.append(f"{source}: added up {len(frame)} rows into {len(grouped)} periods (--sum)")
    grouped = grouped.rename(columns={"row": "rows"})
    if columns.denominator:
        grouped["value"] = grouped["numerator"] / grouped["denominator"] * per
    else:
        grouped["value"] = grouped["numerator"]
        grouped = grouped.drop(columns=["numerator"])
    return SpcInput(grouped.drop(columns=["group_key"]), source, columns, per, tuple(notes))


@dataclass(frozen=True)
class SpcResult:
    """The charts of every group of an input, in group order."""

    charts: tuple[SpcChart, ...]
    settings: SpcSettings
    source: str
    columns: SpcColumns
    per: float = 1.0
    notes: tuple[str, ...] = field(default=())

    def points(self) -> pd.DataFrame:
        """Every point of every chart in one flat table (``group`` first; ``rules`` joined by ``;``)."""
        frames = []
        for chart in self.charts:
            frame = chart.points.copy()
            frame.insert(0, "group", chart.group)
            frames.append(frame)
        table = pd.concat(frames, ignore_index=True)
        table["rules"] = [";".join(rules) for rules in table["rules"]]
        return table

    def to_dict(self) -> dict[str, Any]:
        s = self.settings
        return {
            "source": self.source,
            "period_column": self.columns.period,
            "value_column": self.columns.value,
            "denominator_column": self.columns.denominator,
            "group_columns": list(self.columns.group_columns),
            "per": self.per,
            "improvement": s.improvement.value,
            "target": s.target,
            "baseline": s.baseline,
            "rebase": [d.isoformat() for d in s.rebase],
            "run_points": s.run_points,
            "trend_points": s.trend_points,
            "min_points": s.min_points,
            "notes": list(self.notes),
            "charts": [chart.to_dict() for chart in self.charts],
        }


def spc(data: SpcInput, settings: SpcSettings | None = None, *, skip_short: bool = False) -> SpcResult:
    """One XmR chart per group of ``data`` (see :func:`read_spc_csv`).

    A group with fewer than ``settings.min_points`` periods is an error, or with
    ``skip_short`` left out and named in the result's ``notes`` (at least one chart must
    remain).
    """
    settings = settings or SpcSettings()
    frame = data.frame
    charts = []
    short: list[tuple[str, int]] = []
    group_words = ", ".join(f"'{g}'" for g in data.columns.group_columns)
    for group, part in frame.groupby(frame["group"].fillna(""), sort=True):
        label = None if not data.columns.group_columns else str(group)
        if skip_short and label is not None and len(part) < settings.min_points:
            short.append((label, len(part)))
            continue
        rows = [row for rows in part["rows"] for row in rows]
        where = data.source + (f" column {group_words} = '{label}'" if label is not None else "")
        where += f" (rows {min(rows)}-{max(rows)})" if len(rows) > 1 else f" (row {rows[0]})"
        extra = {c: part[c].to_numpy() for c in ("numerator", "denominator") if c in part.columns}
        charts.append(spc_chart(list(part["period"]), part["value"].to_numpy(), settings, group=label,
                                where=where, extra_columns=extra))
    notes = list(data.notes)
    if short:
        named = ", ".join(f"'{g}' ({n})" for g, n in short[:10]) + (f" and {len(short) - 10} more"
                                                                     if len(short) > 10 else "")
        notes.append(f"{data.source}: left out {len(short)} group{'s' if len(short) > 1 else ''} with fewer than "
                     f"{settings.min_points} periods (--skip-short): {named}")
    if not charts:
        raise InputError(f"{data.source}: every group has fewer than {settings.min_points} periods; an XmR chart "
                         f"needs at least {settings.min_points}")
    return SpcResult(tuple(charts), settings, data.source, data.columns, data.per, tuple(notes))


# ----------------------------------------------------------------------------- writing charts and tables
def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_") or "group"


def chart_stem(chart: SpcChart) -> str:
    """File name stem of a chart: ``spc`` or ``spc_<group>``."""
    return "spc" if chart.group is None else f"spc_{_slug(chart.group)}"


def _title(result: SpcResult, chart: SpcChart, title: str | None) -> str:
    what = title or (result.columns.value if not result.columns.denominator
                     else f"{result.columns.value} / {result.columns.denominator}"
                     + (f" x {result.per:g}" if result.per != 1 else ""))
    return what + ("" if chart.group is None else f" ({', '.join(result.columns.group_columns)} = {chart.group})")


def _caption(chart: SpcChart) -> str:
    last = chart.segments[-1]
    words = (f"XmR chart: mean {last.mean:,.4g}, process limits {last.lower_limit:,.4g} to {last.upper_limit:,.4g} "
             f"(mean +/- 2.66 x mean moving range {last.mean_moving_range:,.4g})")
    if chart.assurance is not None:
        words += f"; target {chart.settings.target:,.4g}: {chart.assurance.value.replace('_', ' ')}"
    return words


def _write_atomic(path: Path, write: Any) -> Path:
    tmp = path.with_name(path.name + ".tmp")
    write(tmp)
    tmp.replace(path)
    return path


def write_png(result: SpcResult, chart: SpcChart, path: str | Path, *, title: str | None = None) -> Path:
    """Draw one chart with matplotlib (Agg canvas, no display) and save it as PNG."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 5.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot(1, 1, 1)
    points = chart.points
    x = pd.to_datetime([parse_period(p) for p in points["period"]])
    axes.plot(x, points["value"], color=COLOURS["common_cause"], linewidth=1.2, zorder=1)
    for number in sorted(set(points["segment"])):
        mask = (points["segment"] == number).to_numpy()
        label = number == 0
        axes.plot(x[mask], points["mean"][mask], color="black", linewidth=1, label="mean" if label else None)
        for column in ("lower_limit", "upper_limit"):
            axes.plot(x[mask], points[column][mask], color="#7f7f7f", linestyle="--", linewidth=1,
                      label="process limits (3 sigma)" if label and column == "lower_limit" else None)
        for column in ("lower_2sigma", "upper_2sigma"):
            axes.plot(x[mask], points[column][mask], color="#c8c8c8", linestyle=":", linewidth=1,
                      label="2 sigma" if label and column == "lower_2sigma" else None)
    if chart.settings.target is not None:
        axes.axhline(chart.settings.target, color="#de1b1b", linewidth=1, label=f"target {chart.settings.target:,.4g}")
    for variation, colour in COLOURS.items():
        mask = (points["variation"] == variation).to_numpy()
        if mask.any():
            axes.scatter(x[mask], points["value"][mask], s=30, color=colour, edgecolor="white", linewidth=0.5,
                         zorder=3, label=f"{variation.replace('_', ' ')}: {int(mask.sum())}")
    axes.set_title(_title(result, chart, title))
    axes.set_ylabel(title or _title(result, chart, None).split(" (")[0])
    axes.grid(alpha=0.25)
    axes.legend(fontsize=8, loc="best")
    figure.text(0.01, 0.01, _caption(chart), fontsize=7, color="#555555")
    figure.autofmt_xdate()
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    return _write_atomic(Path(path), lambda p: figure.savefig(p, format="png"))


def write_html(result: SpcResult, chart: SpcChart, path: str | Path, *, title: str | None = None) -> Path:
    """Draw one chart with plotly and save a self-contained HTML file (plotly.js inline)."""
    import plotly.graph_objects as go

    points = chart.points
    x = [parse_period(p) for p in points["period"]]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=x, y=points["value"], mode="lines", line={"color": COLOURS["common_cause"]},
                                name="value", hoverinfo="skip"))
    for number in sorted(set(points["segment"])):
        mask = (points["segment"] == number).to_numpy()
        xs = [d for d, m in zip(x, mask) if m]
        for column, colour, dash, name in (("mean", "black", "solid", "mean"),
                                           ("lower_limit", "#7f7f7f", "dash", "process limits"),
                                           ("upper_limit", "#7f7f7f", "dash", "process limits"),
                                           ("lower_2sigma", "#c8c8c8", "dot", "2 sigma"),
                                           ("upper_2sigma", "#c8c8c8", "dot", "2 sigma")):
            figure.add_trace(go.Scatter(
                x=xs, y=points[column][mask], mode="lines", line={"color": colour, "dash": dash, "width": 1},
                name=name, legendgroup=name, showlegend=number == 0 and not column.startswith("upper"),
                hovertemplate=f"{name} %{{y:,.4g}}<extra></extra>",
            ))
    if chart.settings.target is not None:
        figure.add_hline(y=chart.settings.target, line={"color": "#de1b1b", "width": 1})
    for variation, colour in COLOURS.items():
        mask = (points["variation"] == variation).to_numpy()
        if not mask.any():
            continue
        subset = points[mask]
        figure.add_trace(go.Scatter(
            x=[d for d, m in zip(x, mask) if m], y=subset["value"], mode="markers",
            marker={"color": colour, "size": 8, "line": {"color": "white", "width": 0.5}},
            name=f"{variation.replace('_', ' ')}: {int(mask.sum())}",
            customdata=[[p, ", ".join(r) or "none"] for p, r in zip(subset["period"], subset["rules"])],
            hovertemplate="%{customdata[0]}<br>value %{y:,.6g}<br>rules: %{customdata[1]}<extra></extra>",
        ))
    figure.update_layout(title={"text": f"{_title(result, chart, title)}<br><sup>{_caption(chart)}</sup>"},
                         template="plotly_white", hovermode="closest", height=550)
    return _write_atomic(Path(path), lambda p: figure.write_html(p, include_plotlyjs=True, full_html=True))


def write_outputs(result: SpcResult, out_dir: str | Path, *, title: str | None = None) -> dict[str, Path]:
    """Write ``spc.json`` (the JSON document), ``spc_points.csv`` and a PNG and an HTML chart per group.

    Every file is written to a temporary name and renamed into place.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    document = json.dumps(to_jsonable(result.to_dict()), indent=2) + "\n"
    written["spc.json"] = _write_atomic(out / "spc.json", lambda p: p.write_text(document, encoding="utf-8"))
    points = result.points()
    written["spc_points.csv"] = _write_atomic(out / "spc_points.csv", lambda p: points.to_csv(p, index=False))
    stems: set[str] = set()
    for chart in result.charts:
        stem = chart_stem(chart)
        while stem in stems:
            stem += "_"
        stems.add(stem)
        written[f"{stem}.png"] = write_png(result, chart, out / f"{stem}.png", title=title)
        written[f"{stem}.html"] = write_html(result, chart, out / f"{stem}.html", title=title)
    return written
