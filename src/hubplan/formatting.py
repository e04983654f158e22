"""Numbers as people read them in tables, reports and the planner.

One rule everywhere: a missing value (``None``, NaN or infinite) is shown as a dash, never
as ``nan`` or ``inf``; the dash is the caller's (``-`` in terminals and the report, ``–``
in the planner).

>>> shown_number(12.345, ".1f"), shown_number(0.4567, ".1f", scale=100, suffix="%")
('12.3', '45.7%')
>>> shown_number(float("nan"), ".1f"), shown_number(None, ",.0f", missing="–")
('-', '–')
"""

from __future__ import annotations

import math
from typing import Any


def shown_number(x: Any, spec: str, *, scale: float = 1.0, suffix: str = "", missing: str = "-") -> str:
    """``x`` (times ``scale``) in the format ``spec`` followed by ``suffix``, or ``missing``."""
    if x is None or not math.isfinite(float(x)):
        return missing
    return f"{scale * float(x):{spec}}{suffix}"
