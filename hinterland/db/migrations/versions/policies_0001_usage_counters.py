"""Policy engine: usage counters for atomic check-and-consume.

Revision ID: policies_0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "policies_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("policies",)
depends_on: str | Sequence[str] | None = "kernel_0001"


def upgrade() -> None:
    op.create_table(
        "policies_usage_counters",
        sa.Column("key", sa.String(512), nullable=False),
        sa.Column("used", sa.BigInteger(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("key", name="pk_policies_usage_counters"),
    )


def downgrade() -> None:
    op.drop_table("policies_usage_counters")
