"""Scenario files: the network, the service and the options of an appraisal, in TOML.

A scenario file says everything ``hubplan appraise`` needs (see docs/appraisal.md)::

    schema_version = 1
    title = "Hampshire and Isle of Wight: vascular arterial centres"

    [network]                       # the bundled England & Wales network unless data = "folder"
    country = "England"
    region = "Hampshire and Isle of Wight"

    [service]
    preset = "vascular_arterial"    # any other key overrides a parameter of the preset

    [[options]]
    name = "Southampton only"
    hubs = ["SO166YD"]
    spokes = "rest"
    pathway = "treat_and_transfer"

    [[options]]
    name = "best 2"
    optimise = { k = 2, keep = ["SO166YD"] }

It is read with :func:`load_scenario` (or :func:`parse_scenario` for text) into frozen
dataclasses; every problem is an :class:`~hubplan.errors.InputError` naming the file,
the option and the key, e.g. ``hampshire_vascular.toml, option 'two hubs': 'hubs' must
be a list of site codes, got 'SO166YD'``. :func:`run_scenario` loads the network, builds
(or optimises) the options and returns the :class:`~hubplan.planning.appraise.Appraisal`.
"""

from __future__ import annotations

from hubplan.frozen import PicklableMappings

import difflib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

from hubplan.planning.appraise import Criterion, SweepResult, appraise, criterion_info
from hubplan.errors import InputError
from hubplan.services.options import Helicopter, Option, Pathway
from hubplan.validation import LIMITS, Limit
from hubplan.formatting import counted

if TYPE_CHECKING:
    from hubplan.planning.appraise import Appraisal
    from hubplan.planning.distributions import UncertaintySpec
    from hubplan.access.evaluate import Evaluation
    from hubplan.geography.network import Network
    from hubplan.services import Service

#: The version of the scenario format this module reads.
SCHEMA_VERSION = 1

Progress = Callable[[str], None]

_TOP_KEYS = ("schema_version", "title", "description", "network", "service", "options", "appraisal",
             "sweep", "benchmark", "uncertainty")
_NETWORK_KEYS = ("data", "country", "region", "add_sites", "add_times", "drop_sites", "site_capabilities")
_OPTION_KEYS = ("name", "description", "hubs", "hubs_with", "spokes", "spokes_with", "pathway",
                "bypass_minutes", "transfer_delay_minutes", "assignment", "helicopter", "optimise")
_OPTIMISE_KEYS = ("k", "keep", "exclude", "candidates", "objective", "threshold_minutes", "min_patients",
                  "max_patients", "max_minutes", "workforce", "method", "time_limit_seconds")
_HELICOPTER_KEYS = ("threshold_minutes", "dispatch_minutes", "speed_kmh", "handover_minutes")
_HELICOPTER_LIMITS = {"threshold_minutes": "helicopter_threshold_minutes", "dispatch_minutes": "dispatch_minutes",
                      "speed_kmh": "speed_kmh", "handover_minutes": "handover_minutes"}
_APPRAISAL_KEYS = ("baseline", "region_type", "criteria", "draws", "seed", "concentration", "workforce")
_SWEEP_KEYS = ("k", "keep", "exclude", "candidates", "objective", "threshold_minutes", "pathway", "method",
               "time_limit_seconds")
_BENCHMARK_KEYS = ("csv", "indicator", "overdispersion", "per", "title", "value_label", "provider_column",
                   "numerator_column", "denominator_column", "region_column")


# ----------------------------------------------------------------------------- values
@dataclass(frozen=True)
class NetworkSpec:
    """Which network: ``data`` = a folder of CSVs (``None`` = bundled), restricted."""

    data: Path | None = None
    country: str | None = None
    region: str | None = None
    add_sites: Path | None = None
    add_times: Path | None = None
    drop_sites: tuple[str, ...] = ()
    site_capabilities: Path | None = None


@dataclass(frozen=True)
class ServiceSpec(PicklableMappings):
    """A service preset and the parameters overridden."""

    preset: str
    overrides: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "overrides", MappingProxyType(dict(self.overrides)))


@dataclass(frozen=True)
class OptimiseSpec:
    """Choose the hubs by optimisation (see docs/optimise.md).

    ``keep``, ``exclude`` and ``candidates`` are site codes or a capability name.
    ``min_patients`` / ``max_patients`` bound each hub's catchment (patients a year;
    ``"service"`` = the preset's value); ``workforce`` caps the number of hubs.
    """

    k: int
    keep: tuple[str, ...] | str = ()
    exclude: tuple[str, ...] | str = ()
    candidates: tuple[str, ...] | str | None = None
    objective: str = "p-median"
    threshold_minutes: float | None = None
    min_patients: float | str | None = None
    max_patients: float | str | None = None
    max_minutes: float | None = None
    workforce: int | str | None = None
    method: str = "exact"
    time_limit_seconds: float = 120.0


@dataclass(frozen=True)
class OptionSpec(PicklableMappings):
    """One named option as written in the scenario (site codes checked on running).

    Hubs are ``hubs`` (codes) or ``hubs_with`` (a capability, e.g. ``thrombectomy``) or
    chosen by ``optimise``. Spokes are ``spokes`` (codes or ``"rest"``) or ``spokes_with``.
    """

    name: str
    description: str = ""
    hubs: tuple[str, ...] = ()
    hubs_with: str | None = None
    spokes: tuple[str, ...] | str = ()
    spokes_with: str | None = None
    pathway: str | None = None
    bypass_minutes: float | None = None
    transfer_delay_minutes: float | None = None
    assignment: Mapping[str, str] = field(default_factory=dict)
    helicopter: Helicopter | None = None
    optimise: OptimiseSpec | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "assignment", MappingProxyType(dict(self.assignment)))


@dataclass(frozen=True)
class AppraisalSpec:
    """How to compare: baseline option, equity regions, criteria and rank-stability draws."""

    baseline: str | None = None
    region_type: str | None = None
    criteria: tuple[Criterion, ...] | None = None
    draws: int = 2000
    seed: int = 0
    concentration: float | None = None
    workforce: float | None = None


@dataclass(frozen=True)
class SweepSpec:
    """A sweep over the number of hubs for the trade-off curve."""

    ks: tuple[int, ...]
    keep: tuple[str, ...] | str = ()
    exclude: tuple[str, ...] | str = ()
    candidates: tuple[str, ...] | str | None = None
    objective: str = "p-median"
    threshold_minutes: float | None = None
    pathway: str = "direct"
    method: str = "heuristic"
    time_limit_seconds: float = 30.0


@dataclass(frozen=True)
class BenchmarkSpec:
    """Providers benchmarked on an indicator (docs/benchmarking.md), shown in the report."""

    csv: Path
    indicator: str = "proportion"
    overdispersion: str = "additive"
    per: float = 1.0
    title: str = ""
    value_label: str = ""
    provider_column: str | None = None
    numerator_column: str | None = None
    denominator_column: str | None = None
    region_column: str | None = None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario file."""

    path: Path | None
    title: str
    description: str
    network: NetworkSpec
    service: ServiceSpec
    options: tuple[OptionSpec, ...]
    appraisal: AppraisalSpec
    sweep: SweepSpec | None = None
    benchmark: BenchmarkSpec | None = None
    schema_version: int = SCHEMA_VERSION
    uncertainty: "UncertaintySpec | None" = None

    @property
    def file_name(self) -> str:
        return self.path.name if self.path is not None else "scenario"


# ----------------------------------------------------------------------------- parsing
class _Where:
    """Builds messages that name the file and the place in it."""

    def __init__(self, file: str, place: str = "") -> None:
        self.file, self.place = file, place

    def at(self, place: str) -> "_Where":
        return _Where(self.file, place)

    def error(self, message: str) -> InputError:
        return InputError(f"{self.file}{', ' + self.place if self.place else ''}: {message}")

    def keys(self, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
        for key in table:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(f"unknown key {key!r}{hint}: expected one of {', '.join(allowed)}")

    def table(self, value: Any, key: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(f"{key!r} must be a table, got {_shown(value)}")
        return value

    def text(self, value: Any, key: str, *, empty: bool = False) -> str:
        if not isinstance(value, str) or (not empty and not value.strip()):
            raise self.error(f"{key!r} must be {'text' if empty else 'non-empty text'}, got {_shown(value)}")
        return value.strip()

    def number(self, value: Any, key: str, limit: str | Limit) -> Any:
        """``value`` checked against a limit of :data:`hubplan.validation.LIMITS` (the same
        rule as the command line's), as ``int`` for whole numbers, else ``float``."""
        rule = LIMITS[limit] if isinstance(limit, str) else limit
        if not rule.accepts(value):
            raise self.error(f"{key!r} must be {rule.describe()}, got {_shown(value)}")
        return rule.convert(value)

    def codes(self, value: Any, key: str) -> tuple[str, ...]:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.error(f"{key!r} must be a list of site codes, got {_shown(value)}")
        return tuple(v.strip() for v in value)

    def codes_or_capability(self, value: Any, key: str) -> tuple[str, ...] | str:
        """A list of site codes, or one capability name (text)."""
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, list):
            return self.codes(value, key)
        raise self.error(f"{key!r} must be a list of site codes or a capability name, got {_shown(value)}")


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return f"a list {value!r}" if len(repr(value)) < 60 else "a list"
    return repr(value)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (TOML).

    Raises
    ------
    InputError
        The file is missing, not TOML, or breaks the format; the message names the file,
        the option and the key.
    """
    from hubplan.files import read_text

    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: scenario file not found")
    if path.is_dir():
        raise InputError(f"{path}: expected a scenario file (.toml), found a folder")
    text = read_text(path, str(path), row_word="line")  # UTF-8, BOM dropped; unreadable or too large: InputError
    return parse_scenario(text, path=path)


def parse_scenario(text: str, path: str | Path | None = None) -> Scenario:
    """Validate scenario text; ``path`` names the file in messages and anchors relative paths."""
    file_path = Path(path) if path is not None else None
    where = _Where(file_path.name if file_path is not None else "scenario")
    base = file_path.parent if file_path is not None else Path.cwd()
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise where.error(f"not valid TOML ({exc})") from None
    where.keys(raw, _TOP_KEYS)
    if "schema_version" not in raw:
        raise where.error(f"'schema_version' is missing: add schema_version = {SCHEMA_VERSION} at the top")
    version = raw["schema_version"]
    if isinstance(version, bool) or not isinstance(version, int):
        raise where.error(f"'schema_version' must be a whole number, got {_shown(version)}")
    if version != SCHEMA_VERSION:
        raise where.error(
            f"schema_version {version} is not supported: this hubplan reads schema_version {SCHEMA_VERSION}"
        )
    title = where.text(raw.get("title", ""), "title", empty=True)
    description = where.text(raw.get("description", ""), "description", empty=True)
    network = _network(where.at("[network]"), raw.get("network", {}), base)
    if "service" not in raw:
        raise where.error("[service] is missing: say which service, e.g. preset = \"thrombectomy\"")
    service = _service(where.at("[service]"), raw["service"], base)
    if "options" not in raw:
        raise where.error("no options: add at least one [[options]] table with a name and hubs")
    raw_options = raw["options"]
    if not isinstance(raw_options, list) or not raw_options:
        raise where.error("'options' must be a list of [[options]] tables, each with a name and hubs")
    options: list[OptionSpec] = []
    names: set[str] = set()
    for i, item in enumerate(raw_options, start=1):
        option = _option(where, item, i)
        if option.name in names:
            raise where.at(f"option {option.name!r}").error("the name is used by another option: names must be unique")
        names.add(option.name)
        options.append(option)
    appraisal = _appraisal(where.at("[appraisal]"), raw.get("appraisal", {}), [o.name for o in options])
    sweep = _sweep(where.at("[sweep]"), raw["sweep"]) if "sweep" in raw else None
    bench = _benchmark(where.at("[benchmark]"), raw["benchmark"], base) if "benchmark" in raw else None
    uncertain = (_uncertainty(where.at("[uncertainty]"), raw["uncertainty"], base, service.preset,
                              service.overrides.get("outcome"))
                 if "uncertainty" in raw else None)
    return Scenario(
        path=file_path, title=title, description=description, network=network, service=service,
        options=tuple(options), appraisal=appraisal, sweep=sweep, benchmark=bench, schema_version=version,
        uncertainty=uncertain,
    )


_UNCERTAINTY_KEYS = ("draws", "seed", "parameters", "preset_ranges")


def _uncertainty(where: _Where, raw: Any, base: Path, preset_name: str = "",
                 outcome: Any = None) -> "UncertaintySpec":
    """``[uncertainty]``: draws, seed and ``[uncertainty.parameters]`` (docs/uncertainty.md)."""
    from hubplan.planning.distributions import UncertaintySpec, parse_uncertain

    raw = where.table(raw, "uncertainty")
    where.keys(raw, _UNCERTAINTY_KEYS)
    draws = int(where.number(raw.get("draws", 200), "draws", "draws"))
    seed = int(where.number(raw.get("seed", 0), "seed", "seed"))
    table = where.table(raw.get("parameters", {}), "parameters")
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        # dotted keys without quotes (service.transfer_delay_minutes = {...}) are nested tables in TOML;
        # a table with settings that are not tables is one parameter (whose distribution may be missing)
        if isinstance(value, dict) and "distribution" not in value and (value or not prefix) and all(
                isinstance(v, dict) for v in value.values()):
            for k, v in value.items():
                walk(f"{prefix}.{k}" if prefix else str(k), v)
        else:
            flat[prefix] = value

    walk("", table)
    inner = where.at("[uncertainty.parameters]")
    params = tuple(parse_uncertain(name, value, inner.error, base) for name, value in flat.items())
    if preset_name:  # a kind parameter must be one the service has
        from hubplan import kinds
        from hubplan.services import Service

        service = Service.preset(preset_name)
        declared = {p.name for p in kinds.kind(service.kind).parameters} | set(service.parameters)
        model = (dict(outcome) if isinstance(outcome, Mapping) else {}).get("model") or service.outcome.get("model")
        for u in params:
            if u.parameter.startswith("service.outcome.") and model != "stroke":
                raise inner.error(f"'{u.parameter}': service {preset_name!r} has "
                                  + ("an outcome curve, whose figures are not drawn" if model == "curve" else
                                     "no outcome model whose figures could be drawn (docs/outcomes.md)"))
            if u.parameter.startswith("service.parameters."):
                name = u.parameter.split(".", 2)[2]
                if name not in declared:
                    raise inner.error(f"'{u.parameter}': service {preset_name!r} (kind {service.kind!r}) has no "
                                      f"parameter {name!r}: expected one of {', '.join(sorted(declared)) or '(none)'}")
    use_ranges = raw.get("preset_ranges", False)
    if not isinstance(use_ranges, bool):
        raise where.error(f"'preset_ranges' must be true or false, got {_shown(use_ranges)}")
    if use_ranges:  # the preset's published ranges, where the file gives no distribution of its own
        from hubplan.planning.distributions import preset_ranges

        given = {u.parameter for u in params}
        params += tuple(u for u in preset_ranges(preset_name) if u.parameter not in given)
    return UncertaintySpec(draws=draws, seed=seed, parameters=params)


def _network(where: _Where, raw: Any, base: Path) -> NetworkSpec:
    raw = where.table(raw, "network")
    where.keys(raw, _NETWORK_KEYS)
    data = None
    if "data" in raw:
        text = where.text(raw["data"], "data")
        data = Path(text) if Path(text).is_absolute() else base / text
        if not data.is_dir():
            raise where.error(f"'data' must be a folder of CSV files (areas.csv, sites.csv, travel_times.csv), "
                              f"got {text!r}: no such folder")
    country = where.text(raw["country"], "country") if "country" in raw else None
    region = where.text(raw["region"], "region") if "region" in raw else None
    files: dict[str, Path | None] = {}
    for key in ("add_sites", "add_times", "site_capabilities"):
        files[key] = None
        if key in raw:
            text = where.text(raw[key], key)
            path = Path(text) if Path(text).is_absolute() else base / text
            if not path.is_file():
                raise where.error(f"'{key}' must be a CSV file, got {text!r}: no such file")
            files[key] = path
    if files["add_times"] is not None and files["add_sites"] is None:
        raise where.error("'add_times' gives minutes for new sites: it needs 'add_sites'")
    drop: tuple[str, ...] = ()
    if "drop_sites" in raw:
        value = raw["drop_sites"]
        if isinstance(value, str):
            value = [c for c in value.split(",") if c.strip()]
        if not isinstance(value, list) or not value or not all(isinstance(c, str) and c.strip() for c in value):
            raise where.error("'drop_sites' must be a list of site codes, e.g. [\"SY38XQ\"]")
        drop = tuple(c.strip() for c in value)
    return NetworkSpec(data=data, country=country, region=region, add_sites=files["add_sites"],
                       add_times=files["add_times"], drop_sites=drop, site_capabilities=files["site_capabilities"])


def _service(where: _Where, raw: Any, base: Path | None = None) -> ServiceSpec:
    import dataclasses

    from hubplan.outcomes import outcome_model
    from hubplan.services import Service

    raw = where.table(raw, "service")
    if "preset" not in raw:
        raise where.error(f"'preset' is missing: one of {', '.join(Service.preset_names())}")
    preset = where.text(raw["preset"], "preset")
    if preset.replace("-", "_") not in Service.preset_names():
        raise where.error(f"unknown preset {preset!r}: expected one of {', '.join(Service.preset_names())}")
    known = tuple(f.name for f in dataclasses.fields(Service) if f.name not in ("name", "sources")) + ("outcome_curve",)
    overrides = {k: v for k, v in raw.items() if k != "preset"}
    where.keys(overrides, known)
    if "outcome_curve" in overrides:  # handled last: it replaces the preset's outcome model
        overrides = {**{k: v for k, v in overrides.items() if k != "outcome_curve"},
                     "outcome_curve": overrides["outcome_curve"]}
    for key, value in list(overrides.items()):  # each value as the key expects, named in the message
        if key == "thresholds_minutes":
            if not isinstance(value, list) or not value:
                raise where.error(f"'thresholds_minutes' must be a list of minutes > 0, e.g. [30, 45, 60], "
                                  f"got {_shown(value)}")
            for v in value:
                where.number(v, "thresholds_minutes", key)
        elif key == "parameters":
            where.table(value, "parameters")  # the kind checks each value below
        elif key == "outcome":
            # [service.outcome]: the outcome model's figures (docs/outcomes.md), or
            # outcome_curve = "FILE.csv" below; the model checks each value
            where.table(value, "outcome")
        elif key == "outcome_curve":
            text = where.text(value, key)
            curve = Path(text) if Path(text).is_absolute() or base is None else base / text
            overrides.pop("outcome_curve")
            if "outcome" in overrides:
                raise where.error("give [service.outcome] (the preset model's figures) or outcome_curve, not both")
            overrides["outcome"] = {"model": "curve", "curve": str(curve)}
            break
        elif key in LIMITS:
            where.number(value, key, key)
        else:
            where.text(value, key, empty=key in ("title", "demand_label"))
    from hubplan import kinds

    try:
        curve = overrides.get("outcome", {}).get("model") == "curve"
        service = Service.preset(preset, **{k: v for k, v in overrides.items() if not (k == "outcome" and curve)})
        if curve:
            service = dataclasses.replace(service, outcome=overrides["outcome"])
        kinds.kind(service.kind).check(service)
        outcome_model(service)
    except (InputError, TypeError, ValueError) as exc:
        raise where.error(str(exc)) from None
    return ServiceSpec(preset=preset, overrides=overrides)


def _option(where: _Where, raw: Any, number: int) -> OptionSpec:
    if not isinstance(raw, dict):
        raise where.at(f"option {number}").error(f"must be a table ([[options]]), got {_shown(raw)}")
    if "name" not in raw:
        raise where.at(f"option {number}").error("'name' is missing: give every option a name")
    name = where.at(f"option {number}").text(raw["name"], "name")
    w = where.at(f"option {name!r}")
    w.keys(raw, _OPTION_KEYS)
    hubs: tuple[str, ...] = ()
    hubs_with = None
    optimise = None
    ways = [k for k in ("hubs", "hubs_with", "optimise") if k in raw]
    if len(ways) != 1:
        raise w.error("give exactly one of 'hubs' (site codes), 'hubs_with' (a capability) or 'optimise'"
                      + (f", not {' and '.join(repr(k) for k in ways)}" if ways else ""))
    if "hubs" in raw:
        hubs = w.codes(raw["hubs"], "hubs")
    elif "hubs_with" in raw:
        hubs_with = w.text(raw["hubs_with"], "hubs_with")
    else:
        optimise = _optimise(w, raw["optimise"])
    pathway = None
    if "pathway" in raw:
        try:
            pathway = Pathway.parse(w.text(raw["pathway"], "pathway")).value
        except InputError:
            raise w.error(f"'pathway' must be 'direct' or 'treat_and_transfer', got {_shown(raw['pathway'])}") from None
    spokes: tuple[str, ...] | str = ()
    spokes_with = None
    if "spokes" in raw and "spokes_with" in raw:
        raise w.error("give 'spokes' or 'spokes_with', not both")
    if "spokes" in raw:
        value = raw["spokes"]
        if isinstance(value, str) and value.strip().lower() == "rest":
            spokes = "rest"
        elif isinstance(value, list):
            spokes = w.codes(value, "spokes")
        else:
            raise w.error(f"'spokes' must be a list of site codes or \"rest\" (every other site), got {_shown(value)}")
    if "spokes_with" in raw:
        spokes_with = w.text(raw["spokes_with"], "spokes_with")
    has_spokes = bool(spokes) or spokes_with is not None
    if pathway == Pathway.DIRECT.value and has_spokes:
        raise w.error("spokes are only used with pathway = \"treat_and_transfer\"")
    if pathway is None and has_spokes:
        pathway = Pathway.TREAT_AND_TRANSFER.value
    bypass = w.number(raw["bypass_minutes"], "bypass_minutes", "bypass_minutes") if "bypass_minutes" in raw else None
    delay = (w.number(raw["transfer_delay_minutes"], "transfer_delay_minutes", "transfer_delay_minutes")
             if "transfer_delay_minutes" in raw else None)
    if pathway == Pathway.DIRECT.value and bypass:
        raise w.error("'bypass_minutes' is only used with pathway = \"treat_and_transfer\"")
    if optimise is not None and bypass:
        raise w.error("'bypass_minutes' cannot be used with 'optimise' (the optimiser needs bypass 0): "
                      "optimise in one option, then give its hubs with a bypass in another")
    assignment: dict[str, str] = {}
    if "assignment" in raw:
        table = raw["assignment"]
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise w.error(f"'assignment' must be a table of spoke code = hub code, got {_shown(table)}")
        assignment = {str(k).strip(): v.strip() for k, v in table.items()}
    helicopter = None
    if "helicopter" in raw:
        table = raw["helicopter"]
        if not isinstance(table, dict):
            raise w.error(f"'helicopter' must be a table such as {{ threshold_minutes = 60 }}, got {_shown(table)}")
        w.at(f"option {name!r}, helicopter").keys(table, _HELICOPTER_KEYS)
        values = {k: w.number(v, f"helicopter.{k}", _HELICOPTER_LIMITS[k]) for k, v in table.items()}
        helicopter = Helicopter(**values)
    description = w.text(raw.get("description", ""), "description", empty=True)
    return OptionSpec(
        name=name, description=description, hubs=hubs, hubs_with=hubs_with, spokes=spokes, spokes_with=spokes_with,
        pathway=pathway, bypass_minutes=bypass, transfer_delay_minutes=delay, assignment=assignment,
        helicopter=helicopter, optimise=optimise,
    )


def _objective(w: _Where, value: Any, key: str) -> str:
    from hubplan.optimise import Objective

    try:
        return Objective.parse(w.text(value, key)).value
    except InputError:
        raise w.error(f"{key!r} must be 'p-median', 'coverage' or 'p-centre', got {_shown(value)}") from None


def _optimise(w: _Where, raw: Any) -> OptimiseSpec:
    if not isinstance(raw, dict):
        raise w.error(f"'optimise' must be a table such as {{ k = 30, keep = \"thrombectomy\" }}, got {_shown(raw)}")
    w.keys(raw, _OPTIMISE_KEYS)
    if "k" not in raw:
        raise w.error("'optimise' needs 'k', the number of hubs")
    values: dict[str, Any] = {"k": w.number(raw["k"], "optimise.k", "k")}
    for key in ("keep", "exclude", "candidates"):
        if key in raw:
            values[key] = w.codes_or_capability(raw[key], f"optimise.{key}")
    if "objective" in raw:
        values["objective"] = _objective(w, raw["objective"], "optimise.objective")
    for key in ("threshold_minutes", "max_minutes"):
        if key in raw:
            values[key] = w.number(raw[key], f"optimise.{key}", key)
    for key in ("min_patients", "max_patients", "workforce"):
        if key in raw:
            value = raw[key]
            if value == "service":
                values[key] = value
            else:
                limit = {"min_patients": "min_patients_per_hub", "max_patients": "max_patients_per_hub",
                         "workforce": "workforce_available"}[key]
                values[key] = w.number(value, f"optimise.{key}", limit)
                if key == "workforce":  # hubs allowed = floor(consultants / per hub) either way
                    values[key] = int(values[key])
    if "method" in raw:
        method = w.text(raw["method"], "optimise.method").lower()
        if method not in ("exact", "heuristic"):
            raise w.error(f"'optimise.method' must be 'exact' or 'heuristic', got {_shown(raw['method'])}")
        values["method"] = method
    if "time_limit_seconds" in raw:
        values["time_limit_seconds"] = w.number(raw["time_limit_seconds"], "optimise.time_limit_seconds",
                                                "time_limit_seconds")
    return OptimiseSpec(**values)


def _appraisal(where: _Where, raw: Any, names: list[str]) -> AppraisalSpec:
    raw = where.table(raw, "appraisal")
    where.keys(raw, _APPRAISAL_KEYS)
    values: dict[str, Any] = {}
    if "baseline" in raw:
        baseline = where.text(raw["baseline"], "baseline")
        if baseline not in names:
            raise where.error(f"'baseline' must name one of the options ({', '.join(names)}), got {baseline!r}")
        values["baseline"] = baseline
    if "region_type" in raw:
        region_type = where.text(raw["region_type"], "region_type").lower()
        allowed = ("country", "ambulance_service", "isdn", "icb", "sicbl")
        if region_type not in allowed:
            raise where.error(f"'region_type' must be one of {', '.join(allowed)}, got {_shown(raw['region_type'])}")
        values["region_type"] = region_type
    if "criteria" in raw:
        table = where.table(raw["criteria"], "criteria")
        criteria = []
        for name, spec in table.items():
            w = where.at(f"[appraisal.criteria] {name!r}")
            try:
                criterion_info(name)
            except InputError as exc:
                raise w.error(str(exc)) from None
            if isinstance(spec, dict):
                w.keys(spec, ("weight", "direction"))
                weight = w.number(spec.get("weight", 1.0), "weight", "weight")
                direction = spec.get("direction")
                if direction is not None and (not isinstance(direction, str) or direction.lower() not in ("min", "max")):
                    raise w.error(f"'direction' must be 'min' (less is better) or 'max', got {_shown(direction)}")
                criteria.append(Criterion(name, weight, direction.lower() if direction else None))
            else:
                criteria.append(Criterion(name, w.number(spec, "weight", "weight")))
        if not any(c.weight > 0 for c in criteria):
            raise where.error("'criteria' needs at least one criterion with a weight > 0")
        values["criteria"] = tuple(criteria)
    if "draws" in raw:
        values["draws"] = where.number(raw["draws"], "draws", "draws")
    if "seed" in raw:
        values["seed"] = where.number(raw["seed"], "seed", "seed")
    if "concentration" in raw:
        values["concentration"] = where.number(raw["concentration"], "concentration", "concentration")
    if "workforce" in raw:
        values["workforce"] = where.number(raw["workforce"], "workforce", "workforce_available")
    return AppraisalSpec(**values)


def _sweep(where: _Where, raw: Any) -> SweepSpec:
    raw = where.table(raw, "sweep")
    where.keys(raw, _SWEEP_KEYS)
    if "k" not in raw:
        raise where.error("'k' is missing: give the range of hub numbers, e.g. k = [20, 40]")
    k = raw["k"]
    if (not isinstance(k, list) or len(k) != 2 or not all(LIMITS["k"].accepts(v) for v in k)
            or not k[0] <= k[1]):
        raise where.error(f"'k' must be [first, last], two whole numbers with 1 <= first <= last <= "
                          f"{LIMITS['k'].maximum:,.0f}, got {_shown(k)}")
    k = [int(v) for v in k]
    values: dict[str, Any] = {"ks": tuple(range(k[0], k[1] + 1))}
    for key in ("keep", "exclude", "candidates"):
        if key in raw:
            values[key] = where.codes_or_capability(raw[key], key)
    if "objective" in raw:
        values["objective"] = _objective(where, raw["objective"], "objective")
    if "threshold_minutes" in raw:
        values["threshold_minutes"] = where.number(raw["threshold_minutes"], "threshold_minutes", "threshold_minutes")
    if "pathway" in raw:
        try:
            values["pathway"] = Pathway.parse(where.text(raw["pathway"], "pathway")).value
        except InputError:
            raise where.error(f"'pathway' must be 'direct' or 'treat_and_transfer', got {_shown(raw['pathway'])}") from None
    if "method" in raw:
        method = where.text(raw["method"], "method").lower()
        if method not in ("exact", "heuristic"):
            raise where.error(f"'method' must be 'exact' or 'heuristic', got {_shown(raw['method'])}")
        values["method"] = method
    if "time_limit_seconds" in raw:
        values["time_limit_seconds"] = where.number(raw["time_limit_seconds"], "time_limit_seconds",
                                                    "time_limit_seconds")
    return SweepSpec(**values)


def _benchmark(where: _Where, raw: Any, base: Path) -> BenchmarkSpec:
    raw = where.table(raw, "benchmark")
    where.keys(raw, _BENCHMARK_KEYS)
    if "csv" not in raw:
        raise where.error("'csv' is missing: the providers file (provider, numerator, denominator[, region])")
    text = where.text(raw["csv"], "csv")
    csv = Path(text) if Path(text).is_absolute() else base / text
    if csv.is_dir():
        raise where.error(f"'csv' must be a CSV file, got {text!r}: a folder")
    if not csv.is_file():
        raise where.error(f"'csv' file not found: {text!r} (paths are relative to the scenario file)")
    values: dict[str, Any] = {"csv": csv}
    for key in ("indicator", "overdispersion", "title", "value_label", "provider_column", "numerator_column",
                "denominator_column", "region_column"):
        if key in raw:
            values[key] = where.text(raw[key], key)
    if "per" in raw:
        values["per"] = where.number(raw["per"], "per", "per")
    return BenchmarkSpec(**values)


# ----------------------------------------------------------------------------- running
def load_network(spec: NetworkSpec, progress: Progress | None = None) -> "Network":
    """The network a scenario names (the bundled one unless ``data`` is given), restricted."""
    from hubplan.geography import load_bundled, load_csv_network

    network = load_csv_network(spec.data) if spec.data is not None else load_bundled()
    if spec.drop_sites:
        network = network.drop_sites(list(spec.drop_sites))
    if spec.add_sites is not None:
        from hubplan.geography.new_sites import read_new_site_minutes, read_new_sites

        minutes = read_new_site_minutes(spec.add_times) if spec.add_times is not None else None
        network = network.add_sites(read_new_sites(spec.add_sites), minutes, progress=progress)
    if spec.site_capabilities is not None:
        from hubplan.geography.user import read_site_capabilities, with_site_capabilities

        network = with_site_capabilities(network, read_site_capabilities(spec.site_capabilities))
    if spec.country is not None or spec.region is not None:
        network = network.restrict(country=spec.country, region=spec.region)
    return network


def build_service(spec: ServiceSpec) -> "Service":
    """The service preset with the scenario's overrides."""
    from hubplan.services import Service

    import dataclasses

    overrides = dict(spec.overrides)
    if "thresholds_minutes" in overrides:
        overrides["thresholds_minutes"] = tuple(overrides["thresholds_minutes"])
    outcome = overrides.get("outcome")
    if isinstance(outcome, Mapping) and outcome.get("model") == "curve":  # a user's curve replaces the preset's model
        del overrides["outcome"]
        return dataclasses.replace(Service.preset(spec.preset, **overrides), outcome=dict(outcome))
    return Service.preset(spec.preset, **overrides)


def _site_list(network: "Network", value: tuple[str, ...] | str | None) -> list[str] | str | None:
    if value is None or isinstance(value, str):
        return value
    return list(value)


def build_option(network: "Network", service: "Service", spec: OptionSpec, file_name: str = "scenario") -> Option:
    """The :class:`Option` of a non-optimised option spec, site codes checked on the network."""
    from hubplan.services.options import resolve_spokes

    where = _Where(file_name, f"option {spec.name!r}")
    try:
        if spec.hubs_with is not None:
            hubs = network.sites_with(spec.hubs_with)
            if not hubs:
                raise InputError(f"no site of this network has capability {spec.hubs_with!r}")
        else:
            network.site_positions(spec.hubs, "hub")
            hubs = list(spec.hubs)
        pathway = Pathway.parse(spec.pathway or service.pathway)
        spokes: list[str] = []
        if pathway is Pathway.TREAT_AND_TRANSFER:
            if spec.spokes_with is not None:
                spokes = resolve_spokes(network, spec.spokes_with, hubs)
            elif spec.spokes == "rest":
                spokes = resolve_spokes(network, "rest", hubs)
            elif spec.spokes:
                network.site_positions(list(spec.spokes), "spoke")
                spokes = list(spec.spokes)
            else:
                cap = service.spoke_capability
                spokes = resolve_spokes(network, cap if cap and cap in network.capabilities else "rest", hubs)
            spokes = [c for c in spokes if c not in set(hubs)]
        for spoke, hub in spec.assignment.items():
            network.site_positions([spoke, hub], "site")
        return Option(
            name=spec.name, hubs=tuple(hubs), spokes=tuple(spokes), pathway=pathway,
            bypass_minutes=service.bypass_minutes if spec.bypass_minutes is None else spec.bypass_minutes,
            transfer_delay_minutes=spec.transfer_delay_minutes, assignment=dict(spec.assignment),
            helicopter=spec.helicopter,
        )
    except InputError as exc:
        raise where.error(str(exc)) from None


def optimise_option(
    network: "Network", service: "Service", spec: OptionSpec, file_name: str = "scenario",
    threads: int | None = None,
) -> tuple[Option, Any]:
    """Solve the option's optimisation and return the option with the chosen hubs and the solution."""
    from hubplan.errors import InfeasibleError, SolverError
    from hubplan.optimise import SiteSelectionProblem, solve

    assert spec.optimise is not None
    o = spec.optimise
    where = _Where(file_name, f"option {spec.name!r}")

    def bound(value: float | str | None, preset: float | None, what: str) -> float | None:
        if value == "service":
            if preset is None:
                raise where.error(f"optimise.{what} = \"service\" but service {service.name!r} has no value for it")
            return float(preset)
        return None if value is None else float(value)

    try:
        workforce = o.workforce
        if workforce == "service":
            workforce = service.workforce_available
        spokes: Any = None
        if spec.spokes_with is not None:
            spokes = spec.spokes_with
        elif spec.spokes:
            spokes = _site_list(network, spec.spokes)
        problem = SiteSelectionProblem.from_network(
            network, service, k=o.k, objective=o.objective, threshold_minutes=o.threshold_minutes,
            pathway=spec.pathway, spokes=spokes, candidates=_site_list(network, o.candidates),
            keep=_site_list(network, o.keep) or None, exclude=_site_list(network, o.exclude) or None,
            min_patients_per_hub=bound(o.min_patients, service.min_patients_per_hub, "min_patients"),
            max_patients_per_hub=bound(o.max_patients, service.max_patients_per_hub, "max_patients"),
            max_minutes=o.max_minutes, workforce_available=None if workforce is None else int(workforce),
            transfer_delay_minutes=spec.transfer_delay_minutes,
        )
        solution = solve(problem, method=o.method, time_limit=o.time_limit_seconds, threads=threads)
    except (InputError, InfeasibleError) as exc:
        raise where.error(str(exc)) from None
    if not solution.found_feasible:
        broken = list(solution.details.get("violations", []))
        raise SolverError(
            f"{file_name}, option {spec.name!r}: no set of {counted(o.k, 'hub')} meeting every constraint was found within "
            f"optimise.time_limit_seconds = {o.time_limit_seconds:g}"
            + (f" (the best set found breaks {len(broken)}: {broken[0]})" if broken else "")
            + "; this does not prove that none exists: allow more time or relax the constraints"
        )
    option = problem.option(solution.sites, name=spec.name)
    if spec.helicopter is not None:
        import dataclasses

        option = dataclasses.replace(option, helicopter=spec.helicopter)
    return option, solution


def run_sweep(network: "Network", service: "Service", spec: SweepSpec, file_name: str = "scenario",
              progress: Progress | None = None) -> SweepResult:
    """Solve for each number of hubs of the sweep (the trade-off curve of the report)."""
    from hubplan.optimise import SiteSelectionProblem, sweep

    where = _Where(file_name, "[sweep]")
    try:
        problem = SiteSelectionProblem.from_network(
            network, service, k=spec.ks[0], objective=spec.objective, threshold_minutes=spec.threshold_minutes,
            pathway=spec.pathway, candidates=_site_list(network, spec.candidates),
            keep=_site_list(network, spec.keep) or None, exclude=_site_list(network, spec.exclude) or None,
        )
        table = sweep(problem, spec.ks, method=spec.method, network=network, service=service,
                      time_limit=spec.time_limit_seconds, progress=progress)
    except InputError as exc:
        raise where.error(str(exc)) from None
    kept = f", keeping {spec.keep if isinstance(spec.keep, str) else len(spec.keep)}" if spec.keep else ""
    description = (f"best {spec.ks[0]} to {spec.ks[-1]} hubs ({spec.objective}, {spec.pathway}{kept}; "
                   f"{'proven optimal' if spec.method == 'exact' else 'heuristic'} solutions)")
    return SweepResult(table=table, description=description)


def run_scenario(scenario: Scenario, progress: Progress | None = None) -> "Appraisal":
    """Load the network, build or optimise every option, evaluate and appraise them.

    ``progress`` is called with one line of text at each step (the CLI shows it on stderr).
    """
    from hubplan.access.evaluate import evaluate

    say = progress or (lambda message: None)
    file_name = scenario.file_name
    say("loading the network ...")
    try:
        network = load_network(scenario.network, say)
    except InputError as exc:
        raise _Where(file_name, "[network]").error(str(exc)) from None
    service = build_service(scenario.service)
    try:  # the demand's columns exist, are known and give patients >= 0 in every area
        service.demand_values(network)
    except InputError as exc:
        raise _Where(file_name, "[service]").error(str(exc)) from None
    options: list[Option] = []
    solutions: dict[str, Any] = {}
    for spec in scenario.options:
        if spec.optimise is not None:
            say(f"optimising {spec.name} (k = {spec.optimise.k}, {spec.optimise.method}) ...")
            option, solution = optimise_option(network, service, spec, file_name)
            solutions[spec.name] = solution
        else:
            option = build_option(network, service, spec, file_name)
        options.append(option)
    evaluations = []
    for option in options:
        say(f"evaluating {option.name} ...")
        try:
            evaluations.append(evaluate(network, service, option))
        except InputError as exc:
            raise _Where(file_name, f"option {option.name!r}").error(str(exc)) from None
    sweep = None
    if scenario.sweep is not None:
        say(f"sweeping k = {scenario.sweep.ks[0]}..{scenario.sweep.ks[-1]} ...")
        sweep = run_sweep(network, service, scenario.sweep, file_name, progress=say)
    bench, bench_title = None, ""
    if scenario.benchmark is not None:
        say("benchmarking providers ...")
        bench, bench_title = run_benchmark(scenario.benchmark, file_name)
    notes = list(scenario_notes(service)) + estimated_minutes_notes(evaluations)
    how = scenario.appraisal
    try:
        return appraise(
            network, service, evaluations, baseline=how.baseline, criteria=how.criteria,
            region_type=how.region_type, workforce=how.workforce, seed=how.seed, draws=how.draws,
            concentration=how.concentration, title=scenario.title, description=scenario.description,
            solutions=solutions, sweep=sweep, benchmark=bench, benchmark_title=bench_title, notes=notes,
            source_file=str(scenario.path) if scenario.path else "", progress=say,
            option_descriptions={o.name: o.description for o in scenario.options if o.description},
        )
    except InputError as exc:
        raise _Where(file_name, "[appraisal]").error(str(exc)) from None


def estimated_minutes_notes(evaluations: Sequence["Evaluation"]) -> list[str]:
    """A note naming every option that uses sites with estimated (not measured) road minutes."""
    notes = []
    for ev in evaluations:
        estimated = ev.estimated_sites
        accuracy = ev.network.travel_time_accuracy
        if estimated and accuracy is not None:
            notes.append(
                f"ESTIMATED road minutes in option '{ev.option.name}': {', '.join(estimated)} "
                f"{'have' if len(estimated) > 1 else 'has'} no measured road times; "
                f"{'their minutes are' if len(estimated) > 1 else 'its minutes are'} estimated "
                f"from location ({accuracy.short()}; {accuracy.method})"
            )
            from hubplan.access.evaluate import minutes_cautions

            notes += [f"CAUTION, option '{ev.option.name}': {c}" for c in minutes_cautions(ev.network, estimated)]
    return notes


def scenario_notes(service: "Service") -> list[str]:
    """What a reader must know about the service's demand (e.g. a labelled proxy)."""
    notes = []
    demand = service.demand_definition
    if demand.is_proxy:
        note = demand.note[len("PROXY: "):] if demand.note.upper().startswith("PROXY: ") else demand.note
        notes.append(
            f"Demand is a labelled PROXY, not real activity: {demand.label or 'patients a year'} = "
            f"{demand.expression}" + (f" ({note})" if note else "") + ". Supply real demand for decisions."
        )
    return notes


def run_benchmark(spec: BenchmarkSpec, file_name: str = "scenario") -> tuple[Any, str]:
    """Benchmark the providers file of the scenario; returns the result and a title."""
    from hubplan.monitoring.benchmark import benchmark
    from hubplan.monitoring.benchmark.io import ColumnNames, read_providers_csv

    where = _Where(file_name, "[benchmark]")
    try:
        names = {k: v for k, v in (("provider", spec.provider_column), ("numerator", spec.numerator_column),
                                   ("denominator", spec.denominator_column), ("region", spec.region_column))
                 if v is not None}
        columns = ColumnNames(**names) if names else None
        frame = read_providers_csv(spec.csv, spec.indicator, columns)
        result = benchmark(frame, indicator=spec.indicator, overdispersion=spec.overdispersion, per=spec.per,
                           source=spec.csv.name)
    except (InputError, TypeError) as exc:
        raise where.error(str(exc)) from None
    return result, spec.title or f"Benchmark: {spec.csv.name}"
