"""Frozen dataclasses with read-only mapping fields that still pickle.

Several value objects keep their tables as :class:`types.MappingProxyType` so that nobody
changes them after validation; a mapping proxy cannot be pickled, and pickling is how
objects reach worker processes and Dask workers (:mod:`hubplan.executor`). The mixin
pickles such an object as its class and its fields with each proxy as a plain ``dict``;
unpickling calls the class again, so the object is validated (and frozen) as on creation.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
from typing import Any


def _rebuild(cls: type, fields: dict[str, Any]) -> Any:
    return cls(**fields)


class PicklableMappings:
    """Mixin for frozen dataclasses with ``MappingProxyType`` fields (see the module docstring)."""

    def __reduce__(self) -> tuple[Any, ...]:
        fields = {}
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            if not f.init:
                continue
            value = getattr(self, f.name)
            fields[f.name] = dict(value) if isinstance(value, MappingProxyType) else value
        return _rebuild, (type(self), fields)
