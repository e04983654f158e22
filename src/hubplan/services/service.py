"""Services (what is being planned) and their presets, each value with its source.

Presets live in ``presets.toml`` beside this module; every value is stored with its
unit, its source key and a confidence grade (see ``docs/presets.md``). Any parameter
can be overridden: ``Service.preset("thrombectomy", transfer_delay_minutes=90)``.
An overridden value is recorded with the source ``"user override"``.

Demand is ``demand_column * demand_scale`` or, when ``demand`` is given, any expression of
area columns (``docs/demand.md``): ``Service.preset("vascular_arterial",
demand="population_60_plus * 0.0008")``. :attr:`Service.demand_definition` is the
:class:`~hubplan.geography.demand.Demand` in use, with its source; :meth:`Service.demand_values`
is the one place patients per area are computed.
"""

from __future__ import annotations

from hubplan.frozen import PicklableMappings

import dataclasses
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping

from hubplan.geography.demand import Demand
from hubplan.errors import InputError
from hubplan.validation import LIMITS, shown

if TYPE_CHECKING:
    import numpy as np

    from hubplan.geography.network import Network

#: Parameters that carry a value with a source in ``presets.toml``.
SOURCED_PARAMETERS: tuple[str, ...] = (
    "demand",
    "demand_scale",
    "hub_share",
    "transfer_delay_minutes",
    "bypass_minutes",
    "thresholds_minutes",
    "min_patients_per_hub",
    "max_patients_per_hub",
    "min_procedures_per_hub",
    "length_of_stay_days",
    "occupancy_target",
    "rota_minimum_consultants",
    "operator_min_procedures_per_year",
    "workforce_available",
    "workforce_today",
    "trainees_per_year",
    "training_years",
)


#: Numeric parameters checked against :data:`hubplan.validation.LIMITS` (``None`` allowed
#: where no source gave a value; ``demand_scale`` to ``occupancy_target`` always have one).
NUMERIC_PARAMETERS: tuple[str, ...] = tuple(p for p in SOURCED_PARAMETERS if p not in ("demand", "thresholds_minutes"))
_ALWAYS_GIVEN = ("demand_scale", "hub_share", "transfer_delay_minutes", "bypass_minutes", "occupancy_target")


@dataclass(frozen=True)
class Source:
    """Where a parameter value comes from."""

    key: str
    unit: str = ""
    confidence: str = ""
    note: str = ""
    citation: str = ""


@dataclass(frozen=True)
class Service(PicklableMappings):
    """A service being planned, with every parameter a planner may change.

    Parameters
    ----------
    name:
        Preset key or a user name, e.g. ``"thrombectomy"``.
    demand_column:
        Column of ``network.areas`` holding patients per year per area.
    demand_scale:
        Multiplier applied to that column (1 for real demand; a labelled proxy otherwise).
    demand:
        An expression of area columns (``docs/demand.md``), e.g.
        ``"population_60_plus * 0.0008"``; when given it replaces ``demand_column *
        demand_scale`` (which must then keep their defaults).
    hub_share:
        Fraction of patients who need the hub (e.g. 0.10 thrombectomy-eligible); drives
        transfers and hub activity. Access statistics are over all patients.
    transfer_delay_minutes:
        Door-in-door-out delay at a spoke before the transfer leaves.
    thresholds_minutes:
        Access thresholds reported as shares within, e.g. (30, 45, 60).
    kind:
        The kind of service (``docs/kinds.md``): ``"emergency"`` (the default: a hub-and-spoke
        network with transfers, e.g. stroke, vascular), ``"maternity"``, ``"community"``,
        ``"elective"``; each kind is one module of :mod:`hubplan.kinds`.
    parameters:
        The kind's own parameters (e.g. maternity's transfer rates), each with its source in
        :attr:`sources` under the same name; a kind declares and checks them.
    outcome:
        The outcome model's settings (``docs/outcomes.md``): ``model`` (``"stroke"``: the
        ``stroke-outcome`` package over a timeline from onset to treatment; ``"curve"``: a
        user's curve of good outcome against minutes) and its figures, each with its source
        in :attr:`sources` under ``outcome.<name>``; empty = no outcome model.
    Volumes, lengths of stay, rota and workforce values may be ``None`` where no source
    gave a value; the functions that need them ask the user for them.
    """

    name: str
    title: str = ""
    demand_column: str = "stroke_admissions"
    demand_label: str = ""
    demand_scale: float = 1.0
    demand: str | None = None
    hub_capability: str | None = None
    spoke_capability: str | None = None
    pathway: str = "direct"
    hub_share: float = 1.0
    transfer_delay_minutes: float = 60.0
    bypass_minutes: float = 0.0
    thresholds_minutes: tuple[float, ...] = (30.0, 45.0, 60.0)
    min_patients_per_hub: float | None = None
    max_patients_per_hub: float | None = None
    min_procedures_per_hub: float | None = None
    length_of_stay_days: float | None = None
    occupancy_target: float = 0.85
    rota_minimum_consultants: int | None = None
    operator_min_procedures_per_year: float | None = None
    workforce_available: int | None = None
    workforce_today: int | None = None
    trainees_per_year: float | None = None
    training_years: float | None = None
    kind: str = "emergency"
    parameters: Mapping[str, Any] = field(default_factory=dict, hash=False)  # a mapping: compared, not hashed
    outcome: Mapping[str, Any] = field(default_factory=dict, hash=False)
    sources: Mapping[str, Source] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        def bad(name: str, expected: str) -> InputError:
            return InputError(
                f"service {self.name!r}: {name} must be {expected}, got {shown(getattr(self, name))}"
            )

        for name in NUMERIC_PARAMETERS:  # the limits shared with the CLI and scenario files
            value = getattr(self, name)
            if (value is not None or name in _ALWAYS_GIVEN) and not LIMITS[name].accepts(value):
                raise bad(name, LIMITS[name].describe())
        if self.pathway not in ("direct", "treat_and_transfer"):
            raise bad("pathway", "'direct' or 'treat_and_transfer'")
        raw = self.thresholds_minutes
        if (isinstance(raw, (str, bytes)) or not hasattr(raw, "__iter__")
                or not raw or not all(LIMITS["thresholds_minutes"].accepts(t) for t in raw)):
            raise bad("thresholds_minutes", "one or more minutes > 0")
        thresholds = tuple(float(t) for t in raw)
        object.__setattr__(self, "thresholds_minutes", tuple(sorted(set(thresholds))))
        if not (isinstance(self.kind, str) and self.kind.isidentifier()):
            raise bad("kind", "the name of a kind of service, e.g. 'maternity'")
        if not isinstance(self.parameters, Mapping) or not all(isinstance(k, str) for k in self.parameters):
            raise bad("parameters", "a table of the kind's parameters by name")
        clash = sorted(set(self.parameters) & {f.name for f in dataclasses.fields(self)})
        if clash:
            raise bad("parameters", f"names other than the service's own fields (got {clash[0]!r})")
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        if not isinstance(self.outcome, Mapping) or not all(isinstance(k, str) for k in self.outcome):
            raise bad("outcome", "a table of the outcome model's settings by name")
        object.__setattr__(self, "outcome", MappingProxyType(dict(self.outcome)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "_demand", self._build_demand())

    # ------------------------------------------------------------------ demand
    def _build_demand(self) -> Demand:
        label = self.demand_label
        if self.demand is not None:
            if self.demand_column != _DEFAULT_COLUMN or self.demand_scale != 1.0:
                raise InputError(
                    f"service {self.name!r}: give demand = {self.demand!r} or demand_column / demand_scale, "
                    f"not both (got demand_column {self.demand_column!r}, demand_scale {self.demand_scale:g})"
                )
            src = self.sources.get("demand")
            if not isinstance(self.demand, str):
                raise InputError(f"service {self.name!r}: demand must be text (an expression of area "
                                 f"columns), got {shown(self.demand)}")
            return Demand.parse(self.demand, **_provenance(src, label))
        column_src, scale_src = self.sources.get("demand_column"), self.sources.get("demand_scale")
        src = scale_src
        if OVERRIDE in (column_src.key if column_src else "", scale_src.key if scale_src else ""):
            src = Source(key=OVERRIDE)
        return Demand.from_column(self.demand_column, self.demand_scale, **_provenance(src, label))

    @property
    def demand_definition(self) -> Demand:
        """The demand in use: its expression, source, confidence, note and whether it is a proxy."""
        return self._demand  # type: ignore[attr-defined,no-any-return]

    def demand_values(self, network: "Network") -> "np.ndarray":
        """Patients a year per area of ``network`` (see :meth:`hubplan.geography.demand.Demand.values`)."""
        return self.demand_definition.values(network)

    # ------------------------------------------------------------------ presets
    @staticmethod
    def preset_names() -> tuple[str, ...]:
        """Names of the bundled presets."""
        return tuple(_presets()["services"])

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> "Service":
        """A bundled preset, with any parameter overridden.

        >>> Service.preset("thrombectomy").rota_minimum_consultants
        5
        >>> Service.preset("thrombectomy", transfer_delay_minutes=90).sources["transfer_delay_minutes"].key
        'user override'
        """
        data = _presets()
        services = data["services"]
        key = name.replace("-", "_")
        if key not in services:
            raise InputError(
                f"unknown service {name!r}: expected one of {', '.join(sorted(services))}"
            )
        spec = services[key]
        citations = data.get("sources", {})
        values: dict[str, Any] = {"name": key}
        sources: dict[str, Source] = {}

        def sourced(raw: dict[str, Any]) -> tuple[Any, Source]:
            value = raw.get("value")
            src_key = str(raw.get("source", ""))
            return None if value == "none" else value, Source(
                key=src_key,
                unit=str(raw.get("unit", "")),
                confidence=str(raw.get("confidence", "")),
                note=str(raw.get("note", "")),
                citation="; ".join(citations[k.strip()] for k in src_key.split(";") if k.strip() in citations),
            )

        for param, raw in spec.items():
            if param == "parameters":
                kind_values: dict[str, Any] = {}
                for kp, kraw in raw.items():
                    kind_values[kp], sources[kp] = sourced(kraw) if isinstance(kraw, dict) else (kraw, Source(key=""))
                values["parameters"] = kind_values
            elif param == "outcome":
                outcome_values: dict[str, Any] = {}
                for op, oraw in raw.items():
                    if isinstance(oraw, dict):
                        outcome_values[op], sources[f"outcome.{op}"] = sourced(oraw)
                    else:
                        outcome_values[op] = oraw
                values["outcome"] = outcome_values
            elif isinstance(raw, dict):
                values[param], sources[param] = sourced(raw)
            else:
                values[param] = raw
        if "thresholds_minutes" in values and values["thresholds_minutes"] is not None:
            values["thresholds_minutes"] = tuple(values["thresholds_minutes"])
        known = {f.name for f in dataclasses.fields(cls)}
        for param in overrides:
            if param not in known or param in ("name", "sources"):
                raise InputError(
                    f"service {key!r} has no parameter {param!r}: expected one of "
                    f"{', '.join(sorted(known - {'name', 'sources'}))}"
                )
        for param, value in _demand_resets(key, values, overrides).items():
            values[param] = value
            sources.pop(param, None)
        for param, value in overrides.items():
            if value is None:
                continue
            if param == "parameters":
                values["parameters"] = _merged_parameters(key, values.get("parameters", {}), value, sources)
                continue
            if param == "outcome":
                values["outcome"] = _merged_parameters(key, values.get("outcome", {}), value, sources, "outcome.")
                continue
            values[param] = tuple(value) if param == "thresholds_minutes" else value
            old = sources.get(param)
            sources[param] = Source(key="user override", unit=old.unit if old else "")
        return cls(sources=sources, **values)

    def with_overrides(self, **overrides: Any) -> "Service":
        """A copy with parameters changed; changed values are marked ``user override``."""
        known = {f.name for f in dataclasses.fields(self)}
        bad = sorted(set(overrides) - known)
        if bad:
            raise InputError(f"service {self.name!r} has no parameter {bad[0]!r}")
        sources = dict(self.sources)
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "parameters" in changes:
            changes["parameters"] = _merged_parameters(self.name, self.parameters, changes["parameters"], sources)
        if "outcome" in changes:
            changes["outcome"] = _merged_parameters(self.name, self.outcome, changes["outcome"], sources, "outcome.")
        for param in changes:
            if param in ("parameters", "outcome"):
                continue
            old = sources.get(param)
            sources[param] = Source(key="user override", unit=old.unit if old else "")
        current = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for param, value in _demand_resets(self.name, current, changes).items():
            changes[param] = value
            sources.pop(param, None)
        if "thresholds_minutes" in changes:
            changes["thresholds_minutes"] = tuple(changes["thresholds_minutes"])
        return dataclasses.replace(self, sources=sources, **changes)

    def source_table(self) -> list[dict[str, Any]]:
        """One row per sourced parameter: name, value, unit, source, confidence, note.

        The first row is the demand in use (its expression); ``demand_scale`` follows only
        when the demand is ``demand_column * demand_scale``. The kind's parameters follow,
        then the outcome model's figures as ``outcome.<name>``.
        """
        rows = []
        for param in SOURCED_PARAMETERS:
            src = self.sources.get(param)
            if param == "demand":
                d = self.demand_definition
                rows.append({"parameter": "demand", "value": d.expression,
                             "unit": (src.unit if src and src.unit else d.label or "patients a year"),
                             "source": d.source, "confidence": d.confidence,
                             "note": ("PROXY: " if d.is_proxy and "PROXY" not in d.note.upper() else "") + d.note,
                             "citation": d.citation})
                continue
            if param == "demand_scale" and self.demand is not None:
                continue
            rows.append(
                {
                    "parameter": param,
                    "value": getattr(self, param),
                    "unit": src.unit if src else "",
                    "source": src.key if src else "",
                    "confidence": src.confidence if src else "",
                    "note": src.note if src else "",
                    "citation": src.citation if src else "",
                }
            )
        for param, value in self.parameters.items():
            src = self.sources.get(param)
            rows.append({"parameter": param, "value": value, "unit": src.unit if src else "",
                         "source": src.key if src else "", "confidence": src.confidence if src else "",
                         "note": src.note if src else "", "citation": src.citation if src else ""})
        for param, value in self.outcome.items():  # the outcome model's figures (docs/outcomes.md)
            if param == "model":
                continue
            src = self.sources.get(f"outcome.{param}")
            rows.append({"parameter": f"outcome.{param}", "value": value, "unit": src.unit if src else "",
                         "source": src.key if src else "", "confidence": src.confidence if src else "",
                         "note": src.note if src else "", "citation": src.citation if src else ""})
        return rows

    def parameter(self, name: str) -> Any:
        """The kind parameter ``name`` (``None`` where no source gave a value)."""
        if name not in self.parameters:
            raise InputError(f"service {self.name!r} (kind {self.kind!r}) has no parameter {name!r}: "
                             f"expected one of {', '.join(sorted(self.parameters)) or '(none)'}")
        return self.parameters[name]


def _merged_parameters(
    name: str, current: Mapping[str, Any], changes: Any, sources: dict[str, Source], prefix: str = ""
) -> dict[str, Any]:
    """``current`` with ``changes`` applied; each changed value marked ``user override``.

    Names a preset does not have are accepted here (a user's own service may bring any);
    the kind checks them against the parameters it declares (:meth:`hubplan.kinds.Kind.check`).
    """
    if not isinstance(changes, Mapping):
        raise InputError(f"service {name!r}: parameters must be a table of name = value, got {shown(changes)}")
    merged = dict(current)
    for param, value in changes.items():
        if value is None:
            continue
        merged[str(param)] = value
        old = sources.get(prefix + str(param))
        sources[prefix + str(param)] = Source(key=OVERRIDE, unit=old.unit if old else "")
    return merged


_DEFAULT_COLUMN = "stroke_admissions"
OVERRIDE = "user override"


def _provenance(src: Source | None, label: str) -> dict[str, Any]:
    """The :class:`Demand` provenance of a service's demand source and label."""
    note = src.note if src else ""
    return {
        "source": src.key if src else "",
        "confidence": src.confidence if src else "",
        "note": note,
        "citation": src.citation if src else "",
        "label": label,
        "is_proxy": "PROXY" in label.upper() or "PROXY" in note.upper(),
    }


def _demand_resets(name: str, current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """What else changes when the demand is overridden, so that a new demand replaces the old
    one whole: an expression resets ``demand_column`` / ``demand_scale``, a column or scale
    drops the preset's expression, and the preset's ``demand_label`` goes with its demand."""
    expression = changes.get("demand") is not None
    column = changes.get("demand_column") is not None or changes.get("demand_scale") is not None
    if expression and column:
        raise InputError(
            f"service {name!r}: give either demand (an expression of area columns, e.g. \"births * 2\") "
            "or demand_column / demand_scale, not both"
        )
    resets: dict[str, Any] = {}
    if expression:
        resets.update(demand_column=_DEFAULT_COLUMN, demand_scale=1.0)
    elif column and current.get("demand") is not None:
        resets["demand"] = None
    replaced = expression or changes.get("demand_column") is not None or "demand" in resets
    if replaced and changes.get("demand_label") is None:
        resets["demand_label"] = ""
    return resets


_PRESETS_CACHE: dict[str, Any] = {}


def _presets() -> dict[str, Any]:
    if not _PRESETS_CACHE:
        text = resources.files("hubplan.services").joinpath("presets.toml").read_text(encoding="utf-8")
        _PRESETS_CACHE.update(tomllib.loads(text))
    return _PRESETS_CACHE
