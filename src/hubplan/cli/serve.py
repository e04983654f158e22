"""``hubplan serve``: the planner in the browser, with saved scenarios and the HTTP API."""

from __future__ import annotations

import ipaddress
from typing import Optional

import typer

from hubplan.cli._app import app, err, limited


def _is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only; "
                             "0.0.0.0: every network interface)."),
    port: int = typer.Option(8050, "--port", help="Port to listen on (1 to 65535).", callback=limited("port")),
    db: Optional[str] = typer.Option(
        None, "--db", help="Scenario database: a SQLite file (default hubplan-scenarios.db in the current "
        "folder) or a SQLAlchemy URL such as postgresql+psycopg://user@host/hubplan.",
    ),
    threads: int = typer.Option(8, "--threads", help="Requests served at the same time (1 to 256).",
                                callback=limited("threads")),
    workers: int = typer.Option(1, "--workers", help="Worker processes, each with --threads threads, sharing "
                                "the port (more than 1 needs Linux or macOS). Python computes in one "
                                "thread at a time per process: use about one worker per core.",
                                callback=limited("workers")),
    allowed_host: Optional[list[str]] = typer.Option(
        None, "--allowed-host", help="Another host name the server answers to (repeatable), e.g. its name "
        "behind a reverse proxy; loopback names and the --host address always are."),
) -> None:
    """Start the interactive planner (open the address it prints in a browser)."""
    from hubplan.planning.store import database_url
    from hubplan.web.app import make_server_app

    from hubplan.web.guard import allowed_hosts

    url = database_url(db)
    hosts = allowed_hosts(host, allowed_host or ())
    with err.status("Loading the bundled network and drawing the outlines ..."):
        application = make_server_app(url, hosts)
    shown = f"[{host}]" if ":" in host else host
    err.print(f"hubplan planner on [bold]http://{shown}:{port}/[/] (API under /api/); scenarios in {url}")
    if not _is_loopback(host):
        err.print("[yellow]note:[/] listening beyond this machine: there is no login, so anyone who can reach "
                  "this address can see and change the saved scenarios.")
    err.print(f"answers to host names {', '.join(sorted(hosts))}; changes only from its own pages (Origin "
              "checked) and JSON bodies only")
    err.print("Press Ctrl+C to stop.")
    from hubplan.web.app import serve_application

    if workers > 1:
        err.print(f"{workers} worker processes, {threads} threads each")
    serve_application(application, host=host, port=port, threads=threads, workers=workers, quiet=True)
