"""Tables that fit standard output, whatever its width.

rich squeezes a table that is wider than the console: it cuts cell text with an ellipsis
and crops what is still too wide at the right edge, so whole columns can vanish without a
word. :func:`print_table` never lets that happen. It prints the first of the layouts it is
given that fits once its wrapping columns are narrowed (never below their longest word;
columns marked ``no_wrap``, such as numbers, keep their full width), if need be without
the table's outer border. A narrower layout that leaves a column out says so in a
one-line note under the table. When no layout fits, the first (complete) one is split
into several tables, one under another, that repeat its key columns, and failing that it
is printed as one block per row.

Standard output's width is ``COLUMNS`` when set, else the terminal's, else
:data:`hubplan.cli._app.PIPED_WIDTH` (see :func:`hubplan.cli._app.stdout_width`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Union

from rich.console import Console, RenderableType
from rich.measure import Measurement
from rich.table import Column, Table
from rich.text import Text

from hubplan.cli._app import out

#: Width at which cells are measured before any narrowing (wider than any terminal).
_UNBOUNDED = 10_000


@dataclass(frozen=True)
class Layout:
    """One way of showing a table, and what it leaves out (printed under it), if anything."""

    table: Table
    note: Optional[str] = None


#: Note shown when a table drops its site-name column to fit the terminal.
NAMES_HIDDEN = "site names hidden at this width; widen the terminal or use --format json"

def _padding(table: Table, index: int) -> int:
    _, right, _, left = table.padding
    if not table.pad_edge:
        left = 0 if index == 0 else left
        right = 0 if index == len(table.columns) - 1 else right
    return left + right


def _borders(table: Table) -> int:
    if not table.box:
        return 0
    return len(table.columns) - 1 + (2 if table.show_edge else 0)


def _cells(table: Table, column: Column) -> list[RenderableType]:
    cells: list[RenderableType] = list(column.cells)
    if table.show_header:
        cells.append(column.header)
    if table.show_footer:
        cells.append(column.footer)
    return cells


def column_widths(table: Table, console: Console) -> list[tuple[int, int]]:
    """(narrowest, natural) width of each column's content, without padding.

    The narrowest is the longest word (the whole line for a ``no_wrap`` column or
    :class:`~rich.text.Text` cell, or a column of fixed width), the natural width the
    longest line, both within the column's ``min_width`` and ``max_width``.
    """
    options = console.options.update_width(_UNBOUNDED)
    widths = []
    for column in table.columns:
        if column.width is not None:
            widths.append((column.width, column.width))
            continue
        natural = narrowest = 0
        for cell in _cells(table, column):
            measured = Measurement.get(console, options, cell)
            whole = column.no_wrap or (isinstance(cell, Text) and bool(cell.no_wrap))
            natural = max(natural, measured.maximum)
            narrowest = max(narrowest, measured.maximum if whole else measured.minimum)
        if column.max_width is not None:
            natural = min(natural, column.max_width)
            narrowest = min(narrowest, column.max_width)
        if column.min_width is not None:
            natural = max(natural, column.min_width)
            narrowest = max(narrowest, column.min_width)
        widths.append((narrowest, natural))
    return widths


def fit(table: Table, width: int, console: Console | None = None) -> bool:
    """Narrow the wrapping columns of ``table`` so that it is at most ``width`` columns wide.

    No column is narrowed below its longest word, and ``no_wrap`` columns keep their full
    width; the widest columns give way first. Returns ``False``, and leaves the table as it
    was, when even that is too wide.
    """
    console = console or out
    if not table.columns:
        return True
    widths = column_widths(table, console)
    room = width - _borders(table) - sum(_padding(table, i) for i in range(len(table.columns)))
    if sum(natural for _, natural in widths) <= room:
        return True
    if sum(narrowest for narrowest, _ in widths) > room:
        return False

    def total(level: int) -> int:
        return sum(max(narrowest, min(natural, level)) for narrowest, natural in widths)

    low, high = 0, max(natural for _, natural in widths)  # total(low) <= room < total(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if total(middle) <= room else (low, middle)
    for column, (narrowest, natural) in zip(table.columns, widths):
        column.width = max(narrowest, min(natural, low))
    return True


def _fit_or_compact(table: Table, width: int, console: Console) -> bool:
    """:func:`fit` as it is, or else without the outer border and edge padding (4 columns fewer)."""
    if fit(table, width, console):
        return True
    edge, pad = table.show_edge, table.pad_edge
    table.show_edge = table.pad_edge = False
    if fit(table, width, console):
        return True
    table.show_edge, table.pad_edge = edge, pad
    return False


def _copy(table: Table, indices: Sequence[int], *, title: bool, caption: bool) -> Table:
    """A table with the same look and rows as ``table`` but only the columns at ``indices``."""
    part = Table(
        title=table.title if title else None, caption=table.caption if caption else None,
        title_justify=table.title_justify, caption_justify=table.caption_justify,
        box=table.box, show_header=table.show_header, show_footer=table.show_footer,
        show_edge=table.show_edge, show_lines=table.show_lines, padding=table.padding,
        pad_edge=table.pad_edge, header_style=table.header_style, title_style=table.title_style,
        caption_style=table.caption_style, style=table.style, highlight=table.highlight,
    )
    columns = [table.columns[i] for i in indices]
    for c in columns:
        part.add_column(
            c.header, c.footer, header_style=c.header_style, footer_style=c.footer_style,
            style=c.style, justify=c.justify, vertical=c.vertical, overflow=c.overflow,
            width=c.width, min_width=c.min_width, max_width=c.max_width, no_wrap=c.no_wrap,
        )
    cells = [list(c.cells) for c in columns]
    for r, row in enumerate(table.rows):
        part.add_row(*(col[r] for col in cells), style=row.style, end_section=row.end_section)
    return part


def split(table: Table, width: int, key_columns: int = 1, console: Console | None = None) -> list[Table] | None:
    """``table`` as several tables, one under another, each repeating the first
    ``key_columns`` columns and holding as many of the others as fit ``width``; ``None``
    if the key columns and any one other column do not fit together."""
    keys = list(range(min(key_columns, len(table.columns))))
    rest = list(range(len(keys), len(table.columns)))
    groups: list[list[int]] = []
    for index in rest:
        if groups and fit(_copy(table, keys + groups[-1] + [index], title=False, caption=False), width, console):
            groups[-1].append(index)
        elif fit(_copy(table, keys + [index], title=False, caption=False), width, console):
            groups.append([index])
        else:
            return None
    if not groups:
        return None
    parts = [_copy(table, keys + g, title=i == 0, caption=i == len(groups) - 1) for i, g in enumerate(groups)]
    for part in parts:
        fit(part, width, console)
    return parts


def _label(cell: RenderableType) -> RenderableType:
    """A header as a one-line label (markup rendered)."""
    return Text(Text.from_markup(cell).plain.replace("\n", " ")) if isinstance(cell, str) else cell


def _unbroken(cell: RenderableType, whole: bool) -> RenderableType:
    """A cell as text that keeps to one line when ``whole`` (its column was ``no_wrap``)."""
    if not (whole and isinstance(cell, str)):
        return cell
    text = Text.from_markup(cell)
    text.no_wrap = True
    return text


def transposed(table: Table, corner: str = "") -> Table:
    """``table`` turned on its side: one column per row (headed by the row's first cell)
    and one row per other column (labelled by its header). For a few wide rows, such as
    options side by side."""
    turned = Table(title=table.title, caption=table.caption, title_justify=table.title_justify,
                   caption_justify=table.caption_justify, box=table.box, highlight=table.highlight)
    keys, *others = table.columns
    turned.add_column(corner, overflow="fold")
    for key in keys.cells:
        turned.add_column(key, justify="right", overflow="fold")
    for column in others:
        turned.add_row(_label(column.header), *(_unbroken(c, column.no_wrap) for c in column.cells))
    return turned


def stacked(table: Table) -> Table:
    """``table`` as one block per row: each column's header beside the row's value."""
    blocks = Table(title=table.title, caption=table.caption, title_justify=table.title_justify,
                   caption_justify=table.caption_justify, show_header=False, box=table.box,
                   highlight=table.highlight)
    blocks.add_column(style="bold", overflow="fold")
    blocks.add_column(overflow="fold")
    cells = [list(c.cells) for c in table.columns]
    for r in range(table.row_count):
        for i, column in enumerate(table.columns):
            blocks.add_row(_label(column.header), _unbroken(cells[i][r], column.no_wrap),
                           end_section=i == len(table.columns) - 1)
    return blocks


def print_table(*layouts: Union[Table, Layout], key_columns: int = 1, console: Console | None = None) -> Table:
    """Print the first layout that fits standard output (see the module docstring).

    Returns the table of the layout printed, or the first layout's table when it had to be
    split or stacked (every column shown), so that callers can tell which one was used.
    """
    console = console or out
    width = console.width
    choices = [layout if isinstance(layout, Layout) else Layout(layout) for layout in layouts]
    for layout in choices:
        if _fit_or_compact(layout.table, width, console):
            console.print(layout.table)
            if layout.note:
                console.print(f"({layout.note})", highlight=False, markup=False)
            return layout.table
    complete = choices[0].table
    parts = split(complete, width, key_columns, console)
    if parts is None:
        blocks = stacked(complete)
        fit(blocks, width, console)
        parts = [blocks]
    for part in parts:
        console.print(part)
    return complete
