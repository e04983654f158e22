"""Plain JSON values from numpy/pandas values: one converter for every JSON hubplan writes."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def to_jsonable(value: Any) -> Any:
    """Dicts, lists, numpy arrays and scalars as plain JSON types; NaN, inf, None and
    ``pd.NA`` become ``None`` (``null``).

    >>> to_jsonable({"a": np.float32(1.5), "b": [np.int64(2), float("nan")], "c": np.array([True])})
    {'a': 1.5, 'b': [2, None], 'c': [True]}
    """
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    return plain_scalar(value)


def plain_scalar(value: Any) -> Any:
    """A numpy scalar as the plain Python one (``bool``, ``int``, ``float``); NaN, inf, None
    and ``pd.NA`` as ``None``; anything else as it is.

    >>> plain_scalar(np.int64(3)), plain_scalar(np.float32(float("inf"))), plain_scalar("a")
    (3, None, 'a')
    """
    if value is None or value is pd.NA:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        f = float(value)
        return f if math.isfinite(f) else None
    return value
