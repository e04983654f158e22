"""The Python example in docs/benchmarking.md runs and prints what the page says."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_python_example_in_docs_runs(monkeypatch, capsys):
    text = (ROOT / "docs" / "benchmarking.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        exec(compile(block, "docs/benchmarking.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "15.7 7.21e-04"
    assert printed[1] == "12 81"
    assert printed[-1].startswith("2.15")
