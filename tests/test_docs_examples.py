"""Every Python example in docs/*.md runs as written (bundled data: slow).

A block of plain code runs as a script; a block written as an interactive session
(``>>>`` lines with their output) is run with :mod:`doctest`, so the output shown must be
the output printed. Both run in a fresh folder where ``examples/`` is the repository's, as
the docs' paths assume a checkout's top folder.
"""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
BLOCKS = [
    pytest.param(path, i, block, id=f"{path.name}-{i}")
    for path in sorted(DOCS.glob("*.md"))
    for i, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.S))
]


@pytest.mark.slow
@pytest.mark.parametrize(("path", "index", "block"), BLOCKS)
def test_docs_python_example_runs(path, index, block, tmp_path, monkeypatch):
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    monkeypatch.chdir(tmp_path)
    name = f"{path.name} example {index}"
    if block.lstrip().startswith(">>>"):
        test = doctest.DocTestParser().get_doctest(block, {"__name__": "__docs__"}, name, str(path), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.failures == 0, f"{name}: {runner.failures} of {runner.tries} lines print something else"
        assert runner.tries > 0
    else:
        exec(compile(block, name, "exec"), {"__name__": "__docs__"})


#: A bundled site's code: its postcode without the space (SO166YD, TF16TF, B95SS).
SITE_CODE = re.compile(r"\b[A-Z]{1,2}[0-9]{1,2}[A-Z]?[0-9][A-Z]{2}\b")


def test_every_site_code_the_docs_name_is_a_bundled_site():
    from hubplan.geography.bundled import load_bundled

    sites = set(load_bundled().site_codes)
    texts = [ROOT / "README.md", *sorted(DOCS.glob("*.md")), *sorted((ROOT / "examples").glob("*.toml"))]
    named = {(path.name, code) for path in texts for code in SITE_CODE.findall(path.read_text(encoding="utf-8"))}
    assert len(named) > 20  # the pattern finds the codes the docs use
    assert sorted((name, code) for name, code in named if code not in sites) == []
