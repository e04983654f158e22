"""Kinds of service: what an option means beyond access, one module per kind.

Every service is evaluated on the same engine (:func:`hubplan.access.evaluate.evaluate`:
minutes for every area under the pathway, patients per site). A *kind* turns that
evaluation into the measures its planners ask for: transfers in labour and births per unit
for maternity, attendances and beds for community services, capacity, utilisation and
waiting-list change for elective and diagnostic throughput. ``Service.kind`` names the kind
(``"emergency"`` by default, which adds nothing to the engine's own outputs).

Adding a kind is one new module in this package plus its presets in
``services/presets.toml``: the module defines a subclass of :class:`Kind` and a module-level
``KIND = MyKind()``; :func:`kind` finds it by name. No other module changes.

The contract (``docs/kinds.md``):

- :attr:`Kind.parameters` declares the kind's own parameters (name, unit, bounds); the
  values come from the service (``Service.parameters``, from ``presets.toml`` with a source
  each, or overridden), and :meth:`Kind.check` refuses a missing, unknown or out-of-range one
  with a one-line message.
- :meth:`Kind.assess` returns a :class:`KindResult`: option-level :class:`Measure` figures
  (each with its unit, which direction is better and a note saying what is assumed), per-unit
  :class:`KindTable` tables and notes. The appraisal makes the measures criteria and columns,
  the report and the command line show the tables, JSON carries everything.
"""

from __future__ import annotations

import abc
import importlib
import math
import pkgutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Mapping

import pandas as pd

from hubplan.errors import InputError
from hubplan.jsonable import to_jsonable
from hubplan.validation import shown

if TYPE_CHECKING:
    from hubplan.access.evaluate import Evaluation
    from hubplan.services.service import Service

__all__ = ["Kind", "KindResult", "KindTable", "Measure", "Parameter", "assess", "kind", "kind_names"]

Better = Literal["lower", "higher"]


@dataclass(frozen=True)
class Parameter:
    """A parameter a kind needs, with what it may be.

    ``low`` / ``high`` are inclusive bounds (``None``: unbounded); ``integer`` asks for a whole
    number; ``required=False`` lets the value be ``None`` (no source found), in which case the
    kind leaves the figures that need it empty and says so.
    """

    name: str
    unit: str
    description: str
    low: float | None = None
    high: float | None = None
    integer: bool = False
    required: bool = True

    def describe(self) -> str:
        what = "a whole number" if self.integer else "a number"
        if self.low is not None and self.high is not None:
            return f"{what} from {self.low:g} to {self.high:g} ({self.unit})"
        if self.low is not None:
            return f"{what} >= {self.low:g} ({self.unit})"
        if self.high is not None:
            return f"{what} <= {self.high:g} ({self.unit})"
        return f"{what} ({self.unit})"

    def accepts(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        v = float(value)
        if not math.isfinite(v) or (self.integer and v != int(v)):
            return False
        return (self.low is None or v >= self.low) and (self.high is None or v <= self.high)


@dataclass(frozen=True)
class Measure:
    """One option-level figure of a kind, e.g. intrapartum transfers a year.

    ``better`` says which direction is better when options are scored (``None``: shown, not
    scored); ``note`` says what the figure rests on (the assumption and its source), and is
    shown wherever the figure is.
    """

    key: str
    label: str
    unit: str
    value: float | None
    better: Better | None = None
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "unit": self.unit, "value": to_jsonable(self.value),
                "better": self.better, "note": self.note}


@dataclass(frozen=True)
class KindTable:
    """A per-unit (or per-group) table of a kind, e.g. births and midwives per unit."""

    key: str
    title: str
    frame: pd.DataFrame
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "title": self.title, "columns": [str(c) for c in self.frame.columns],
                "rows": to_jsonable(self.frame.to_dict(orient="records")), "notes": list(self.notes)}


@dataclass(frozen=True)
class KindResult:
    """What a kind adds to one option's evaluation."""

    kind: str
    option: str
    measures: tuple[Measure, ...] = ()
    tables: tuple[KindTable, ...] = ()
    notes: tuple[str, ...] = ()

    def measure(self, key: str) -> Measure:
        for m in self.measures:
            if m.key == key:
                return m
        raise KeyError(key)

    def values(self) -> dict[str, float | None]:
        """``{measure key: value}``, in the kind's order."""
        return {m.key: m.value for m in self.measures}

    def table(self, key: str) -> KindTable:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "option": self.option, "measures": [m.to_json() for m in self.measures],
                "tables": [t.to_json() for t in self.tables], "notes": list(self.notes)}


class Kind(abc.ABC):
    """A kind of service. Subclass it in a module of this package and set ``KIND = Sub()``."""

    #: The name a service gives as ``kind``, e.g. ``"maternity"``.
    name: ClassVar[str]
    #: A short title for reports, e.g. ``"Maternity (births, midwife-led units, transfers in labour)"``.
    title: ClassVar[str]
    #: The kind's own parameters; their values come from ``Service.parameters``.
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    #: Site capabilities the kind reads (documentation; e.g. ``("alongside_mlu",)``).
    site_columns: ClassVar[tuple[str, ...]] = ()
    #: The appraisal's default criteria and weights for this kind (criterion names as in
    #: ``docs/appraisal.md``; a measure is ``<kind>.<key>``). Empty: the general defaults plus
    #: every measure with a ``better`` direction at weight 1.
    default_weights: ClassVar[Mapping[str, float]] = {}
    #: General criteria that a measure of the kind replaces, left out of the default criteria
    #: (maternity counts its own transfers: ``("transfers_per_year",)``).
    replaces: ClassVar[tuple[str, ...]] = ()

    def check(self, service: "Service") -> None:
        """Refuse parameters the kind does not know, or a value it cannot use, in one line."""
        declared = {p.name: p for p in self.parameters}
        for name in service.parameters:
            if name not in declared:
                raise InputError(
                    f"service {service.name!r} (kind {self.name!r}): unknown parameter {name!r}; "
                    f"expected one of {', '.join(sorted(declared)) or '(none)'}"
                )
        for p in self.parameters:
            value = service.parameters.get(p.name)
            if value is None:
                if p.required:
                    raise InputError(
                        f"service {service.name!r} (kind {self.name!r}): parameter {p.name!r} has no value; "
                        f"give {p.describe()} ({p.description})"
                    )
                continue
            if not p.accepts(value):
                raise InputError(
                    f"service {service.name!r} (kind {self.name!r}): parameter {p.name!r} must be "
                    f"{p.describe()}, got {shown(value)}"
                )

    def value(self, service: "Service", name: str) -> Any:
        """A declared parameter's value (checked by :meth:`check`; ``None`` if optional and absent)."""
        if name not in {p.name for p in self.parameters}:
            raise KeyError(f"kind {self.name!r} declares no parameter {name!r}")
        return service.parameters.get(name)

    @abc.abstractmethod
    def assess(self, evaluation: "Evaluation", baseline: "Evaluation | None" = None) -> KindResult:
        """The kind's measures and tables for one evaluated option (``baseline``: today's, for
        changes such as women travelling further)."""


_REGISTRY: dict[str, Kind] = {}


def _discover() -> Mapping[str, Kind]:
    if not _REGISTRY:
        for info in pkgutil.iter_modules(__path__):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"{__name__}.{info.name}")
            found = getattr(module, "KIND", None)
            if isinstance(found, Kind):
                if found.name in _REGISTRY:
                    raise RuntimeError(f"two kinds named {found.name!r}")
                _REGISTRY[found.name] = found
    return _REGISTRY


def kind_names() -> tuple[str, ...]:
    """The names of the kinds this installation has."""
    return tuple(sorted(_discover()))


def kind(name: str) -> Kind:
    """The kind called ``name``, or a one-line :class:`~hubplan.errors.InputError`."""
    kinds = _discover()
    if name not in kinds:
        raise InputError(f"unknown kind of service {name!r}: expected one of {', '.join(sorted(kinds))}")
    return kinds[name]


def assess(evaluation: "Evaluation", baseline: "Evaluation | None" = None) -> KindResult:
    """The kind of ``evaluation.service``, checked and run on ``evaluation``."""
    k = kind(evaluation.service.kind)
    k.check(evaluation.service)
    return k.assess(evaluation, baseline)

