"""The ``hubplan`` command line (typer + rich). Each command lives in its own module."""

from __future__ import annotations

from hubplan.cli._app import app, main

# Command modules register themselves on ``app`` when imported.
from hubplan.cli import core  # noqa: F401,E402  (sites, evaluate, compare, demo)

__all__ = ["app", "main"]
from hubplan.cli import benchmark  # noqa: F401,E402
from hubplan.cli import capacity  # noqa: F401,E402
from hubplan.cli import optimise  # noqa: F401,E402
from hubplan.cli import serve  # noqa: F401,E402
from hubplan.cli import appraise  # noqa: F401,E402
from hubplan.cli import spc  # noqa: F401,E402
from hubplan.cli import review  # noqa: F401,E402
from hubplan.cli import uncertainty  # noqa: F401,E402
from hubplan.cli import db  # noqa: F401,E402
from hubplan.cli import users  # noqa: F401,E402
