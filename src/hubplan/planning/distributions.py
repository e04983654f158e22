"""Distributions of uncertain planning assumptions, the draws, and how a draw is applied.

See :mod:`hubplan.planning.uncertainty` for what is drawn and why; this module holds the
parts the scenario reader needs (parsing ``[uncertainty.parameters]``) without the
appraisal.
"""

from __future__ import annotations

import csv
import dataclasses
import difflib
import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import numpy as np

from hubplan.errors import InputError
from hubplan.validation import LIMITS, shown

if TYPE_CHECKING:
    from hubplan.geography.network import Network
    from hubplan.services import Service
    from hubplan.services.options import Option

DISTRIBUTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (required settings, optional settings)
    "fixed": (("value",), ()),
    "uniform": (("low", "high"), ()),
    "triangular": (("low", "mode", "high"), ()),
    "normal": (("mean", "sd"), ("low", "high")),
    "lognormal": (("median", "sigma"), ("low", "high")),
    "beta": (("alpha", "beta"), ("low", "high")),
    "draws": (("csv", "column"), ()),
}
#: Settings every parameter may have besides its distribution's.
COMMON = ("distribution", "driver", "source")
#: Parameters that are not the service's fields.
OTHER_PARAMETERS = ("demand.multiplier", "travel_times.multiplier", "travel_times.estimated_multiplier",
                    "option.bypass_minutes", "option.transfer_delay_minutes")
_MULTIPLIER = LIMITS["demand_scale"]  # > 0
#: Percentiles reported for every criterion.
PERCENTILES = (5, 50, 95)


@dataclass(frozen=True)
class Uncertain:
    """One uncertain parameter: its distribution and the driver it is drawn with."""

    parameter: str
    distribution: str
    settings: Mapping[str, float] = field(default_factory=dict)
    driver: str = ""
    source: str = ""
    values: tuple[float, ...] = ()  # ``draws``: the file's values

    def __post_init__(self) -> None:
        object.__setattr__(self, "driver", self.driver or self.parameter)

    def quantile(self, u: np.ndarray) -> np.ndarray:
        """The parameter's values at the uniform numbers ``u`` (the inverse of its distribution)."""
        from scipy import stats

        s = self.settings
        u = np.asarray(u, dtype=np.float64)
        if self.distribution == "fixed":
            return np.full(u.shape, float(s["value"]))
        if self.distribution == "draws":
            values = np.sort(np.asarray(self.values))
            return values[np.minimum((u * len(values)).astype(np.intp), len(values) - 1)]
        dist = self._frozen(stats)
        if self.distribution in ("normal", "lognormal") and ("low" in s or "high" in s):
            lo = dist.cdf(s.get("low", -np.inf))
            hi = dist.cdf(s.get("high", np.inf))
            u = lo + u * (hi - lo)
        return np.asarray(dist.ppf(u), dtype=np.float64)

    def _frozen(self, stats: Any) -> Any:
        s = self.settings
        if self.distribution == "uniform":
            return stats.uniform(loc=s["low"], scale=s["high"] - s["low"])
        if self.distribution == "triangular":
            width = s["high"] - s["low"]
            return stats.triang(c=(s["mode"] - s["low"]) / width, loc=s["low"], scale=width)
        if self.distribution == "normal":
            return stats.norm(loc=s["mean"], scale=s["sd"])
        if self.distribution == "lognormal":
            return stats.lognorm(s=s["sigma"], scale=s["median"])
        low, high = s.get("low", 0.0), s.get("high", 1.0)
        return stats.beta(s["alpha"], s["beta"], loc=low, scale=high - low)

    def support(self) -> tuple[float, float]:
        s = self.settings
        if self.distribution == "fixed":
            return float(s["value"]), float(s["value"])
        if self.distribution == "draws":
            return min(self.values), max(self.values)
        if self.distribution in ("uniform", "triangular"):
            return s["low"], s["high"]
        if self.distribution == "normal":
            return s.get("low", -math.inf), s.get("high", math.inf)
        if self.distribution == "lognormal":  # above 0, never at it
            return max(s.get("low", 0.0), math.ulp(0.0)), s.get("high", math.inf)
        return s.get("low", 0.0), s.get("high", 1.0)

    def describe(self) -> str:
        if self.distribution == "draws":
            return f"draws ({len(self.values)} values)"
        return f"{self.distribution}(" + ", ".join(f"{k} {v:g}" for k, v in self.settings.items()) + ")"


def parse_uncertain(name: str, raw: Any, where: Callable[[str], InputError], base: Path | None = None) -> Uncertain:
    """One ``[uncertainty.parameters]`` entry; ``where(message)`` makes the error naming the
    file and key."""
    if not isinstance(raw, Mapping):
        raise where(f"'{name}' must be a table such as {{ distribution = \"uniform\", low = 45, high = 120 }}, "
                    f"got {shown(raw)}")
    dist = raw.get("distribution")
    if "distribution" not in raw:
        raise where(f"'{name}': give its distribution = one of {', '.join(DISTRIBUTIONS)} "
                    "(e.g. { distribution = \"uniform\", low = 45, high = 120 })")
    if dist not in DISTRIBUTIONS:
        raise where(f"'{name}': distribution must be one of {', '.join(DISTRIBUTIONS)}, got {shown(dist)}")
    required, optional = DISTRIBUTIONS[dist]
    allowed = required + optional + COMMON[1:]
    unknown = sorted(set(raw) - set(allowed) - {"distribution"})
    if unknown:
        close = difflib.get_close_matches(unknown[0], allowed, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise where(f"'{name}': a {dist} distribution has no setting {unknown[0]!r}{hint}: expected "
                    f"{', '.join(allowed)}")
    missing = [k for k in required if k not in raw]
    if missing:
        raise where(f"'{name}': a {dist} distribution needs {', '.join(required)} ({missing[0]} is missing)")
    settings: dict[str, float] = {}
    values: tuple[float, ...] = ()
    if dist == "draws":
        values = _read_draws(name, raw["csv"], raw["column"], where, base)
    else:
        for key in required + optional:
            if key not in raw:
                continue
            v = raw[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise where(f"'{name}': {key} must be a number, got {shown(v)}")
            settings[key] = float(v)
    s = settings
    if dist in ("uniform", "triangular") and not s["low"] < s["high"]:
        raise where(f"'{name}': low ({s['low']:g}) must be below high ({s['high']:g})")
    if dist == "triangular" and not s["low"] <= s["mode"] <= s["high"]:
        raise where(f"'{name}': mode ({s['mode']:g}) must lie from low ({s['low']:g}) to high ({s['high']:g})")
    for key in ("sd", "sigma", "alpha", "beta"):
        if key in s and not s[key] > 0:
            raise where(f"'{name}': {key} must be above 0, got {s[key]:g}")
    if dist == "lognormal" and not s["median"] > 0:
        raise where(f"'{name}': median must be above 0, got {s['median']:g}")
    if dist in ("normal", "lognormal", "beta") and "low" in s and "high" in s and not s["low"] < s["high"]:
        raise where(f"'{name}': low ({s['low']:g}) must be below high ({s['high']:g})")
    driver = raw.get("driver", "")
    source = raw.get("source", "")
    for key, text in (("driver", driver), ("source", source)):
        if not isinstance(text, str):
            raise where(f"'{name}': {key} must be text, got {shown(text)}")
    u = Uncertain(name, dist, settings, driver, source, values)
    _check_target(u, where)
    return u


def _read_draws(name: str, path_text: Any, column: Any, where: Callable[[str], InputError],
                base: Path | None) -> tuple[float, ...]:
    if not isinstance(path_text, str) or not isinstance(column, str):
        raise where(f"'{name}': csv and column must be text")
    path = Path(path_text) if Path(path_text).is_absolute() or base is None else base / path_text
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise where(f"'{name}': cannot read {path} ({exc.strerror or exc})") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows or column not in rows[0]:
        raise where(f"'{name}': {path} has no column {column!r}")
    values = []
    for i, row in enumerate(rows, start=2):
        raw = (row.get(column) or "").strip()
        try:
            v = float(raw)
        except ValueError:
            v = math.nan
        if not math.isfinite(v):
            raise InputError(f"{path}: row {i}, column {column}: expected a number, got {raw!r}")
        values.append(v)
    return tuple(values)


def _target_limit(parameter: str) -> tuple[str, Any]:
    """What a parameter name sets, and the limit its values must meet (or ``None``)."""
    from hubplan.outcomes import STROKE_PARAMETERS
    from hubplan.services.service import NUMERIC_PARAMETERS

    if parameter in ("demand.multiplier", "travel_times.multiplier", "travel_times.estimated_multiplier"):
        return "multiplier", _MULTIPLIER
    if parameter in ("option.bypass_minutes", "option.transfer_delay_minutes"):
        return "option", LIMITS[parameter.split(".", 1)[1]]
    head, _, rest = parameter.partition(".")
    if head == "service":
        if rest.startswith("parameters."):
            return "kind", None
        if rest.startswith("outcome."):
            name = rest.split(".", 1)[1]
            prm = next((p for p in STROKE_PARAMETERS if p.name == name), None)
            if prm is None:
                raise KeyError(f"the stroke outcome model has no figure {name!r}: expected one of "
                               + ", ".join(p.name for p in STROKE_PARAMETERS))
            return "outcome", (prm.low, prm.high)
        if rest in NUMERIC_PARAMETERS:
            return "service", LIMITS[rest]
        raise KeyError(f"the service has no numeric parameter {rest!r}: expected one of {', '.join(NUMERIC_PARAMETERS)}, "
                       "parameters.<name> or outcome.<name>")
    raise KeyError(f"unknown parameter: expected service.<name>, service.parameters.<name>, service.outcome.<name> "
                   f"or one of {', '.join(OTHER_PARAMETERS)}")


def _check_target(u: Uncertain, where: Callable[[str], InputError]) -> None:
    try:
        _, limit = _target_limit(u.parameter)
    except KeyError as exc:
        raise where(f"'{u.parameter}': {exc.args[0]}") from None
    lo, hi = u.support()
    if limit is None:
        return
    if isinstance(limit, tuple):
        low, high = limit
        ok_low, ok_high = lo >= low, hi <= high
        words = f"from {low:g} to {high:g}"
    else:
        probe_low = limit.accepts(lo) if math.isfinite(lo) else limit.minimum is None
        probe_high = limit.accepts(hi) if math.isfinite(hi) else limit.maximum is None
        ok_low, ok_high = probe_low, probe_high
        words = limit.describe()
    if not (ok_low and ok_high):
        bad = lo if not ok_low else hi
        raise where(f"'{u.parameter}': the {u.distribution} distribution reaches {bad:g}, but the parameter must be "
                    f"{words}: bound it (low / high) or choose a bounded distribution")


# --------------------------------------------------------------------------- applying a draw
def apply_draw(values: Mapping[str, float], network: "Network", service: "Service",
               options: Sequence["Option"]) -> tuple["Network", "Service", list["Option"]]:
    """The network, service and options with one draw's values."""
    overrides: dict[str, Any] = {}
    kind: dict[str, float] = {}
    outcome: dict[str, float] = {}
    opts = list(options)
    for name, value in values.items():
        target, limit = _target_limit(name)
        if target == "service":
            field_name = name.split(".", 1)[1]
            overrides[field_name] = int(round(value)) if getattr(limit, "whole", False) else float(value)
        elif target == "kind":
            kind[name.split(".", 2)[2]] = float(value)
        elif target == "outcome":
            outcome[name.split(".", 2)[2]] = float(value)
        elif target == "option":
            key = name.split(".", 1)[1]
            opts = [_option_with(o, key, float(value)) for o in opts]
    if "demand.multiplier" in values:
        m = float(values["demand.multiplier"])
        if service.demand is not None:
            overrides["demand"] = f"({service.demand}) * {m!r}"
        else:
            overrides["demand_scale"] = service.demand_scale * m
    if kind:
        overrides["parameters"] = kind
    if outcome:
        overrides["outcome"] = outcome
    if overrides:
        label = service.demand_label
        service = service.with_overrides(**overrides)
        if "demand" in overrides and label:
            service = dataclasses.replace(service, demand_label=label)
    factor = float(values.get("travel_times.multiplier", 1.0))
    est = float(values.get("travel_times.estimated_multiplier", 1.0))
    if factor != 1.0 or est != 1.0:
        network = _scaled(network, factor, est)
    return network, service, opts


def _option_with(option: "Option", key: str, value: float) -> "Option":
    from hubplan.services.options import Pathway

    if key == "bypass_minutes" and option.pathway is not Pathway.TREAT_AND_TRANSFER:
        return option
    changes: dict[str, Any] = {key: value}
    return dataclasses.replace(option, **changes)


def _scaled(network: "Network", factor: float, estimated: float) -> "Network":
    column = np.full(network.n_sites, factor, dtype=np.float32)
    if estimated != 1.0 and "minutes_source" in network.sites:
        column[(network.sites["minutes_source"] == "estimated").to_numpy()] *= np.float32(estimated)
    minutes = np.ascontiguousarray(network.area_site_minutes * column[None, :])
    site = None
    if network.site_site_minutes is not None:
        # a trip between two sites takes the larger of the two sites' factors (an estimated end)
        pair = np.maximum(column[:, None], column[None, :])
        site = np.ascontiguousarray(network.site_site_minutes * pair)
    return dataclasses.replace(network, area_site_minutes=minutes, site_site_minutes=site, _site_pos={})


def preset_ranges(preset: str) -> tuple[Uncertain, ...]:
    """The published ranges of a preset's values (``range`` in ``presets.toml``), as
    uncertain parameters with their sources."""
    from hubplan.services.service import _presets

    spec = _presets()["services"][preset.replace("-", "_")]
    found = []

    def error(message: str) -> InputError:
        return InputError(f"presets.toml, [services.{preset}]: {message}")

    for key, raw in spec.items():
        tables = [(f"service.{key}", raw)] if key not in ("parameters", "outcome") else [
            (f"service.{key}.{k}", v) for k, v in raw.items()]
        for name, entry in tables:
            if isinstance(entry, dict) and isinstance(entry.get("range"), dict):
                found.append(parse_uncertain(name, entry["range"], error))
    return tuple(found)


@dataclass(frozen=True)
class UncertaintySpec:
    """The ``[uncertainty]`` section: draws, seed and the uncertain parameters."""

    draws: int = 200
    seed: int = 0
    parameters: tuple[Uncertain, ...] = ()


def draw_values(spec: UncertaintySpec, draws: int | None = None, seed: int | None = None) -> list[dict[str, float]]:
    """Every draw's parameter values, from one generator (``seed``) in the calling process."""
    n = spec.draws if draws is None else int(draws)
    rng = np.random.default_rng(spec.seed if seed is None else int(seed))
    drivers = list(dict.fromkeys(u.driver for u in spec.parameters))
    uniforms = rng.random((n, len(drivers)))
    columns = {u.parameter: u.quantile(uniforms[:, drivers.index(u.driver)]) for u in spec.parameters}
    return [{name: float(col[i]) for name, col in columns.items()} for i in range(n)]


