"""Concluded agreements (written together with the AGREED transition)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from connector.statemachine import Role
from connector.store.tables import AgreementRow, AssetRow, NegotiationRow
from hinterland.db.engine import session_factory
from hinterland.errors import NotFound


class AgreementStore:
    """Read agreements; the key is (agreement id, our role) so both sides may share a DB."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def get(self, agreement_id: str, role: Role) -> AgreementRow:
        """One agreement where we play `role`, or `NotFound`."""
        async with session_factory(self.engine)() as session:
            row = await session.get(AgreementRow, (agreement_id, role.value))
        if row is None:
            raise NotFound(f"no agreement {agreement_id!r}")
        return row

    async def with_negotiation(
        self, agreement_id: str, role: Role
    ) -> tuple[AgreementRow, NegotiationRow]:
        """An agreement and the negotiation that concluded it, read together; `NotFound`."""
        async with session_factory(self.engine)() as session:
            row = await session.get(AgreementRow, (agreement_id, role.value))
            if row is None:
                raise NotFound(f"no agreement {agreement_id!r}")
            negotiation = await session.get(NegotiationRow, row.negotiation_pid)
        if negotiation is None:
            raise NotFound(f"no negotiation {row.negotiation_pid!r}")
        return row, negotiation

    async def with_asset(self, agreement_id: str, role: Role) -> tuple[AgreementRow, AssetRow]:
        """An agreement and its asset, read together; `NotFound` if either is gone."""
        async with session_factory(self.engine)() as session:
            row = await session.get(AgreementRow, (agreement_id, role.value))
            if row is None:
                raise NotFound(f"no agreement {agreement_id!r}")
            asset = await session.get(AssetRow, row.asset_id)
        if asset is None:
            raise NotFound(f"no asset {row.asset_id!r}")
        return row, asset

    async def all(self, *, role: Role | None = None) -> Sequence[AgreementRow]:
        """Agreements, newest first."""
        query = select(AgreementRow).order_by(AgreementRow.created_at.desc())
        if role is not None:
            query = query.where(AgreementRow.role == role.value)
        async with session_factory(self.engine)() as session:
            return (await session.execute(query)).scalars().all()
