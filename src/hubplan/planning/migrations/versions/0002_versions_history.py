"""Versions, soft deletes and the history of every scenario.

Adds ``version``, ``created_by``, ``created_at``, ``deleted_at`` and ``deleted_by`` to the
scenarios (existing scenarios become version 1, created by whoever saved them) and the
history table, with a "saved" row for every existing scenario.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-20
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

def _added() -> tuple[sa.Column, ...]:
    """The five new columns (new objects each call: a Column belongs to one table)."""
    return (
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_by", sa.String(120), nullable=True),
        sa.Column("created_at", sa.String(40), nullable=True),
        sa.Column("deleted_at", sa.String(40), nullable=True),
        sa.Column("deleted_by", sa.String(120), nullable=True),
    )


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    present = {c["name"] for c in inspector.get_columns("hubplan_scenarios")}
    for column in _added():  # a database upgraded half-way by an earlier hubplan has some already
        if column.name not in present:
            op.add_column("hubplan_scenarios", column)
    scenarios = sa.table("hubplan_scenarios", sa.column("id"), sa.column("name"), sa.column("service"),
                         sa.column("parameters"), sa.column("summary"), sa.column("saved_by"),
                         sa.column("saved_at"), sa.column("version"), sa.column("created_by"),
                         sa.column("created_at"), sa.column("schema_version"))
    op.execute(scenarios.update().where(scenarios.c.created_by.is_(None)).values(
        created_by=scenarios.c.saved_by, created_at=scenarios.c.saved_at, schema_version=2))
    if not inspector.has_table("hubplan_scenario_history"):
        op.create_table(
            "hubplan_scenario_history",
            sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
            sa.Column("scenario_id", sa.Integer, nullable=False, index=True),
            sa.Column("version", sa.Integer, nullable=False),
            sa.Column("action", sa.String(20), nullable=False),
            sa.Column("name", sa.String(120), nullable=False),
            sa.Column("service", sa.String(100), nullable=False),
            sa.Column("parameters", sa.Text, nullable=False),
            sa.Column("summary", sa.Text, nullable=False),
            sa.Column("saved_by", sa.String(120), nullable=False),
            sa.Column("saved_at", sa.String(40), nullable=False),
        )
    history = sa.table("hubplan_scenario_history", sa.column("scenario_id"), sa.column("version"),
                       sa.column("action"), sa.column("name"), sa.column("service"), sa.column("parameters"),
                       sa.column("summary"), sa.column("saved_by"), sa.column("saved_at"))
    known = sa.select(history.c.scenario_id)
    op.execute(history.insert().from_select(
        ["scenario_id", "version", "action", "name", "service", "parameters", "summary", "saved_by", "saved_at"],
        sa.select(scenarios.c.id, sa.func.coalesce(scenarios.c.version, 1), sa.literal("saved"), scenarios.c.name,
                  scenarios.c.service, scenarios.c.parameters, scenarios.c.summary, scenarios.c.saved_by,
                  scenarios.c.saved_at).where(scenarios.c.id.not_in(known))))


def downgrade() -> None:
    op.drop_table("hubplan_scenario_history")
    with op.batch_alter_table("hubplan_scenarios") as batch:
        for column in reversed(_added()):
            batch.drop_column(column.name)
