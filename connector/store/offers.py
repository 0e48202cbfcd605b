"""Assets, policies and offers (contract definitions) as the provider manages them."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from connector.store.processes import Clock, run_write
from connector.store.tables import AssetRow, OfferRow, PolicyRow
from hinterland.db.engine import session_factory
from hinterland.errors import Conflict, InputError, NotFound

SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
OFFER_PREFIX = "urn:hinterland:offer:"


def check_slug(kind: str, value: str) -> str:
    """Offer and policy ids are short slugs, so offer ids in catalogs can be parsed back."""
    if not SLUG.match(value):
        raise InputError(
            f"{kind} id {value!r} must be 1-100 characters of letters, digits, '.', '_' or '-'"
        )
    return value


def offer_id(offer: str, asset: str) -> str:
    """The ODRL Offer `@id` under which `asset` is offered by contract definition `offer`."""
    return f"{OFFER_PREFIX}{offer}:{asset}"


def split_offer_id(value: str) -> tuple[str, str]:
    """(contract definition id, asset id) of an offer `@id`; `NotFound` if not ours."""
    if not value.startswith(OFFER_PREFIX) or ":" not in value[len(OFFER_PREFIX) :]:
        raise NotFound(f"unknown offer {value!r}")
    offer, asset = value[len(OFFER_PREFIX) :].split(":", 1)
    return offer, asset


def selector_matches(selector: dict[str, Any], asset: AssetRow) -> bool:
    """Does an offer's asset selector cover `asset`?

    `{}` covers everything; `{"assets": [ids]}` lists assets; `{"kind": ..}`,
    `{"record_type": ..}`, `{"media_type": ..}` and `{"properties": {k: v}}` match fields.
    All given criteria must hold.
    """
    ids = selector.get("assets")
    if ids is not None and asset.id not in ids:
        return False
    for field in ("kind", "record_type", "media_type"):
        if field in selector and getattr(asset, field) != selector[field]:
            return False
    for key, value in (selector.get("properties") or {}).items():
        if asset.properties.get(key) != value:
            return False
    return True


class OfferStore:
    """CRUD for assets, policies and offers."""

    def __init__(self, engine: AsyncEngine, *, clock: Clock = time.time) -> None:
        self.engine = engine
        self.clock = clock

    # -- policies -------------------------------------------------------------------

    async def put_policy(self, policy_id: str, policy: dict[str, Any]) -> PolicyRow:
        """Create or replace a policy."""
        check_slug("policy", policy_id)
        now = self.clock()

        async def work(session: AsyncSession) -> PolicyRow:
            row = await session.get(PolicyRow, policy_id)
            if row is None:
                row = PolicyRow(id=policy_id, policy=policy, created_at=now)
                session.add(row)
            else:
                row.policy = policy
            return row

        return await run_write(self.engine, work)

    async def offer_parts(
        self, offer_id: str, asset_id: str
    ) -> tuple[OfferRow, AssetRow, PolicyRow, PolicyRow]:
        """(offer, asset, access policy, contract policy) read together; `NotFound` if one
        of them does not exist."""
        async with session_factory(self.engine)() as session:
            offer = await session.get(OfferRow, offer_id)
            if offer is None:
                raise NotFound(f"no offer {offer_id!r}")
            asset = await session.get(AssetRow, asset_id)
            if asset is None:
                raise NotFound(f"no asset {asset_id!r}")
            access = await session.get(PolicyRow, offer.access_policy_id)
            contract = await session.get(PolicyRow, offer.contract_policy_id)
        if access is None or contract is None:
            raise NotFound(f"a policy of offer {offer_id!r} is missing")
        return offer, asset, access, contract

    async def offer_with_contract(self, offer_id: str) -> tuple[OfferRow, PolicyRow]:
        """(offer, its contract policy) read together; `NotFound` if either is missing."""
        async with session_factory(self.engine)() as session:
            offer = await session.get(OfferRow, offer_id)
            if offer is None:
                raise NotFound(f"no offer {offer_id!r}")
            contract = await session.get(PolicyRow, offer.contract_policy_id)
        if contract is None:
            raise NotFound(f"no policy {offer.contract_policy_id!r}")
        return offer, contract

    async def get_policy(self, policy_id: str) -> PolicyRow:
        """One policy, or `NotFound`."""
        async with session_factory(self.engine)() as session:
            row = await session.get(PolicyRow, policy_id)
        if row is None:
            raise NotFound(f"no policy {policy_id!r}")
        return row

    async def policies(self) -> Sequence[PolicyRow]:
        """All policies by id."""
        async with session_factory(self.engine)() as session:
            return (await session.execute(select(PolicyRow).order_by(PolicyRow.id))).scalars().all()

    async def delete_policy(self, policy_id: str) -> None:
        """Delete a policy no offer uses."""

        async def work(session: AsyncSession) -> None:
            used = (
                await session.execute(
                    select(OfferRow.id).where(
                        (OfferRow.access_policy_id == policy_id)
                        | (OfferRow.contract_policy_id == policy_id)
                    )
                )
            ).scalars().all()
            if used:
                raise Conflict(f"policy {policy_id!r} is used by offer(s) {', '.join(used)}")
            result = await session.execute(delete(PolicyRow).where(PolicyRow.id == policy_id))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"no policy {policy_id!r}")

        await run_write(self.engine, work)

    # -- offers ---------------------------------------------------------------------

    async def put_offer(
        self, offer: str, selector: dict[str, Any], access_policy: str, contract_policy: str
    ) -> OfferRow:
        """Create or replace a contract definition; both policies must exist."""
        check_slug("offer", offer)
        for policy in (access_policy, contract_policy):
            await self.get_policy(policy)
        now = self.clock()

        async def work(session: AsyncSession) -> OfferRow:
            row = await session.get(OfferRow, offer)
            if row is None:
                row = OfferRow(id=offer, created_at=now, selector=selector,
                               access_policy_id=access_policy, contract_policy_id=contract_policy)
                session.add(row)
            else:
                row.selector = selector
                row.access_policy_id = access_policy
                row.contract_policy_id = contract_policy
            return row

        return await run_write(self.engine, work)

    async def get_offer(self, offer: str) -> OfferRow:
        """One contract definition, or `NotFound`."""
        async with session_factory(self.engine)() as session:
            row = await session.get(OfferRow, offer)
        if row is None:
            raise NotFound(f"no offer {offer!r}")
        return row

    async def offers(self) -> Sequence[OfferRow]:
        """All contract definitions by id."""
        async with session_factory(self.engine)() as session:
            return (await session.execute(select(OfferRow).order_by(OfferRow.id))).scalars().all()

    async def delete_offer(self, offer: str) -> None:
        """Delete a contract definition."""

        async def work(session: AsyncSession) -> None:
            result = await session.execute(delete(OfferRow).where(OfferRow.id == offer))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"no offer {offer!r}")

        await run_write(self.engine, work)

    # -- assets ---------------------------------------------------------------------

    async def put_asset(self, row: AssetRow) -> AssetRow:
        """Create or replace an asset's metadata."""
        now = self.clock()
        row.updated_at = now

        async def work(session: AsyncSession) -> AssetRow:
            existing = await session.get(AssetRow, row.id)
            row.created_at = existing.created_at if existing is not None else now
            return await session.merge(row)

        return await run_write(self.engine, work)

    async def get_asset(self, asset: str) -> AssetRow:
        """One asset, or `NotFound`."""
        async with session_factory(self.engine)() as session:
            row = await session.get(AssetRow, asset)
        if row is None:
            raise NotFound(f"no asset {asset!r}")
        return row

    async def assets(self) -> Sequence[AssetRow]:
        """All assets by id."""
        async with session_factory(self.engine)() as session:
            return (await session.execute(select(AssetRow).order_by(AssetRow.id))).scalars().all()

    async def delete_asset(self, asset: str) -> None:
        """Delete an asset's metadata (the caller removes its file)."""

        async def work(session: AsyncSession) -> None:
            result = await session.execute(delete(AssetRow).where(AssetRow.id == asset))
            if result.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound(f"no asset {asset!r}")

        await run_write(self.engine, work)

    async def offered(self) -> list[tuple[OfferRow, AssetRow, PolicyRow, PolicyRow]]:
        """Every (offer, asset, access policy, contract policy) currently on offer."""
        offers = await self.offers()
        assets = await self.assets()
        policies = {p.id: p for p in await self.policies()}
        result = []
        for offer in offers:
            access = policies.get(offer.access_policy_id)
            contract = policies.get(offer.contract_policy_id)
            if access is None or contract is None:
                continue
            for asset in assets:
                if selector_matches(offer.selector, asset):
                    result.append((offer, asset, access, contract))
        return result
