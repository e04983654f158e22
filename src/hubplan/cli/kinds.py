"""A kind of service's measures and tables on the terminal and on disk (docs/kinds.md).

``hubplan evaluate`` prints what the service's kind adds to the engine's outputs (e.g. births
per unit and transfers in labour for maternity), each measure with the note saying what it
rests on; ``--out`` writes one CSV per table and ``kind.json``.
"""

from __future__ import annotations

import math
from pathlib import Path

from rich.table import Table

from hubplan.cli._app import out, write_json
from hubplan.cli._layout import print_table
from hubplan.errors import InputError
from hubplan.formatting import shown_figure
from hubplan.kinds import KindResult


def parse_parameters(values: list[str] | None, flag: str = "--parameter",
                     example: str = "fmu_uptake=0.3") -> dict[str, float]:
    """``--parameter NAME=VALUE`` (repeatable) as ``{name: number}``; a bad one is named."""
    parameters: dict[str, float] = {}
    for text in values or ():
        name, sep, raw = text.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise InputError(f"{flag} {text!r}: expected NAME=VALUE, e.g. {flag} {example}")
        try:
            value = float(raw)
        except ValueError:
            raise InputError(f"{flag} {text!r}: expected a number after '=', got {raw.strip()!r}") from None
        if not math.isfinite(value):
            raise InputError(f"{flag} {text!r}: expected a finite number, got {raw.strip()!r}")
        if name in parameters:
            raise InputError(f"{flag} {name} is given twice")
        parameters[name] = value
    return parameters




def print_kind(result: KindResult, title: str) -> None:
    """The kind's measures (with their notes) and each of its tables."""
    if not (result.measures or result.tables):
        return
    if result.measures:
        view = Table(title=f"{title} ({result.option})", title_justify="left")
        view.add_column("measure", overflow="fold")
        view.add_column("value", justify="right", no_wrap=True)
        view.add_column("rests on", overflow="fold")
        for m in result.measures:
            unit = f" {m.unit}" if m.unit else ""
            view.add_row(m.label, shown_figure(m.value) + unit, m.note or "-")
        print_table(view)
    for t in result.tables:
        view = Table(title=t.title, title_justify="left",
                     caption="; ".join(t.notes) if t.notes else None, caption_justify="left")
        for i, col in enumerate(t.frame.columns):
            view.add_column(str(col).replace("_", " "), justify="left" if i == 0 or t.frame[col].dtype == object else "right",
                            overflow="fold")
        for row in t.frame.itertuples(index=False):
            view.add_row(*(shown_figure(v) for v in row))
        print_table(view)
    for note in result.notes:
        out.print(f"note: {note}", highlight=False, markup=False)


def write_kind(result: KindResult, folder: Path, stem: str = "kind") -> list[Path]:
    """``{stem}.json`` and one ``{stem}_{table}.csv`` per table."""
    written = [folder / f"{stem}.json"]
    write_json(written[0], result.to_json())
    for t in result.tables:
        path = folder / f"{stem}_{t.key}.csv"
        tmp = path.with_suffix(".csv.tmp")
        t.frame.to_csv(tmp, index=False)
        tmp.replace(path)
        written.append(path)
    return written
