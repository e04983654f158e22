"""Plans: what the planner page and the HTTP API ask for, checked and evaluated.

A *plan* is a plain JSON object naming a service, a part of the bundled network and an
option::

    {"service": "vascular_arterial", "region": "Hampshire and Isle of Wight",
     "hubs": ["SO166YD"], "pathway": "direct"}

It is what the API's ``/api/evaluate`` accepts and what a saved scenario keeps as its
``parameters``. Checking follows the command line (``hubplan evaluate``): the same
defaults and the same messages for unknown sites, regions, services and pathways. Two
differences, both on purpose: fields are named as in JSON (``hubs``, not ``--hubs``),
and no value is ever read as a file path (a server must not open files a client names).

Everything here is cached per process: the bundled network, its restrictions, and the
most recent evaluations, so a click on the planner page costs one evaluation.
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Hashable, Mapping, Sequence, TypeVar

from hubplan.jsonable import to_jsonable
from hubplan.errors import InputError
from hubplan.access.evaluate import Comparison, Evaluation, compare, evaluate
from hubplan.geography.network import Network
from hubplan.services.options import Helicopter, Option, Pathway, resolve_sites
from hubplan.services import SOURCED_PARAMETERS, Service

_V = TypeVar("_V")

#: Fields a plan may carry (anything else is refused, so typos are caught).
PLAN_FIELDS: tuple[str, ...] = (
    "service", "service_parameters", "country", "region", "hubs", "spokes", "pathway",
    "bypass_minutes", "transfer_delay_minutes", "helicopter_minutes", "name",
)
#: Most site codes a plan may list (the bundled network has 125 sites).
MAX_SITES_IN_PLAN = 2000


class RequestError(InputError):
    """A request that is malformed (wrong JSON type, unknown or missing field): HTTP 400.

    Values of the right type that the model rejects (an unknown site code, a region
    that does not exist) raise :class:`~hubplan.errors.InputError`: HTTP 422.
    """


# ----------------------------------------------------------------------------- caches
class LruCache:
    """A small thread-safe least-recently-used cache of computed values.

    A value is computed once however many threads ask for it at the same moment: the
    first computes it (outside the lock, so other keys go on meanwhile), the others wait
    for its answer (the page's callbacks for one click all ask for the same evaluation).
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._computing: dict[Hashable, threading.Event] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, compute: Callable[[], _V]) -> _V:
        while True:
            with self._lock:
                if key in self._values:
                    self._values.move_to_end(key)
                    return self._values[key]  # type: ignore[no-any-return]
                pending = self._computing.get(key)
                if pending is None:
                    done = self._computing[key] = threading.Event()
                    break
            pending.wait()  # another thread computes it; if that failed, try again here
        try:
            value = compute()
            with self._lock:
                self._values[key] = value
                self._values.move_to_end(key)
                while len(self._values) > self.max_entries:
                    self._values.popitem(last=False)
        finally:
            with self._lock:
                del self._computing[key]
            done.set()
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


_networks = LruCache(24)
_evaluations = LruCache(48)
_services = LruCache(32)
_bundled_lock = threading.Lock()
_bundled: list[Network] = []


def bundled_network() -> Network:
    """The bundled England & Wales network, loaded once per process (one object, so that
    what is read once per network, such as region labels and outcome tables, is kept)."""
    from hubplan.geography import load_bundled

    with _bundled_lock:  # the first load parses files; let one thread do it
        if not _bundled:
            network = load_bundled()
            _ = network.minutes_by_site  # build the fast copy once, not on the first click
            _bundled.append(network)
        return _bundled[0]


def get_network(country: str | None = None, region: str | None = None) -> Network:
    """The bundled network restricted to a country and/or region (cached)."""
    key = (country or "", region or "")
    if key == ("", ""):
        return bundled_network()

    def build() -> Network:
        network = bundled_network().restrict(country=country, region=region)
        _ = network.minutes_by_site  # build the fast copy once, not on the first click
        return network

    return _networks.get_or_compute(key, build)


# ----------------------------------------------------------------------------- checking
@dataclass(frozen=True)
class Plan:
    """A checked plan (field meanings as in the module docstring)."""

    service: str = "thrombectomy"
    service_parameters: Mapping[str, Any] = field(default_factory=dict)
    country: str | None = None
    region: str | None = None
    hubs: str | tuple[str, ...] | None = None
    spokes: str | tuple[str, ...] | None = None
    pathway: str | None = None
    bypass_minutes: float | None = None
    transfer_delay_minutes: float | None = None
    helicopter_minutes: float | None = None
    name: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The plan as JSON (what a saved scenario keeps as ``parameters``)."""
        out: dict[str, Any] = {"service": self.service}
        if self.service_parameters:
            out["service_parameters"] = dict(self.service_parameters)
        for key in ("country", "region", "pathway", "bypass_minutes", "transfer_delay_minutes",
                    "helicopter_minutes", "name"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        for key in ("hubs", "spokes"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        return out

    @property
    def cache_key(self) -> tuple[Any, ...]:
        return (
            self.service, tuple(sorted((k, _freeze(v)) for k, v in self.service_parameters.items())),
            self.country, self.region, _freeze(self.hubs), _freeze(self.spokes), self.pathway,
            self.bypass_minutes, self.transfer_delay_minutes, self.helicopter_minutes, self.name,
        )


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    return value


def _text(body: Mapping[str, Any], key: str, where: str, required: bool = False) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise RequestError(f"{where}{key}: this field is required")
        return None
    if not isinstance(value, str):
        raise RequestError(f"{where}{key}: expected text, got {_json_type(value)}")
    text = value.strip()
    if len(text) > 300:
        raise RequestError(f"{where}{key}: at most 300 characters")
    return text or None


def _minutes(body: Mapping[str, Any], key: str, where: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise RequestError(f"{where}{key}: expected a number of minutes, got {_json_type(value)}")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise InputError(f"{where}{key}: expected a number of minutes >= 0, got {value!r}")
    return number


def _sites_field(body: Mapping[str, Any], key: str, where: str) -> str | tuple[str, ...] | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, list):
        if len(value) > MAX_SITES_IN_PLAN:
            raise RequestError(f"{where}{key}: at most {MAX_SITES_IN_PLAN} site codes")
        for item in value:
            if not isinstance(item, str):
                raise RequestError(f"{where}{key}: expected a list of site codes (text), found {_json_type(item)}")
        return tuple(item.strip() for item in value)
    raise RequestError(f"{where}{key}: expected a list of site codes or text, got {_json_type(value)}")


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def parse_plan(body: Any, where: str = "", allowed_extra: Sequence[str] = ()) -> Plan:
    """Check the JSON of a plan; raise :class:`RequestError` (400) or InputError (422).

    ``where`` prefixes field names in messages (e.g. ``"a."`` for the first option of
    a comparison); ``allowed_extra`` names fields the caller reads itself.
    """
    if not isinstance(body, dict):
        raise RequestError(f"{where or 'request body'}: expected a JSON object, got {_json_type(body)}")
    unknown = sorted(set(body) - set(PLAN_FIELDS) - set(allowed_extra))
    if unknown:
        raise RequestError(
            f"{where}{unknown[0]}: unknown field; expected some of {', '.join(PLAN_FIELDS)}"
        )
    params = body.get("service_parameters") or {}
    if not isinstance(params, dict):
        raise RequestError(f"{where}service_parameters: expected an object, got {_json_type(params)}")
    for key, value in params.items():
        if key not in SOURCED_PARAMETERS:
            raise InputError(
                f"{where}service_parameters.{key}: unknown parameter; expected one of "
                f"{', '.join(SOURCED_PARAMETERS)}"
            )
        if key == "demand":  # an expression of area columns (docs/demand.md)
            if value is not None and not isinstance(value, str):
                raise RequestError(f"{where}service_parameters.demand: expected text (an expression such as "
                                   f"\"births * 0.5\"), got {_json_type(value)}")
            continue
        ok = value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)) or (
            key == "thresholds_minutes" and isinstance(value, list)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value)
        )
        if not ok:
            raise RequestError(f"{where}service_parameters.{key}: expected a number, got {_json_type(value)}")
    return Plan(
        service=_text(body, "service", where) or "thrombectomy",
        service_parameters=dict(params),
        country=_text(body, "country", where),
        region=_text(body, "region", where),
        hubs=_sites_field(body, "hubs", where),
        spokes=_sites_field(body, "spokes", where),
        pathway=_text(body, "pathway", where),
        bypass_minutes=_minutes(body, "bypass_minutes", where),
        transfer_delay_minutes=_minutes(body, "transfer_delay_minutes", where),
        helicopter_minutes=_minutes(body, "helicopter_minutes", where),
        name=_text(body, "name", where),
    )


# ----------------------------------------------------------------------------- building
def build_service(plan: Plan) -> Service:
    """The service preset with the plan's overrides (messages as the CLI's), built once per
    preset and overrides (a service does not change once built)."""
    key = (plan.service, json.dumps(plan.service_parameters, sort_keys=True, default=repr))
    return _services.get_or_compute(key, lambda: _build_service(plan))


def _build_service(plan: Plan) -> Service:
    overrides = {k: (tuple(v) if isinstance(v, list) else v) for k, v in plan.service_parameters.items()}
    try:
        return Service.preset(plan.service, **overrides)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, InputError):
            if str(exc).startswith("demand ") and overrides.get("demand") is not None:
                raise InputError(f"service_parameters.{exc}") from None
            raise
        raise InputError(f"service_parameters: {exc}") from None


def site_codes(
    network: Network, spec: str | tuple[str, ...] | None, what: str, hubs: Sequence[str] = ()
) -> list[str]:
    """Site codes from a list of codes, comma-separated codes, a capability or ``rest``.

    Like the CLI's ``--hubs``/``--spokes`` but never reads a file.
    """
    if spec is None:
        return []
    if isinstance(spec, tuple):
        positions = network.site_positions(list(spec), what.rstrip("s"))
        return [network.site_codes[p] for p in positions]
    text = spec.strip()
    if not text:
        return []
    return resolve_sites(network, text, what.rstrip("s"), list(hubs))


def build_option(network: Network, service: Service, plan: Plan) -> Option:
    """The :class:`Option` of a plan, with the service's defaults (as ``hubplan evaluate``)."""
    path = Pathway.parse(plan.pathway or service.pathway)
    hubs_spec = plan.hubs
    if hubs_spec is None:
        if service.hub_capability is None or service.hub_capability not in network.capabilities:
            raise InputError(
                f"hubs: needed, as service {service.name!r} has no capability for today's hubs in this network"
            )
        hubs_spec = service.hub_capability
    hub_codes = site_codes(network, hubs_spec, "hubs")
    if not hub_codes:
        raise InputError("hubs: at least one hub is needed (click a site to make it a hub)")
    spoke_codes: list[str] = []
    if path is Pathway.TREAT_AND_TRANSFER:
        spokes_spec = plan.spokes
        if spokes_spec is None:
            cap = service.spoke_capability
            spokes_spec = cap if cap and cap in network.capabilities else "rest"
        hub_set = set(hub_codes)
        spoke_codes = [c for c in site_codes(network, spokes_spec, "spokes", hub_codes) if c not in hub_set]
    elif plan.spokes:
        raise InputError("spokes: only used with pathway 'treat_and_transfer'")
    bypass = service.bypass_minutes if plan.bypass_minutes is None else plan.bypass_minutes
    label = plan.name or (
        f"{len(hub_codes)} hub{'s' if len(hub_codes) != 1 else ''}, {path.value}"
        + (f" + {len(spoke_codes)} spokes" if spoke_codes else "")
        + (f", bypass {bypass:g} min" if bypass and path is Pathway.TREAT_AND_TRANSFER and spoke_codes else "")
    )
    return Option(
        name=label,
        hubs=tuple(hub_codes),
        spokes=tuple(spoke_codes),
        pathway=path,
        bypass_minutes=bypass,
        transfer_delay_minutes=plan.transfer_delay_minutes,
        helicopter=Helicopter(threshold_minutes=plan.helicopter_minutes)
        if plan.helicopter_minutes is not None else None,
    )


@dataclass(frozen=True)
class Built:
    """A plan turned into model objects."""

    plan: Plan
    network: Network
    service: Service
    option: Option


def build(plan: Plan) -> Built:
    """Network, service and option of a checked plan."""
    network = get_network(plan.country, plan.region)
    service = build_service(plan)
    option = build_option(network, service, plan)
    return Built(plan=plan, network=network, service=service, option=option)


def evaluate_plan(plan: Plan) -> Evaluation:
    """Evaluate a plan (cached: the same plan twice costs one evaluation)."""
    built = build(plan)
    key = (plan.country, plan.region, built.service, built.option.describe().__repr__())
    return _evaluations.get_or_compute(key, lambda: evaluate(built.network, built.service, built.option))


def compare_plans(a: Plan, b: Plan) -> Comparison:
    """Compare plan ``b`` with plan ``a`` (same service, same part of the network)."""
    if (a.country, a.region) != (b.country, b.region):
        raise InputError("compare needs both options on the same network: give the same country and region")
    if a.service != b.service or dict(a.service_parameters) != dict(b.service_parameters):
        raise InputError("compare needs both options for the same service (same demand)")
    return compare(evaluate_plan(a), evaluate_plan(b))


def capacity_json(ev: Evaluation) -> dict[str, Any]:
    """Beds and workforce for an evaluation, or ``{"unavailable": reason}``."""
    from hubplan.capacity import capacity_table

    try:
        return capacity_table(ev, ev.service).to_json()
    except InputError as exc:
        return {"unavailable": str(exc)}


#: Parts of an evaluation's JSON a client may leave out (``"include"`` of ``/api/evaluate``);
#: ``option``, ``summary`` and ``travel_times`` are always sent.
OPTIONAL_PARTS: tuple[str, ...] = ("sites", "regions", "equity", "outcomes", "capacity")


def evaluation_json(ev: Evaluation, by: str = "icb", with_capacity: bool = True,
                    include: Sequence[str] | None = None) -> dict[str, Any]:
    """The ``hubplan evaluate --format json`` object (plus ``capacity``), JSON-ready.

    ``include`` names the :data:`OPTIONAL_PARTS` wanted (default: all of them); the
    parts left out are not computed at all, so a client that needs only the summary
    gets it in a fraction of the time.
    """
    wanted = set(OPTIONAL_PARTS if include is None else include)
    if not with_capacity:
        wanted.discard("capacity")
    if wanted >= {"sites", "regions", "equity", "outcomes"}:
        result = ev.to_json(by)
    else:
        option = ev.option.describe()
        option["transfer_delay_minutes"] = ev.transfer_delay_minutes
        option["service"] = ev.service.name
        result = {"option": option, "summary": ev.summary, "travel_times": ev.travel_times_json()}
        if "sites" in wanted:
            sites = ev.sites.reset_index()
            result["sites"] = sites[sites["role"] != "closed"].to_dict(orient="records")
        if "regions" in wanted:
            result["regions"] = ev.regions_json(by)
        if "equity" in wanted:
            result["equity"] = ev.equity_json()
        if "outcomes" in wanted:
            result["outcomes"] = ev.outcomes_json(by)
    if "capacity" in wanted:
        result["capacity"] = capacity_json(ev)
    return to_jsonable(result)


def parse_include(value: Any) -> tuple[str, ...] | None:
    """The ``include`` field of ``/api/evaluate``: absent, the summary only (``()``, the
    what-if answer: the tables are computed only when asked); ``"all"``, every part
    (``None``); or a list of :data:`OPTIONAL_PARTS`."""
    if value is None:
        return ()
    if value == "all":
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RequestError(f"include: expected \"all\" or a list of parts (some of {', '.join(OPTIONAL_PARTS)}), "
                           f"got {_json_type(value)}")
    unknown = [v for v in value if v not in OPTIONAL_PARTS]
    if unknown:
        raise InputError(f"include: unknown part {unknown[0]!r}: expected \"all\" or some of "
                         f"{', '.join(OPTIONAL_PARTS)} (option, summary and travel_times are always sent)")
    return tuple(value)


# ----------------------------------------------------------------------------- optimising
#: Longest time limit a client may ask of the exact method, seconds.
MAX_TIME_LIMIT_SECONDS = 120.0
#: Fields of an optimisation request besides the plan's.
OPTIMISE_FIELDS: tuple[str, ...] = (
    "k", "objective", "threshold_minutes", "method", "time_limit_seconds", "keep", "exclude",
    "candidates", "min_patients_per_hub", "max_patients_per_hub", "max_minutes", "seed",
)


@dataclass(frozen=True)
class OptimiseRequest:
    """A checked optimisation request: a plan (network, service, pathway, spokes) and k."""

    plan: Plan
    k: int
    objective: str = "p-median"
    threshold_minutes: float | None = None
    method: str = "heuristic"
    time_limit_seconds: float = 30.0
    keep: str | tuple[str, ...] | None = None
    exclude: str | tuple[str, ...] | None = None
    candidates: str | tuple[str, ...] | None = None
    min_patients_per_hub: float | None = None
    max_patients_per_hub: float | None = None
    max_minutes: float | None = None
    seed: int = 0


def parse_optimise(body: Any) -> OptimiseRequest:
    """Check the JSON of ``POST /api/optimise``."""
    plan = parse_plan(body, allowed_extra=OPTIMISE_FIELDS)
    if plan.hubs is not None:
        raise RequestError("hubs: not used when optimising; give keep, exclude or candidates")
    k = body.get("k")
    if isinstance(k, bool) or not isinstance(k, int):
        raise RequestError(f"k: expected a whole number of hubs, got {_json_type(k)}")
    if k < 1:
        raise InputError(f"k: expected at least 1 hub, got {k}")
    method = (_text(body, "method", "") or "heuristic").lower()
    if method not in ("heuristic", "exact"):
        raise InputError(f"method: unknown method {method!r}: expected 'exact' or 'heuristic'")
    limit = _minutes(body, "time_limit_seconds", "")
    if limit is not None and not 0 < limit <= MAX_TIME_LIMIT_SECONDS:
        raise InputError(f"time_limit_seconds: expected more than 0 and at most {MAX_TIME_LIMIT_SECONDS:g}, got {limit:g}")
    seed = body.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise RequestError(f"seed: expected a whole number, got {_json_type(seed)}")

    def patients(key: str) -> float | None:
        value = body.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RequestError(f"{key}: expected a number of patients per year, got {_json_type(value)}")
        if not math.isfinite(float(value)) or value < 0:
            raise InputError(f"{key}: expected a number of patients per year >= 0, got {value!r}")
        return float(value)

    return OptimiseRequest(
        plan=plan, k=k, objective=_text(body, "objective", "") or "p-median",
        threshold_minutes=_minutes(body, "threshold_minutes", ""), method=method,
        time_limit_seconds=limit if limit is not None else 30.0,
        keep=_sites_field(body, "keep", ""), exclude=_sites_field(body, "exclude", ""),
        candidates=_sites_field(body, "candidates", ""),
        min_patients_per_hub=patients("min_patients_per_hub"),
        max_patients_per_hub=patients("max_patients_per_hub"),
        max_minutes=_minutes(body, "max_minutes", ""), seed=seed,
    )


def check_optimisation(request: OptimiseRequest) -> None:
    """What can be refused before the work starts: the network, the service and every site
    code named (the API answers these at once, before starting a background job)."""
    plan = request.plan
    network = get_network(plan.country, plan.region)
    build_service(plan)
    for field_name, what in (("keep", "keep site"), ("exclude", "excluded site"), ("candidates", "candidate site")):
        value = getattr(request, field_name)
        if isinstance(value, tuple) and value:
            network.site_positions(list(value), what)
        elif isinstance(value, str) and value:
            network.sites_with(value)


def run_optimisation(
    request: OptimiseRequest, progress: Callable[[str], None] | None = None
) -> tuple[Any, Evaluation, Option]:
    """Solve the site selection of a request and evaluate the chosen hubs.

    Returns ``(solution, evaluation, option)``. Bypass is not optimised (see
    docs/optimise.md): the hubs are chosen without it and evaluated with it.
    """
    from hubplan.optimise import SiteSelectionProblem, solve

    say = progress or (lambda line: None)
    plan = request.plan
    network = get_network(plan.country, plan.region)
    service = build_service(plan)
    path = Pathway.parse(plan.pathway or service.pathway)

    def spec(value: str | tuple[str, ...] | None) -> Any:
        return list(value) if isinstance(value, tuple) else value

    spokes = spec(plan.spokes)
    if path is Pathway.TREAT_AND_TRANSFER and isinstance(spokes, list) and not spokes:
        path = Pathway.DIRECT  # treat-and-transfer without spokes is direct
    say(f"building the problem: k = {request.k}, {request.objective}, pathway {path.value}")
    problem = SiteSelectionProblem.from_network(
        network, service, k=request.k, objective=request.objective,
        threshold_minutes=request.threshold_minutes, pathway=path,
        spokes=spokes if path is Pathway.TREAT_AND_TRANSFER else None,
        candidates=spec(request.candidates), keep=spec(request.keep), exclude=spec(request.exclude),
        min_patients_per_hub=request.min_patients_per_hub,
        max_patients_per_hub=request.max_patients_per_hub, max_minutes=request.max_minutes,
        transfer_delay_minutes=plan.transfer_delay_minutes,
    )
    say(f"solving ({request.method}) over {problem.n_candidates} candidate sites ...")
    solution = solve(problem, method=request.method, time_limit=request.time_limit_seconds,
                     seed=request.seed, progress=say)
    say(f"{solution.status}: objective {solution.objective:.3f} in {solution.seconds:.1f} s")
    spoke_codes: tuple[str, ...] = ()
    if path is Pathway.TREAT_AND_TRANSFER:
        chosen = set(solution.sites)
        spoke_codes = tuple(c for c in problem.spoke_codes if c not in chosen)
    option = Option(
        name=plan.name or f"best {request.k} ({request.objective}, {solution.status})",
        hubs=tuple(solution.sites), spokes=spoke_codes, pathway=path,
        bypass_minutes=plan.bypass_minutes if (plan.bypass_minutes and spoke_codes) else 0.0,
        transfer_delay_minutes=plan.transfer_delay_minutes,
    )
    evaluation = evaluate(network, service, option)
    say("evaluated the chosen hubs")
    return solution, evaluation, option
