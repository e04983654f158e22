"""Demand: patients a year per area, from the network's area columns and arithmetic.

A demand is a small expression over area columns (see ``docs/demand.md``)::

    births
    stroke_admissions * 1.1
    population_60_plus * 0.0006235
    0.5 * population_16_59 + 0.002 * population_60_plus

The grammar is area column names, numbers, ``+ - * /``, a leading minus and parentheses;
nothing else. The text is parsed with :func:`ast.parse` and only those node types are
walked: it is never given to ``eval``, so ``__import__('os')``, attribute access, calls,
comparisons and ``**`` are refused with a one-line :class:`~hubplan.errors.InputError`
that names the character. :meth:`Demand.values` evaluates it per area with numpy and
refuses a result that is negative or not finite in some area, or a division by zero, and
names one such area.

>>> from hubplan.testing import make_network
>>> net = make_network([[10.0], [20.0]], demand=[4.0, 6.0], demand_column="births")
>>> Demand.parse("births * 0.5 + 1").values(net).tolist()
[3.0, 4.0]
"""

from __future__ import annotations

import ast
import difflib
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping, Union

import numpy as np
import pandas as pd

from hubplan.errors import InputError

if TYPE_CHECKING:
    from hubplan.geography.network import Network

#: Longest demand expression accepted, in characters.
MAX_EXPRESSION_CHARACTERS = 1000

#: The source of a column the network does not document (a user's areas file).
UNSOURCED_COLUMN = "the network's areas file (no source recorded)"

GRAMMAR = "a demand uses area column names, numbers, + - * / and parentheses"

_Value = Union[float, np.ndarray]

_OPERATORS: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", np.add),
    ast.Sub: ("-", np.subtract),
    ast.Mult: ("*", np.multiply),
    ast.Div: ("/", np.divide),
}

#: What a refused operator or node is called in a message.
_REFUSED_OPERATORS: dict[type, str] = {
    ast.Pow: "the power operator '**'",
    ast.FloorDiv: "the operator '//'",
    ast.Mod: "the operator '%'",
    ast.MatMult: "the operator '@'",
    ast.BitAnd: "the operator '&'",
    ast.BitOr: "the operator '|'",
    ast.BitXor: "the operator '^'",
    ast.LShift: "the operator '<<'",
    ast.RShift: "the operator '>>'",
}
_REFUSED_NODES: dict[type, str] = {
    ast.Call: "a function call",
    ast.Attribute: "attribute access ('.')",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and' / 'or'",
    ast.Subscript: "indexing ('[...]')",
    ast.IfExp: "'if ... else'",
    ast.Lambda: "'lambda'",
    ast.NamedExpr: "':='",
    ast.Tuple: "a tuple (',')",
    ast.List: "a list ('[...]')",
    ast.Set: "a set ('{...}')",
    ast.Dict: "a dict ('{...}')",
    ast.Starred: "'*' unpacking",
    ast.JoinedStr: "text in quotes (an f-string)",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
}


@dataclass(frozen=True)
class Demand:
    """How many patients a year each area has, as an expression over area columns.

    Parameters
    ----------
    expression:
        The expression, e.g. ``"population_60_plus * 0.0006235"`` (checked on construction).
    source:
        Source key(s) of the values in it (``presets.toml`` ``[sources]``), or
        ``"user override"``.
    confidence:
        H / M / L / derived / assumption, as for every preset value.
    note:
        How it was derived and what it stands for.
    is_proxy:
        True when the expression stands in for activity that is not measured per area
        (a labelled proxy, e.g. population times a national rate); every output says so.
    citation:
        The full citation(s) of ``source``.
    label:
        What the demand counts, in words (e.g. "arterial procedures per year").
    """

    expression: str
    source: str = ""
    confidence: str = ""
    note: str = ""
    is_proxy: bool = False
    citation: str = ""
    label: str = ""
    tree: ast.expr = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.tree is None or _text_of(self.tree) != self.expression:  # a copy with a new expression
            object.__setattr__(self, "tree", _parse(self.expression))
        if not isinstance(self.is_proxy, bool):
            raise InputError(f"demand {self.expression!r}: is_proxy must be true or false, got {self.is_proxy!r}")

    # ------------------------------------------------------------------ constructors
    @classmethod
    def parse(cls, text: str, **provenance: Any) -> "Demand":
        """A demand from its text, e.g. ``Demand.parse("births", source="ALLEN2019")``.

        Raises
        ------
        InputError
            Text that is not an expression of the grammar (the message names the character).
        """
        if not isinstance(text, str):
            raise InputError(f"demand must be text, e.g. \"population_60_plus * 0.0009\", got {text!r}")
        return cls(expression=text.strip(), **provenance)

    @classmethod
    def from_column(cls, column: str, scale: float = 1.0, **provenance: Any) -> "Demand":
        """``column * scale`` (``demand_column`` and ``demand_scale`` of a service).

        The column need not be a valid expression name (a CSV header such as
        ``"patients 2019"`` still works here).
        """
        scale = float(scale)
        tree: ast.expr = ast.Name(id=column, ctx=ast.Load())
        if scale != 1.0:
            tree = ast.BinOp(left=tree, op=ast.Mult(), right=ast.Constant(value=scale))
        text = column if scale == 1.0 else f"{column} * {scale!r}"
        return cls(expression=text, tree=tree, **provenance)

    # ------------------------------------------------------------------ properties
    @property
    def columns(self) -> tuple[str, ...]:
        """The area columns the expression uses, in order of first use."""
        names: list[str] = []
        for node in ast.walk(self.tree):
            if isinstance(node, ast.Name) and node.id not in names:
                names.append(node.id)
        return tuple(names)

    def describe(self, network: "Network | None" = None) -> str:
        """One line for table notes and reports, e.g.
        ``population_60_plus * 0.0006235 (PROXY; source ...; confidence derived)``; with
        ``network``, followed by where each column's values come from
        (:meth:`column_sources`)."""
        bits = ["PROXY"] if self.is_proxy else []
        if self.source:
            bits.append(f"source {self.source}")
        if self.confidence:
            bits.append(f"confidence {self.confidence}")
        text = self.expression + (f" ({'; '.join(bits)})" if bits else "")
        if network is not None:
            text += "; " + "; ".join(f"{c} from {s}" for c, s in self.column_sources(network).items())
        return text

    def column_sources(self, network: "Network") -> dict[str, str]:
        """Where the values of each column the expression uses come from: the network's
        ``areas.attrs["column_sources"]`` (the bundled data say, per column), else the
        areas file the network was read from."""
        known = network.areas.attrs.get("column_sources", {}) or {}
        return {c: str(known.get(c) or UNSOURCED_COLUMN) for c in self.columns}

    def to_json(self, network: "Network | None" = None) -> dict[str, Any]:
        """The ``demand`` object of the JSON outputs (``docs/demand.md``); ``column_sources``
        is ``{}`` without ``network``."""
        return {
            "expression": self.expression,
            "columns": list(self.columns),
            "column_sources": {} if network is None else self.column_sources(network),
            "label": self.label,
            "source": self.source,
            "citation": self.citation,
            "confidence": self.confidence,
            "is_proxy": self.is_proxy,
            "note": self.note,
        }

    # ------------------------------------------------------------------ evaluation
    def values(self, network: "Network") -> np.ndarray:
        """Patients a year per area (float64, one per area of ``network``, >= 0 and finite).

        Raises
        ------
        InputError
            A name that is not a demand column of the network (or is unknown in some
            area), a division by zero, a result that is negative or not finite in some
            area, or zero in every area (nobody to plan for: said, not shown as blank
            tables).
        """
        columns = {name: self._column(network, name) for name in self.columns}
        with np.errstate(all="ignore"):
            result = self._evaluate(self.tree, columns, network)
        values = np.broadcast_to(np.asarray(result, dtype=np.float64), (network.n_areas,)) + 0.0  # -0.0 -> 0.0
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise InputError(
                f"demand {self.expression!r} is not a finite number in {len(bad):,} of {network.n_areas:,} "
                f"areas, e.g. {_area(network, bad[0])}: {values[bad[0]]}; demand must be a finite number >= 0"
            )
        negative = np.flatnonzero(values < 0)
        if len(negative):
            i = negative[0]
            raise InputError(
                f"demand {self.expression!r} is negative in {len(negative):,} of {network.n_areas:,} areas, "
                f"e.g. {_area(network, i)}: {values[i]:.6g} patients a year; demand must be >= 0"
            )
        if network.n_areas and not values.any():
            zero = [name.replace("_", " ") for name, column in columns.items() if not np.any(column)]
            said = [n for n in network.notes if "zero" in n and any(name in n for name in zero)]
            why = f" ({said[0]})" if said else ""
            raise InputError(
                f"demand {self.expression!r} is 0 in every one of the network's {network.n_areas:,} areas: nobody "
                f"to plan for{why}; give another demand with --demand, or your own areas with --data"
            )
        return values

    def _column(self, network: "Network", name: str) -> np.ndarray:
        areas = network.areas
        listed = network.demand_columns
        demand_names = list(listed) or [c for c in areas.columns if pd.api.types.is_numeric_dtype(areas[c])]
        if name not in areas.columns:
            close = difflib.get_close_matches(name, demand_names, n=3, cutoff=0.6)
            hint = f"did you mean {', '.join(close)}? " if close else ""
            raise InputError(
                f"demand {self.expression!r}: unknown name {name!r}: not an area column of this network; "
                f"{hint}its demand columns are {', '.join(demand_names) or '(none)'} (for other demand, add a "
                "column to areas.csv, or use --data with your own areas.csv)"
            )
        if (listed and name not in listed) or not pd.api.types.is_numeric_dtype(areas[name]) \
                or pd.api.types.is_bool_dtype(areas[name]):
            meaning = dict(areas.attrs.get("column_descriptions", {})).get(name)
            raise InputError(
                f"demand {self.expression!r}: {name!r} is an area attribute, not a demand column"
                + (f" ({meaning})" if meaning else "")
                + f"; demand columns: {', '.join(demand_names) or '(none)'}"
            )
        try:
            return network.demand(name)
        except InputError as exc:
            raise InputError(f"demand {self.expression!r}: {exc}") from None

    def _evaluate(self, node: ast.AST, columns: Mapping[str, np.ndarray], network: "Network") -> _Value:
        if isinstance(node, ast.Constant):
            assert isinstance(node.value, (int, float))  # _parse refused every other constant
            return float(node.value)
        if isinstance(node, ast.Name):
            return columns[node.id]
        if isinstance(node, ast.UnaryOp):
            operand = self._evaluate(node.operand, columns, network)
            return -operand if isinstance(node.op, ast.USub) else operand
        assert isinstance(node, ast.BinOp), type(node)  # the only node left after _parse
        left = self._evaluate(node.left, columns, network)
        right = self._evaluate(node.right, columns, network)
        if isinstance(node.op, ast.Div):
            zero = np.flatnonzero(np.broadcast_to(np.asarray(right) == 0, (network.n_areas,)))
            if len(zero):
                divisor = ast.get_source_segment(self.expression, node.right) or ast.unparse(node.right)
                where = (f" in {len(zero):,} of {network.n_areas:,} areas, e.g. {_area(network, zero[0])}"
                         if np.ndim(right) else "")
                raise InputError(
                    f"demand {self.expression!r}: division by zero{where}: the divisor {divisor!r} is 0"
                    + (" there" if where else "")
                )
        return _OPERATORS[type(node.op)][1](left, right)  # type: ignore[no-any-return]


def _text_of(tree: ast.expr) -> str:
    """The text :meth:`Demand.from_column` gives a tree (``ast.unparse`` for others)."""
    if isinstance(tree, ast.Name):
        return tree.id
    if (isinstance(tree, ast.BinOp) and isinstance(tree.op, ast.Mult) and isinstance(tree.left, ast.Name)
            and isinstance(tree.right, ast.Constant)):
        return f"{tree.left.id} * {tree.right.value!r}"
    return ast.unparse(tree)


def _area(network: "Network", position: int) -> str:
    code = str(network.areas.index[position])
    if "area_name" in network.areas.columns:
        name = network.areas["area_name"].iloc[position]
        if isinstance(name, str) and name and name != code:
            return f"{code} ({name})"
    return code


def _parse(text: str) -> ast.expr:
    """The expression's tree, checked against the grammar (one-line InputError otherwise)."""
    if not isinstance(text, str):
        raise InputError(f"demand must be text, e.g. \"population_60_plus * 0.0009\", got {text!r}")
    if not text.strip():
        raise InputError("demand is empty: give an expression of area columns, e.g. \"population_60_plus * 0.0009\"")
    if len(text) > MAX_EXPRESSION_CHARACTERS:
        raise InputError(f"demand is {len(text):,} characters long: at most {MAX_EXPRESSION_CHARACTERS:,}")
    if any(c in text for c in "\r\n\x00"):
        raise InputError(f"demand {text!r}: must be one line; {GRAMMAR}")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        offset = exc.offset or 0
        where = f"at character {offset}" if 0 < offset <= len(text) else "at the end"
        if 0 < offset <= len(text):
            where += f" ({text[offset - 1]!r})"
        reason = str(exc.msg).split(" - ")[0]
        raise InputError(f"demand {text!r}: syntax error {where}: {reason}; {GRAMMAR}") from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise InputError(f"demand {text!r}: cannot be read ({exc}); {GRAMMAR}") from None
    _check(tree.body, text)
    if not any(isinstance(node, ast.Name) for node in ast.walk(tree.body)):
        raise InputError(
            f"demand {text!r} uses no area column (the same number in every area): name a column, "
            "e.g. \"stroke_admissions * 0.5\""
        )
    return tree.body


def _check(node: ast.AST, text: str) -> None:
    """Refuse every node outside the grammar, naming it and its character."""

    encoded = text.encode("utf-8")

    def character(offset: int) -> int:  # ast offsets count UTF-8 bytes
        return len(encoded[:offset].decode("utf-8", "replace")) + 1

    def refuse(what: str, at: ast.AST | int) -> InputError:
        offset = at if isinstance(at, int) else getattr(at, "col_offset", None)
        where = "" if offset is None else f" at character {character(offset)}"
        return InputError(f"demand {text!r}: {what}{where} is not allowed; {GRAMMAR}")

    def operator_at(item: ast.BinOp) -> int | None:  # the operator sits between its operands
        start, end = getattr(item.left, "end_col_offset", None), getattr(item.right, "col_offset", None)
        if start is None or end is None:
            return None
        for i in range(start, end):
            if chr(encoded[i]) not in " \t()":
                return i
        return None

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, ast.BinOp):
            if type(item.op) not in _OPERATORS:
                name = _REFUSED_OPERATORS.get(type(item.op), f"the operator {type(item.op).__name__}")
                raise refuse(name, operator_at(item) or item.right)
            stack += [item.right, item.left]
        elif isinstance(item, ast.UnaryOp):
            if not isinstance(item.op, (ast.USub, ast.UAdd)):
                raise refuse("the operator '~'" if isinstance(item.op, ast.Invert) else "'not'", item)
            stack.append(item.operand)
        elif isinstance(item, ast.Constant):
            value = item.value
            if isinstance(value, bool) or value is None:
                raise refuse(repr(value), item)
            if isinstance(value, str):
                raise refuse("text in quotes", item)
            if not isinstance(value, (int, float)):
                raise refuse(f"the number {value!r}", item)
            try:
                finite = math.isfinite(float(value))
            except OverflowError:
                finite = False
            if not finite:
                raise refuse(f"a number this large ({str(value)[:20]})", item)
        elif isinstance(item, ast.Name):
            continue
        elif isinstance(item, ast.Tuple) and len(item.elts) > 1:  # a comma: often a decimal comma
            first = getattr(item.elts[0], "end_col_offset", None)
            comma = encoded.find(b",", first) if first is not None else -1
            raise InputError(f"demand {text!r}: a comma at character {character(comma) if comma >= 0 else 1} "
                             f"(decimals take a point: 1.1, not 1,1) is not allowed; {GRAMMAR}")
        else:
            what = _REFUSED_NODES.get(type(item), f"'{type(item).__name__}'")
            raise refuse(what, item)
