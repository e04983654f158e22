"""docs/deployment.md and the Dockerfile against the repository's facts.

The Dockerfile is checked line by line against pyproject.toml, uv.lock, tools/uv.txt and
the Makefile (same Python, uv installed with hashes, ``uv sync --locked``, files that
exist, a command that parses as ``hubplan serve`` options); it is built and run only where
``docker info`` works (HUBPLAN_REQUIRE_DOCKER=1 makes its absence a failure). Every
``hubplan`` command in the deployment guide's shell blocks must parse with the real CLI,
and the guide's PostgreSQL backup and restore (pg_dump, pg_restore) is run when a test
server is given (HUBPLAN_TEST_POSTGRES_URL, see tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest
import typer

from hubplan.cli import app as cli_app

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "Dockerfile"
GUIDE = ROOT / "docs" / "deployment.md"


def dockerfile_instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), " ".join(rest.split())))
    return out


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def parse_cli(args: list[str]) -> Any:
    """Parse ``hubplan ARGS`` with the real command line (nothing runs) and return the
    innermost command's context; bad options or values raise (Typer's own click)."""
    command: Any = typer.main.get_command(cli_app)
    ctx = command.make_context("hubplan", list(args), resilient_parsing=False)
    while hasattr(command, "list_commands"):  # a group: resolve the subcommand
        rest = [*(getattr(ctx, "_protected_args", None) or []), *ctx.args]
        assert rest, f"hubplan {' '.join(args)}: no command"
        name, *rest = rest
        sub = command.get_command(ctx, name)
        assert sub is not None, f"hubplan {' '.join(args)}: no command {name!r}"
        command, ctx = sub, sub.make_context(name, rest, parent=ctx, resilient_parsing=False)
    return ctx


def test_dockerfile_uses_the_tested_python() -> None:
    base = [args for word, args in dockerfile_instructions() if word == "FROM"]
    assert len(base) == 1
    version = re.fullmatch(r"python:(\d+)\.(\d+)-slim-\w+", base[0])
    assert version, base[0]
    major_minor = f"{version[1]}.{version[2]}"
    project = pyproject()
    assert project["tool"]["mypy"]["python_version"] == major_minor  # what CI checks and runs on
    floor = re.fullmatch(r">=(\d+)\.(\d+)", project["project"]["requires-python"])
    assert floor and (int(version[1]), int(version[2])) >= (int(floor[1]), int(floor[2]))
    lock_floor = re.search(r'^requires-python = ">=(\d+\.\d+)"', (ROOT / "uv.lock").read_text(), re.M)
    assert lock_floor and lock_floor[1] == f"{floor[1]}.{floor[2]}"


def test_dockerfile_installs_from_the_lock_as_the_makefile_does() -> None:
    steps = dockerfile_instructions()
    runs = " && ".join(args for word, args in steps if word == "RUN")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    # uv itself: the Makefile's pinned, hash-checked tools/uv.txt
    assert "--require-hashes -r tools/uv.txt" in makefile
    assert re.search(r"pip install [^&]*--require-hashes -r tools/uv\.txt", runs)
    # every uv sync checks the lock, as the Makefile's SYNC does
    assert "SYNC   := $(UV) sync --locked" in makefile
    syncs = re.findall(r"uv sync[^&]*", runs)
    assert len(syncs) >= 1 and all("--locked" in s for s in syncs), syncs
    assert not any("--extra" in s for s in syncs)  # the image gets no test tools
    env = " ".join(args for word, args in steps if word == "ENV")
    assert "UV_PYTHON_DOWNLOADS=never" in env and "UV_PYTHON_DOWNLOADS := never" in makefile
    # what it copies exists, and what the build of hubplan reads is copied before it
    copied: list[str] = []
    for word, args in steps:
        if word == "COPY":
            *sources, _target = args.split()
            copied += sources
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    project = pyproject()["project"]
    for needed in ("pyproject.toml", "uv.lock", "src", "tools/uv.txt", project["readme"], *project["license-files"]):
        assert needed in copied, needed
    assert "hubplan info" in runs  # the bundled data parsed at build time


def test_dockerfile_command_is_a_valid_hubplan_serve() -> None:
    steps = dict(dockerfile_instructions())
    entry, command = json.loads(steps["ENTRYPOINT"]), json.loads(steps["CMD"])
    assert entry == ["hubplan"] and "hubplan" in pyproject()["project"]["scripts"]
    ctx = parse_cli(command)
    assert ctx.command.name == "serve"
    assert ctx.params["host"] == "0.0.0.0" and ctx.params["workers"] == 2
    assert str(ctx.params["port"]) == steps["EXPOSE"]
    assert ctx.params["db"].startswith(json.loads(steps["VOLUME"])[0] + "/")
    assert steps["USER"] != "root"


def guide_commands() -> list[str]:
    """Each ``hubplan ...`` command of the guide's shell blocks (continuations joined)."""
    commands = []
    for block in re.findall(r"```(?:bash|ini)\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S):
        text = re.sub(r"\\\n\s*", " ", block).replace(r"\%", "%")
        text = text.replace("$(date +%F)", "2026-12-02")
        for line in text.splitlines():
            line = line.split(" # ")[0].split("   # ")[0]
            for segment in re.split(r"\|\||&&|[|;<>]", line):
                words = shlex.split(segment.strip().removeprefix("ExecStart="), comments=True)
                if len(words) > 5 and re.fullmatch(r"[\d*/,-]+", " ".join(words[:5]).replace(" ", "")):
                    words = words[5:]  # a crontab line's schedule
                if words[:2] == ["docker", "run"]:  # docker run [options] IMAGE COMMAND: the image is "hubplan"
                    words = words[max(i for i, w in enumerate(words) if w == "hubplan"):]
                if words[:2] == ["docker", "exec"]:
                    words = words[2:]
                    while words and words[0].startswith("-"):
                        words = words[1:]
                    words = words[1:]  # after the container's name
                if len(words) > 1 and words[0].split("/")[-1] == "hubplan":
                    commands.append(shlex.join(words[1:]))
    return commands


def test_every_hubplan_command_in_the_guide_parses() -> None:
    commands = guide_commands()
    seen = {c.split()[0] + (" " + c.split()[1] if c.split()[0] in ("db", "users") else "") for c in commands}
    assert {"serve", "info", "db upgrade", "db status", "db backup", "users add"} <= seen, seen
    assert sum(c.startswith("serve ") for c in commands) >= 3  # the one command, systemd's and docker's
    for command in commands:
        ctx = parse_cli(shlex.split(command))
        if ctx.command.name == "serve":
            assert ctx.params["allowed_host"] == ["planner.example.nhs.uk"], command


def test_the_guide_is_linked_and_names_real_files() -> None:
    assert "docs/deployment.md" in (ROOT / "README.md").read_text(encoding="utf-8")
    assert "docs/deployment.md" in (ROOT / "docs" / "planner.md").read_text(encoding="utf-8")
    guide = GUIDE.read_text(encoding="utf-8")
    for name in re.findall(r"`((?:docs|tests|tools)/[\w./-]+)`", guide):
        assert (ROOT / name).exists(), name
    for section in re.findall(r"`docs/(\w+)\.md`, \*([^*]+)\*", guide):
        headings = re.findall(r"^#+ (.+)$", (ROOT / "docs" / f"{section[0]}.md").read_text(encoding="utf-8"), re.M)
        assert section[1] in headings, section


def _docker_works() -> bool:
    docker = shutil.which("docker")
    if docker is None:
        return False
    return subprocess.run([docker, "info"], capture_output=True, check=False).returncode == 0


@pytest.mark.slow
def test_the_image_builds_and_serves_the_planner() -> None:
    if not _docker_works():
        if os.environ.get("HUBPLAN_REQUIRE_DOCKER") == "1":
            pytest.fail("HUBPLAN_REQUIRE_DOCKER=1 but `docker info` fails (no Docker daemon)")
        pytest.skip("no working Docker here (`docker info` fails): the Dockerfile is checked, not built")
    tag = f"hubplan-test-{uuid.uuid4().hex[:8]}"
    subprocess.run(["docker", "build", "-t", tag, str(ROOT)], check=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    name = tag
    try:
        subprocess.run(["docker", "run", "-d", "--name", name, "-p", f"127.0.0.1:{port}:8050", tag], check=True)
        body = b""
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/services") as answer:
                    body = answer.read()
                break
            except OSError:
                time.sleep(1)
        assert "thrombectomy" in {s["name"] for s in json.loads(body)}  # /api/services: a list
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as answer:
            assert b"hubplan planner" in answer.read()
    finally:
        subprocess.run(["docker", "rm", "-f", name], check=False)
        subprocess.run(["docker", "rmi", "-f", tag], check=False)


def test_postgresql_backup_and_restore_as_the_guide_says(tmp_path: Path) -> None:
    admin_url = os.environ.get("HUBPLAN_TEST_POSTGRES_URL")
    if not admin_url or not shutil.which("pg_dump"):
        if os.environ.get("HUBPLAN_REQUIRE_POSTGRES") == "1":
            pytest.fail("HUBPLAN_REQUIRE_POSTGRES=1 but no PostgreSQL server or pg_dump")
        pytest.skip("no PostgreSQL server (HUBPLAN_TEST_POSTGRES_URL) or no pg_dump")
    import sqlalchemy as sa

    from hubplan.planning.store import ScenarioStore

    names = [f"hubplan_dep_{uuid.uuid4().hex[:10]}" for _ in range(2)]
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    base = sa.engine.make_url(admin_url)
    urls = [base.set(database=n).render_as_string(hide_password=False) for n in names]
    libpq = [u.replace("postgresql+psycopg://", "postgresql://") for u in urls]  # pg_dump's own URL
    with admin.connect() as conn:
        for n in names:
            conn.exec_driver_sql(f'CREATE DATABASE "{n}"')
    try:
        hubplan = str(Path(sys.executable).with_name("hubplan"))
        upgraded = subprocess.run([hubplan, "db", "upgrade", "--db", urls[0], "--format", "json"],
                                  capture_output=True, text=True, check=False)
        assert upgraded.returncode == 0, upgraded.stderr
        store = ScenarioStore(urls[0])
        store.save("Southampton only", service="vascular_arterial",
                   parameters={"service": "vascular_arterial", "hubs": ["SO166YD"]}, summary={}, saved_by="ana")
        store.close()
        dump = tmp_path / "hubplan-2026-12-02.dump"
        subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq[0]], check=True)
        subprocess.run(["pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={libpq[1]}", str(dump)],
                       check=True)
        status = subprocess.run([hubplan, "db", "status", "--db", urls[1], "--format", "json"],
                                capture_output=True, text=True, check=False)
        assert status.returncode == 0, status.stderr
        restored = ScenarioStore(urls[1])
        try:
            [scenario] = restored.list()
            assert scenario.name == "Southampton only" and scenario.saved_by == "ana"
        finally:
            restored.close()
    finally:
        with admin.connect() as conn:
            for n in names:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{n}" WITH (FORCE)')
        admin.dispose()


def test_the_one_command_behind_a_proxy(tmp_path: Path) -> None:
    """The guide's `hubplan serve` command as written (PostgreSQL, two workers, accounts,
    the proxy's host name), on a free port and a new database, asked as the proxy asks."""
    admin_url = os.environ.get("HUBPLAN_TEST_POSTGRES_URL")
    if not admin_url:
        if os.environ.get("HUBPLAN_REQUIRE_POSTGRES") == "1":
            pytest.fail("HUBPLAN_REQUIRE_POSTGRES=1 but HUBPLAN_TEST_POSTGRES_URL is not set")
        pytest.skip("no PostgreSQL server (HUBPLAN_TEST_POSTGRES_URL)")
    import base64

    import sqlalchemy as sa

    [one] = [c for c in guide_commands() if c.startswith("serve --host 127.0.0.1 ")][:1]
    name = f"hubplan_dep_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = shlex.split(one)
    args[args.index("--db") + 1] = url
    args[args.index("--port") + 1] = str(port)
    args[args.index("--secret-file") + 1] = str(tmp_path / "secret")
    hubplan = str(Path(sys.executable).with_name("hubplan"))
    server = None
    try:
        for command in (["db", "upgrade", "--db", url], ["users", "add", "ana", "--role", "editor", "--db", url]):
            done = subprocess.run([hubplan, *command], input="a long password\n", capture_output=True, text=True,
                                  check=False)
            assert done.returncode == 0, done.stderr
        server = subprocess.Popen([hubplan, *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def ask(host: str, credentials: str | None) -> int:
            headers = {"Host": host, "X-Forwarded-Proto": "https"}
            if credentials:
                headers["Authorization"] = "Basic " + base64.b64encode(credentials.encode()).decode()
            request = urllib.request.Request(f"http://127.0.0.1:{port}/api/scenarios", headers=headers)
            try:
                with urllib.request.urlopen(request) as answer:
                    return int(answer.status)
            except urllib.error.HTTPError as error:
                return int(error.code)

        status = 0
        for _ in range(180):
            try:
                status = ask("planner.example.nhs.uk", "ana:a long password")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read() if server.stdout else ""
                time.sleep(1)
        assert status == 200
        assert ask("planner.example.nhs.uk", None) == 401  # sign-in is on
        assert ask("elsewhere.example.org", "ana:a long password") == 400  # not the proxy's name
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_the_build_context_leaves_out_local_environments() -> None:
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
               if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", ".tools", "**/*.egg-info"} <= ignored
    copied = [args.split()[:-1] for word, args in dockerfile_instructions() if word == "COPY"]
    assert not any(source in ignored for sources in copied for source in sources)
