"""Alembic environment: migrations run on the connection hubplan hands over (config.attributes)."""

from __future__ import annotations

from alembic import context

import hubplan.planning.accounts  # noqa: F401  (its table joins the store's metadata)
from hubplan.planning.store import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - hubplan always passes its own connection
    raise RuntimeError("run migrations through `hubplan db upgrade` (hubplan.planning.store.upgrade_database)")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
