"""Regional variation: the same indicator by region (ICB/ICS, ISDN, NHS region).

Providers are added up within each region (numerators and denominators summed, so a
region's value is its pooled value), regions are ranked (1 = highest value) and
put on their own funnel against the same target, with overdispersion estimated
among regions. The spread is summarised by the ratio of the highest to the lowest
regional value, and each region lists how many of its providers are outliers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from hubplan.monitoring.benchmark.funnel import FunnelSettings, compute_funnel
from hubplan.monitoring.benchmark.inputs import DENOMINATOR, NUMERATOR, PROVIDER, REGION
from hubplan.monitoring.benchmark.outliers import FLAGS, Flag
from hubplan.monitoring.benchmark.overdispersion import Dispersion


@dataclass(frozen=True)
class RegionalVariation:
    """The indicator by region.

    Attributes
    ----------
    table
        One row per region: ``region``, ``providers``, ``numerator``, ``denominator``,
        ``value``, ``rank`` (1 = highest), ``z``, limits and ``flag`` on the funnel of
        regions, and the count of providers with each flag.
    dispersion
        phi and tau squared among regions.
    target
        The target, in the indicator's units (values and limits in ``table`` are
        multiplied by the settings' ``per`` when returned by ``benchmark()``).
    """

    table: pd.DataFrame
    dispersion: Dispersion
    target: float

    @property
    def highest(self) -> pd.Series:
        """The region with the highest value."""
        return self.table.loc[self.table["value"].idxmax()]

    @property
    def lowest(self) -> pd.Series:
        """The region with the lowest value."""
        return self.table.loc[self.table["value"].idxmin()]

    @property
    def ratio_highest_to_lowest(self) -> float | None:
        """Highest regional value / lowest (None when the lowest is 0)."""
        low = float(self.lowest["value"])
        return None if low == 0 else float(self.highest["value"]) / low

    def summary(self) -> dict[str, Any]:
        """Plain numbers for JSON: counts, highest, lowest, their ratio, phi, tau2."""
        return {
            "regions": int(len(self.table)),
            "highest": {"region": str(self.highest[REGION]), "value": float(self.highest["value"])},
            "lowest": {"region": str(self.lowest[REGION]), "value": float(self.lowest["value"])},
            "ratio_highest_to_lowest": self.ratio_highest_to_lowest,
            "phi": self.dispersion.phi,
            "tau2": self.dispersion.tau2,
            "overdispersion_applied": self.dispersion.applied,
        }


def regional_variation(
    providers: pd.DataFrame, settings: FunnelSettings, target: float
) -> RegionalVariation | None:
    """Summarise a benchmarked provider table by its ``region`` column.

    Parameters
    ----------
    providers
        Output of the provider funnel, with ``region``, ``numerator``,
        ``denominator`` and ``flag``.
    settings
        The same settings as the provider funnel (the target is passed explicitly so
        regions are judged against the national target).
    target
        ``theta0`` in the indicator's units.

    Returns
    -------
    RegionalVariation or None
        None when there is no region column or fewer than 2 regions.
    """
    if REGION not in providers.columns or providers[REGION].nunique() < 2:
        return None
    grouped = providers.groupby(REGION, sort=True)
    regions = grouped.agg(
        providers=(PROVIDER, "size"),
        numerator=(NUMERATOR, "sum"),
        denominator=(DENOMINATOR, "sum"),
        lowest_provider_value=("value", "min"),
        highest_provider_value=("value", "max"),
    ).reset_index()
    flag_counts = (
        pd.crosstab(providers[REGION], providers["flag"])
        .reindex(columns=list(FLAGS), fill_value=0)
        .drop(columns=[Flag.IN_CONTROL.value])
        .add_prefix("providers_")
        .reset_index()
    )
    table, dispersion = compute_funnel(regions, settings, target)
    table = table.merge(flag_counts, on=REGION, how="left")
    table["rank"] = table["value"].rank(ascending=False, method="min").astype(int)
    table = table.sort_values(["rank", REGION]).reset_index(drop=True)
    return RegionalVariation(table=table, dispersion=dispersion, target=target)
