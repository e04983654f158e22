"""The HTTP API under ``/api/`` (Flask routes on the planner's server). See docs/api.md.

Every answer is JSON. Errors are ``{"error": message}`` with the status:

* 400 the request is malformed (not JSON, not an object, a field of the wrong type,
  an unknown field);
* 404 no such scenario (or no such API route);
* 409 a scenario of that name exists already;
* 429 as many optimisations as the server allows are running (``POST /api/optimise``);
* 413 the request body is larger than :data:`MAX_REQUEST_BYTES`;
* 422 the values are well formed but the model refuses them (an unknown site code or
  region, an infeasible optimisation): the same messages as the command line;
* 500 anything else (the message says so; details go to the server's log).

Clients name only bundled data (a country and/or region): no path on the server's
disks is ever accepted.
"""

from __future__ import annotations

import logging
import traceback
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from hubplan.formatting import counted
from hubplan.errors import HubplanError, InfeasibleError, InputError
from hubplan.planning.store import (
    ScenarioConflictError,
    ScenarioExistsError,
    ScenarioNotFoundError,
    ScenarioStore,
    clean_name,
)
from hubplan.web.jobs import JobRegistry
from hubplan.web.plans import (
    RequestError,
    check_optimisation,
    compare_plans,
    evaluate_plan,
    evaluation_json,
    get_network,
    parse_include,
    parse_optimise,
    parse_plan,
    run_optimisation,
    to_jsonable,
)

#: Largest request body accepted by ``/api/`` routes, bytes.
MAX_REQUEST_BYTES = 1_000_000
#: Region types ``by`` may name.
BY_CHOICES = ("country", "ambulance_service", "isdn", "icb", "sicbl")

log = logging.getLogger("hubplan.web")
api = Blueprint("hubplan_api", __name__, url_prefix="/api")


# ----------------------------------------------------------------------------- helpers
def store() -> ScenarioStore:
    return current_app.config["HUBPLAN_STORE"]  # type: ignore[no-any-return]


def jobs() -> JobRegistry:
    return current_app.config["HUBPLAN_JOBS"]  # type: ignore[no-any-return]


def error(message: str, status: int) -> tuple[Response, int]:
    return jsonify({"error": message}), status


def body() -> Any:
    """The JSON body of the request, or :class:`RequestError`."""
    if request.content_length is not None and request.content_length > MAX_REQUEST_BYTES:
        raise _TooLarge()
    raw = request.get_data(cache=True)
    if len(raw) > MAX_REQUEST_BYTES:
        raise _TooLarge()
    if not raw.strip():
        raise RequestError("request body: expected a JSON object, got nothing")
    try:
        import json

        data = json.loads(raw)
    except ValueError as exc:
        raise RequestError(f"request body: not valid JSON ({exc})") from None
    except RecursionError:
        raise RequestError(f"request body: nested more than {MAX_NESTING} deep") from None
    if _depth(data) > MAX_NESTING:
        raise RequestError(f"request body: nested more than {MAX_NESTING} deep")
    return data


#: Deepest nesting of arrays and objects accepted in a request body.
MAX_NESTING = 20


def _depth(value: Any) -> int:
    """How deep arrays and objects nest (iteratively: no recursion on hostile input)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, (list, dict)):
            deepest = max(deepest, level)
            if level > MAX_NESTING:
                return level
            stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


class _TooLarge(Exception):
    pass


def _by(value: Any) -> str:
    by = value if value is not None else "icb"
    if not isinstance(by, str) or by not in BY_CHOICES:
        raise InputError(f"by: unknown region type {by!r}: expected one of {', '.join(BY_CHOICES)}")
    return by


def _query_text(name: str) -> str | None:
    value = request.args.get(name)
    if value is not None and len(value) > 300:
        raise RequestError(f"{name}: at most 300 characters")
    return value.strip() or None if value is not None else None


# ----------------------------------------------------------------------------- errors
@api.errorhandler(_TooLarge)
def _too_large(_exc: Exception) -> tuple[Response, int]:
    return error(f"request body larger than {MAX_REQUEST_BYTES:,} bytes", 413)


@api.errorhandler(RequestError)
def _bad_request(exc: Exception) -> tuple[Response, int]:
    return error(str(exc), 400)


@api.errorhandler(ScenarioNotFoundError)
def _not_found(exc: Exception) -> tuple[Response, int]:
    return error(str(exc), 404)


@api.errorhandler(ScenarioExistsError)
def _conflict(exc: Exception) -> tuple[Response, int]:
    return error(str(exc), 409)


@api.errorhandler(InputError)
@api.errorhandler(InfeasibleError)
def _unprocessable(exc: Exception) -> tuple[Response, int]:
    return error(str(exc), 422)


@api.errorhandler(HubplanError)
def _hubplan_failure(exc: Exception) -> tuple[Response, int]:
    return error(str(exc), 500)


@api.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> tuple[Response, int]:
    return error(exc.description or exc.name, exc.code or 500)


@api.errorhandler(Exception)
def _internal(exc: Exception) -> tuple[Response, int]:
    log.error("internal error on %s %s\n%s", request.method, request.path, traceback.format_exc())
    return error(f"internal error ({type(exc).__name__}); see the server log", 500)


def register_error_handlers(app: Flask) -> None:
    """JSON errors for ``/api/`` paths that reach no route, and for over-large bodies."""

    @app.errorhandler(413)
    def too_large_anywhere(_exc: Exception) -> Any:
        if request.path.startswith("/api/"):
            return error(f"request body larger than {MAX_REQUEST_BYTES:,} bytes", 413)
        return "request body too large", 413

    @app.errorhandler(404)
    def unknown_route(exc: Exception) -> Any:
        if request.path.startswith("/api/"):
            return error(f"no API route {request.method} {request.path} (see docs/api.md)", 404)
        return exc

    @app.errorhandler(405)
    def wrong_method(exc: Exception) -> Any:
        if request.path.startswith("/api/"):
            return error(f"method {request.method} is not allowed on {request.path}", 405)
        return exc


# ----------------------------------------------------------------------------- network
@api.get("/health")
def health() -> Any:
    """Whether this server answers and reaches its database, for a load balancer or a
    monitoring probe: open without sign-in (it says nothing about plans or scenarios);
    200 ``{"status": "ok", ...}`` or 503 with the reason."""
    from sqlalchemy import text

    try:
        with store().engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # noqa: BLE001 - any failure of the database is the answer
        return jsonify({"status": "unavailable", "database": f"not reachable ({type(exc).__name__})"}), 503
    return jsonify({"status": "ok", "database": "ok"})


@api.get("/")
def index() -> Any:
    """What the API offers."""
    return jsonify({
        "routes": [
            "GET /api/health", "GET /api/services", "GET /api/regions", "GET /api/sites", "POST /api/evaluate",
            "POST /api/compare", "POST /api/optimise", "GET /api/jobs/<id>", "GET /api/scenarios",
            "GET /api/scenarios/<name>/history", "POST /api/scenarios/<name>/restore", "GET /api/deleted-scenarios",
            "POST /api/deleted-scenarios/<id>/restore",
            "POST /api/scenarios", "GET /api/scenarios/<name>", "PATCH /api/scenarios/<name>",
            "DELETE /api/scenarios/<name>",
        ],
        "documentation": "docs/api.md",
    })


@api.get("/services")
def services() -> Any:
    """The service presets and their parameters."""
    from hubplan.services import Service

    result = []
    for name in Service.preset_names():
        svc = Service.preset(name)
        result.append({
            "name": name, "title": svc.title, "pathway": svc.pathway,
            "hub_capability": svc.hub_capability, "spoke_capability": svc.spoke_capability,
            "parameters": svc.source_table(),
        })
    return jsonify(to_jsonable(result))


@api.get("/regions")
def regions() -> Any:
    """Regions of the bundled network: ``?country=`` and ``?type=`` filter them."""
    network = get_network(_query_text("country"), None)
    table = network.regions()
    region_type = _query_text("type")
    if region_type is not None:
        if region_type not in network.region_types:
            raise InputError(f"type: unknown region type {region_type!r}: expected one of {', '.join(network.region_types)}")
        table = table[table["region_type"] == region_type]
    return jsonify(to_jsonable(table.to_dict(orient="records")))


@api.get("/sites")
def sites() -> Any:
    """Sites of the bundled network: ``?country=``, ``?region=``, ``?capability=``, ``?name=``."""
    network = get_network(_query_text("country"), _query_text("region"))
    table = network.sites
    capability = _query_text("capability")
    if capability:
        table = table.loc[network.sites_with(capability)]
    name = _query_text("name")
    if name:
        table = table[table["site_name"].str.contains(name, case=False, regex=False)]
    return jsonify(to_jsonable(table.reset_index().to_dict(orient="records")))


# ----------------------------------------------------------------------------- evaluation
@api.post("/evaluate")
def evaluate_route() -> Any:
    """Evaluate one option: the summary of the ``hubplan evaluate --format json`` object, and
    the parts ``include`` names (``"all"``: the whole object)."""
    data = body()
    plan = parse_plan(data, allowed_extra=("by", "include"))
    by = _by(data.get("by"))
    include = parse_include(data.get("include"))
    return jsonify(evaluation_json(evaluate_plan(plan), by, include=include))


@api.post("/compare")
def compare_route() -> Any:
    """Compare option ``b`` with option ``a`` (who gets a longer or shorter journey)."""
    data = body()
    if not isinstance(data, dict):
        raise RequestError("request body: expected a JSON object with 'a' and 'b'")
    unknown = sorted(set(data) - {"a", "b", "by"})
    if unknown:
        raise RequestError(f"{unknown[0]}: unknown field; expected a, b and optionally by")
    for key in ("a", "b"):
        if key not in data:
            raise RequestError(f"{key}: this field is required (an option, as for /api/evaluate)")
    a = parse_plan(data["a"], "a.")
    b = parse_plan(data["b"], "b.")
    by = _by(data.get("by"))
    comparison = compare_plans(a, b)
    result = comparison.to_json(by)
    result["options"] = {"a": comparison.a.option.describe(), "b": comparison.b.option.describe()}
    result["summaries"] = {"a": comparison.a.summary, "b": comparison.b.summary}
    return jsonify(to_jsonable(result))


@api.post("/optimise")
def optimise_route() -> Any:
    """Start choosing the best ``k`` hubs (heuristic by default; exact with a time limit) as a
    background job, under the same limit of jobs at once as the page: 202 with the job, whose
    ``url`` answers its progress and, when done, ``{"solution", "evaluation"}``."""
    request_ = parse_optimise(body())  # a malformed request is refused here, not in the job
    check_optimisation(request_)
    try:
        job = jobs().start(f"best {counted(request_.k, 'hub')} ({request_.method})", lambda say: _optimise_work(request_, say))
    except InputError as exc:  # as many jobs as the server allows are running
        return error(str(exc), 429)
    return jsonify({**job.to_json(), "url": f"/api/jobs/{job.id}"}), 202


def _optimise_work(request_: Any, say: Any) -> dict[str, Any]:
    solution, evaluation, _option = run_optimisation(request_, progress=say)
    return to_jsonable({"solution": solution.to_json(), "evaluation": evaluation_json(evaluation)})  # type: ignore[no-any-return]


@api.get("/jobs/<job_id>")
def job_route(job_id: str) -> Any:
    """A background job: ``status`` running, done or failed; ``progress``; ``result``; ``error``."""
    job = jobs().get(job_id)
    if job is None:
        return error(f"no job {job_id!r} (finished jobs are kept for a while, then forgotten)", 404)
    return jsonify(job.to_json())


@api.route("/<path:unknown>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown_route(unknown: str) -> Any:
    """Any other path under /api/ (the page's catch-all route would answer 200)."""
    adapter = current_app.url_map.bind("localhost")
    for method in ("GET", "POST", "PATCH", "DELETE"):
        if method == request.method:
            continue
        try:
            endpoint, _ = adapter.match(f"/api/{unknown}", method=method)
        except HTTPException:
            continue
        if endpoint != "hubplan_api.unknown_route":
            return error(f"method {request.method} is not allowed on /api/{unknown}", 405)
    return error(f"no API route {request.method} /api/{unknown} (see docs/api.md)", 404)


# ----------------------------------------------------------------------------- scenarios
@api.get("/scenarios")
def list_scenarios() -> Any:
    """Every saved scenario, most recent first."""
    return jsonify([s.to_json() for s in store().list()])


@api.post("/scenarios")
def save_scenario() -> Any:
    """Save a scenario: ``{"name", "saved_by", "parameters": <plan>, "replace": false,
    "base_version": n}``.

    The parameters are evaluated first (so only valid plans are saved) and the summary
    is stored with them. 201 when created, 200 when replaced. Replacing needs
    ``base_version``, the version the change was made from: if the scenario has been
    saved since, 409 names who saved it, and nothing is overwritten.
    """
    data = body()
    if not isinstance(data, dict):
        raise RequestError("request body: expected a JSON object")
    unknown = sorted(set(data) - {"name", "saved_by", "parameters", "replace", "base_version"})
    if unknown:
        raise RequestError(f"{unknown[0]}: unknown field; expected name, saved_by, parameters, replace, base_version")
    if "name" not in data:
        raise RequestError("name: this field is required")
    if not isinstance(data["name"], str):
        raise RequestError(f"name: expected text, got {type(data['name']).__name__}")
    name = clean_name(data["name"])
    saved_by = data.get("saved_by") or ""
    if not isinstance(saved_by, str):
        raise RequestError("saved_by: expected text")
    if any(ch in saved_by for ch in "<>&\"") or any(ord(ch) < 32 or ord(ch) == 127 for ch in saved_by):
        raise RequestError("saved_by: a name without control characters, line breaks or < > & \"")
    replace = data.get("replace", False)
    if not isinstance(replace, bool):
        raise RequestError("replace: expected true or false")
    base_version = data.get("base_version")
    if base_version is not None and (isinstance(base_version, bool) or not isinstance(base_version, int)
                                     or base_version < 1):
        raise RequestError("base_version: expected a whole number >= 1 (the version you loaded)")
    if "parameters" not in data:
        raise RequestError("parameters: this field is required (an option, as for /api/evaluate)")
    plan = parse_plan(data["parameters"], "parameters.")
    evaluation = evaluate_plan(plan)
    existed = replace and store().exists(name)
    if existed and base_version is None:
        current = store().load(name)
        raise ScenarioConflictError(
            f"{current.name!r} exists (version {current.version}, saved by {current.saved_by or 'someone'}): to "
            "replace it give base_version, the version your change was made from, so that nobody's save is lost")
    scenario = store().save(name, service=plan.service, parameters=plan.to_json(),
                            summary=to_jsonable(evaluation.summary), saved_by=saved_by, replace=replace,
                            base_version=base_version)
    return jsonify(scenario.to_json()), 200 if existed else 201


@api.get("/scenarios/<path:name>")
def load_scenario(name: str) -> Any:
    """One scenario with its parameters and summary."""
    return jsonify(store().load(name).to_json())


@api.patch("/scenarios/<path:name>")
def rename_scenario(name: str) -> Any:
    """Rename: ``{"name": "new name"}``."""
    data = body()
    if not isinstance(data, dict) or set(data) != {"name"}:
        raise RequestError('request body: expected {"name": "new name"}')
    if not isinstance(data["name"], str):
        raise RequestError("name: expected text")
    return jsonify(store().rename(name, data["name"]).to_json())


@api.delete("/scenarios/<path:name>")
def delete_scenario(name: str) -> Any:
    """Delete a scenario (softly: ``/api/deleted-scenarios`` lists it and can restore it)."""
    store().delete(name, deleted_by=_query_text("by") or "")
    return jsonify({"deleted": name.strip()})


@api.get("/scenarios/<path:name>/history")
def scenario_history(name: str) -> Any:
    """Every version of a scenario and what happened to it, oldest first."""
    return jsonify(store().history(name))


@api.post("/scenarios/<path:name>/restore")
def restore_version(name: str) -> Any:
    """Save an old version again as the newest: ``{"version": n, "saved_by", "base_version"}``."""
    data = body()
    if not isinstance(data, dict) or not isinstance(data.get("version"), int) or isinstance(data["version"], bool):
        raise RequestError('request body: expected {"version": n} (a version of GET .../history)')
    unknown = sorted(set(data) - {"version", "saved_by", "base_version"})
    if unknown:
        raise RequestError(f"{unknown[0]}: unknown field; expected version, saved_by, base_version")
    base = data.get("base_version")
    if base is not None and (isinstance(base, bool) or not isinstance(base, int)):
        raise RequestError("base_version: expected a whole number")
    saved_by = data.get("saved_by") or ""
    if not isinstance(saved_by, str):
        raise RequestError("saved_by: expected text")
    return jsonify(store().restore(name, data["version"], saved_by=saved_by, base_version=base).to_json())


@api.get("/deleted-scenarios")
def deleted_scenarios() -> Any:
    """Deleted scenarios, most recently deleted first (id, name, deleted_by, deleted_at)."""
    return jsonify(store().deleted())


@api.post("/deleted-scenarios/<int:scenario_id>/restore")
def undelete_scenario(scenario_id: int) -> Any:
    """Bring a deleted scenario back under its name (409 if the name is taken meanwhile)."""
    return jsonify(store().undelete(scenario_id).to_json())
