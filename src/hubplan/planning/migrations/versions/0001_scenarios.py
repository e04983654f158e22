"""The first layout: one table of named scenarios.

Revision ID: 0001
Revises:
Create Date: 2026-10-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hubplan_scenarios",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("name_key", sa.String(120), nullable=False, unique=True),
        sa.Column("service", sa.String(100), nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("saved_by", sa.String(120), nullable=False),
        sa.Column("saved_at", sa.String(40), nullable=False),
        sa.Column("schema_version", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("hubplan_scenarios")
