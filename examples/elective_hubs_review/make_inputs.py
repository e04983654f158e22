"""Make the ILLUSTRATIVE inputs of the elective hubs review (run from the repository root).

There is no open, machine-readable list of England's surgical hubs or community diagnostic
centres with their locations and capacities, so this example puts one unit in each of the 42
integrated care systems, at a real hospital site of the bundled network (the first site of
the ICS by site code), and gives it an illustrative capacity: whole theatres (15 sessions a
week each) or whole scanners (84 hours a week each), as many as treat about 90% of the ICS's
proxy demand (at least one), rounded. None of these are real figures.

The monthly activity is real: England's A&E attendances by type, April 2016 to March 2019
(NHS England, via NHSRdatasets' ae_attendances), standing in for the monthly activity of the
units, for which no open data was found.

    .venv/bin/python examples/elective_hubs_review/make_inputs.py [path to ae_attendances.csv]
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from hubplan.geography.bundled import load_bundled
from hubplan.kinds import kind
from hubplan.services import Service

HERE = Path(__file__).parent
AE = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/nhse_ae_attendances/ae_attendances.csv")
SHARE = 0.9  # illustrative: each ICS's unit treats about 90% of its residents' proxy demand


def units(preset: str, column: str, block: float) -> pd.DataFrame:
    network = load_bundled().restrict(country="England")
    service = Service.preset(preset)
    demand = pd.Series(service.demand_values(network), index=network.areas.index).groupby(network.areas["icb"]).sum()
    per_block = kind("elective").capacity(service.with_overrides(parameters={column: 1.0}), network,
                                          [network.site_codes[0]])["capacity_per_year"].iloc[0]
    first = network.sites.sort_index().groupby("icb").head(1)
    rows = []
    for code, site in first.iterrows():
        blocks = max(1, round(demand[site["icb"]] * SHARE / (per_block * block)))
        what = ("theatre" if column == "sessions_per_week" else "scanner") + ("s" if blocks > 1 else "")
        rows.append({"site_code": code,
                     "note": f"ILLUSTRATIVE: {site['site_name']}, {blocks} {what}",
                     column: blocks * block})
    return pd.DataFrame(rows)


def main() -> None:
    units("elective_surgical_hub", "sessions_per_week", 15.0).to_csv(HERE / "surgical_hubs_illustrative.csv", index=False)
    units("community_diagnostic_centre", "scanner_hours_per_week", 84.0).to_csv(
        HERE / "diagnostic_centres_illustrative.csv", index=False)
    ae = pd.read_csv(AE, dtype={"type": str})
    monthly = ae.groupby(["period", "type"], as_index=False)["attendances"].sum()
    monthly = monthly.rename(columns={"attendances": "value"})[["period", "type", "value"]]
    monthly["value"] = monthly["value"].astype(int)
    monthly.to_csv(HERE / "monthly_activity_ae_england.csv", index=False)


if __name__ == "__main__":
    main()
