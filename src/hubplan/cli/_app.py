"""The typer application and what every command shares: error handling and output."""

from __future__ import annotations

import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import typer
from rich.console import Console
from rich.markup import escape

from hubplan.errors import HubplanError, InfeasibleError, InputError
from hubplan.jsonable import to_jsonable

app = typer.Typer(
    name="hubplan",
    help="Plan and appraise hub-and-spoke reconfigurations of specialist NHS services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: Tables and results go to stdout; logs, progress and errors to stderr.
out = Console()
err = Console(stderr=True)
if not out.is_terminal:  # piped or redirected: wide enough for the option tables
    out.width = 120


def fail(message: str, status: int = 2) -> None:
    """Print a one-line error to stderr and exit (2 = bad input, 1 = other failure)."""
    err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)
    raise SystemExit(status)


@contextmanager
def _results_only_on_stdout() -> Iterator[None]:
    """Keep standard output for hubplan's results; send what compiled code writes there to stderr.

    Solvers and other compiled libraries write to file descriptor 1 directly (HiGHS' banner
    did), which would corrupt ``--format json``. While a command runs, the real stdout is
    duplicated to a private descriptor and ``sys.stdout`` (so rich, click and ``print_json``)
    writes there, while descriptor 1 (C ``printf``, solver logs) points at stderr. Skipped when
    ``sys.stdout`` is not the process's own (an in-process test capture).
    """
    if sys.stdout is not sys.__stdout__:
        yield
        return
    try:
        sys.stdout.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError, AttributeError):  # no usable descriptors: leave things be
        yield
        return
    original = sys.stdout
    stream = open(saved, "w", encoding=original.encoding or "utf-8", errors=original.errors,
                  closefd=False, buffering=1 if os.isatty(saved) else -1)
    sys.stdout = stream
    try:
        yield
    finally:
        try:
            stream.flush()
            os.dup2(saved, 1)
        finally:
            sys.stdout = original
            stream.close()
            os.close(saved)


def main() -> None:
    """Entry point of the ``hubplan`` command: no tracebacks for user errors."""
    with _results_only_on_stdout():
        try:
            app()  # typer handles usage errors itself (exit 2) and exits
        except (InputError, InfeasibleError) as exc:
            fail(str(exc), 2)
        except HubplanError as exc:
            fail(str(exc), 1)
        except FileNotFoundError as exc:
            fail(f"file not found: {exc.filename or exc}", 2)
        except KeyboardInterrupt:
            err.print("interrupted")
            raise SystemExit(130) from None


def print_json(obj: Any) -> None:
    """Print one JSON object to stdout (the machine-readable contract)."""
    sys.stdout.write(json.dumps(to_jsonable(obj), indent=2) + "\n")
    sys.stdout.flush()


def write_json(path: Path, obj: Any) -> None:
    """Write JSON atomically (a temporary file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(to_jsonable(obj), indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def prepare_out_dir(out_dir: Path) -> Path:
    """Create ``--out DIR`` (and its parents) or fail with a clear message."""
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(f"--out {out_dir}: expected a directory, found a file")
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir
