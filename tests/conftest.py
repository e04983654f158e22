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


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh scenario database: a SQLite file, or a new database on the PostgreSQL server
    of ``HUBPLAN_TEST_POSTGRES_URL`` (a role that may create databases; ``.ci/postgres``
    starts one). Without it the PostgreSQL case is skipped, unless
    ``HUBPLAN_REQUIRE_POSTGRES=1`` (as in CI), when it fails."""
    import os
    import uuid

    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'scenarios.db'}"
        return
    admin_url = os.environ.get("HUBPLAN_TEST_POSTGRES_URL")
    if not admin_url:
        if os.environ.get("HUBPLAN_REQUIRE_POSTGRES") == "1":
            pytest.fail("HUBPLAN_TEST_POSTGRES_URL is not set but HUBPLAN_REQUIRE_POSTGRES=1: start one with .ci/postgres")
        pytest.skip("no PostgreSQL server: set HUBPLAN_TEST_POSTGRES_URL (bash .ci/postgres prints one)")
    import sqlalchemy as sa

    name = f"hubplan_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
