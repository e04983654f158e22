"""``hubplan serve``: the planner in the browser, with saved scenarios and the HTTP API."""

from __future__ import annotations

import ipaddress
from typing import Optional

import typer

from hubplan.cli._app import app, err, limited
from hubplan.errors import InputError


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
    auth: str = typer.Option("none", "--auth", help="Who may use it: none (anyone who reaches it), accounts "
                             "(sign in with the accounts of hubplan users; scripts send HTTP Basic credentials) "
                             "or proxy (a reverse proxy names the user in --proxy-user-header)."),
    secret_file: Optional[str] = typer.Option(
        None, "--secret-file", help="File holding the secret that signs sign-in cookies (created, mode 0600, if "
        "absent). Default: $HUBPLAN_SECRET, else <db>.secret next to a SQLite database."),
    proxy_user_header: str = typer.Option("X-Forwarded-User", "--proxy-user-header",
                                          help="--auth proxy: the header the proxy names the user in."),
    proxy_default_role: Optional[str] = typer.Option(
        None, "--proxy-default-role", help="--auth proxy: the role of a user without an account (viewer, editor "
        "or admin; default: such users are refused)."),
) -> None:
    """Start the interactive planner (open the address it prints in a browser)."""
    from hubplan.planning.store import database_url
    from hubplan.web.app import make_server_app

    from hubplan.web.guard import allowed_hosts

    from hubplan.web.auth import AuthMode, AuthSettings, load_secret

    mode = AuthMode.parse(auth)
    if mode is not AuthMode.PROXY and (proxy_default_role is not None or proxy_user_header != "X-Forwarded-User"):
        raise InputError("--proxy-user-header and --proxy-default-role apply only with --auth proxy")
    url = database_url(db)
    settings = None
    if mode is not AuthMode.NONE:
        from hubplan.planning.accounts import Role

        secret, secret_from = load_secret(secret_file, url)
        settings = AuthSettings(mode=mode, secret=secret, proxy_user_header=proxy_user_header,
                                proxy_default_role=Role.parse(proxy_default_role, "--proxy-default-role")
                                if proxy_default_role is not None else None)
    elif secret_file is not None:
        raise InputError("--secret-file applies only with --auth accounts or --auth proxy")
    hosts = allowed_hosts(host, allowed_host or ())
    with err.status("Loading the bundled network and drawing the outlines ..."):
        application = make_server_app(url, hosts, auth=settings)
    shown = f"[{host}]" if ":" in host else host
    err.print(f"hubplan planner on [bold]http://{shown}:{port}/[/] (API under /api/); scenarios in {url}")
    if mode is AuthMode.NONE:
        err.print("sign-in: off (--auth none): everyone who reaches it may change everything")
        if not _is_loopback(host):
            err.print("[yellow]note:[/] listening beyond this machine with no sign-in (--auth none), so anyone "
                      "who can reach this address can see and change the saved scenarios: use --auth accounts.")
    elif mode is AuthMode.ACCOUNTS:
        count = len(application.server.config["HUBPLAN_AUTH"].accounts)
        err.print(f"sign-in: accounts ({count} in the database; hubplan users adds them); session cookies "
                  f"signed with the secret from {secret_from}")
        if count == 0:
            err.print("[yellow]note:[/] no accounts yet, so nobody can sign in: hubplan users add NAME --role admin")
        if not _is_loopback(host):
            err.print("[yellow]note:[/] listening beyond this machine: passwords cross the network in clear "
                      "unless an https proxy is in front.")
    else:
        role = f"others are {proxy_default_role}s" if proxy_default_role else "others are refused"
        err.print(f"sign-in: proxy (the user named in the {proxy_user_header} header; roles from the accounts, "
                  f"{role})")
        if not _is_loopback(host):
            err.print(f"[yellow]note:[/] --auth proxy trusts the {proxy_user_header} header: listening beyond this "
                      "machine, anyone who reaches this address directly can claim to be anyone. Listen on "
                      "127.0.0.1 behind the proxy.")
    err.print(f"answers to host names {', '.join(sorted(hosts))}; changes only from its own pages (Origin "
              "checked) and JSON bodies only")
    err.print("Press Ctrl+C to stop.")
    from hubplan.web.app import serve_application

    if workers > 1:
        err.print(f"{workers} worker processes, {threads} threads each")
    serve_application(application, host=host, port=port, threads=threads, workers=workers, quiet=True)
