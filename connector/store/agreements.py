"""Concluded agreements (written together with the AGREED transition)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from connector.statemachine import Role
from connector.store.tables import AgreementRow, AssetRow, NegotiationRow
from hinterland.db.engine import session_factory
from hinterland.errors import NotFound

Related = TypeVar("Related", NegotiationRow, AssetRow)


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
        return await self._with(
            agreement_id, role, NegotiationRow, lambda row: row.negotiation_pid, "negotiation"
        )

    async def with_asset(self, agreement_id: str, role: Role) -> tuple[AgreementRow, AssetRow]:
        """An agreement and its asset, read together; `NotFound` if either is gone."""
        return await self._with(agreement_id, role, AssetRow, lambda row: row.asset_id, "asset")

    async def _with(
        self,
        agreement_id: str,
        role: Role,
        model: type[Related],
        key: Callable[[AgreementRow], str],
        kind: str,
    ) -> tuple[AgreementRow, Related]:
        """An agreement and the row of `model` it names (by `key`), in one session."""
        async with session_factory(self.engine)() as session:
            row = await session.get(AgreementRow, (agreement_id, role.value))
            if row is None:
                raise NotFound(f"no agreement {agreement_id!r}")
            related = await session.get(model, key(row))
        if related is None:
            raise NotFound(f"no {kind} {key(row)!r}")
        return row, related

    async def all(self, *, role: Role | None = None) -> Sequence[AgreementRow]:
        """Agreements, newest first."""
        query = select(AgreementRow).order_by(AgreementRow.created_at.desc())
        if role is not None:
            query = query.where(AgreementRow.role == role.value)
        async with session_factory(self.engine)() as session:
            return (await session.execute(query)).scalars().all()
