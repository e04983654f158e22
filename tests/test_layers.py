"""The package imports downward only: every import inside ``src/hubplan`` (at module level or
inside a function) points at its own layer or a lower one, and no two modules import each other
(directly or round a longer loop). The layers are the ones drawn in ``docs/ARCHITECTURE.md``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "hubplan"

#: Lowest first. A module may import only from its own layer or layers listed before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("hubplan.errors", "hubplan.executor", "hubplan.frozen", "hubplan.jsonable", "hubplan.formatting", "hubplan.validation", "hubplan.stats", "hubplan.files"),
    ("hubplan.geography", "hubplan.testing"),
    ("hubplan.services",),
    ("hubplan.outcomes",),
    ("hubplan.access",),
    ("hubplan.capacity", "hubplan.monitoring"),
    ("hubplan.kinds",),
    ("hubplan.optimise",),
    ("hubplan.planning",),
    ("hubplan.report",),
    ("hubplan.web",),
    ("hubplan.cli",),
)


#: The only imports allowed to close a loop: made inside a function, within one subpackage,
#: each for a stated reason.
LAZY_LOOPS: dict[tuple[str, str], str] = {
    ("hubplan.geography.network", "hubplan.geography.new_sites"): (
        "Network.add_sites / drop_sites are methods for the user's convenience; the work is done "
        "in new_sites, which builds on Network"
    ),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(name: str) -> int:
    for rank, members in enumerate(LAYERS):
        if any(name == m or name.startswith(m + ".") for m in members):
            return rank
    raise AssertionError(f"{name} is in no layer of tests/test_layers.py: add it there and to docs/ARCHITECTURE.md")


def imports_of(path: Path) -> set[str]:
    """Every hubplan module that ``path`` imports, anywhere in the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "hubplan" and [a.name for a in node.names] == ["__version__"]:
            continue  # the version lives in the package root; it is metadata, not a layer
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("hubplan"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 and node.module.startswith("hubplan"):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if (SRC.parent / sub.replace(".", "/")).with_suffix(".py").exists() or (SRC.parent / sub.replace(".", "/")).is_dir() else node.module)
    return found


MODULES = {module_name(p): p for p in sorted(SRC.rglob("*.py"))}
GRAPH = {name: imports_of(path) for name, path in MODULES.items()}


def test_every_module_has_a_layer():
    for name in MODULES:
        if name != "hubplan":
            layer_of(name)


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n != "hubplan"))
def test_imports_point_downward(name):
    upward = sorted(t for t in GRAPH[name] if t == "hubplan" or layer_of(t) > layer_of(name))
    assert not upward, f"{name} (layer {layer_of(name)}) imports from a higher layer: {upward}"


def _resolve(target: str) -> str | None:
    """The module a dotted import lands on (a package's ``__init__`` for a package)."""
    while target and target not in MODULES:
        target = target.rpartition(".")[0]
    return target or None


def _function_level_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for node in ast.walk(fn):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hubplan"):
                    found.add(node.module)
    return found


def test_lazy_loops_are_inside_functions_and_one_subpackage():
    for (source, target), reason in LAZY_LOOPS.items():
        assert reason
        assert source.rsplit(".", 1)[0] == target.rsplit(".", 1)[0]
        assert target in _function_level_imports(MODULES[source])


def test_no_import_cycles():
    edges = {
        n: {r for t in ts if (r := _resolve(t)) and r != n and r != "hubplan" and (n, r) not in LAZY_LOOPS}
        for n, ts in GRAPH.items()
        if n != "hubplan"
    }
    # a package's __init__ re-exporting its own modules is not a cycle with them
    for n in edges:
        edges[n] = {t for t in edges[n] if not (n.startswith(t + ".") and MODULES[t].name == "__init__.py")}
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(n: str) -> None:
        state[n] = 1
        stack.append(n)
        for t in sorted(edges.get(n, ())):
            if state.get(t) == 1:
                cycles.append(stack[stack.index(t):] + [t])
            elif t not in state:
                visit(t)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n)
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
