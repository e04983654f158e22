"""Users' own networks from CSV files, checked with exact messages.

A network folder (or explicit paths) holds:

``areas.csv``
    ``area_code`` (required, unique); optional ``area_name``, ``latitude``, ``longitude``,
    region columns (``country``, ``ambulance_service``, ``isdn``, ``icb``, ``sicbl``);
    every other column is a demand column: patients per year, a number >= 0 in every row.
``sites.csv``
    ``site_code`` (required, unique); optional ``site_name``, ``latitude``, ``longitude``,
    region columns; every other column is a capability: ``1/0``, ``true/false``, ``yes/no``.
``travel_times.csv``
    long ``area_code,site_code,minutes`` (a missing pair = no road route), or wide:
    ``area_code`` then one column per site code (every cell a number).
``site_times.csv`` (optional; needed for treat-and-transfer)
    long ``from_site,to_site,minutes`` or wide ``site_code`` + one column per site.

Rows are numbered as in a spreadsheet: the header is row 1, the first data row row 2.
Nothing is dropped, filled or guessed: the first problem found is reported as
``FILE row N, column 'C': expected ..., got '...'``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hubplan.errors import InputError
from hubplan.network import REGION_TYPES, Network

AREA_FIXED = ("area_code", "area_name", "latitude", "longitude", *REGION_TYPES)
SITE_FIXED = ("site_code", "site_name", "latitude", "longitude", *REGION_TYPES)
TRUE_WORDS = {"1", "true", "yes", "y", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "f", ""}


def _read(path: Path) -> pd.DataFrame:
    if not path.exists():
        raise InputError(f"{path}: file not found")
    if path.is_dir():
        raise InputError(f"{path}: expected a CSV file, found a folder")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path.name}: the file is empty (expected a header row)") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(f"{path.name}: not a readable CSV file ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    for col in frame.columns:
        frame[col] = frame[col].str.strip()
    if len(frame) == 0:
        raise InputError(f"{path.name}: no data rows (expected at least one row after the header)")
    return frame


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
    frame: pd.DataFrame, name: str, column: str, what: str, *, allow_empty: bool = False
) -> np.ndarray:
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if allow_empty:
        bad &= raw.to_numpy(dtype=str) != ""
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        got = raw.iloc[i]
        shown = "an empty cell" if got == "" else f"'{got}'"
        raise InputError(f"{name} row {_row(i)}, column '{column}': expected {what}, got {shown}")
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
    frame = _read(path)
    table = _base_table(frame, name, "area")
    demand_columns = [c for c in frame.columns if c not in AREA_FIXED]
    if not demand_columns:
        raise InputError(
            f"{name}: no demand column (expected at least one column of patients per year, "
            "e.g. 'patients', besides area_code, area_name, latitude, longitude and regions)"
        )
    for col in demand_columns:
        table[col] = _numbers(frame, name, col, "patients per year (a number >= 0)")
    table.attrs["demand_columns"] = demand_columns
    return table


def read_sites(path: Path) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """``sites.csv`` as a sites table and its capability names."""
    name = path.name
    frame = _read(path)
    table = _base_table(frame, name, "site")
    capabilities = [c for c in frame.columns if c not in SITE_FIXED]
    for col in capabilities:
        words = frame[col].str.lower()
        ok = words.isin(TRUE_WORDS | FALSE_WORDS).to_numpy()
        if not ok.all():
            i = int(np.flatnonzero(~ok)[0])
            raise InputError(
                f"{name} row {_row(i)}, column '{col}': expected a capability flag "
                f"(1/0, true/false, yes/no), got '{frame[col].iloc[i]}'"
            )
        table[col] = words.isin(TRUE_WORDS).to_numpy()
    return table, tuple(capabilities)


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
    name = path.name
    frame = _read(path)
    row_pos = {c: i for i, c in enumerate(row_codes)}
    col_pos = {c: i for i, c in enumerate(col_codes)}
    out = np.full((len(row_codes), len(col_codes)), np.inf, dtype=np.float64)
    if diagonal_zero:
        np.fill_diagonal(out, 0.0)
    r_col, c_col, m_col = long_columns
    if set(long_columns) <= set(frame.columns):
        minutes = _numbers(frame, name, m_col, "minutes (a number >= 0)")
        r_idx = pd.Index(row_codes).get_indexer(frame[r_col])
        c_idx = pd.Index(col_codes).get_indexer(frame[c_col])
        for idx, col, file in ((r_idx, r_col, row_file), (c_idx, c_col, col_file)):
            if (idx < 0).any():
                i = int(np.flatnonzero(idx < 0)[0])
                raise InputError(
                    f"{name} row {_row(i)}, column '{col}': unknown code '{frame[col].iloc[i]}' (not in {file})"
                )
        pair = pd.Series(r_idx.astype(np.int64) * len(col_codes) + c_idx)
        dup = pair.duplicated().to_numpy()
        if dup.any():
            i = int(np.flatnonzero(dup)[0])
            first = int(np.flatnonzero(pair.to_numpy() == pair.iloc[i])[0])
            raise InputError(
                f"{name} row {_row(i)}: duplicate pair '{frame[r_col].iloc[i]}' -> "
                f"'{frame[c_col].iloc[i]}' (first at row {_row(first)})"
            )
        out.reshape(-1)[pair.to_numpy()] = minutes
        return out
    if wide_key not in frame.columns:
        raise InputError(
            f"{name}: expected long columns {', '.join(long_columns)} or a wide table with "
            f"'{wide_key}' and one column per site (found: {', '.join(frame.columns)})"
        )
    keys = frame[wide_key].to_numpy()
    for i, r in enumerate(keys):
        if r not in row_pos:
            raise InputError(f"{name} row {_row(i)}, column '{wide_key}': unknown code '{r}' (not in {row_file})")
    dup = pd.Index(keys).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise InputError(f"{name} row {_row(i)}, column '{wide_key}': duplicate code '{keys[i]}'")
    for col in frame.columns:
        if col == wide_key:
            continue
        if col not in col_pos:
            raise InputError(f"{name}: column '{col}' is not a site code in {col_file}")
        values = _numbers(frame, name, col, "minutes (a number >= 0)")
        out[[row_pos[r] for r in keys], col_pos[col]] = values
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
            raise InputError("give a folder, or the areas, sites and travel_times CSV files")
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
    return Network(
        areas=area_table,
        sites=site_table,
        area_site_minutes=minutes.astype(np.float32),
        site_site_minutes=site_minutes,
        capabilities=capabilities,
        source=f"user CSV files ({paths['areas'].parent})",
        notes=(),
    )
