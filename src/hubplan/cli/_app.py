"""The typer application and what every command shares: error handling and output."""

from __future__ import annotations

import json
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import typer
import typer.main
from rich.console import Console
from rich.markup import escape

from hubplan.errors import HubplanError, InfeasibleError, InputError
from hubplan.jsonable import to_jsonable
from hubplan.validation import LIMITS, check_number, shown

try:  # typer >= 0.22 carries its own copy of click
    from typer._click import exceptions as _click_exceptions
except ImportError:  # pragma: no cover - older typer on click
    from click import exceptions as _click_exceptions  # type: ignore[no-redef]

app = typer.Typer(
    name="hubplan",
    help="Plan and appraise hub-and-spoke reconfigurations of specialist NHS services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)

#: Columns of standard output when it is piped or redirected and ``COLUMNS`` is not set.
PIPED_WIDTH = 120


def stdout_width(is_terminal: bool) -> int | None:
    """Columns for standard output: ``COLUMNS`` when it is a positive whole number, else
    ``None`` on a terminal (rich measures it), else :data:`PIPED_WIDTH`."""
    text = os.environ.get("COLUMNS", "").strip()
    if text.isdigit() and int(text) > 0:
        return int(text)
    return None if is_terminal else PIPED_WIDTH


#: Tables and results go to stdout; logs, progress and errors to stderr.
out = Console()
err = Console(stderr=True)
if (_width := stdout_width(out.is_terminal)) is not None:
    out.width = _width


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
    if sys.stdout is not sys.__stdout__ or sys.__stdout__ is None:
        yield
        return
    original = sys.__stdout__
    try:
        original.flush()
        saved = os.dup(1)
        os.dup2(2, 1)
    except (OSError, ValueError, AttributeError):  # no usable descriptors: leave things be
        yield
        return
    stream = open(saved, "w", encoding=original.encoding or "utf-8", errors=original.errors,
                  closefd=False, buffering=1 if os.isatty(saved) else -1)
    sys.stdout = stream
    try:
        yield
    finally:
        try:
            stream.flush()
        except BrokenPipeError:  # the reader went away: nothing more can be shown
            _silence(saved)
        finally:
            os.dup2(saved, 1)
            sys.stdout = original
            try:
                stream.close()
            except BrokenPipeError:
                pass
            os.close(saved)


def main() -> None:
    """Entry point of the ``hubplan`` command: no tracebacks for user errors.

    Usage errors (an unknown option, a missing value, text where a number belongs) are
    one line on stderr with exit status 2, like every other bad input, instead of
    click's usage box. Always ends with :class:`SystemExit`.
    """
    status = 0
    with _results_only_on_stdout():
        try:
            command = typer.main.get_command(app)
            tidy_help(command)
            refuse_repeats(command)
            result = command.main(prog_name="hubplan", standalone_mode=False)
            status = result if isinstance(result, int) else 0  # --help and typer.Exit give a status
        except (InputError, InfeasibleError) as exc:
            fail(str(exc), 2)
        except HubplanError as exc:
            fail(str(exc), 1)
        except _click_exceptions.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `hubplan` alone: the help is printed
                raise SystemExit(2) from None
            fail(usage_message(exc), 2)
        except typer.Abort:
            err.print("aborted")
            raise SystemExit(1) from None
        except _click_exceptions.ClickException as exc:
            fail(exc.format_message(), 1)
        except FileNotFoundError as exc:
            fail(f"file not found: {exc.filename or exc}", 2)
        except (NotADirectoryError, IsADirectoryError, PermissionError) as exc:
            fail(f"{exc.filename or exc}: {exc.strerror or exc}", 2)
        except BrokenPipeError:  # the reader went away (`hubplan ... | head`): stop quietly
            _silence_stdout()
            raise SystemExit(1) from None
        except KeyboardInterrupt:
            err.print("interrupted")
            raise SystemExit(130) from None
    raise SystemExit(status)


def _silence_stdout() -> None:
    """Point standard output at the null device so that exiting does not fail again."""
    try:
        _silence(sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _silence(fd: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)


def _option_name(param: Any) -> str:
    """How the user writes a parameter: its longest ``--option``, else the argument's name."""
    opts = [o for o in getattr(param, "opts", []) if o.startswith("--")]
    if opts:
        return max(opts, key=len)
    name = getattr(param, "metavar", None) or getattr(param, "name", None) or "argument"
    return str(name).upper()


#: Words for typer's type errors (pydantic error types), after the value.
_TYPE_WORDS = {
    "float_parsing": "is not a number", "float_type": "is not a number",
    "int_parsing": "is not a whole number", "int_type": "is not a whole number",
    "int_from_float": "is not a whole number", "bool_parsing": "is not true or false",
}


def usage_message(exc: Exception) -> str:
    """One line for a click/typer usage error, naming the option and what was expected.

    ``--bypass ten`` gives ``--bypass: 'ten' is not a number``; an unknown option or a
    missing value keeps click's words, with where to find the help.
    """
    param = getattr(exc, "param", None)
    if isinstance(exc, _click_exceptions.MissingParameter) and param is not None:
        return f"{_option_name(param)} is required (see {_help_hint(exc)})"
    if isinstance(exc, _click_exceptions.BadParameter) and param is not None:
        cause = exc.__cause__
        errors = getattr(cause, "errors", None)
        if callable(errors):
            first = (errors() or [{}])[0]
            words = _TYPE_WORDS.get(str(first.get("type")))
            if words is not None:
                return f"{_option_name(param)}: {first.get('input')!r} {words}"
            return f"{_option_name(param)}: {first.get('input')!r}: {first.get('msg', exc.message)}"
        return f"{_option_name(param)}: {exc.message}"
    option_name = getattr(exc, "option_name", None)
    if isinstance(exc, _click_exceptions.BadOptionUsage) and option_name:
        words = " ".join(str(getattr(exc, "message", exc)).split()).rstrip(".")
        words = words.removeprefix(f"Option {option_name!r} ")
        return f"{option_name}: {'expected a value after it' if words.startswith('requires') else words}"
    text = " ".join(exc.format_message().split()).rstrip(".")  # type: ignore[attr-defined]
    return f"{text} (see {_help_hint(exc)})"


def _help_hint(exc: Exception) -> str:
    ctx = getattr(exc, "ctx", None)
    path = getattr(ctx, "command_path", None) or "hubplan"
    return f"'{path} --help'"


def tidy_help(command: Any) -> None:
    """No ``<bool>`` placeholder after flags (``--simulate``, ``--html/--no-html``, ``--help``).

    typer shows the type of every option in the help; a flag takes no value, so its
    placeholder is set empty, for every command and their help options.
    """
    for param in getattr(command, "params", []):
        if getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    context_class = getattr(command, "context_class", None)
    if context_class is not None and hasattr(command, "get_help_option"):
        help_option = command.get_help_option(context_class(command))
        if help_option is not None and help_option.metavar is None:
            help_option.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        tidy_help(sub)


def refuse_repeats(command: Any) -> None:
    """Make every command refuse an option given twice (``--hubs A --hubs B``) unless it
    takes several values: click keeps the last one and drops the first without a word.
    A flag and its opposite (``--html --no-html``) count as the same option."""
    if hasattr(command, "commands"):  # a group (typer's own click classes: no isinstance)
        for sub in command.commands.values():
            refuse_repeats(sub)
        return
    if getattr(command, "_refuses_repeats", False):
        return
    original = command.parse_args
    single: dict[str, Any] = {}
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option" and not param.multiple and not getattr(param, "count", False):
            for opt in (*param.opts, *param.secondary_opts):
                single[opt] = param

    def parse_args(ctx: Any, args: list[str]) -> Any:
        seen: dict[str, list[tuple[str, str | None]]] = {}
        for at, arg in enumerate(args):
            if arg == "--":
                break
            name, eq, inline = arg.partition("=") if arg.startswith("--") else (arg, "", "")
            param = single.get(name)
            if param is not None:
                value = None if param.is_flag else (inline if eq else (args[at + 1] if at + 1 < len(args) else None))
                seen.setdefault(param.name, []).append((name, value))
        for name, given in seen.items():
            written = [w for w, _ in given]
            param = single[written[0]]
            if any(w in param.opts for w in written) and any(w in param.secondary_opts for w in written):
                raise InputError(f"{' and '.join(dict.fromkeys(written))} both given: give one of them")
            if len({v for _, v in given}) < 2:
                continue  # the same value again (or the same flag) loses nothing
            shown = "/".join(dict.fromkeys(written))
            listed = any(word in name for word in ("hubs", "spokes", "sites", "keep", "exclude", "candidates"))
            raise InputError(f"{shown} given {len(written)} times: give it once"
                             + (" (several sites go in one value, separated by commas)" if listed else ""))
        return original(ctx, args)

    command.parse_args = parse_args
    command._refuses_repeats = True


class Progress:
    """A spinner with a title and, on a terminal, one dim line per step on stderr.

    Steps are shown only when stderr is a terminal (or ``HUBPLAN_PROGRESS=1``), so that a
    script or a log that captures stderr gets only notes, what was written and, on
    failure, the one-line error. Use as a context manager; call it with each step.
    """

    def __init__(self, title: str, *, timed: bool = False) -> None:
        self.status = err.status(title)
        self.timed = timed
        self.started = time.perf_counter()
        self.lines = err.is_terminal or os.environ.get("HUBPLAN_PROGRESS", "") == "1"

    def __enter__(self) -> "Progress":
        self.status.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.status.__exit__(*exc)

    def __call__(self, message: str) -> None:
        self.status.update(escape(message))
        if not self.lines:
            return
        if self.timed:
            err.print(f"[dim]{time.perf_counter() - self.started:5.1f} s[/] {escape(message)}", highlight=False)
        else:
            err.print(f"  {escape(message)}", highlight=False, style="dim")


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


def limited(parameter: str, *, words: tuple[str, ...] = ()) -> Callable[[Any, Any, Any], Any]:
    """A typer ``callback=`` that refuses values outside :data:`hubplan.validation.LIMITS`.

    Checked as the command line is read, before anything is loaded, with the message
    ``--los: -3 is not a number of days > 0``. ``words`` are texts accepted instead of a
    number (``service`` for ``--min-patients``); a text option's other values must be
    numbers (commas and underscores between digits allowed).
    """
    limit = LIMITS[parameter]

    def check(ctx: Any, param: Any, value: Any) -> Any:
        if value is None or getattr(ctx, "resilient_parsing", False):
            return value
        name = _option_name(param)
        if isinstance(value, (list, tuple)):
            for item in value:
                check_number(item, limit, name)
            return value
        if isinstance(value, str):
            if value.strip().lower() in words:
                return value
            try:
                number = float(value.replace(",", "").replace("_", ""))
            except ValueError:
                alternatives = "".join(f" or {w!r}" for w in words)
                raise InputError(f"{name}: {shown(value)} is not {limit.describe()}{alternatives}") from None
            check_number(number, limit, name)
            return value
        check_number(value, limit, name)
        return value

    return check


def check_out_dir(ctx: Any, param: Any, out_dir: Path | None) -> Path | None:
    """Fail at once if ``--out DIR`` cannot be a folder (it or a parent is a file).

    The typer ``callback=`` of every ``--out`` option, so the check comes before any
    work; :func:`prepare_out_dir` repeats it when the command writes.
    """
    if out_dir is None or getattr(ctx, "resilient_parsing", False):
        return out_dir
    for folder in (out_dir, *out_dir.parents):
        if folder.exists():
            if not folder.is_dir():
                if folder == out_dir:
                    raise InputError(f"--out {out_dir}: expected a folder, found a file")
                raise InputError(f"--out {out_dir}: {folder} is a file, not a folder")
            break
    return out_dir


def prepare_out_dir(out_dir: Path) -> Path:
    """Create ``--out DIR`` (and its parents) or fail with a clear message."""
    check_out_dir(None, None, out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"--out {out_dir}: cannot create the folder ({exc.strerror or exc})") from None
    return out_dir
