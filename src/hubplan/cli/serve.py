"""``hubplan serve``: the planner in the browser, with saved scenarios and the HTTP API."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Optional

import typer

from hubplan.cli._app import app, err, limited
from hubplan.errors import InputError

if TYPE_CHECKING:
    from hubplan.web.auth import AuthMode


def _is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def sign_in_notes(mode: "AuthMode", host: str, *, accounts: int, secret_from: str, proxy_user_header: str,
                  proxy_default_role: str | None) -> list[str]:
    """What ``hubplan serve`` says about sign-in: the mode, and a warning by mode when it
    listens beyond this machine."""
    from hubplan.web.auth import AuthMode

    beyond = not _is_loopback(host)
    if mode is AuthMode.NONE:
        lines = ["sign-in: off (--auth none): everyone who reaches it may change everything"]
        if beyond:
            lines.append("[yellow]note:[/] listening beyond this machine with no sign-in (--auth none), so anyone "
                         "who can reach this address can see and change the saved scenarios: use --auth accounts.")
        return lines
    if mode is AuthMode.ACCOUNTS:
        lines = [f"sign-in: accounts ({accounts} in the database; hubplan users adds them); session cookies "
                 f"signed with the secret from {secret_from}"]
        if accounts == 0:
            lines.append("[yellow]note:[/] no accounts yet, so nobody can sign in: hubplan users add NAME --role admin")
        if beyond:
            lines.append("[yellow]note:[/] listening beyond this machine: passwords cross the network in clear "
                         "unless an https proxy is in front.")
        return lines
    others = f"others are {proxy_default_role}s" if proxy_default_role else "others are refused"
    lines = [f"sign-in: proxy (the user named in the {proxy_user_header} header; roles from the accounts, {others})"]
    if beyond:
        lines.append(f"[yellow]note:[/] --auth proxy trusts the {proxy_user_header} header: listening beyond this "
                     "machine, anyone who reaches this address directly can claim to be anyone. Listen on "
                     "127.0.0.1 behind the proxy.")
    return lines


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (127.0.0.1: this machine only; "
                             "0.0.0.0: every network interface)."),
    port: int = typer.Option(8050, "--port", help="Port to listen on (1 to 65535).", callback=limited("port")),
    db: Optional[str] = typer.Option(
        None, "--db", help="Scenario database: a SQLite file (default hubplan-scenarios.db in the current "
        "folder) or a SQLAlchemy URL such as postgresql+psycopg://user@host/hubplan.",
    ),
    threads: int = typer.Option(4, "--threads", help="Requests served at the same time (1 to 256).",
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
    secret_from = ""
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
    count = len(application.server.config["HUBPLAN_AUTH"].accounts) if mode is AuthMode.ACCOUNTS else 0
    for line in sign_in_notes(mode, host, accounts=count, secret_from=secret_from if settings else "",
                              proxy_user_header=proxy_user_header,
                              proxy_default_role=settings.proxy_default_role.value
                              if settings and settings.proxy_default_role else None):
        err.print(line)
    err.print(f"answers to host names {', '.join(sorted(hosts))}; changes only from its own pages (Origin "
              "checked) and JSON bodies only")
    err.print("Press Ctrl+C to stop.")
    from hubplan.web.app import serve_application

    if workers > 1:
        err.print(f"{workers} worker processes, {threads} threads each")
    serve_application(application, host=host, port=port, threads=threads, workers=workers, quiet=True)
