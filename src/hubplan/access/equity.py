"""Equity of access: travel minutes by the deprivation and rurality of where patients live.

An area belongs to a group of each *grouping* its area columns define (see
docs/equity.md and docs/demographics.md):

=================  ==========================================  ===========================
grouping           groups                                      from the area column
=================  ==========================================  ===========================
``imd_quintile``   ``1`` (most deprived fifth) .. ``5``        ``imd_quintile``, else
                                                               ceil(``imd_decile`` / 2)
``core20``         ``core20`` (IMD deciles 1-2), ``rest``      ``core20``, else
                                                               ``imd_decile`` <= 2
``wimd_quintile``  ``1`` .. ``5`` (Wales; never pooled         ``wimd_quintile``, else
                   with IMD: the indices are not comparable)   ceil(``wimd_decile`` / 2)
``rural_urban``    ``urban``, ``rural town and fringe``,       ``rural_urban``, else
                   ``rural village and dispersed``             ``ruc11_code``
=================  ==========================================  ===========================

An empty value (``NaN`` / ``<NA>``) is unknown: the area is left out of that grouping
only, and a note says how many areas and patients were left out and why (e.g. Welsh
areas have no IMD). A grouping none of whose areas has a value is not shown, with a note.
Statistics are those of :mod:`hubplan.stats` (demand-weighted), per group.

The headline *gaps* compare mean minutes to hub (positive: the first group travels
longer): IMD quintile 1 minus quintile 5, WIMD quintile 1 minus quintile 5, and Core20
minus the rest.

>>> import numpy as np, pandas as pd
>>> areas = pd.DataFrame({"imd_quintile": [1, 5, None], "country": ["England", "England", "Wales"]})
>>> result = equity_breakdown(areas, np.array([10.0, 20, 5]), np.array([30.0, 20, 5]),
...                           np.array([2.0, 1, 4]), (30,))
>>> [(g["group"], g["patients"], g["time_to_hub"]["mean"]) for g in result["groups"]][::4]
[('1', 2.0, 30.0), ('5', 1.0, 20.0)]
>>> result["gaps"]["imd_q1_minus_q5_time_to_hub_mean_minutes"]
10.0
>>> [note for note in result["notes"] if note.startswith("IMD")][0]
'IMD quintile (England): 1 area (4 patients a year) left out, with no imd_quintile value (in Wales: IMD covers England only)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd

from hubplan.geography.bundled import RURAL_URBAN_GROUPS
from hubplan.errors import InputError
from hubplan.jsonable import to_jsonable
from hubplan.stats import grouped_summary
from hubplan.formatting import counted

#: Area columns an equity grouping may be read from.
EQUITY_COLUMNS: tuple[str, ...] = (
    "imd_quintile", "imd_decile", "core20", "wimd_quintile", "wimd_decile", "rural_urban", "ruc11_code",
)

#: The headline gaps: key -> (grouping, first group, second group), minutes to hub.
GAPS: dict[str, tuple[str, str, str]] = {
    "imd_q1_minus_q5_time_to_hub_mean_minutes": ("imd_quintile", "1", "5"),
    "core20_minus_rest_time_to_hub_mean_minutes": ("core20", "core20", "rest"),
    "wimd_q1_minus_q5_time_to_hub_mean_minutes": ("wimd_quintile", "1", "5"),
}


@dataclass(frozen=True)
class GroupingSpec:
    """How areas are grouped: the grouping's name, its groups and where they come from.

    ``column`` is read if present, else ``fallback`` (derived as the module docstring
    says). ``coverage`` is the country the index covers (``None``: every country).
    """

    name: str
    title: str
    column: str
    fallback: str | None
    groups: tuple[str, ...]
    labels: tuple[str, ...]
    coverage: str | None = None
    index: str = ""


def _quintile_labels(index: str) -> tuple[str, ...]:
    return (f"{index} 1 (most deprived)", f"{index} 2", f"{index} 3", f"{index} 4", f"{index} 5 (least deprived)")


#: The groupings, in the order they are shown.
GROUPINGS: tuple[GroupingSpec, ...] = (
    GroupingSpec("imd_quintile", "IMD quintile (England)", "imd_quintile", "imd_decile",
                 ("1", "2", "3", "4", "5"), _quintile_labels("IMD"), "England", "IMD"),
    GroupingSpec("core20", "Core20 (England)", "core20", "imd_decile", ("core20", "rest"),
                 ("Core20 (IMD deciles 1-2)", "rest (IMD deciles 3-10)"), "England", "IMD"),
    GroupingSpec("wimd_quintile", "WIMD quintile (Wales)", "wimd_quintile", "wimd_decile",
                 ("1", "2", "3", "4", "5"), _quintile_labels("WIMD"), "Wales", "WIMD"),
    GroupingSpec("rural_urban", "rural-urban (ONS 2011)", "rural_urban", "ruc11_code",
                 tuple(RURAL_URBAN_GROUPS), tuple(RURAL_URBAN_GROUPS)),
)


@dataclass(frozen=True, eq=False)
class Grouping:
    """A grouping of a network's areas: the group of each area (``-1`` = no value)."""

    spec: GroupingSpec
    codes: np.ndarray
    source_column: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def derived(self) -> bool:
        """Whether the groups were derived from ``spec.fallback`` (no ``spec.column``)."""
        return self.source_column != self.spec.column


# ----------------------------------------------------------------------------- reading columns
def _bad_value(column: str, areas: pd.DataFrame, position: int, expected: str) -> InputError:
    value = areas[column].iloc[position]
    return InputError(
        f"area column '{column}': expected {expected} (or empty = unknown), got '{value}' for area "
        f"{areas.index[position]}"
    )


def _whole_numbers(areas: pd.DataFrame, column: str, top: int) -> np.ndarray:
    """The column as floats (NaN = unknown), every known value a whole number 1..top."""
    raw = areas[column]
    numbers = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    unknown = raw.isna().to_numpy()
    bad = (np.isnan(numbers) & ~unknown) | (~np.isnan(numbers) & ~np.isin(numbers, np.arange(1, top + 1)))
    if bad.any():
        raise _bad_value(column, areas, int(np.flatnonzero(bad)[0]), f"a whole number from 1 to {top}")
    return numbers


def _distinct(areas: pd.DataFrame, column: str, lookup: dict[Any, float], expected: str) -> np.ndarray:
    """Each area's value looked up in ``lookup`` (NaN = unknown), through the column's
    distinct values (fast on tens of thousands of areas)."""
    labels, distinct = pd.factorize(areas[column], use_na_sentinel=True)
    table = np.empty(len(distinct), dtype=np.float64)
    for i, value in enumerate(distinct):
        key = value.strip() if isinstance(value, str) else value
        if key not in lookup:
            raise _bad_value(column, areas, int(np.flatnonzero(labels == i)[0]), expected)
        table[i] = lookup[key]
    return np.where(labels < 0, np.nan, table[np.maximum(labels, 0)] if len(table) else np.nan)


def _flags(areas: pd.DataFrame, column: str) -> np.ndarray:
    """A true/false column as 1.0 / 0.0 (NaN = unknown)."""
    return _distinct(areas, column, {True: 1.0, False: 0.0}, "true or false")


def _rural_urban(areas: pd.DataFrame, column: str) -> np.ndarray:
    """Rural-urban group positions (NaN = unknown) from group names or RUC11 codes."""
    if column == "ruc11_code":
        lookup = {code: float(i) for i, codes in enumerate(RURAL_URBAN_GROUPS.values()) for code in codes}
        expected = "a 2011 Rural-Urban Classification code (A1, B1, C1, C2, D1, D2, E1, E2)"
    else:
        lookup = {name: float(i) for i, name in enumerate(RURAL_URBAN_GROUPS)}
        expected = "one of " + ", ".join(f"'{g}'" for g in RURAL_URBAN_GROUPS)
    return _distinct(areas, column, lookup, expected)


def _codes(spec: GroupingSpec, areas: pd.DataFrame) -> tuple[np.ndarray, str] | None:
    """Each area's group position (``-1`` = unknown) and the column it came from."""
    column = spec.column if spec.column in areas.columns else spec.fallback
    if column is None or column not in areas.columns:
        return None
    if spec.name in ("imd_quintile", "wimd_quintile"):
        if column == spec.column:
            position = _whole_numbers(areas, column, 5) - 1
        else:
            position = np.ceil(_whole_numbers(areas, column, 10) / 2) - 1
    elif spec.name == "core20":
        if column == spec.column:
            position = 1.0 - _flags(areas, column)  # core20 first
        else:
            decile = _whole_numbers(areas, column, 10)
            position = np.where(np.isnan(decile), np.nan, (decile > 2).astype(np.float64))
    else:
        position = _rural_urban(areas, column)
    codes = np.nan_to_num(position, nan=-1.0).astype(np.intp)
    return codes, column


def area_groupings(areas: pd.DataFrame) -> tuple[tuple[Grouping, ...], tuple[str, ...]]:
    """The groupings of these areas that have at least one value, and notes on the others.

    Raises
    ------
    InputError
        A value that is not one of its column's values (e.g. an ``imd_quintile`` of 7).
    """
    if not any(c in areas.columns for c in EQUITY_COLUMNS):
        return (), (
            "no equity breakdown: the areas of this network have no deprivation or rurality columns "
            f"({', '.join(EQUITY_COLUMNS)}; see docs/equity.md)",
        )
    found: list[Grouping] = []
    notes: list[str] = []
    for spec in GROUPINGS:
        read = _codes(spec, areas)
        if read is None:
            columns = spec.column + (f" or {spec.fallback}" if spec.fallback else "")
            notes.append(f"{spec.title}: not shown: the areas have no {columns} column")
            continue
        codes, column = read
        if not (codes >= 0).any():
            covers = f" ({spec.index} covers {spec.coverage} only)" if spec.coverage else ""
            notes.append(f"{spec.title}: not shown: {column} is empty in every area of this network{covers}")
            continue
        found.append(Grouping(spec, codes, column))
    return tuple(found), tuple(notes)


# ----------------------------------------------------------------------------- statistics
def _left_out_note(grouping: Grouping, areas: pd.DataFrame, patients: np.ndarray) -> str | None:
    out = grouping.codes < 0
    if not out.any():
        return None
    spec = grouping.spec
    n, p = int(out.sum()), float(patients[out].sum())
    where = ""
    if "country" in areas.columns:
        countries = sorted(str(c) for c in pd.unique(areas["country"].to_numpy()[out]) if isinstance(c, str))
        if countries:
            where = f"in {' and '.join(countries)}"
            if spec.coverage and spec.coverage not in countries:
                where += f": {spec.index} covers {spec.coverage} only"
    return (f"{spec.title}: {counted(n, 'area')} ({p:,.0f} patients a year) left out, with no "
            f"{grouping.source_column} value" + (f" ({where})" if where else ""))


def equity_breakdown(
    areas: pd.DataFrame,
    time_to_first: np.ndarray,
    time_to_hub: np.ndarray,
    patients: np.ndarray,
    thresholds: Sequence[float],
    groupings: tuple[tuple[Grouping, ...], tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """Demand-weighted minutes per equity group, the headline gaps and notes (JSON-ready).

    Returns
    -------
    dict
        ``{"groups": [{"grouping", "group", "label", "areas", "patients", "time_to_first": S,
        "time_to_hub": S}, ...], "gaps": {key: minutes or None}, "notes": [...]}`` with ``S``
        as in :func:`hubplan.stats.weighted_summary`; every group of a grouping shown is
        listed, with ``None`` statistics where it has no patients.
    """
    found, absent = groupings if groupings is not None else area_groupings(areas)
    notes = list(absent)
    w = np.asarray(patients, dtype=np.float64)
    same = time_to_first is time_to_hub or np.array_equal(time_to_first, time_to_hub)
    records: list[dict[str, Any]] = []
    for g in found:
        keep = g.codes >= 0
        codes, n = g.codes[keep], len(g.spec.groups)
        hub = grouped_summary(time_to_hub[keep], w[keep], codes, n, thresholds)
        first = hub if same else grouped_summary(time_to_first[keep], w[keep], codes, n, thresholds)
        totals = np.bincount(codes, weights=w[keep], minlength=n)
        counts = np.bincount(codes, minlength=n)
        for i, (key, label) in enumerate(zip(g.spec.groups, g.spec.labels)):
            records.append({
                "grouping": g.name, "group": key, "label": label, "areas": int(counts[i]),
                "patients": float(totals[i]), "time_to_first": dict(first[i]), "time_to_hub": hub[i],
            })
        if g.derived:
            notes.append(f"{g.spec.title}: derived from the {g.source_column} column")
        left_out = _left_out_note(g, areas, w)
        if left_out:
            notes.append(left_out)
    gaps: dict[str, float | None] = {}
    by_key = {(r["grouping"], r["group"]): r for r in records}
    titles = {s.name: s for s in GROUPINGS}
    for key, (grouping, first_group, second_group) in GAPS.items():
        one, two = by_key.get((grouping, first_group)), by_key.get((grouping, second_group))
        gaps[key] = None
        if one is None or two is None:
            continue
        empty = [r["label"] for r in (one, two) if r["patients"] <= 0]
        if empty:
            notes.append(f"{titles[grouping].title}: no gap between {one['label']} and {two['label']}: "
                         f"no patients a year in {' or '.join(empty)}")
            continue
        gaps[key] = float(one["time_to_hub"]["mean"] - two["time_to_hub"]["mean"])
    return to_jsonable({"groups": records, "gaps": gaps, "notes": notes})


def equity_frame(groups: list[dict[str, Any]]) -> pd.DataFrame:
    """The ``groups`` of :func:`equity_breakdown` as a tidy table, one row per group:
    ``grouping, group, label, areas, patients, time_to_first_mean, ..._median, ..._p90,
    ..._max, ..._within_<T>, time_to_hub_...`` (NaN where a group has no patients)."""
    rows = []
    for item in groups:
        row: dict[str, Any] = {k: item[k] for k in ("grouping", "group", "label", "areas", "patients")}
        for which in ("time_to_first", "time_to_hub"):
            s = item[which]
            for stat in ("mean", "median", "p90", "max"):
                row[f"{which}_{stat}"] = np.nan if s[stat] is None else s[stat]
            for t, share in s["within"].items():
                row[f"{which}_within_{t}"] = np.nan if share is None else share
        rows.append(row)
    columns = ["grouping", "group", "label", "areas", "patients"]
    return pd.DataFrame(rows, columns=columns if not rows else None)
