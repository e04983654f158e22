"""Small hand-made networks for examples, doctests and tests.

``tiny_network()`` is the worked example of docs/ARCHITECTURE.md: three areas, three
sites (H1, H2 hubs-capable, S1 a local hospital), minutes chosen so that every pathway
rule can be checked by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hubplan.geography.network import Network


def make_network(
    area_site_minutes: list[list[float]],
    site_site_minutes: list[list[float]] | None = None,
    *,
    demand: list[float] | None = None,
    area_codes: list[str] | None = None,
    site_codes: list[str] | None = None,
    area_regions: list[str] | None = None,
    area_latlon: list[tuple[float, float]] | None = None,
    site_latlon: list[tuple[float, float]] | None = None,
    capabilities: dict[str, list[bool]] | None = None,
    demand_column: str = "stroke_admissions",
) -> Network:
    """A network from plain lists (rows = areas, columns = sites)."""
    m = np.asarray(area_site_minutes, dtype=np.float32)
    n_a, n_s = m.shape
    area_codes = area_codes or [f"A{i + 1}" for i in range(n_a)]
    site_codes = site_codes or [f"S{j + 1}" for j in range(n_s)]
    regions = area_regions or ["R1"] * n_a
    a_ll = area_latlon or [(52.0, -1.0)] * n_a
    s_ll = site_latlon or [(52.0, -1.0)] * n_s
    areas = pd.DataFrame(
        {
            "area_name": area_codes,
            "latitude": [p[0] for p in a_ll],
            "longitude": [p[1] for p in a_ll],
            "country": ["England"] * n_a,
            "icb": regions,
            demand_column: demand if demand is not None else [1.0] * n_a,
        },
        index=pd.Index(area_codes, name="area_code"),
    )
    areas.attrs["demand_columns"] = [demand_column]
    sites = pd.DataFrame(
        {
            "site_name": site_codes,
            "latitude": [p[0] for p in s_ll],
            "longitude": [p[1] for p in s_ll],
            "country": ["England"] * n_s,
        },
        index=pd.Index(site_codes, name="site_code"),
    )
    caps = capabilities or {}
    for name, flags in caps.items():
        sites[name] = np.asarray(flags, dtype=bool)
    ss = None if site_site_minutes is None else np.asarray(site_site_minutes, dtype=np.float32)
    return Network(areas, sites, m, ss, capabilities=tuple(caps), source="hand-made")


def tiny_network() -> Network:
    """Three areas (A1..A3, one patient each), sites H1, H2, S1.

    ========  ====  ====  ====
    minutes    H1    H2    S1
    ========  ====  ====  ====
    A1         20    50    10
    A2         10    40    30
    A3         30    25    35
    ========  ====  ====  ====

    Site to site: H1-H2 45, H1-S1 15, H2-S1 40.
    """
    return make_network(
        [[20, 50, 10], [10, 40, 30], [30, 25, 35]],
        [[0, 45, 15], [45, 0, 40], [15, 40, 0]],
        site_codes=["H1", "H2", "S1"],
        capabilities={"thrombectomy": [True, True, False]},
    )
