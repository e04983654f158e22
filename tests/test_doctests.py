"""The examples in docstrings run as written."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["hubplan.jsonable", "hubplan.geography.codes", "hubplan.access.evaluate", "hubplan.services.service", "hubplan.stats", "hubplan.formatting", "hubplan.outcomes"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    if name != "hubplan.stats":
        assert result.attempted > 0
