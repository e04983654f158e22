"""Sign-in and roles on the planner's server (``hubplan serve --auth none|accounts|proxy``).

* ``none`` (the default): nobody signs in; anyone who reaches the server may change
  anything (fine on 127.0.0.1 for one person).
* ``accounts``: the accounts of ``hubplan users`` (:mod:`hubplan.planning.accounts`).
  People sign in on the page's form (``/sign-in``; a session cookie signed with the
  server's secret, ``HttpOnly``, ``SameSite=Lax``, ``Secure`` when the request came over
  https); scripts send HTTP Basic credentials with every ``/api/`` call. A successful
  Basic check is remembered in the process for :attr:`AuthSettings.basic_cache_seconds`
  (keyed by a keyed hash of name, password and when the password was set), so a script's
  repeated calls do not each pay Argon2's half second; failures are never remembered and
  after :attr:`AuthSettings.max_failures` failures for one name within
  :attr:`AuthSettings.failure_window_seconds` that name is refused (429) until the window
  has passed.
* ``proxy``: a reverse proxy in front signs people in and names them in a header
  (``--proxy-user-header``, default ``X-Forwarded-User``); the role is the account's of
  that name, else ``--proxy-default-role`` (else refused). Only safe when nothing but
  the proxy can reach the server: anyone else could send the header.

Roles (:class:`~hubplan.planning.accounts.Role`): a **viewer** reads, evaluates and
compares; an **editor** also saves, renames, deletes and restores versions of scenarios
and starts optimisations (they take one of the server's few optimisation slots, so they
count as a change); an **admin** also lists and restores deleted scenarios. A refusal is
JSON ``{"error": one line}``: 401 when nobody is signed in, 403 when the role is not
enough, 429 after too many failed sign-ins.

Requests authenticated by a cookie (the session; the proxy's) that change something must
carry the CSRF token: the page's script sends the cookie ``_csrf_token`` back as the
header ``X-CSRFToken`` (Dash's renderer does this by itself), the forms as a field.
Basic credentials are not sent by a browser on its own, so they need no token.

With sign-in on, ``saved_by`` and ``deleted_by`` are the signed-in name (what a client
sends is ignored). Everything is installed by :func:`install` in one place: a Flask
``before_request`` hook, two routes, and a check on the store's and job registry's
writing methods (so the page's callbacks are held to the same roles as the API).
"""

from __future__ import annotations

import base64
import binascii
import collections
import enum
import functools
import hashlib
import hmac
import html
import os
import re
import secrets
import stat
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Deque

from flask import Flask, Response, g, has_request_context, jsonify, redirect, request, session
from flask.sessions import SecureCookieSessionInterface
from werkzeug.exceptions import Forbidden

from hubplan.errors import InputError
from hubplan.planning.accounts import Account, AccountStore, Role, account_key, clean_account_name

if TYPE_CHECKING:
    import dash

#: Shortest secret accepted (bytes, or characters of ``HUBPLAN_SECRET``).
MIN_SECRET_BYTES = 32
#: The environment variable that may hold the secret.
SECRET_ENV = "HUBPLAN_SECRET"
#: Cookie and header the page's script uses for the CSRF token (Dash's defaults).
CSRF_COOKIE = "_csrf_token"
CSRF_HEADER = "X-CSRFToken"
SESSION_COOKIE = "hubplan_session"
SIGN_IN_PATH = "/sign-in"
#: The health probe, answered without sign-in (``GET /api/health``).
HEALTH_PATH = "/api/health"
SIGN_OUT_PATH = "/sign-out"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
#: Paths answered with JSON (a refusal there is JSON, not the sign-in page).
JSON_PREFIXES = ("/api/", "/_dash-", "/_reload-hash")

#: API routes that only read although they are POSTs.
READING_POSTS = frozenset({"hubplan_api.evaluate_route", "hubplan_api.compare_route"})
#: API routes that need more than an editor (any other unsafe API request needs an editor).
ADMIN_ROUTES = frozenset({"hubplan_api.deleted_scenarios", "hubplan_api.undelete_scenario"})


class AuthMode(enum.Enum):
    """Who may use the server: anyone, the accounts of ``hubplan users``, or a proxy's users."""

    NONE = "none"
    ACCOUNTS = "accounts"
    PROXY = "proxy"

    @classmethod
    def parse(cls, value: object) -> "AuthMode":
        for mode in cls:
            if mode.value == str(value).strip().lower():
                return mode
        raise InputError(f"--auth {value}: expected none, accounts or proxy")


@dataclass(frozen=True)
class AuthSettings:
    """How the server signs people in (see the module's description).

    Attributes
    ----------
    mode:
        none, accounts or proxy.
    secret:
        Signs the session cookies (the same for every worker and every server of one site).
    proxy_user_header, proxy_default_role:
        ``proxy`` mode: the header naming the user, and the role of a name without an account
        (``None``: such names are refused).
    basic_cache_seconds:
        How long a successful HTTP Basic check is remembered (seconds; 0: never).
    session_hours:
        How long a sign-in on the page lasts.
    max_failures, failure_window_seconds:
        Failed sign-ins of one name allowed within the window before it is refused (429).
    """

    mode: AuthMode = AuthMode.NONE
    secret: bytes = b""
    proxy_user_header: str = "X-Forwarded-User"
    proxy_default_role: Role | None = None
    basic_cache_seconds: float = 60.0
    session_hours: float = 12.0
    max_failures: int = 10
    failure_window_seconds: float = 300.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.mode is not AuthMode.NONE and len(self.secret) < MIN_SECRET_BYTES:
            raise InputError(f"secret: at least {MIN_SECRET_BYTES} bytes needed, got {len(self.secret)}")
        if not re.fullmatch(r"[A-Za-z0-9-]+", self.proxy_user_header):
            raise InputError(f"--proxy-user-header {self.proxy_user_header!r}: expected a header name "
                             "(letters, digits and -)")


@dataclass(frozen=True)
class Identity:
    """Who makes the request: a name, a role, and how they proved it (session, basic, proxy)."""

    name: str
    role: Role
    via: str


# ----------------------------------------------------------------------------- secret
def load_secret(secret_file: str | Path | None, db_url: str) -> tuple[bytes, str]:
    """The secret that signs session cookies, and where it came from.

    In order: ``secret_file`` (created with a new random secret, mode 0600, if absent); the
    environment variable ``HUBPLAN_SECRET``; a file next to a SQLite database
    (``<db>.secret``, created likewise). A server database (PostgreSQL) needs one of the
    first two, so that every server of one site signs alike. A secret file that others
    may read is refused.
    """
    if secret_file is not None:
        return _secret_from_file(Path(secret_file), "--secret-file"), str(secret_file)
    env = os.environ.get(SECRET_ENV)
    if env is not None:
        if len(env.encode()) < MIN_SECRET_BYTES:
            raise InputError(f"{SECRET_ENV}: at least {MIN_SECRET_BYTES} characters, got {len(env.encode())}")
        return env.encode(), f"the environment variable {SECRET_ENV}"
    if db_url.startswith("sqlite:///") and db_url != "sqlite:///:memory:":
        path = Path(db_url.removeprefix("sqlite:///") + ".secret")
        return _secret_from_file(path, "secret file"), str(path)
    raise InputError(f"--auth: a server database needs a secret shared by every server: give --secret-file "
                     f"PATH or set {SECRET_ENV} (at least {MIN_SECRET_BYTES} characters)")


def _secret_from_file(path: Path, what: str) -> bytes:
    if not path.exists():
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it meanwhile: read theirs
            pass
        except OSError as exc:
            raise InputError(f"{what} {path}: cannot create it ({exc.strerror})") from None
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    try:
        mode = path.stat().st_mode
        text = path.read_bytes().strip()
    except OSError as exc:
        raise InputError(f"{what} {path}: cannot read it ({exc.strerror})") from None
    if os.name == "posix" and mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InputError(f"{what} {path}: others may read it (mode {stat.S_IMODE(mode):o}): chmod 600 {path}")
    if len(text) < MIN_SECRET_BYTES:
        raise InputError(f"{what} {path}: at least {MIN_SECRET_BYTES} bytes needed, got {len(text)}")
    return text


# ----------------------------------------------------------------------------- checking
class NotAllowed(Forbidden):
    """403: the signed-in role may not do this."""


def needed_role(method: str, endpoint: str | None, path: str) -> Role | None:
    """The least role an API request needs beyond signing in (``None``: any signed-in role)."""
    if not path.startswith("/api/"):
        return None
    if endpoint in ADMIN_ROUTES:
        return Role.ADMIN
    if method in UNSAFE_METHODS and endpoint not in READING_POSTS:
        return Role.EDITOR
    return None


def refusal(identity: Identity, needed: Role, what: str) -> str:
    """The one-line 403 message: who, their role, and the role the action needs."""
    def article(role: Role) -> str:
        return f"{'a' if role is Role.VIEWER else 'an'} {role.value}"

    return f"{identity.name} is {article(identity.role)}: {what} needs {article(needed)}"


def current_identity() -> Identity | None:
    """Who makes the current request (``None``: sign-in is off, or outside a request)."""
    if not has_request_context():
        return None
    return g.get("hubplan_identity")


class Gatekeeper:
    """Identifies each request and holds it to its role (one per app; see :func:`install`)."""

    def __init__(self, settings: AuthSettings, accounts: AccountStore) -> None:
        self.settings = settings
        self.accounts = accounts
        self._lock = threading.Lock()
        self._verified: dict[bytes, float] = {}
        self._failures: dict[str, Deque[float]] = collections.defaultdict(collections.deque)

    # ------------------------------------------------------------------ credentials
    def _cache_key(self, account: Account, password: str) -> bytes:
        message = "\0".join((account_key(account.name), password, account.password_changed_at.isoformat(),
                             account.password_fingerprint)).encode()
        return hmac.new(self.settings.secret, message, hashlib.sha256).digest()

    def too_many_failures(self, name: str) -> float:
        """Seconds until ``name`` may try again (0: it may now)."""
        now = self.settings.clock()
        with self._lock:
            times = self._failures.get(account_key(name))
            if not times:
                return 0.0
            while times and now - times[0] > self.settings.failure_window_seconds:
                times.popleft()
            if len(times) < self.settings.max_failures:
                return 0.0
            return max(1.0, self.settings.failure_window_seconds - (now - times[0]))

    def _failed(self, name: str) -> None:
        with self._lock:
            self._failures[account_key(name)].append(self.settings.clock())
            if len(self._failures) > 10_000:  # a flood of made-up names: forget the oldest
                for key in list(self._failures)[:5_000]:
                    del self._failures[key]

    def check_password(self, name: str, password: str) -> Account | None:
        """The account if the password is right, remembering a success for a short while."""
        account = self.accounts.get(name) if name else None
        now = self.settings.clock()
        if account is not None and self.settings.basic_cache_seconds > 0:
            key = self._cache_key(account, password)
            with self._lock:
                expiry = self._verified.get(key)
            if expiry is not None and expiry > now:
                return account
        verified = self.accounts.authenticate(name, password)  # the decoy hash for unknown names
        if verified is None:
            self._failed(name)
            return None
        with self._lock:
            self._failures.pop(account_key(name), None)
            if self.settings.basic_cache_seconds > 0:
                if len(self._verified) > 1_000:
                    self._verified = {k: v for k, v in self._verified.items() if v > now}
                self._verified[self._cache_key(verified, password)] = now + self.settings.basic_cache_seconds
        return verified

    # ------------------------------------------------------------------ identity
    def identify(self) -> tuple[Identity | None, Response | None]:
        """Who makes this request, or a refusal to send at once."""
        if self.settings.mode is AuthMode.PROXY:
            return self._proxy_identity()
        header = request.headers.get("Authorization", "")
        if header[:6].lower() == "basic ":
            return self._basic_identity(header[6:])
        name = session.get("user")
        if not isinstance(name, str):
            return None, None
        account = self.accounts.get(name)
        if account is None or not hmac.compare_digest(str(session.get("fingerprint", "")),
                                                      account.password_fingerprint):
            session.pop("user", None)  # removed, or its password changed: signed out
            session.pop("fingerprint", None)
            return None, None
        return Identity(account.name, account.role, "session"), None

    def _basic_identity(self, encoded: str) -> tuple[Identity | None, Response | None]:
        try:
            name, _, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None, _json_refusal("Authorization: not valid HTTP Basic credentials (base64 of name:password)",
                                       401)
        wait = self.too_many_failures(name)
        if wait:
            return None, _json_refusal(f"too many failed sign-ins for {name!r}: try again in {wait:.0f} s", 429)
        account = self.check_password(name, password)
        if account is None:
            return None, _json_refusal("wrong account name or password", 401)
        return Identity(account.name, account.role, "basic"), None

    def _proxy_identity(self) -> tuple[Identity | None, Response | None]:
        header = self.settings.proxy_user_header
        value = request.headers.get(header, "").strip()
        if not value:
            return None, None
        try:
            name = clean_account_name(value, header)
        except InputError as exc:
            return None, _json_refusal(str(exc), 403)
        account = self.accounts.get(name)
        if account is not None:
            return Identity(account.name, account.role, "proxy"), None
        if self.settings.proxy_default_role is None:
            return None, _json_refusal(f"{name} has no account on this server (hubplan users add {name} "
                                       "--role viewer) and there is no --proxy-default-role", 403)
        return Identity(name, self.settings.proxy_default_role, "proxy"), None

    # ------------------------------------------------------------------ the hook
    def before_request(self) -> Any:
        path = request.path
        if path in (SIGN_IN_PATH, SIGN_OUT_PATH) and self.settings.mode is AuthMode.ACCOUNTS:
            return None
        if path == HEALTH_PATH and request.method in ("GET", "HEAD"):
            return None  # the health probe: open, it tells nothing of plans or scenarios
        identity, answer = self.identify()
        if answer is not None:
            return answer
        if identity is None:
            if self.settings.mode is AuthMode.PROXY:
                return _json_refusal(f"not signed in: no {self.settings.proxy_user_header} header (this server "
                                     "is reached through its sign-in proxy)", 401)
            if request.method in ("GET", "HEAD") and not path.startswith(JSON_PREFIXES):
                target = request.full_path if request.query_string else path
                return redirect(f"{SIGN_IN_PATH}?next={_quote_next(target)}", 303)
            return _json_refusal("not signed in: sign in on the page, or send HTTP Basic credentials "
                                 "(curl -u NAME ...)", 401)
        g.hubplan_identity = identity
        if request.method in UNSAFE_METHODS and self._needs_csrf(identity) and not self._csrf_ok():
            return _json_refusal(f"missing or wrong CSRF token: send the {CSRF_COOKIE} cookie's value as the "
                                 f"{CSRF_HEADER} header (reload the page)", 403)
        needed = needed_role(request.method, request.endpoint, path)
        if needed is not None and not identity.role.allows(needed):
            return _json_refusal(refusal(identity, needed, f"{request.method} {path}"), 403)
        return None

    def _needs_csrf(self, identity: Identity) -> bool:
        if identity.via == "session":
            return True
        if identity.via == "proxy":  # the proxy's own cookie is ambient; scripts to /api/ carry none of ours
            return not request.path.startswith("/api/") or SESSION_COOKIE in request.cookies
        return False

    def _csrf_ok(self, sent: str | None = None) -> bool:
        expected = session.get("csrf")
        given = sent if sent is not None else request.headers.get(CSRF_HEADER, "")
        return isinstance(expected, str) and bool(given) and hmac.compare_digest(expected, given)

    def after_request(self, response: Response) -> Response:
        """Give the page's script its CSRF token (the cookie Dash's renderer reads)."""
        if self.settings.mode is AuthMode.PROXY and current_identity() is not None and "csrf" not in session \
                and not request.path.startswith("/api/"):  # scripts calling the API get no cookie of ours
            session["csrf"] = secrets.token_urlsafe(32)
        token = session.get("csrf")
        if isinstance(token, str) and request.cookies.get(CSRF_COOKIE) != token:
            response.set_cookie(CSRF_COOKIE, token, max_age=int(self.settings.session_hours * 3600), path="/",
                                secure=_is_https(), httponly=False, samesite="Lax")
        return response

    # ------------------------------------------------------------------ sign-in routes
    def sign_in(self) -> Any:
        next_path = _safe_next(request.values.get("next", "/"))
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        if request.method == "GET":
            name = session.get("user")
            account = self.accounts.get(name) if isinstance(name, str) else None
            if account is not None and session.get("fingerprint") == account.password_fingerprint:
                return redirect(next_path, 303)  # signed in already
            return _sign_in_page(session["csrf"], next_path, "")
        if not self._csrf_ok(request.form.get("csrf_token", "")):
            return _sign_in_page(session["csrf"], next_path, "The form had expired: please sign in again."), 403
        name = request.form.get("name", "").strip()
        password = request.form.get("password", "")
        wait = self.too_many_failures(name)
        if wait:
            return _sign_in_page(session["csrf"], next_path,
                                 f"Too many failed sign-ins for this name: try again in {wait:.0f} s."), 429
        account = self.check_password(name, password) if name and password else None
        if account is None:
            return _sign_in_page(session["csrf"], next_path, "Wrong account name or password."), 401
        session.clear()  # a new session (and token) on sign-in: none fixed beforehand survives
        session.permanent = True
        session["user"] = account.name
        session["fingerprint"] = account.password_fingerprint
        session["csrf"] = secrets.token_urlsafe(32)
        return redirect(next_path, 303)

    def sign_out(self) -> Any:
        if request.method == "POST" and self._csrf_ok(request.form.get("csrf_token", "")):
            session.clear()
        return redirect(SIGN_IN_PATH, 303)

    # ------------------------------------------------------------------ the store's writes
    def guard_writes(self, store: Any, jobs: Any) -> None:
        """Hold the store's and job registry's writing methods to the signed-in role, and
        write the signed-in name as who saved or deleted."""
        if getattr(store, "_hubplan_guarded", False):
            return
        needs = {"save": Role.EDITOR, "rename": Role.EDITOR, "delete": Role.EDITOR, "restore": Role.EDITOR,
                 "undelete": Role.ADMIN, "deleted": Role.ADMIN}
        who_field = {"save": "saved_by", "restore": "saved_by", "delete": "deleted_by", "undelete": "by"}
        for method, role in needs.items():
            setattr(store, method, _checked(getattr(store, method), role, f"{method} a scenario"
                                            if method != "deleted" else "listing deleted scenarios",
                                            who_field.get(method)))
        setattr(jobs, "start", _checked(jobs.start, Role.EDITOR, "starting an optimisation", None))
        setattr(store, "_hubplan_guarded", True)


def _checked(method: Callable[..., Any], role: Role, what: str, who_field: str | None) -> Callable[..., Any]:
    @functools.wraps(method)
    def checked(*args: Any, **kwargs: Any) -> Any:
        if has_request_context() and g.get("hubplan_auth_on"):
            identity = current_identity()
            if identity is None:
                raise NotAllowed("not signed in")
            if not identity.role.allows(role):
                raise NotAllowed(refusal(identity, role, what))
            if who_field is not None:
                kwargs[who_field] = identity.name
        return method(*args, **kwargs)

    return checked


# ----------------------------------------------------------------------------- pages
def _is_https() -> bool:
    return request.is_secure or request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower() == "https"


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, ``Secure`` whenever the request came over https."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config.get("SESSION_COOKIE_SECURE")) or (has_request_context() and _is_https())


def _json_refusal(message: str, status: int) -> Response:
    response = jsonify({"error": message})
    response.status_code = status
    return response


def _quote_next(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")


def _safe_next(value: str) -> str:
    """Only a path on this server (never ``//elsewhere`` or a full address)."""
    if not value.startswith("/") or value.startswith("//") or "\\" in value or value.startswith(SIGN_OUT_PATH):
        return "/"
    return value


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in - hubplan planner</title>
<style>body{{font-family:system-ui,sans-serif;max-width:22rem;margin:4rem auto;padding:0 1rem;color:#222}}
label{{display:block;margin:.8rem 0 .2rem}}input{{width:100%;padding:.4rem;box-sizing:border-box;font-size:1rem}}
button{{margin-top:1rem;padding:.5rem 1.2rem;font-size:1rem}}.message{{color:#a00;margin-top:1rem}}</style>
</head><body><h1>hubplan planner</h1>
<form method="post" action="{action}">
<input type="hidden" name="csrf_token" value="{token}"><input type="hidden" name="next" value="{next}">
<label for="name">Account name</label><input id="name" name="name" autocomplete="username" required autofocus>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
<p class="message" role="alert">{message}</p>
</form></body></html>
"""


def _sign_in_page(token: str, next_path: str, message: str) -> Response:
    page = _PAGE.format(action=SIGN_IN_PATH, token=html.escape(token), next=html.escape(next_path),
                        message=html.escape(message))
    response = Response(page, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def user_bar(identity: Identity, token: str, *, can_sign_out: bool) -> str:
    """The strip at the top of the page: who is signed in, their role, and a sign-out button."""
    what = {Role.VIEWER: "may look, evaluate and compare; saving needs an editor",
            Role.EDITOR: "may save, delete and optimise", Role.ADMIN: "may also restore deleted scenarios"}
    button = (f'<form method="post" action="{SIGN_OUT_PATH}" style="display:inline;margin-left:1em">'
              f'<input type="hidden" name="csrf_token" value="{html.escape(token)}">'
              '<button type="submit" id="sign-out">Sign out</button></form>') if can_sign_out else ""
    return (f'<div id="signed-in" style="font:14px system-ui,sans-serif;text-align:right;padding:4px 12px">'
            f'Signed in as <strong id="signed-in-name">{html.escape(identity.name)}</strong> '
            f'(<span id="signed-in-role">{identity.role.value}</span>: {what[identity.role]}){button}</div>')


#: The page's buttons that change something, greyed out and not clickable for a viewer.
WRITE_BUTTONS = ("save", "delete", "rename", "opt-run")
VIEWER_STYLE = ("<style id=\"viewer-style\">" + ", ".join(f"#{b}" for b in WRITE_BUTTONS)
                + " {opacity: .45; pointer-events: none; cursor: not-allowed}</style>")


# ----------------------------------------------------------------------------- install
def install(app: "dash.Dash", settings: AuthSettings | None, accounts: AccountStore | None = None) -> Gatekeeper | None:
    """Turn sign-in on for a planner app (``None`` or mode ``none``: nothing changes).

    Registers, on the app's Flask server, a ``before_request`` hook after the request
    guard's (who is asking, their role, the CSRF token), ``/sign-in`` and ``/sign-out``
    (mode ``accounts``), the CSRF cookie, the signed-in strip on the page, and the role
    check on the store's and job registry's writing methods. ``accounts``: by default an
    :class:`AccountStore` on the scenario store's database.
    """
    if settings is None or settings.mode is AuthMode.NONE:
        return None
    from datetime import timedelta

    server: Flask = app.server
    store = server.config["HUBPLAN_STORE"]
    gatekeeper = Gatekeeper(settings, accounts if accounts is not None else AccountStore(store.engine))
    server.config["HUBPLAN_AUTH"] = gatekeeper
    server.secret_key = settings.secret
    server.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax",
                         PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.session_hours))
    server.session_interface = _SessionInterface()

    @server.before_request
    def _sign_in_required() -> Any:
        g.hubplan_auth_on = True
        return gatekeeper.before_request()

    server.after_request(gatekeeper.after_request)
    server.register_error_handler(NotAllowed, lambda exc: _json_refusal(str(exc.description), 403))
    if settings.mode is AuthMode.ACCOUNTS:
        server.add_url_rule(SIGN_IN_PATH, "hubplan_sign_in", gatekeeper.sign_in, methods=["GET", "POST"])
        server.add_url_rule(SIGN_OUT_PATH, "hubplan_sign_out", gatekeeper.sign_out, methods=["GET", "POST"])
    gatekeeper.guard_writes(store, server.config["HUBPLAN_JOBS"])

    original = app.interpolate_index

    def interpolate_index(**kwargs: Any) -> str:
        page = str(original(**kwargs))
        identity = current_identity()
        if identity is None:
            return page
        if "csrf" not in session:
            session["csrf"] = secrets.token_urlsafe(32)
        bar = user_bar(identity, session["csrf"], can_sign_out=settings.mode is AuthMode.ACCOUNTS
                       and identity.via == "session")
        page = re.sub(r"<body[^>]*>", lambda m: m.group(0) + bar, page, count=1)
        if not identity.role.allows(Role.EDITOR):  # the server refuses them anyway: say so before a click
            page = page.replace("</head>", VIEWER_STYLE + "</head>", 1)
        return page

    setattr(app, "interpolate_index", interpolate_index)
    return gatekeeper
