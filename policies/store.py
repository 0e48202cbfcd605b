"""Tables of the policy engine (Alembic branch `policies`, tables `policies_*`)."""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from hinterland.db.base import Base


class UsageCounter(Base):
    """How often something limited was used: one row per counter key."""

    __tablename__ = "policies_usage_counters"

    key: Mapped[str] = mapped_column(String(512), primary_key=True)
    used: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
