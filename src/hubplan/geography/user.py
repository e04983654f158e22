"""Users' own networks from CSV files, checked with exact messages.

A network folder (or explicit paths) holds:

``areas.csv``
    ``area_code`` (required, unique); optional ``area_name``, ``latitude``, ``longitude``,
    region columns (``country``, ``ambulance_service``, ``isdn``, ``icb``, ``sicbl``);
    optional deprivation and rurality columns named as the bundled network's
    (``imd_rank``, ``imd_decile``, ``imd_quintile``, ``core20``, ``wimd_rank``,
    ``wimd_decile``, ``wimd_quintile``, ``ruc11_code``, ``ruc11_name``, ``rural_urban``;
    docs/demographics.md, docs/equity.md), an empty cell = unknown;
    every other column is a demand column: patients per year, a number from 0 to
    :data:`MAX_PATIENTS_PER_AREA` in every row, not summing to zero.
``sites.csv``
    ``site_code`` (required, unique); optional ``site_name``, ``latitude``, ``longitude``,
    region columns; every other column is a capability: ``1/0``, ``true/false``, ``yes/no``.
``travel_times.csv``
    long ``area_code,site_code,minutes`` (a missing pair = no road route), or wide:
    ``area_code`` then one column per site code (every cell a number); minutes from 0 to
    :data:`MAX_MINUTES`.
``site_times.csv`` (optional; needed for treat-and-transfer)
    long ``from_site,to_site,minutes`` or wide ``site_code`` + one column per site.

Files are UTF-8 (with or without a byte-order mark) and opened through
:mod:`hubplan.files` (size limit ``HUBPLAN_MAX_INPUT_MB``). Every header name appears
once; every row has the header's number of fields; no empty rows between rows of data.
Rows are numbered as in a spreadsheet: the header is row 1, the first data row row 2.
Nothing is dropped, filled or guessed: the first problem found is reported as
``FILE row N, column 'C': expected ..., got '...'``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hubplan.geography.bundled import ATTRIBUTE_COLUMNS, RURAL_URBAN_GROUPS
from hubplan.files import check_input_file, decode, os_error, read_bytes
from hubplan.errors import InputError
from hubplan.geography.network import REGION_TYPES, Network

AREA_FIXED = ("area_code", "area_name", "latitude", "longitude", *REGION_TYPES)
SITE_FIXED = ("site_code", "site_name", "latitude", "longitude", *REGION_TYPES)
TRUE_WORDS = {"1", "true", "yes", "y", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "f"}
#: Largest road minutes accepted in travel_times.csv and site_times.csv (about a week):
#: larger values are mistakes or "no route" codes such as 99999 (leave the pair out instead).
MAX_MINUTES = 10_000.0
#: Largest patients per year accepted for one area in a demand column.
MAX_PATIENTS_PER_AREA = 10_000_000.0


def _read(path: Path, *, check_fields: bool = False) -> pd.DataFrame:
    """A CSV file as text cells (stripped), its header checked; one message per problem.

    ``check_fields`` also checks that every row has as many fields as the header (pandas
    fills short rows with empty cells, which text and flag columns would accept).
    """
    name = path.name
    check_input_file(path, kind="CSV file")
    try:
        raw = pd.read_csv(path, header=None, dtype=str, keep_default_na=False, skipinitialspace=True,
                          skip_blank_lines=False, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError(f"{name}: the file is empty (expected a header row)") from None
    except UnicodeDecodeError:
        raise _decode_problem(path) from None
    except pd.errors.ParserError as exc:
        raise _parser_problem(name, exc) from None
    except OSError as exc:
        raise os_error(str(path), exc) from None
    header = _header(raw.iloc[0].tolist(), name)
    frame = raw.iloc[1:].reset_index(drop=True)
    frame.columns = header
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    blank = (frame == "").all(axis=1).to_numpy()
    if blank.any():
        filled = np.flatnonzero(~blank)
        if len(filled) == 0:
            raise InputError(f"{name}: no data rows (expected at least one row after the header)")
        last = int(filled[-1])
        inside = np.flatnonzero(blank[:last])
        if len(inside):
            raise InputError(
                f"{name} row {_row(inside[0])}: an empty row; expected values in every row "
                "(delete empty rows)"
            )
        frame = frame.iloc[: last + 1]  # empty lines at the end of the file
    if len(frame) == 0:
        raise InputError(f"{name}: no data rows (expected at least one row after the header)")
    if check_fields:
        _check_fields(path, len(header))
    return frame


def _header(cells: list[str], name: str) -> list[str]:
    """Column names of row 1: each present once and not empty."""
    header = [str(c).strip() for c in cells]
    seen: dict[str, int] = {}
    for j, col in enumerate(header):
        if not col:
            raise InputError(f"{name} row 1, column {j + 1}: expected a column name, got an empty cell")
        if col in seen:
            raise InputError(
                f"{name} row 1, column {j + 1}: column '{col}' appears twice in the header "
                f"(also column {seen[col] + 1}); expected each column once"
            )
        seen[col] = j
    return header


def _parser_problem(name: str, exc: Exception) -> InputError:
    text = " ".join(str(exc).split())
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", text)
    if fields:
        expected, line, found = fields.groups()
        return InputError(f"{name} row {line}: expected {expected} fields like the header (row 1), found {found}")
    return InputError(f"{name}: not a readable CSV file ({text})")


def _decode_problem(path: Path) -> InputError:
    """The message for a CSV file pandas could not decode: where its first non-UTF-8 byte is."""
    try:
        decode(read_bytes(path), path.name, csv_file=True)
    except InputError as exc:
        return exc
    return InputError(f"{path.name}: not UTF-8 text; hubplan reads UTF-8: save the file as UTF-8")


def _check_fields(path: Path, n_fields: int) -> None:
    text = decode(read_bytes(path), path.name)
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    for record in reader:
        if len(record) != n_fields and any(cell.strip() for cell in record):
            raise InputError(
                f"{path.name} row {reader.line_num}: expected {n_fields} fields like the header (row 1), "
                f"found {len(record)}"
            )


def _row(i: int) -> int:
    """Spreadsheet row number of data row i (header = row 1)."""
    return int(i) + 2


def _require(frame: pd.DataFrame, name: str, columns: tuple[str, ...]) -> None:
    for col in columns:
        if col not in frame.columns:
            raise InputError(
                f"{name}: missing column '{col}' (found: {', '.join(frame.columns) or 'none'})"
            )


def _codes(frame: pd.DataFrame, name: str, column: str) -> np.ndarray:
    codes = frame[column].to_numpy(dtype=object)
    empty = np.flatnonzero(frame[column].to_numpy(dtype=str) == "")
    if len(empty):
        raise InputError(f"{name} row {_row(empty[0])}, column '{column}': expected a code, got an empty cell")
    dup = pd.Index(codes).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        first = int(np.flatnonzero(codes == codes[i])[0])
        raise InputError(
            f"{name} row {_row(i)}, column '{column}': duplicate code '{codes[i]}' "
            f"(first at row {_row(first)})"
        )
    return codes


def _numbers(
    frame: pd.DataFrame, name: str, column: str, what: str, *, maximum: float, unit: str
) -> np.ndarray:
    """The numbers of a column, each finite, >= 0 and at most ``maximum`` (in ``unit``)."""
    raw = frame[column]
    try:  # arrow's strict parser: fast and without a Python object per cell
        values = raw.astype("float64[pyarrow]").to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError, ImportError, NotImplementedError):  # a bad cell: find it below
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        got = raw.iloc[i]
        shown = "an empty cell" if got == "" else f"'{got}'"
        raise InputError(f"{name} row {_row(i)}, column '{column}': expected {what}, got {shown}")
    over = values > maximum
    if over.any():
        i = int(np.flatnonzero(over)[0])
        raise InputError(
            f"{name} row {_row(i)}, column '{column}': expected at most {maximum:,.0f} {unit}, "
            f"got '{raw.iloc[i]}'"
        )
    return values


def _latlon(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    if "latitude" in frame.columns and "longitude" in frame.columns:
        lat = pd.to_numeric(frame["latitude"], errors="coerce").to_numpy(dtype=np.float64)
        lon = pd.to_numeric(frame["longitude"], errors="coerce").to_numpy(dtype=np.float64)
        for col, vals, lim in (("latitude", lat, 90), ("longitude", lon, 180)):
            bad = ~np.isfinite(vals) | (np.abs(vals) > lim)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                raise InputError(
                    f"{name} row {_row(i)}, column '{col}': expected degrees between -{lim} and {lim}, "
                    f"got '{frame[col].iloc[i]}'"
                )
        return lat, lon
    if "latitude" in frame.columns or "longitude" in frame.columns:
        raise InputError(f"{name}: give both 'latitude' and 'longitude' columns, or neither")
    nan = np.full(len(frame), np.nan)
    return nan, nan


def _base_table(frame: pd.DataFrame, name: str, kind: str) -> pd.DataFrame:
    """Code index, name, location and regions shared by areas.csv and sites.csv."""
    code_col, name_col = f"{kind}_code", f"{kind}_name"
    _require(frame, name, (code_col,))
    codes = _codes(frame, name, code_col)
    lat, lon = _latlon(frame, name)
    table = pd.DataFrame(
        {
            name_col: frame[name_col].to_numpy(dtype=object) if name_col in frame else codes,
            "latitude": lat,
            "longitude": lon,
        },
        index=pd.Index(codes, name=code_col),
    )
    for col in REGION_TYPES:
        if col in frame.columns:
            table[col] = frame[col].replace("", None).to_numpy(dtype=object)
    return table


def read_areas(path: Path) -> pd.DataFrame:
    """``areas.csv`` as an areas table (see module docstring)."""
    name = path.name
    frame = _read(path, check_fields=True)
    table = _base_table(frame, name, "area")
    demand_columns = [c for c in frame.columns if c not in AREA_FIXED and c not in ATTRIBUTE_COLUMNS]
    if not demand_columns:
        raise InputError(
            f"{name}: no demand column (expected at least one column of patients per year, "
            "e.g. 'patients', besides area_code, area_name, latitude, longitude, regions and "
            "deprivation or rurality columns)"
        )
    for col in frame.columns:
        if col in ATTRIBUTE_COLUMNS:
            table[col] = _attribute(frame, name, col)
    _check_attributes(table, frame, name)
    for col in demand_columns:
        table[col] = _numbers(frame, name, col, "patients per year (a number >= 0)",
                              maximum=MAX_PATIENTS_PER_AREA, unit="patients per year")
        if not table[col].to_numpy().any():
            raise InputError(
                f"{name}, column '{col}': the demand column sums to zero (every row is 0); "
                "expected patients per year > 0 in at least one area"
            )
    table.attrs["demand_columns"] = demand_columns
    return table


#: Whole-number attribute columns of areas.csv: (smallest, largest or None, what it is).
_WHOLE_ATTRIBUTES: dict[str, tuple[int, int | None]] = {
    "imd_rank": (1, None), "imd_decile": (1, 10), "imd_quintile": (1, 5),
    "wimd_rank": (1, None), "wimd_decile": (1, 10), "wimd_quintile": (1, 5),
}
_RUC11_GROUP = {code: group for group, codes in RURAL_URBAN_GROUPS.items() for code in codes}


def _attribute(frame: pd.DataFrame, name: str, column: str) -> Any:
    """A deprivation or rurality column of areas.csv (the bundled columns of the same name,
    docs/demographics.md); an empty cell is unknown, never 0 or false."""
    cells = frame[column]
    empty = (cells == "").to_numpy()

    def problem(i: int, expected: str) -> InputError:
        return InputError(f"{name} row {_row(i)}, column '{column}': expected {expected} "
                          f"(or an empty cell = unknown), got '{cells.iloc[i]}'")

    if column in _WHOLE_ATTRIBUTES:
        low, high = _WHOLE_ATTRIBUTES[column]
        expected = f"a whole number from {low} to {high}" if high else f"a whole number >= {low}"
        digits = cells.str.fullmatch(r"\d{1,9}").to_numpy(dtype=bool)
        bad = ~empty & ~digits
        values = np.where(digits, pd.to_numeric(cells.where(digits, "0")), 0)
        bad |= digits & ((values < low) | (values > (high if high else np.inf)))
        if bad.any():
            raise problem(int(np.flatnonzero(bad)[0]), expected)
        return pd.array(_unknown_where(empty, values), dtype="Int64")
    if column == "core20":
        words = cells.str.lower()
        true, false = words.isin(TRUE_WORDS).to_numpy(), words.isin(FALSE_WORDS).to_numpy()
        bad = ~empty & ~true & ~false
        if bad.any():
            raise problem(int(np.flatnonzero(bad)[0]), "a flag (1/0, true/false, yes/no)")
        return pd.array(_unknown_where(empty, true), dtype="boolean")
    if column == "ruc11_code":
        text = cells.str.upper()
        bad = ~empty & ~text.isin(list(_RUC11_GROUP)).to_numpy()
        if bad.any():
            raise problem(int(np.flatnonzero(bad)[0]), "a 2011 Rural-Urban Classification code "
                          f"({', '.join(_RUC11_GROUP)})")
    elif column == "rural_urban":
        text = cells.str.lower().str.split().str.join(" ")
        bad = ~empty & ~text.isin(list(RURAL_URBAN_GROUPS)).to_numpy()
        if bad.any():
            raise problem(int(np.flatnonzero(bad)[0]), "one of " + ", ".join(f"'{g}'" for g in RURAL_URBAN_GROUPS))
    else:
        text = cells
    return pd.array(_unknown_where(empty, text.to_numpy(dtype=object)), dtype="string")


#: Flag words that go together, so an expected flag is shown the way the file writes them.
_FLAG_PAIRS = (("1", "0"), ("true", "false"), ("yes", "no"), ("y", "n"), ("t", "f"))


def _flag_like(given: str, value: bool) -> str:
    """``value`` written in the style of the flag ``given`` (``1``/``0``, ``Yes``/``No``, ...)."""
    word = given.strip()
    for pair in _FLAG_PAIRS:
        if word.lower() in pair:
            shown = pair[0] if value else pair[1]
            return shown.upper() if word.isupper() and len(word) > 1 else (
                shown.capitalize() if word[:1].isupper() else shown)
    return "true" if value else "false"


def _unknown_where(empty: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``values`` as objects with ``None`` (unknown) where ``empty``."""
    shown = np.asarray(values).astype(object)
    shown[empty] = None
    return shown


def _check_attributes(table: pd.DataFrame, frame: pd.DataFrame, name: str) -> None:
    """Quintiles, Core20 and rural-urban groups that contradict the decile or RUC code given
    beside them (when both are known in a row) are refused."""
    pairs = []
    for index in ("imd", "wimd"):
        if f"{index}_decile" in table and f"{index}_quintile" in table:
            decile = table[f"{index}_decile"].astype("Float64")
            pairs.append((f"{index}_quintile", table[f"{index}_quintile"].astype("Float64"),
                          np.ceil(decile / 2), f"{index}_decile"))
    if "imd_decile" in table and "core20" in table:
        pairs.append(("core20", table["core20"].astype("Float64"),
                      (table["imd_decile"] <= 2).astype("Float64"), "imd_decile"))
    if "ruc11_code" in table and "rural_urban" in table:
        pairs.append(("rural_urban", table["rural_urban"], table["ruc11_code"].map(_RUC11_GROUP), "ruc11_code"))
    for column, given, implied, source in pairs:
        known = np.flatnonzero((given.notna() & implied.notna()).to_numpy(dtype=bool))
        differ = known[given.to_numpy(dtype=object)[known] != implied.to_numpy(dtype=object)[known]]
        if len(differ):
            i = int(differ[0])
            want = implied.iloc[i]
            shown = _flag_like(str(frame[column].iloc[i]), bool(want)) if column == "core20" else (
                str(want) if column == "rural_urban" else str(int(want)))
            raise InputError(
                f"{name} row {_row(i)}, column '{column}': expected {shown} for {source} "
                f"'{frame[source].iloc[i]}', got '{frame[column].iloc[i]}'"
            )


def read_sites(path: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``sites.csv`` as a sites table and its capability names."""
    name = path.name
    frame = _read(path, check_fields=True)
    table = _base_table(frame, name, "site")
    capabilities = [c for c in frame.columns if c not in SITE_FIXED]
    for col in capabilities:
        table[col] = capability_flags(frame, name, col)
    return table, tuple(capabilities)


def capability_flags(frame: pd.DataFrame, name: str, column: str) -> np.ndarray:
    """A capability column of text cells (``1/0``, ``true/false``, ``yes/no``) as booleans;
    any other cell, an empty one too (a site does or does not have it: nothing is assumed), is
    an :class:`InputError` naming file ``name``, its row and the column."""
    words = frame[column].str.lower()
    ok = words.isin(TRUE_WORDS | FALSE_WORDS).to_numpy()
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        cell = frame[column].iloc[i]
        got = "an empty cell (write 0 for a site without it)" if not str(cell).strip() else f"'{cell}'"
        raise InputError(
            f"{name} row {_row(i)}, column '{column}': expected a capability flag "
            f"(1/0, true/false, yes/no), got {got}"
        )
    return words.isin(TRUE_WORDS).to_numpy()


def _indexer(codes: pd.Index, column: pd.Series) -> np.ndarray:
    """Positions of a column's codes in ``codes`` (-1 = unknown), via its distinct values."""
    labels, distinct = pd.factorize(column)
    return np.asarray(codes.get_indexer(distinct), dtype=np.intp)[labels]


def _matrix(
    path: Path,
    row_codes: pd.Index,
    col_codes: pd.Index,
    *,
    long_columns: tuple[str, str, str],
    wide_key: str,
    row_file: str,
    col_file: str,
    diagonal_zero: bool = False,
) -> np.ndarray:
    """Minutes ``(len(row_codes), len(col_codes))`` from a long or wide CSV; ``inf`` = no route.

    The long form is meant when any long column other than the wide key is present (then
    all three must be); otherwise the wide form, keyed by ``wide_key``.
    """
    name = path.name
    frame = _read(path)
    row_codes, col_codes = pd.Index(row_codes), pd.Index(col_codes)
    out = np.full((len(row_codes), len(col_codes)), np.inf, dtype=np.float64)
    if diagonal_zero:
        np.fill_diagonal(out, 0.0)
    r_col, c_col, m_col = long_columns
    found = ", ".join(frame.columns)
    wide_form = f"or a wide table with '{wide_key}' and one column per site code of {col_file}"
    if any(c in frame.columns for c in long_columns if c != wide_key):
        missing = [c for c in long_columns if c not in frame.columns]
        if missing:
            raise InputError(
                f"{name}: missing column {', '.join(repr(c) for c in missing)}; expected long columns "
                f"{', '.join(long_columns)} (one row per pair) {wide_form} (found: {found})"
            )
        minutes = _numbers(frame, name, m_col, "minutes (a number >= 0)", maximum=MAX_MINUTES, unit="minutes")
        r_idx = _indexer(row_codes, frame[r_col])
        c_idx = _indexer(col_codes, frame[c_col])
        for idx, col, file in ((r_idx, r_col, row_file), (c_idx, c_col, col_file)):
            if (idx < 0).any():
                i = int(np.flatnonzero(idx < 0)[0])
                raise InputError(
                    f"{name} row {_row(i)}, column '{col}': unknown code '{frame[col].iloc[i]}' (not in {file})"
                )
        pair = r_idx.astype(np.int64) * len(col_codes) + c_idx
        dup = pd.Index(pair).duplicated()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            first = int(np.flatnonzero(pair == pair[i])[0])
            raise InputError(
                f"{name} row {_row(i)}: duplicate pair '{frame[r_col].iloc[i]}' -> "
                f"'{frame[c_col].iloc[i]}' (first at row {_row(first)})"
            )
        out.reshape(-1)[pair] = minutes
        return out
    if wide_key not in frame.columns:
        raise InputError(
            f"{name}: expected long columns {', '.join(long_columns)} {wide_form} (found: {found})"
        )
    keys = frame[wide_key]
    rows = _indexer(row_codes, keys)
    if (rows < 0).any():
        i = int(np.flatnonzero(rows < 0)[0])
        raise InputError(f"{name} row {_row(i)}, column '{wide_key}': unknown code '{keys.iloc[i]}' (not in {row_file})")
    dup = pd.Index(rows).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"{name} row {_row(i)}, column '{wide_key}': duplicate code '{keys.iloc[i]}'")
    columns = [c for c in frame.columns if c != wide_key]
    positions = col_codes.get_indexer(columns)
    for col, j in zip(columns, positions):
        if j < 0:
            raise InputError(
                f"{name}: column '{col}' is not a site code in {col_file} (row 1; a wide table has "
                f"'{wide_key}' and one column per site code)"
            )
    for col, j in zip(columns, positions):
        out[rows, j] = _numbers(frame, name, col, "minutes (a number >= 0)", maximum=MAX_MINUTES, unit="minutes")
    return out


def load_csv_network(
    areas: str | Path,
    sites: str | Path | None = None,
    travel_times: str | Path | None = None,
    site_times: str | Path | None = None,
) -> Network:
    """A network from users' CSV files, or from a folder holding them.

    ``load_csv_network("mydata/")`` reads ``mydata/areas.csv``, ``sites.csv``,
    ``travel_times.csv`` and, if present, ``site_times.csv``.
    """
    folder = Path(areas)
    if not folder.exists():
        raise InputError(f"{folder}: no such folder or file")
    if folder.is_dir():
        paths = {n: folder / f"{n}.csv" for n in ("areas", "sites", "travel_times", "site_times")}
        if not paths["site_times"].exists():
            paths["site_times"] = None  # type: ignore[assignment]
    else:
        if sites is None or travel_times is None:
            raise InputError(
                f"{folder}: expected a folder holding areas.csv, sites.csv and travel_times.csv, found a "
                "file (or give the areas, sites and travel_times CSV files)"
            )
        paths = {"areas": Path(areas), "sites": Path(sites), "travel_times": Path(travel_times),
                 "site_times": Path(site_times) if site_times else None}  # type: ignore[dict-item]
    area_table = read_areas(paths["areas"])
    site_table, capabilities = read_sites(paths["sites"])
    a_name, s_name = paths["areas"].name, paths["sites"].name
    minutes = _matrix(
        paths["travel_times"], area_table.index, site_table.index,
        long_columns=("area_code", "site_code", "minutes"), wide_key="area_code",
        row_file=a_name, col_file=s_name,
    )
    t_name = paths["travel_times"].name
    unreachable = np.flatnonzero(~np.isfinite(minutes).any(axis=1))
    if len(unreachable):
        i = int(unreachable[0])
        raise InputError(
            f"{a_name} row {_row(i)}: area '{area_table.index[i]}' has no travel time to any site "
            f"in {t_name} ({len(unreachable)} such areas)"
        )
    unused = np.flatnonzero(~np.isfinite(minutes).any(axis=0))
    if len(unused):
        i = int(unused[0])
        raise InputError(
            f"{s_name} row {_row(i)}: site '{site_table.index[i]}' has no travel time from any area "
            f"in {t_name}"
        )
    site_minutes = None
    if paths["site_times"] is not None:
        site_minutes = _matrix(
            paths["site_times"], site_table.index, site_table.index,
            long_columns=("from_site", "to_site", "minutes"), wide_key="site_code",
            row_file=s_name, col_file=s_name, diagonal_zero=True,
        ).astype(np.float32)
    # file names, so that later messages (e.g. a missing spoke-to-hub time) can name them
    area_table.attrs["files"] = {
        key: path.name for key, path in paths.items() if path is not None
    }
    return Network(
        areas=area_table,
        sites=site_table,
        area_site_minutes=minutes.astype(np.float32),
        site_site_minutes=site_minutes,
        capabilities=capabilities,
        source=f"user CSV files ({paths['areas'].parent})",
        notes=(),
    )


def read_site_capabilities(path: Path) -> pd.DataFrame:
    """A CSV that sets capabilities of sites already in the network (``--site-capabilities``).

    Columns: ``site_code`` and one or more capability columns of flags (``1/0``, ``true/false``,
    ``yes/no``), e.g. ``site_code,obstetric_unit,alongside_mlu``. Returns the flags as booleans,
    indexed by site code, with the file's name in ``attrs["file"]``; a bad cell is named by
    file, row and column.
    """
    name = path.name
    frame = _read(path, check_fields=True)
    _require(frame, name, ("site_code",))
    columns = [c for c in frame.columns if c != "site_code"]
    if not columns:
        raise InputError(f"{name}: no capability columns: give site_code and one or more columns of 1/0 flags, "
                         "e.g. site_code,obstetric_unit,alongside_mlu")
    for col in columns:
        if col in SITE_FIXED or col in ("easting", "northing", "minutes_source"):
            raise InputError(f"{name}, column '{col}': not a capability; this file sets capabilities (1/0) of "
                             "sites already in the network (new sites go in --add-sites)")
    codes = _codes(frame, name, "site_code")
    flags = pd.DataFrame({col: capability_flags(frame, name, col) for col in columns}, index=pd.Index(codes, name="site_code"))
    flags.attrs["file"] = name
    return flags


def with_site_capabilities(network: Network, flags: pd.DataFrame) -> Network:
    """``network`` with the capabilities of :func:`read_site_capabilities` set on its sites.

    Listed sites take the file's flags; a capability new to the network is false at every
    site not listed; other capabilities are unchanged. A code not in the network is an
    :class:`InputError` naming the file and row.
    """
    name = str(flags.attrs.get("file", "site capabilities"))
    sites = network.sites.copy()
    position = sites.index.get_indexer(flags.index)
    if (position < 0).any():
        i = int(np.flatnonzero(position < 0)[0])
        raise InputError(f"{name} row {_row(i)}, column 'site_code': no site {flags.index[i]!r} in the network "
                         "(new sites go in --add-sites)")
    capabilities = list(network.capabilities)
    for col in flags.columns:
        if col in sites.columns and col not in capabilities:
            raise InputError(f"{name}, column '{col}': the network's sites already have a '{col}' column that "
                             "is not a capability")
        if col not in sites.columns:
            sites[col] = False
            capabilities.append(col)
        values = sites[col].to_numpy(dtype=bool).copy()
        values[position] = flags[col].to_numpy(dtype=bool)
        sites[col] = values
    notes = (*network.notes, f"capabilities {', '.join(flags.columns)} set for {len(flags)} sites from {name}")
    return dataclasses.replace(network, sites=sites, capabilities=tuple(capabilities), notes=notes, _site_pos={})
