"""The planner page (Dash) and the server that carries it and the API.

``create_app(store)`` returns the Dash app; its Flask server (``app.server``) also
carries the ``/api/`` routes. ``serve(...)`` runs it under waitress, a production WSGI
server with a pool of threads, so several planners can use one server. Everything the
page needs (Dash, React, plotly.js) is served from the installed packages: the page
works with no internet access.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any, Sequence

import dash
from dash import Input, Output, Patch, State, ctx, dcc, html, no_update

from hubplan.formatting import counted
from hubplan.errors import HubplanError, InputError
from hubplan.services import Service
from hubplan.planning.store import ScenarioStore
from hubplan.web import panels
from hubplan.web.figures import SITE_TRACE, area_image_source, map_figure, site_hover, site_style
from hubplan.web.jobs import JobRegistry
from hubplan.web.planner import (
    ALL_AREAS,
    area_label,
    area_options,
    from_parameters,
    keep_codes,
    next_role,
    optimise_request,
    page_network,
    roles_of,
    to_plan,
    today_plan,
    with_role,
)
from hubplan.web.plans import (
    LruCache,
    OptimiseRequest,
    Plan,
    bundled_network,
    capacity_json,
    compare_plans,
    evaluate_plan,
    evaluation_json,
    run_optimisation,
    to_jsonable,
)

log = logging.getLogger("hubplan.web")
#: The region the page opens on.
DEFAULT_AREA = "country:England"
ASSETS = Path(__file__).parent / "assets"
#: Largest body the server accepts at all (Dash's own requests included), bytes.
MAX_SERVER_REQUEST_BYTES = 8_000_000
_capacities = LruCache(48)


def _report_renderer() -> Any:
    """``hubplan.report.render_report_html`` when that module is installed, else ``None``."""
    try:
        from hubplan import report  # type: ignore[attr-defined]
    except ImportError:
        return None
    return getattr(report, "render_report_html", None)


# ----------------------------------------------------------------------------- layout
def _label(text: str, child: Any, hint: str = "") -> html.Div:
    return html.Div(className="field", children=[
        html.Label(text, title=hint), child,
    ])


def build_layout() -> html.Div:
    services = [{"label": Service.preset(n).title or n, "value": n} for n in Service.preset_names()]
    has_report = _report_renderer() is not None
    controls = html.Div(className="controls", children=[
        html.H2("Option"),
        _label("Service", dcc.Dropdown(id="service", options=services, value="thrombectomy", clearable=False)),
        _label("Region", dcc.Dropdown(id="area", options=area_options(), value=DEFAULT_AREA,
                                      clearable=False, optionHeight=40)),
        _label("Pathway", dcc.RadioItems(id="pathway", inline=True, options=[
            {"label": " direct to hub", "value": "direct"},
            {"label": " treat and transfer", "value": "treat_and_transfer"}], value="treat_and_transfer")),
        _label("Demand (patients a year)", dcc.Input(
            id="demand", type="text", debounce=True, value="", maxLength=300,
            placeholder=Service.preset("thrombectomy").demand_definition.expression),
               "an expression of area columns, e.g. births or population_60_plus * 0.0009 (names, numbers, "
               "+ - * / and parentheses; docs/demand.md); empty = the service's demand"),
        html.Div(className="row", children=[
            _label("Bypass (min)", dcc.Input(id="bypass", type="number", min=0, max=240, step=1, value=0,
                                             debounce=True), "ambulance goes straight to the hub when it is at "
                   "most this many minutes further than the nearest spoke"),
            _label("Transfer delay (min)", dcc.Input(id="delay", type="number", min=0, max=600, step=5, value=60,
                                                     debounce=True), "door-in-door-out at the spoke"),
        ]),
        _label("A click on a site makes it", dcc.RadioItems(id="click-mode", inline=True, options=[
            {"label": " next role", "value": "cycle"}, {"label": " hub", "value": "hub"},
            {"label": " spoke", "value": "spoke"}, {"label": " closed", "value": "closed"}], value="cycle")),
        _label("Or pick a site", dcc.Dropdown(id="site-picker", placeholder="search a hospital...")),
        html.Div(className="row buttons", children=[
            html.Button("Hub", id="make-hub", className="role-hub"),
            html.Button("Spoke", id="make-spoke", className="role-spoke"),
            html.Button("Close", id="make-closed", className="role-closed"),
        ]),
        html.Div(className="row buttons", children=[
            html.Button("Today's sites", id="reset-today", title="today's hubs and spokes for this service"),
            html.Button("Close all", id="clear-all"),
        ]),
        html.Div(id="plan-message", className="message"),
        html.H2("Optimise"),
        html.Div(className="row", children=[
            _label("Hubs (k)", dcc.Input(id="opt-k", type="number", min=1, max=200, step=1, value=None)),
            _label("Method", dcc.Dropdown(id="opt-method", style={"minWidth": "120px"}, clearable=False, value="heuristic", options=[
                {"label": "fast heuristic", "value": "heuristic"},
                {"label": "exact (HiGHS)", "value": "exact"}])),
            _label("Limit (s)", dcc.Input(id="opt-limit", type="number", min=1, max=120, value=30)),
        ]),
        dcc.Checklist(id="opt-keep-today", value=[], options=[
            {"label": " keep today's hubs", "value": "today"}]),
        _label("Keep these sites as hubs", dcc.Dropdown(id="opt-keep", multi=True, value=[],
                                                         placeholder="search a hospital to keep...")),
        html.Button("Optimise k hubs", id="opt-run", className="primary"),
        html.Pre(id="opt-progress", className="progress"),
        dcc.Interval(id="opt-poll", interval=400, disabled=True),
        html.H2("Scenarios"),
        _label("Your name", dcc.Input(id="user", type="text", placeholder="e.g. A. Planner", persistence=True,
                                      persistence_type="local", maxLength=120)),
        html.Div(className="row", children=[
            dcc.Input(id="scenario-name", type="text", placeholder="scenario name", maxLength=120),
            html.Button("Save", id="save", className="primary"),
        ]),
        dcc.Checklist(id="save-replace", options=[{"label": " replace if the name exists", "value": "replace"}],
                      value=[]),
        html.Div(id="save-message", className="message"),
        _label("Saved scenarios", dcc.Dropdown(id="scenario-list", placeholder="pick a saved scenario")),
        html.Div(className="row buttons", children=[
            html.Button("Load", id="load"), html.Button("Delete", id="delete"),
        ]),
        html.Div(className="row", children=[
            dcc.Input(id="rename-to", type="text", placeholder="new name", maxLength=120),
            html.Button("Rename", id="rename"),
        ]),
        html.Div(id="scenario-message", className="message"),
        html.H2("Download"),
        html.Div(className="row buttons", children=[
            html.Button("Sites CSV", id="dl-sites"), html.Button("Areas CSV", id="dl-areas"),
            html.Button("JSON", id="dl-json"),
            html.Button("HTML report", id="dl-report", disabled=not has_report,
                        title="the self-contained report" if has_report
                        else "HTML report: not available in this installation (hubplan.report missing)"),
        ]),
        dcc.Download(id="download"),
    ])
    main = html.Div(className="main", children=[
        html.Div(className="map-wrap", children=[
            dcc.Graph(id="map", config={"scrollZoom": True, "displaylogo": False,
                                        "modeBarButtonsToRemove": ["lasso2d", "select2d"]},
                      style={"height": "100%"}),
            html.Div(className="legend", children=[
                html.Span("◆ hub", className="legend-hub"), html.Span("○ spoke", className="legend-spoke"),
                html.Span("◌ closed", className="legend-closed"),
                html.Span("areas (LSOA centroids) coloured by minutes to hub", className="legend-areas"),
            ]),
        ]),
        html.Div(className="results", children=[
            html.Div(id="summary", className="panel"),
            html.Div(className="panel", children=[
                _label("Compare with", dcc.Dropdown(id="baseline", value="today", clearable=False, options=[
                    {"label": "today's sites", "value": "today"},
                    {"label": "where I started (this service and region)", "value": "start"}])),
            ]),
            html.Div(id="comparison"),
            html.Div(id="equity-panel"),
            html.Div(className="panel", children=[dcc.Checklist(
                id="show-sites", value=[], options=[{"label": " show the hubs and spokes table, with beds and "
                                                    "workforce", "value": "show"}])]),
            html.Div(id="sites-panel"),
        ]),
    ])
    return html.Div(className="page", children=[
        html.Header(children=[
            html.H1("hubplan planner"),
            html.Span("Click hospitals to make them hubs or spokes; the figures update at once.",
                      className="tagline"),
            html.Span(id="timing", className="timing"),
        ]),
        html.Div(className="body", children=[controls, main]),
        dcc.Store(id="plan"), dcc.Store(id="start-plan"), dcc.Store(id="map-meta"),
        dcc.Store(id="opt-job"), dcc.Store(id="opt-result"), dcc.Store(id="scenarios-version", data=0),
        dcc.Store(id="my-save"),  # the scenario (name, version) this page saved last
    ])


# ----------------------------------------------------------------------------- app
def create_app(store: ScenarioStore, *, jobs: JobRegistry | None = None,
               allowed_hosts: frozenset[str] | None = None) -> dash.Dash:
    """The planner (Dash) with the ``/api/`` routes on its Flask server.

    Parameters
    ----------
    store:
        Where scenarios are saved (shared by the page and the API).
    jobs:
        Background optimisations (a new registry by default).
    allowed_hosts:
        Host names the server answers to (:mod:`hubplan.web.guard`; default: loopback).
    """
    from hubplan.web import guard
    from hubplan.web.api import api, register_error_handlers

    app = dash.Dash(
        __name__, title="hubplan planner", serve_locally=True, assets_folder=str(ASSETS),
        suppress_callback_exceptions=False,
        update_title=None,  # type: ignore[arg-type]  # no "Updating..." flicker in the tab title
    )
    server = app.server
    server.config["MAX_CONTENT_LENGTH"] = MAX_SERVER_REQUEST_BYTES
    server.config["HUBPLAN_STORE"] = store
    server.config["HUBPLAN_JOBS"] = jobs or JobRegistry()
    register_error_handlers(server)
    guard.install(server, allowed_hosts)
    server.register_blueprint(api)
    app.layout = build_layout
    _register_callbacks(app, store, server.config["HUBPLAN_JOBS"])
    server.config["HUBPLAN_CALLBACK_OUTPUTS"] = frozenset(app.callback_map)
    return app


def _register_callbacks(app: dash.Dash, store: ScenarioStore, jobs: JobRegistry) -> None:
    # ------------------------------------------------------------------ the plan
    @app.callback(
        Output("plan", "data"), Output("service", "value"), Output("area", "value"),
        Output("pathway", "value"), Output("bypass", "value"), Output("delay", "value"),
        Output("start-plan", "data"), Output("plan-message", "children"), Output("site-picker", "options"),
        Output("demand", "value"),
        Output("scenario-message", "children"), Output("save-message", "children"), Output("opt-progress", "children"),
        Input("service", "value"), Input("area", "value"), Input("pathway", "value"),
        Input("bypass", "value"), Input("delay", "value"), Input("demand", "value"), Input("map", "clickData"),
        Input("make-hub", "n_clicks"), Input("make-spoke", "n_clicks"), Input("make-closed", "n_clicks"),
        Input("reset-today", "n_clicks"), Input("clear-all", "n_clicks"), Input("load", "n_clicks"),
        Input("opt-result", "data"),
        State("plan", "data"), State("click-mode", "value"), State("site-picker", "value"),
        State("scenario-list", "value"), State("opt-poll", "disabled"),
    )
    def update_plan(service: str, area: str, pathway: str, bypass: Any, delay: Any, demand: Any, *rest: Any) -> tuple:
        *arguments, polling_off = rest
        result = _update_plan(service, area, pathway, bypass, delay, demand, *arguments)
        page = result[0]
        changed = isinstance(page, dict)
        # Each message in its own panel, cleared once stale: a changed option clears what the
        # scenario and optimise panels said about the option before (a load says its own).
        plan_message: Any = result[7]
        scenario_message: Any = no_update
        save_message: Any = no_update
        opt_message: Any = no_update
        trigger = ctx.triggered_id
        if trigger == "load":
            plan_message, scenario_message = ("" if changed else no_update), plan_message
        if changed:
            save_message = ""
            if trigger != "load":
                scenario_message = ""
            if trigger != "opt-result" and polling_off is not False:
                opt_message = ""
        return result[:7] + (plan_message,) + result[8:] + (
            (page.get("demand") or "") if changed else no_update, scenario_message, save_message, opt_message)

    @app.callback(Output("demand", "placeholder"), Input("service", "value"))
    def demand_placeholder(service: Any) -> str:  # the service's own demand, shown when the field is empty
        try:
            return Service.preset(str(service or "thrombectomy")).demand_definition.expression
        except HubplanError:
            return ""

    def _update_plan(service: str, area: str, pathway: str, bypass: Any, delay: Any, demand: Any, click: Any,
                     _hub: Any, _spoke: Any, _closed: Any, _today: Any, _clear: Any, _load: Any,
                     optimised: Any, page: Any, click_mode: str, picked: Any, scenario_name: Any) -> tuple:
        trigger = ctx.triggered_id
        keep = no_update
        try:
            if page is None or trigger in ("service", "area"):
                carried = page.get("demand") if page is not None and trigger == "area" else None
                page = {**today_plan(service or "thrombectomy", area or ALL_AREAS), "demand": carried}
                return (page, keep, keep, page["pathway"], page["bypass_minutes"], page["transfer_delay_minutes"],
                        page, _welcome(page), _site_options(page))
            if trigger == "load":
                if not scenario_name:
                    return (keep,) * 7 + ("Pick a saved scenario to load.", keep)
                scenario = store.load(scenario_name)
                page = from_parameters(dict(scenario.parameters))
                page["name"] = scenario.name
                page["loaded_name"], page["loaded_version"] = scenario.name, scenario.version
                return (page, page["service"], page["area"], page["pathway"], page["bypass_minutes"],
                        page["transfer_delay_minutes"], keep, f"Loaded '{scenario.name}' "
                        f"(saved by {scenario.saved_by or 'someone'}).", _site_options(page))
            if trigger == "pathway":
                page = {**page, "pathway": pathway, "name": None}
            elif trigger == "bypass":
                page = {**page, "bypass_minutes": max(0.0, float(bypass or 0)), "name": None}
            elif trigger == "delay":
                page = {**page, "transfer_delay_minutes": max(0.0, float(delay or 0)), "name": None}
            elif trigger == "demand":
                page = {**page, "demand": str(demand or "").strip() or None, "name": None}
            elif trigger == "map":
                code = _clicked_site(click)
                if code is None:
                    return (keep,) * 9
                network = page_network(page)
                role = roles_of(network, page)[network.site_codes.index(code)]
                new = next_role(role, page["pathway"]) if click_mode == "cycle" else click_mode
                page = with_role(page, code, new)
                return (page,) + (keep,) * 6 + (f"{_site_name(page, code)} is now {_role_words(new)}.", keep)
            elif trigger in ("make-hub", "make-spoke", "make-closed"):
                if not picked:
                    return (keep,) * 7 + ("Pick a site first.", keep)
                new = trigger.removeprefix("make-")
                page = with_role(page, picked, new)
                return (page,) + (keep,) * 6 + (f"{_site_name(page, picked)} is now {_role_words(new)}.", keep)
            elif trigger == "reset-today":
                page = {**today_plan(page["service"], page["area"]), "demand": page.get("demand")}
                return (page, keep, keep, page["pathway"], page["bypass_minutes"], page["transfer_delay_minutes"],
                        keep, "Back to today's sites.", keep)
            elif trigger == "clear-all":
                page = {**page, "hubs": [], "spokes": [], "name": None}
                return (page,) + (keep,) * 6 + ("All sites closed: click a site to make it a hub.", keep)
            elif trigger == "opt-result" and optimised:
                page = {**page, "hubs": optimised["hubs"], "spokes": optimised["spokes"],
                        "pathway": optimised["pathway"], "name": optimised["name"]}
                return (page,) + (keep,) * 2 + (page["pathway"], keep, keep, keep,
                                                f"Applied: {optimised['name']}.", keep)
            return (page,) + (keep,) * 8
        except HubplanError as exc:
            return (keep,) * 7 + (str(exc), keep)

    # ------------------------------------------------------------------ evaluation
    # A click runs three callbacks: the map and the summary (what a planner waits for) and,
    # while it is shown, the hubs-and-spokes table with beds and workforce; the comparison
    # and equity once the map and the summary are sent. They share one evaluation
    # (plans.evaluate_plan computes a plan once however many ask at the same moment).
    @app.callback(
        Output("map", "figure"), Output("map-meta", "data"), Output("summary", "children"),
        Output("timing", "children"), Output("opt-k", "value"),
        Input("plan", "data"),
        State("map-meta", "data"), State("opt-k", "value"),
    )
    def render(page: Any, drawn: Any, k: Any) -> tuple:
        if page is None:
            return (no_update,) * 5
        started = time.perf_counter()
        network = page_network(page)
        roles = roles_of(network, page)
        ev, problem = _page_evaluation(page)
        minutes = ev.routes.time_to_hub if ev is not None else None
        key = page["area"]
        redrawn = not drawn or drawn.get("area") != key
        if redrawn:
            figure: Any = map_figure(network, minutes, roles, title=area_label(key), ev=ev)
        else:  # only what changed: the picture of the areas, and the sites' markers
            figure = Patch()
            figure["layout"]["images"][0]["source"] = area_image_source(network, minutes)
            style = site_style(roles)
            site_marker = figure["data"][SITE_TRACE]["marker"]
            site_marker["color"] = style["color"]
            site_marker["size"] = style["size"]
            site_marker["symbol"] = style["symbol"]
            site_marker["line"]["color"] = style["line_color"]
            figure["data"][SITE_TRACE]["hovertext"] = site_hover(network, roles, ev)
        meta = {"area": key}
        if ev is None:
            summary = html.Div([html.H2("Summary"), html.P(problem, className="warning", id="summary-problem")])
            elapsed = (time.perf_counter() - started) * 1000
            return figure, meta, summary, f"updated in {elapsed:.0f} ms", no_update
        title = page.get("name") or _option_title(ev)
        summary = html.Div([
            html.H2(f"{title}"),
            html.P(f"{ev.service.title or ev.service.name} — {area_label(key)} — "
                   f"{network.n_areas:,} areas, {network.n_sites} sites", className="subtitle"),
            panels.summary_cards(ev),
            html.P(problem, className="warning") if problem else None,
            _demand_note(ev),
        ])
        elapsed = (time.perf_counter() - started) * 1000
        k_value = max(1, len(page.get("hubs") or ())) if (redrawn or not k) else no_update
        return figure, meta, summary, f"updated in {elapsed:.0f} ms", k_value

    # The comparison waits for the map and the summary (it follows their "updated in" line)
    # rather than sharing the server's interpreter with them while the planner waits.
    @app.callback(
        Output("comparison", "children"), Output("equity-panel", "children"),
        Input("timing", "children"), Input("baseline", "value"),
        State("plan", "data"), State("start-plan", "data"),
    )
    def render_comparison(_drawn: Any, baseline: Any, page: Any, start: Any) -> tuple:
        if page is None:
            return no_update, no_update
        ev, _problem = _page_evaluation(page)
        if ev is None:
            return None, None
        equity = panels.equity_table(ev)
        return _comparison(page, baseline, start, ev, store), (
            html.Div(equity, className="panel") if equity is not None else None)

    @app.callback(
        Output("sites-panel", "children"),
        Input("plan", "data"), Input("show-sites", "value"),
    )
    def render_sites(page: Any, show: Any) -> Any:
        if page is None:
            return no_update
        if "show" not in (show or []):
            return None
        ev, _problem = _page_evaluation(page)
        if ev is None:
            return None
        capacity = _capacities.get_or_compute(to_plan(page).cache_key, lambda: capacity_json(ev))
        return panels.sites_table(ev, capacity)

    # ------------------------------------------------------------------ optimise
    @app.callback(
        Output("opt-job", "data"), Output("opt-poll", "disabled"),
        Output("opt-progress", "children", allow_duplicate=True),
        Input("opt-run", "n_clicks"),
        State("plan", "data"), State("opt-k", "value"), State("opt-method", "value"), State("opt-limit", "value"),
        State("opt-keep-today", "value"), State("opt-keep", "value"),
        prevent_initial_call=True,
    )
    def start_optimisation(_n: Any, page: Any, k: Any, method: str, limit: Any, keep_today: Any,
                           keep_picked: Any) -> tuple:
        try:
            keep = keep_codes(page, "today" in (keep_today or []), keep_picked)
            request_ = optimise_request(page, k, method, limit, keep)
            job = jobs.start(f"best {counted(request_.k, 'hub')} ({request_.method})", lambda say: _optimise_job(request_, say))
        except (HubplanError, ValueError, TypeError) as exc:
            return no_update, True, f"error: {exc}"
        return job.id, False, "\n".join(job.lines)

    @app.callback(
        Output("opt-progress", "children", allow_duplicate=True), Output("opt-poll", "disabled", allow_duplicate=True),
        Output("opt-result", "data"),
        Input("opt-poll", "n_intervals"), State("opt-job", "data"),
        prevent_initial_call=True,
    )
    def poll_optimisation(_n: Any, job_id: Any) -> tuple:
        job = jobs.get(job_id) if job_id else None
        if job is None:
            return "", True, no_update
        text = "\n".join(job.lines[-8:])
        if job.status == "running":
            return text + f"\n… {job.elapsed_seconds:.0f} s", False, no_update
        if job.status == "failed":
            return text + f"\nerror: {job.error}", True, no_update
        return text + "\ndone: hubs applied", True, job.result

    @app.callback(
        Output("opt-progress", "children", allow_duplicate=True),
        Input("opt-k", "value"), Input("opt-method", "value"), Input("opt-keep-today", "value"),
        Input("opt-keep", "value"), State("opt-poll", "disabled"),
        prevent_initial_call=True,
    )
    def clear_optimise_message(_k: Any, _method: Any, _today: Any, _keep: Any, polling_off: Any) -> Any:
        return no_update if polling_off is False else ""  # a running job's progress stays

    @app.callback(
        Output("opt-keep", "options"), Output("opt-keep", "value"), Output("opt-keep-today", "options"),
        Input("site-picker", "options"),
        State("opt-keep", "value"), State("plan", "data"),
    )
    def keep_choices(options: Any, kept: Any, page: Any) -> tuple:
        known = {o["value"] for o in options or []}
        today = len(today_plan(page["service"], page["area"])["hubs"]) if isinstance(page, dict) else 0
        label = (f" keep today's {today} hub{'s' if today != 1 else ''}" if today
                 else " keep today's hubs (this service has none here)")
        return (options or [], [c for c in kept or [] if c in known],
                [{"label": label, "value": "today", "disabled": not today}])

    # ------------------------------------------------------------------ scenarios
    @app.callback(
        Output("save-message", "children", allow_duplicate=True),
        Input("scenario-name", "value"), Input("save-replace", "value"),
        prevent_initial_call=True,
    )
    def clear_save_message(_name: Any, _replace: Any) -> str:
        return ""

    @app.callback(
        Output("scenario-message", "children", allow_duplicate=True), Input("rename-to", "value"),
        prevent_initial_call=True,
    )
    def clear_scenario_message(_new_name: Any) -> str:
        return ""

    @app.callback(
        Output("save-message", "children", allow_duplicate=True),
        Output("scenario-message", "children", allow_duplicate=True),
        Output("scenarios-version", "data"), Output("my-save", "data"),
        Input("save", "n_clicks"), Input("delete", "n_clicks"), Input("rename", "n_clicks"),
        State("plan", "data"), State("scenario-name", "value"), State("user", "value"),
        State("save-replace", "value"), State("scenario-list", "value"), State("rename-to", "value"),
        State("scenarios-version", "data"), State("my-save", "data"),
        prevent_initial_call=True,
    )
    def change_scenarios(_save: Any, _delete: Any, _rename: Any, page: Any, name: Any, user: Any,
                         replace: Any, selected: Any, new_name: Any, version: Any, my_save: Any) -> tuple:
        mine: Any = no_update
        saving = ctx.triggered_id == "save"  # a save speaks under the save box, the others below theirs
        try:
            if saving:
                if not name:
                    raise InputError("Give the scenario a name first.")
                plan = to_plan(page, name=None)
                ev = evaluate_plan(plan)
                replacing = "replace" in (replace or [])
                base = _base_version(name, page, my_save)
                if replacing and base is None and store.exists(name):
                    raise InputError(f"Load '{name.strip()}' first, then change and save it: replacing a scenario "
                                     "you have not loaded could overwrite someone else's changes.")
                scenario = store.save(name, service=plan.service, parameters=plan.to_json(),
                                      summary=to_jsonable(ev.summary), saved_by=user or "",
                                      replace=replacing, base_version=base if replacing else None)
                message = f"Saved '{scenario.name}' (version {scenario.version})."
                mine = {"name": scenario.name, "version": scenario.version}
            elif ctx.triggered_id == "delete":
                if not selected:
                    raise InputError("Pick a saved scenario to delete.")
                store.delete(selected, deleted_by=user or "")
                message = f"Deleted '{selected}' (it can be restored)."
            else:
                if not selected or not new_name:
                    raise InputError("Pick a saved scenario and type its new name.")
                scenario = store.rename(selected, new_name)
                message = f"Renamed '{selected}' to '{scenario.name}'."
        except HubplanError as exc:
            return (str(exc), "", no_update, no_update) if saving else ("", str(exc), no_update, no_update)
        return (message, "", (version or 0) + 1, mine) if saving else ("", message, (version or 0) + 1, mine)

    @app.callback(
        Output("scenario-list", "options"), Output("baseline", "options"),
        Input("scenarios-version", "data"), Input("plan", "data"),
    )
    def list_scenarios(_version: Any, page: Any) -> tuple:
        scenarios = store.list()
        options = [{"label": f"{s.name} — {s.saved_by or 'anonymous'}, {s.saved_at:%d %b %H:%M} UTC",
                    "value": s.name} for s in scenarios]
        baseline = [{"label": "today's sites", "value": "today"},
                    {"label": "where I started (this service and region)", "value": "start"}]
        baseline += [{"label": f"saved: {s.name}", "value": f"scenario:{s.name}"} for s in scenarios]
        return options, baseline

    # ------------------------------------------------------------------ downloads
    @app.callback(
        Output("download", "data"),
        Input("dl-sites", "n_clicks"), Input("dl-areas", "n_clicks"), Input("dl-json", "n_clicks"),
        Input("dl-report", "n_clicks"),
        State("plan", "data"), State("baseline", "value"), State("start-plan", "data"),
        prevent_initial_call=True,
    )
    def download(_s: Any, _a: Any, _j: Any, _r: Any, page: Any, baseline: Any, start: Any) -> Any:
        try:
            ev = evaluate_plan(to_plan(page))
        except HubplanError:
            return no_update
        stem = _file_stem(ev.option.name)
        if ctx.triggered_id == "dl-sites":
            return dcc.send_string(ev.sites.to_csv(float_format="%.3f"), f"{stem}_sites.csv")
        if ctx.triggered_id == "dl-areas":
            return dcc.send_string(ev.areas.to_csv(float_format="%.3f"), f"{stem}_areas.csv")
        if ctx.triggered_id == "dl-json":
            return dcc.send_string(json.dumps(evaluation_json(ev), indent=2), f"{stem}.json")
        if _report_renderer() is None:
            return no_update
        return dcc.send_string(_report_html(page, baseline, start, store), f"{stem}_report.html")


# ----------------------------------------------------------------------------- helpers
def _optimise_job(request_: OptimiseRequest, say: Any) -> dict[str, Any]:
    solution, _evaluation, option = run_optimisation(request_, progress=say)
    return {"hubs": list(option.hubs), "spokes": list(option.spokes), "pathway": option.pathway.value,
            "name": option.name, "solution": to_jsonable(solution.to_json())}


def _page_evaluation(page: dict[str, Any]) -> tuple[Any, str]:
    """The evaluation of the page's plan (cached), or ``None`` and why not."""
    if not page.get("hubs"):
        return None, "No hub yet: click a site on the map (or pick one on the left) to make it a hub."
    try:
        return evaluate_plan(to_plan(page)), ""
    except HubplanError as exc:
        return None, str(exc)


def _base_version(name: str, page: Any, my_save: Any) -> int | None:
    """The newest version of scenario ``name`` this page knows: the one it loaded, or the
    one it saved itself since (``None`` if it knows none)."""
    key = name.strip().casefold()
    known = []
    if isinstance(page, dict) and str(page.get("loaded_name") or "").casefold() == key:
        known.append(page.get("loaded_version"))
    if isinstance(my_save, dict) and str(my_save.get("name") or "").casefold() == key:
        known.append(my_save.get("version"))
    versions = [int(v) for v in known if isinstance(v, int) and not isinstance(v, bool)]
    return max(versions) if versions else None


def _option_title(ev: Any) -> str:
    hubs, spokes = len(ev.option.hubs), len(ev.option.spokes)
    text = f"{hubs} hub{'s' if hubs != 1 else ''}"
    if spokes:
        text += f" and {spokes} spoke{'s' if spokes != 1 else ''}, treat and transfer"
        if ev.option.bypass_minutes:
            text += f", bypass {ev.option.bypass_minutes:g} min"
    else:
        text += ", direct to hub"
    return text


def _clicked_site(click: Any) -> str | None:
    try:
        point = click["points"][0]
    except (TypeError, KeyError, IndexError):
        return None
    if point.get("curveNumber") != SITE_TRACE:
        return None
    code = point.get("customdata")
    return str(code) if code else None


def _site_name(page: dict[str, Any], code: str) -> str:
    network = page_network(page)
    return f"{network.sites.loc[code, 'site_name']} ({code})" if code in network.sites.index else code


def _role_words(role: str) -> str:
    return {"hub": "a hub", "spoke": "a spoke", "closed": "closed"}[role]


def _site_options(page: dict[str, Any]) -> list[dict[str, str]]:
    network = page_network(page)
    names = network.sites["site_name"].astype(str)
    return sorted(({"label": f"{name} ({code})", "value": code} for code, name in names.items()),
                  key=lambda o: o["label"])


def _welcome(page: dict[str, Any]) -> str:
    if page["hubs"]:
        return f"Today's sites: {counted(len(page['hubs']), 'hub')}, {counted(len(page['spokes']), 'spoke')}. Click a site to change it."
    return "This service has no hubs today: click a site on the map to make it a hub."


def _demand_note(ev: Any) -> Any:
    demand = ev.service.demand_definition
    notes = [f"Demand: {demand.label + ' = ' if demand.label else ''}{demand.describe(ev.network)}."]
    if not ev.summary["patients"]:
        notes.append("No patients in this region for this service (the bundled stroke admissions for Wales are "
                     "zero): times are shown, statistics are empty.")
    return html.P(" ".join(notes), className="note") if notes else None


def _file_stem(name: str) -> str:
    keep = "".join(ch if ch.isalnum() else "_" for ch in name).strip("_")
    return (keep or "option")[:60]


def _comparison(page: dict[str, Any], baseline: Any, start: Any, ev: Any, store: ScenarioStore) -> Any:
    """The comparison panel against today's sites, the starting plan or a saved scenario."""
    try:
        if baseline == "start":
            if not start or not start.get("hubs"):
                return panels.comparison_block(None, "where you started", None, ev,
                                               "You started with no hubs: nothing to compare with.")
            other = to_plan({**start, "demand": page.get("demand")})
            label = "where you started"
        elif isinstance(baseline, str) and baseline.startswith("scenario:"):
            scenario = store.load(baseline.removeprefix("scenario:"))
            other_page = from_parameters(dict(scenario.parameters))
            label = f"saved scenario '{scenario.name}'"
            if (other_page["area"] != page["area"] or other_page["service"] != page["service"]
                    or other_page.get("demand") != page.get("demand")):
                return panels.comparison_block(
                    None, label, scenario.summary, ev,
                    "Saved for another service, region or demand: figures side by side as saved; no area-by-area "
                    "change.")
            other = to_plan(other_page)
        else:
            today = today_plan(page["service"], page["area"])
            if not today["hubs"]:
                return panels.comparison_block(None, "today's sites", None, ev,
                                               "This service has no hubs today in the bundled data: pick "
                                               "'where I started' or a saved scenario to compare with.")
            other = to_plan({**today, "demand": page.get("demand")})
            label = "today's sites"
        comparison = compare_plans(other, to_plan(page))
        return panels.comparison_block(comparison, label, comparison.a.summary, ev)
    except HubplanError as exc:
        return panels.comparison_block(None, "the baseline", None, ev, f"Cannot compare: {exc}")


def _baseline_plan(page: dict[str, Any], baseline: Any, start: Any, store: ScenarioStore) -> tuple[Plan, str] | None:
    """The plan of the "Compare with" choice when it is on this service and region."""
    if baseline == "start":
        other, label = start and {**start, "demand": page.get("demand")}, "Where I started"
    elif isinstance(baseline, str) and baseline.startswith("scenario:"):
        scenario = store.load(baseline.removeprefix("scenario:"))
        other, label = from_parameters(dict(scenario.parameters)), f"Saved: {scenario.name}"
    else:
        other, label = {**today_plan(page["service"], page["area"]), "demand": page.get("demand")}, "Today's sites"
    if (not other or not other.get("hubs") or other["area"] != page["area"] or other["service"] != page["service"]
            or other.get("demand") != page.get("demand")):
        return None
    return to_plan({**other, "name": None}), label


def _report_html(page: dict[str, Any], baseline: Any, start: Any, store: ScenarioStore) -> str:
    """The self-contained HTML report of this option against the baseline (hubplan.report)."""
    import dataclasses

    from hubplan.planning.appraise import appraise

    current = evaluate_plan(to_plan(page))
    title = page.get("name") or _option_title(current)
    options = [dataclasses.replace(current.option, name=f"This option: {title}")]
    other = None
    try:
        other = _baseline_plan(page, baseline, start, store)
    except HubplanError:
        other = None
    if other is not None:
        base = evaluate_plan(other[0])
        options.insert(0, dataclasses.replace(base.option, name=other[1]))
    appraisal = appraise(current.network, current.service, options, baseline=options[0].name,
                         title=f"{current.service.title or current.service.name}: {area_label(page['area'])}",
                         description="Made with the hubplan planner.", draws=500)
    renderer = _report_renderer()
    return str(renderer(appraisal))


# ----------------------------------------------------------------------------- serving
def serve(host: str = "127.0.0.1", port: int = 8050, db: str | Path | None = None, threads: int = 4,
          allowed_hosts: Sequence[str] = (), workers: int = 1) -> None:
    """Run the planner and the API under waitress until interrupted.

    Parameters
    ----------
    host, port:
        Where to listen (loopback by default: only this machine can connect).
    db:
        Scenario database: a SQLite file or a SQLAlchemy URL (default
        ``hubplan-scenarios.db`` in the current folder).
    threads:
        Requests served at the same time (by each worker process).
    allowed_hosts:
        More host names the server answers to (its name behind a reverse proxy).
    workers:
        Worker processes (:func:`serve_application`).
    """
    from hubplan.web.guard import allowed_hosts as hosts_for

    app = make_server_app(db, hosts_for(host, allowed_hosts))
    serve_application(app, host=host, port=port, threads=threads, workers=workers)


def serve_application(application: dash.Dash, *, host: str, port: int, threads: int = 4, workers: int = 1,
                      quiet: bool = False, ready: Any = None) -> None:
    """Serve a built app (:func:`make_server_app`) under waitress until interrupted.

    With ``workers`` 1, one waitress process with ``threads`` threads. Python runs one
    thread at a time (the GIL), so threads help while requests wait (the database, the
    network) but not while they compute; with ``workers`` N > 1 the app, loaded once,
    is forked into N processes that each run waitress on one shared listening socket, and
    the kernel hands each new connection to one of them. Scenarios are in the database,
    which every worker opens for itself; background optimisations are kept in a folder
    the workers share (:meth:`JobRegistry.share_through`), so any worker answers a poll.
    Each answer then carries ``X-Hubplan-Worker`` (the worker's number, 1 to N). Needs
    ``os.fork`` (Linux, macOS).

    ``ready``, if given, is called with the listening address once the workers run.
    """
    from waitress import serve as waitress_serve

    if quiet:
        import logging

        # waitress warns "Task queue depth is N" whenever every thread is busy: under a team's
        # load that is most requests, all of them answered; errors are still logged
        logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    if workers <= 1:
        if ready is not None:
            ready((host, port))
        waitress_serve(application.server, host=host, port=port, threads=threads,
                       max_request_body_size=WAITRESS_BODY_BYTES, ident="hubplan", _quiet=quiet)
        return
    _serve_workers(application, host=host, port=port, threads=threads, workers=workers, quiet=quiet, ready=ready)


#: Seconds between checks that every worker process is alive (a stopped one is started again).
WORKER_CHECK_SECONDS = 1.0


def _serve_workers(application: dash.Dash, *, host: str, port: int, threads: int, workers: int, quiet: bool,
                   ready: Any) -> None:
    import multiprocessing
    import os
    import shutil
    import signal
    import socket
    import tempfile

    if not hasattr(os, "fork"):
        raise InputError("--workers: more than one worker process needs fork (Linux, macOS); use --threads here")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.create_server((host, port), family=family, backlog=1024)
    folder = tempfile.mkdtemp(prefix="hubplan-jobs-")
    server = application.server
    server.config["HUBPLAN_JOBS"].share_through(folder)
    store = server.config["HUBPLAN_STORE"]
    store.engine.dispose()  # no pooled connection is inherited: each worker opens its own
    server.config["HUBPLAN_WORKER"] = 0

    @server.after_request
    def _name_the_worker(response: Any) -> Any:
        if server.config.get("HUBPLAN_WORKER"):
            response.headers["X-Hubplan-Worker"] = str(server.config["HUBPLAN_WORKER"])
        return response

    context = multiprocessing.get_context("fork")

    def start(number: int) -> Any:
        process = context.Process(target=_worker_main, name=f"hubplan-worker-{number}", daemon=True,
                                  args=(application, listener, number, threads, quiet))
        process.start()
        return process

    def stop(_signal: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    processes = [start(n) for n in range(1, workers + 1)]
    if ready is not None:
        ready(listener.getsockname()[:2])
    try:
        while True:
            for i, process in enumerate(processes):
                process.join(timeout=WORKER_CHECK_SECONDS / len(processes))
                if not process.is_alive():
                    log.warning("worker %d stopped (exit status %s): starting it again", i + 1, process.exitcode)
                    processes[i] = start(i + 1)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=10)
        listener.close()
        shutil.rmtree(folder, ignore_errors=True)


def _worker_main(application: dash.Dash, listener: Any, number: int, threads: int, quiet: bool) -> None:
    """One worker process: waitress on the shared listening socket."""
    import signal

    from waitress import serve as waitress_serve

    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    application.server.config["HUBPLAN_WORKER"] = number
    try:
        waitress_serve(application.server, sockets=[listener], threads=threads,
                       max_request_body_size=WAITRESS_BODY_BYTES, ident="hubplan", _quiet=quiet)
    except KeyboardInterrupt:
        pass


#: waitress's own limit, above the app's (MAX_SERVER_REQUEST_BYTES), so that a body too
#: large gets the app's JSON 413 rather than waitress's plain-text one.
WAITRESS_BODY_BYTES = 8 * MAX_SERVER_REQUEST_BYTES


def make_server_app(db: str | Path | None = None, allowed_hosts: frozenset[str] | None = None,
                    auth: Any = None) -> dash.Dash:
    """The app with its store, the bundled network loaded and the outlines drawn (warm);
    ``auth``, :class:`hubplan.web.auth.AuthSettings`, turns sign-in on."""
    from hubplan.web.native import one_native_thread

    one_native_thread()
    store = ScenarioStore(db)
    bundled_network()
    from hubplan.web.geo import country_outline, isdn_outlines

    country_outline()
    isdn_outlines()
    from hubplan.outcomes import prepare_tables

    prepare_tables()  # once, before workers fork, not on each worker's first requests
    # the first page's evaluation, so that what it reads once per network (demand, regions,
    # the outcome table per area and site) is there before the workers fork
    evaluate_plan(to_plan(today_plan("thrombectomy", DEFAULT_AREA)))
    app = create_app(store, allowed_hosts=allowed_hosts)
    from hubplan.web import auth as sign_in

    sign_in.install(app, auth)
    return app
