"""Outliers as national clinical audits classify them.

A provider beyond the 95% limits (about 2 standard deviations) is an *alert*,
beyond the 99.8% limits (about 3 standard deviations) an *alarm*, on the high or the
low side. A provider exactly on a limit is in control.
"""

from __future__ import annotations

from enum import Enum

import numpy as np
from numpy.typing import ArrayLike, NDArray


class Flag(str, Enum):
    """Where a provider falls against the funnel."""

    ALARM_LOW = "alarm_low"
    ALERT_LOW = "alert_low"
    IN_CONTROL = "in_control"
    ALERT_HIGH = "alert_high"
    ALARM_HIGH = "alarm_high"


#: Flags in order from lowest to highest.
FLAGS: tuple[str, ...] = tuple(f.value for f in Flag)


def classify(
    value: ArrayLike,
    lower_95: ArrayLike,
    upper_95: ArrayLike,
    lower_998: ArrayLike,
    upper_998: ArrayLike,
) -> NDArray[np.object_]:
    """Flag each value against its inner (95%) and outer (99.8%) limits."""
    y = np.asarray(value, dtype=float)
    flags = np.full(y.shape, Flag.IN_CONTROL.value, dtype=object)
    flags[y > np.asarray(upper_95, dtype=float)] = Flag.ALERT_HIGH.value
    flags[y > np.asarray(upper_998, dtype=float)] = Flag.ALARM_HIGH.value
    flags[y < np.asarray(lower_95, dtype=float)] = Flag.ALERT_LOW.value
    flags[y < np.asarray(lower_998, dtype=float)] = Flag.ALARM_LOW.value
    return flags


def count_flags(flags: ArrayLike) -> dict[str, int]:
    """How many providers have each flag, plus ``outside_95`` and ``outside_998``.

    ``outside_95`` counts alerts and alarms (everything beyond the 95% limits);
    ``outside_998`` counts alarms only.
    """
    f = np.asarray(flags, dtype=object)
    counts = {name: int(np.sum(f == name)) for name in FLAGS}
    counts["outside_95"] = int(np.sum(f != Flag.IN_CONTROL.value))
    counts["outside_998"] = counts[Flag.ALARM_LOW.value] + counts[Flag.ALARM_HIGH.value]
    return counts
