"""Shared fixtures. The bundled network is loaded once per session (slow tests only)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def bundled():
    from hubplan.geography import load_bundled

    return load_bundled()


@pytest.fixture(scope="session")
def england(bundled):
    return bundled.restrict(country="England")
