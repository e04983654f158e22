"""What each number a user gives may be, and one check of it, for every way it is given.

A length of stay, a time limit or a number of draws reaches hubplan as a command-line
option, a scenario-file key, a :class:`~hubplan.services.service.Service` parameter or an API
argument. :data:`LIMITS` says once what each may be (a number of minutes ``>= 0``, a
fraction in ``(0, 1]``, a whole number of hubs from 1 to 10,000 ...) and every entry point
checks against it, so a value is refused with the same words wherever it comes from:
NaN and infinity are never accepted, negative or zero values only where they mean
something, and counts that size memory or running time (draws, restarts, ``k``,
replications) have an upper bound.

>>> check_number(3, "length_of_stay_days", "--los")
3.0
>>> check_number(-3.0, "length_of_stay_days", "--los")
Traceback (most recent call last):
...
hubplan.errors.InputError: --los: -3 is not a number of days > 0
>>> LIMITS["draws"].describe()
'a whole number of draws from 1 to 1,000,000'
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from hubplan.errors import InputError

__all__ = ["LIMITS", "Limit", "check_number", "shown"]


@dataclass(frozen=True)
class Limit:
    """The numbers a parameter may take: finite, within bounds, whole if ``whole``.

    ``minimum``/``maximum`` are included unless ``above``/``below`` (strict bounds).
    ``fraction`` words the rule as "a fraction in [0, 1)" instead of "a number ...".
    """

    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    above: bool = False
    below: bool = False
    whole: bool = False
    fraction: bool = False

    def describe(self) -> str:
        """The rule in words, e.g. ``"a number of minutes >= 0"``."""
        lo, hi = self.minimum, self.maximum
        if self.fraction:
            left, right = ("(" if self.above else "["), (")" if self.below else "]")
            return f"a fraction in {left}{_num(lo)}, {_num(hi)}{right}"
        what = ("a whole number" if self.whole else "a number") + (f" of {self.unit}" if self.unit else "")
        if lo is not None and hi is not None and not self.above and not self.below:
            return f"{what} from {_num(lo)} to {_num(hi)}"
        parts = []
        if lo is not None:
            parts.append(f"{'>' if self.above else '>='} {_num(lo)}")
        if hi is not None:
            parts.append(f"{'<' if self.below else '<='} {_num(hi)}")
        return f"{what} {' and '.join(parts)}" if parts else what

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is a number (not a bool or text) that keeps the rule."""
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            return False
        x = float(value)
        if not math.isfinite(x):
            return False
        if self.whole and not x.is_integer():
            return False
        if self.minimum is not None and (x < self.minimum or (self.above and x <= self.minimum)):
            return False
        if self.maximum is not None and (x > self.maximum or (self.below and x >= self.maximum)):
            return False
        return True

    def convert(self, value: Any) -> float | int:
        """``value`` as an ``int`` (whole numbers) or ``float``; call :meth:`accepts` first."""
        return int(value) if self.whole else float(value)


def _num(x: float | None) -> str:
    if x is None:
        return ""
    if float(x).is_integer() and abs(x) >= 1_000:
        return f"{int(x):,}"
    return f"{x:g}"


def shown(value: Any) -> str:
    """A value as a user typed it: ``-3`` not ``-3.0``, text quoted."""
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}" if math.isfinite(value) and abs(value) < 1e15 else repr(value)
    return repr(value) if not isinstance(value, int) else str(value)


MINUTES_AT_LEAST_0 = Limit("minutes", minimum=0.0)
MINUTES_ABOVE_0 = Limit("minutes", minimum=0.0, above=True)

#: What each numeric parameter may be, by the name used in the API, scenario files and
#: :class:`~hubplan.services.service.Service` (command-line options map onto these names).
LIMITS: Mapping[str, Limit] = {
    # --- options and pathways (minutes)
    "bypass_minutes": MINUTES_AT_LEAST_0,
    "transfer_delay_minutes": MINUTES_AT_LEAST_0,
    "helicopter_threshold_minutes": MINUTES_AT_LEAST_0,
    "dispatch_minutes": MINUTES_AT_LEAST_0,
    "handover_minutes": MINUTES_AT_LEAST_0,
    "speed_kmh": Limit("km per hour", minimum=0.0, above=True),
    "thresholds_minutes": MINUTES_ABOVE_0,
    # --- demand
    "demand_scale": Limit(minimum=0.0, above=True),
    "hub_share": Limit(minimum=0.0, maximum=1.0, fraction=True),
    # --- site selection
    "k": Limit("hubs", minimum=1, maximum=10_000, whole=True),
    "threshold_minutes": MINUTES_ABOVE_0,
    "max_minutes": MINUTES_ABOVE_0,
    "min_patients_per_hub": Limit("patients a year", minimum=0.0),
    "max_patients_per_hub": Limit("patients a year", minimum=0.0, above=True),
    "consultants_per_hub": Limit("consultants", minimum=1, maximum=10_000, whole=True),
    "time_limit_seconds": Limit("seconds", minimum=0.0, maximum=7 * 24 * 3600.0, above=True),
    "restarts": Limit("restarts", minimum=0, maximum=1_000, whole=True),
    "seed": Limit(minimum=0, maximum=2**32 - 1, whole=True),
    # --- beds
    "length_of_stay_days": Limit("days", minimum=0.0, above=True),
    "occupancy_target": Limit(minimum=0.0, maximum=1.0, above=True, fraction=True),
    "refusal_target": Limit(minimum=0.0, maximum=1.0, above=True, below=True, fraction=True),
    "peaking_factor": Limit(minimum=1.0),
    "replications": Limit("replications", minimum=1, maximum=1_000, whole=True),
    # --- procedures and workforce
    "min_procedures_per_hub": Limit("procedures a year", minimum=0.0),
    "procedure_share": Limit(minimum=0.0, maximum=1.0, fraction=True),
    "procedures_per_session": Limit("procedures", minimum=0.0, above=True),
    "procedures_per_consultant": Limit("procedures a year", minimum=0.0, above=True),
    "workforce_available": Limit("consultants", minimum=0.0),
    "rota_minimum_consultants": Limit("consultants", minimum=1, maximum=10_000, whole=True),
    "operator_min_procedures_per_year": Limit("procedures a year", minimum=0.0),
    "workforce_today": Limit("consultants", minimum=0.0),
    "trainees_per_year": Limit("trainees a year", minimum=0.0),
    "training_years": Limit("years", minimum=0.0, above=True),
    "attrition_per_year": Limit(minimum=0.0, maximum=1.0, below=True, fraction=True),
    "horizon_years": Limit("years", minimum=1, maximum=200, whole=True),
    # --- appraisal
    "draws": Limit("draws", minimum=1, maximum=1_000_000, whole=True),
    "concentration": Limit(minimum=0.0, above=True),
    "weight": Limit(minimum=0.0),
    # --- benchmarking
    "per": Limit(minimum=0.0, above=True),
    "alpha": Limit(minimum=0.0, maximum=1.0, above=True, below=True, fraction=True),
    "winsorise": Limit(minimum=0.0, maximum=0.5, below=True, fraction=True),
    "target": Limit(minimum=0.0),
    # --- the planner's server
    "port": Limit(minimum=1, maximum=65_535, whole=True),
    "threads": Limit("threads", minimum=1, maximum=256, whole=True),
    "workers": Limit("worker processes", minimum=1, maximum=1024, whole=True),
}


def check_number(value: Any, parameter: str | Limit, name: str) -> Any:
    """``value`` converted (``int`` for whole numbers, else ``float``), or an error.

    ``parameter`` is a key of :data:`LIMITS` (or a :class:`Limit`); ``name`` is how the
    user gave it (``--los``, ``optimise.k``) and starts the message:
    ``"--los: -3 is not a number of days > 0"``. ``None`` is returned unchanged (not
    given).

    Raises
    ------
    InputError
        ``value`` is not a number, not finite, or outside the limit.
    """
    if value is None:
        return None
    limit = LIMITS[parameter] if isinstance(parameter, str) else parameter
    if not limit.accepts(value):
        raise InputError(f"{name}: {shown(value)} is not {limit.describe()}")
    return limit.convert(value)
