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


def shown_figure(value: Any) -> str:
    """A figure of any kind for a table cell: text as it is, ``yes``/``no`` for a flag, whole
    numbers with thousands separators, others from 100 up to the unit and below 100 to 3
    significant figures, a dash for a missing value.

    >>> shown_figure(4636.0), shown_figure(1234.56), shown_figure(0.19262), shown_figure(None), shown_figure(True)
    ('4,636', '1,235', '0.193', '-', 'yes')
    """
    if value is None or isinstance(value, str):
        return "-" if value is None else value
    if isinstance(value, bool):
        return "yes" if value else "no"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(x):
        return "-"
    if x == int(x) and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def shown_share(x: Any, missing: str = "-") -> str:
    """A share from 0 to 1 as a whole percent, except that a share strictly between 0 and 1
    is never shown as 0% or 100%: it gets one decimal, or ``<0.1%`` / ``>99.9%``.

    >>> shown_share(0.25), shown_share(0.0), shown_share(0.0028), shown_share(0.0004), shown_share(0.9981)
    ('25%', '0%', '0.3%', '<0.1%', '99.8%')
    >>> shown_share(0.99996), shown_share(1.0), shown_share(0.005), shown_share(None)
    ('>99.9%', '100%', '0.5%', '-')
    """
    if x is None or not math.isfinite(float(x)):
        return missing
    v = float(x)
    whole = f"{v:.0%}"
    if 0.0 < v < 1.0 and whole in ("0%", "100%"):
        tenth = f"{v:.1%}"
        if tenth == "0.0%":
            return "<0.1%"
        if tenth == "100.0%":
            return ">99.9%"
        return tenth
    return whole


def counted(n: int, noun: str) -> str:
    """A count with its noun, singular for one: ``'1 hub'``, ``'2 hubs'``, ``'1,500 patients'``.

    >>> counted(1, "hub"), counted(2, "hub"), counted(0, "spoke"), counted(1500, "site")
    ('1 hub', '2 hubs', '0 spokes', '1,500 sites')
    """
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"
