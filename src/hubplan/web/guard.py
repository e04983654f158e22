"""What every request to the planner's server must pass before any route runs.

* **Host**: the ``Host`` header must name this server (loopback names, the address it
  listens on, and any ``--allowed-host``): a page on another site that re-points its own
  name at this machine (DNS rebinding) is refused with 400.
* **Origin**: a request that changes something (POST, PUT, PATCH, DELETE) and carries an
  ``Origin`` header must come from this server's own origin: a form or script on any other
  website is refused with 403. Browsers always send ``Origin`` on such requests from
  another site; scripts (curl, Python) that send none are not browsers and pass.
* **Content type**: a request body to ``/api/`` or to the page's own callbacks must be
  ``application/json``: a cross-site "simple" request (``text/plain``, a form) cannot be
  one, so it cannot carry a body that would be read as JSON (415).
* **Malformed page requests**: a callback request that is not an object naming one of the
  page's callbacks is 400, and a component file outside the registered ones (path
  traversal) 404, not a server error.

Errors are JSON ``{"error": message}`` like the API's own.
"""

from __future__ import annotations

import socket
from typing import Any, Iterable
from urllib.parse import urlsplit

from flask import Flask, jsonify, request

#: Names a browser on this machine uses for it.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Paths whose bodies must be JSON: the API and Dash's callback and layout routes.
JSON_PREFIXES = ("/api/", "/_dash-update-component", "/_dash-layout", "/_dash-dependencies")


def _hostname(value: str) -> str:
    """``host[:port]`` or ``[v6]:port`` -> the host, lower case, without brackets."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def allowed_hosts(listen_host: str, extra: Iterable[str] = ()) -> frozenset[str]:
    """The host names the server answers to when it listens on ``listen_host``."""
    names = set(LOOPBACK_HOSTS) | {_hostname(h) for h in extra if h.strip()}
    if listen_host not in ("0.0.0.0", "::", ""):
        names.add(_hostname(listen_host))
    else:  # every interface: this machine's own names too
        for name in (socket.gethostname(), socket.getfqdn()):
            if name:
                names.add(name.lower())
    return frozenset(names)


def _callback_body_problem(data: Any, outputs: frozenset[str]) -> str | None:
    """Why a ``/_dash-update-component`` body is not a callback request of this page."""
    if not isinstance(data, dict):
        return "expected a JSON object"
    if not isinstance(data.get("output"), str) or (outputs and data["output"] not in outputs):
        return "'output' is not one of this page's callbacks"
    for key in ("inputs", "state"):
        if key in data and not isinstance(data[key], list):
            return f"'{key}' must be a list"
    if "changedPropIds" in data and not isinstance(data["changedPropIds"], list):
        return "'changedPropIds' must be a list"
    return None


def install(server: Flask, hosts: frozenset[str] | None) -> None:
    """Register the checks (``hosts=None``: loopback names only)."""
    from dash.exceptions import DependencyException, InvalidResourceError

    allowed = hosts if hosts is not None else frozenset(LOOPBACK_HOSTS)
    server.config["HUBPLAN_ALLOWED_HOSTS"] = allowed

    @server.errorhandler(DependencyException)
    @server.errorhandler(InvalidResourceError)
    def _no_such_file(_exc: Exception) -> Any:  # e.g. /_dash-component-suites/../../etc/passwd
        return jsonify({"error": f"no such file: {request.path}"}), 404

    @server.before_request
    def _guard() -> Any:
        host = _hostname(request.host or "")
        if host not in allowed:
            return jsonify({"error": f"Host {request.host!r} is not this server's name: open it at one of "
                                     f"{', '.join(sorted(allowed))} (or start it with --allowed-host "
                                     f"{host or 'NAME'})"}), 400
        if request.method not in UNSAFE_METHODS:
            return None
        origin = request.headers.get("Origin")
        if origin is not None:
            parts = urlsplit(origin)
            same = origin != "null" and parts.netloc.lower() == (request.host or "").lower() \
                and _hostname(parts.netloc) in allowed
            if not same:
                return jsonify({"error": f"a change from another site ({origin}) is refused: only this "
                                         "server's own pages may change scenarios"}), 403
        has_body = (request.content_length or 0) > 0 or "chunked" in request.headers.get("Transfer-Encoding", "")
        if request.path.startswith(JSON_PREFIXES) and has_body:
            mimetype = (request.mimetype or "").lower()
            if not (mimetype == "application/json" or mimetype.endswith("+json")):
                return jsonify({"error": f"request body: expected Content-Type application/json, got "
                                         f"{request.mimetype or 'none'}"}), 415
        if request.path == "/_dash-update-component":
            data = request.get_json(silent=True, cache=True)
            problem = _callback_body_problem(data, server.config.get("HUBPLAN_CALLBACK_OUTPUTS", frozenset()))
            if problem is not None:
                return jsonify({"error": f"callback request: {problem}"}), 400
        return None
