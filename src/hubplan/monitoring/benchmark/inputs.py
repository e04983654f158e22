"""Checking provider-level input: one row per provider, counts that make sense.

Every problem is reported with where it is (file, row, column), what was found and
what was expected; nothing is silently dropped, rounded or filled in. Rows are
numbered as a spreadsheet shows them (the header is row 1) for CSV files, and by
the DataFrame's index otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from hubplan.monitoring.benchmark.indicators import Indicator
from hubplan.errors import InputError

#: The canonical column names of a provider table.
PROVIDER, NUMERATOR, DENOMINATOR, REGION = "provider", "numerator", "denominator", "region"

#: Most problems listed in one error message.
MAX_PROBLEMS = 10


def expected_form(indicator: Indicator) -> str:
    """The expected columns, in words, for error messages."""
    if indicator is Indicator.RATIO:
        return "provider, observed, expected[, region] (or provider, numerator, denominator)"
    if indicator is Indicator.PROPORTION:
        return "provider, numerator, denominator[, region] with 0 <= numerator <= denominator"
    return "provider, numerator, denominator[, region] (events and exposure)"


def _is_blank(raw: Any) -> bool:
    if raw is None or raw is pd.NA or raw is pd.NaT:
        return True
    if isinstance(raw, (float, np.floating)) and math.isnan(raw):
        return True
    return isinstance(raw, str) and raw.strip() == ""


def _number(raw: Any) -> float | None:
    """The value of a cell as a float, or None if it is not a finite number."""
    if isinstance(raw, (bool, np.bool_)):
        return None
    if isinstance(raw, (int, float, np.integer, np.floating)):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def _shown(raw: Any) -> str:
    if _is_blank(raw):
        return "an empty cell"
    return f"'{raw}'"


class _Problems:
    """Collects problems and raises them together as one :class:`InputError`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []
        self.total = 0

    def add(self, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(message)

    def raise_if_any(self, hint: str) -> None:
        if not self.items:
            return
        if self.total == 1:
            raise InputError(f"{self.source} {self.items[0]}")
        more = f"\n  ... and {self.total - len(self.items)} more" if self.total > len(self.items) else ""
        lines = "\n  ".join(self.items)
        raise InputError(f"{self.source}: {self.total} problems ({hint}):\n  {lines}{more}")


def validate_providers(
    frame: pd.DataFrame,
    indicator: Indicator,
    *,
    source: str = "providers",
    rows: Sequence[int | str] | None = None,
    column_labels: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Check a provider table; return provider (str), numerator, denominator (float)[, region].

    The returned frame is indexed by the row numbers shown in messages.

    Parameters
    ----------
    frame
        Columns ``provider``, ``numerator``, ``denominator`` and optionally ``region``
        (for a ratio, ``observed`` and ``expected`` are accepted for the counts).
    indicator
        ``proportion`` additionally needs ``numerator <= denominator``.
    source
        How to name the data in messages (a file name).
    rows
        The row number to show for each row (defaults to the DataFrame index).
    column_labels
        The user's names for the canonical columns, to show in messages.

    Raises
    ------
    InputError
        Naming the row, the column, what was found and what was expected.
    """
    frame = _canonical_columns(frame, indicator, source)
    labels = {c: c for c in (PROVIDER, NUMERATOR, DENOMINATOR, REGION)}
    labels.update(column_labels or {})
    row_names = list(rows) if rows is not None else list(frame.index)
    has_region = REGION in frame.columns
    problems = _Problems(source)
    providers: list[str] = []
    numerators: list[float] = []
    denominators: list[float] = []
    regions: list[str] = []
    first_row: dict[str, int | str] = {}

    region_cells = frame[REGION].tolist() if has_region else [None] * len(frame)
    for row, raw_provider, raw_numerator, raw_denominator, raw_region in zip(
        row_names,
        frame[PROVIDER].tolist(),
        frame[NUMERATOR].tolist(),
        frame[DENOMINATOR].tolist(),
        region_cells,
    ):
        where = f"row {row}"
        provider = "" if _is_blank(raw_provider) else str(raw_provider).strip()
        if not provider:
            problems.add(f"{where}, column '{labels[PROVIDER]}': expected a provider name or code, got an empty cell")
        elif provider in first_row:
            problems.add(
                f"rows {first_row[provider]} and {row} both have provider '{provider}': "
                "expected one row per provider (add the rows up first)"
            )
        else:
            first_row[provider] = row
        numerator = _count(raw_numerator, labels[NUMERATOR], where, problems, positive=False)
        denominator = _count(raw_denominator, labels[DENOMINATOR], where, problems, positive=True)
        if (
            indicator is Indicator.PROPORTION
            and numerator is not None
            and denominator is not None
            and numerator > denominator
        ):
            problems.add(
                f"{where}: {labels[NUMERATOR]} {numerator:g} is above {labels[DENOMINATOR]} "
                f"{denominator:g}; a proportion needs {labels[NUMERATOR]} <= {labels[DENOMINATOR]}"
            )
        if has_region:
            if _is_blank(raw_region):
                problems.add(
                    f"{where}, column '{labels[REGION]}': expected a region, got an empty cell "
                    "(give every provider a region, or leave the column out)"
                )
            regions.append("" if _is_blank(raw_region) else str(raw_region).strip())
        providers.append(provider)
        numerators.append(numerator if numerator is not None else math.nan)
        denominators.append(denominator if denominator is not None else math.nan)

    problems.raise_if_any(f"expected {expected_form(indicator)}")
    if len(providers) < 2:
        raise InputError(
            f"{source}: found {len(providers)} provider row(s); a funnel plot needs at least 2"
        )
    clean = pd.DataFrame(
        {PROVIDER: providers, NUMERATOR: numerators, DENOMINATOR: denominators},
        index=pd.Index(row_names, name="row"),
    )
    if has_region:
        clean[REGION] = regions
    return clean


def _count(raw: Any, column: str, where: str, problems: _Problems, *, positive: bool) -> float | None:
    value = _number(raw)
    if value is None:
        problems.add(f"{where}, column '{column}': expected a number, got {_shown(raw)}")
        return None
    if value < 0:
        problems.add(f"{where}, column '{column}': expected a count >= 0, got {_shown(raw)} (negative)")
        return None
    if positive and value == 0:
        problems.add(
            f"{where}, column '{column}': expected a denominator > 0, got {_shown(raw)} "
            "(a provider with no cases has no value: remove the row or correct it)"
        )
        return None
    return value


def _canonical_columns(frame: pd.DataFrame, indicator: Indicator, source: str) -> pd.DataFrame:
    """Rename ``observed``/``expected`` to ``numerator``/``denominator`` and check all are there."""
    columns = {str(c).strip().lower(): c for c in frame.columns}
    renames: dict[Any, str] = {}
    for canonical, alias in ((NUMERATOR, "observed"), (DENOMINATOR, "expected")):
        if canonical not in columns and alias in columns:
            renames[columns[alias]] = canonical
    for canonical in (PROVIDER, NUMERATOR, DENOMINATOR, REGION):
        if canonical in columns and columns[canonical] != canonical:
            renames[columns[canonical]] = canonical
    frame = frame.rename(columns=renames)
    missing = [c for c in (PROVIDER, NUMERATOR, DENOMINATOR) if c not in frame.columns]
    if missing:
        found = ", ".join(str(c) for c in frame.columns) or "none"
        names = ", ".join(f"'{c}'" for c in missing)
        raise InputError(
            f"{source}: missing column {names}; expected columns {expected_form(indicator)} "
            f"(found: {found})"
        )
    return frame


def check_whole_denominators(frame: pd.DataFrame, source: str) -> None:
    """Exact binomial limits need whole-number denominators: raise naming the first row that is not."""
    values = frame[DENOMINATOR].to_numpy(dtype=float)
    bad = np.flatnonzero(np.abs(values - np.rint(values)) > 1e-9)
    if bad.size:
        i = int(bad[0])
        row = frame.index[i]
        raise InputError(
            f"{source} row {row}: denominator {values[i]:g} is not a whole number; exact "
            "binomial limits need whole numbers of cases (use normal limits for averaged counts)"
        )


def check_positive_numerators(frame: pd.DataFrame, source: str) -> None:
    """The log scale needs every numerator > 0: raise naming the first row that is 0."""
    values = frame[NUMERATOR].to_numpy(dtype=float)
    bad = np.flatnonzero(values <= 0)
    if bad.size:
        i = int(bad[0])
        row = frame.index[i]
        raise InputError(
            f"{source} row {row}: provider '{frame[PROVIDER].iloc[i]}' has 0 observed, which "
            "has no logarithm; use the sqrt scale (the default) for ratios with zero counts"
        )
