"""Every Python example in docs/*.md runs as written (bundled data: slow)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCKS = [
    pytest.param(path, i, block, id=f"{path.name}-{i}")
    for path in sorted(DOCS.glob("*.md"))
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S))
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "index", "block"), BLOCKS)
def test_docs_python_example_runs(path, index, block, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exec(compile(block, f"{path.name} example {index}", "exec"), {"__name__": "__docs__"})
