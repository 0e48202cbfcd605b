"""Everything the protocol services share, built once by the app (or a test)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy.ext.asyncio import AsyncEngine

from connector.enforcement import PolicyGate
from connector.services.signals import Signals
from connector.store.agreements import AgreementStore
from connector.store.offers import OfferStore
from connector.store.outbox import OutboxStore
from connector.store.processes import Clock, NegotiationStore, TransferStore

T = TypeVar("T")
AuditRecord = tuple[str, Mapping[str, Any]]
"""(kind, data) of one audit entry."""


class AuditSink(Protocol):
    """Where decisions, transitions and accesses are recorded."""

    async def record(self, kind: str, data: Mapping[str, Any]) -> None:
        """Append one event."""
        ...


class ClaimsSource(Protocol):
    """Fetches a counterparty's verified claims (its presentation query), for the worker."""

    async def claims_for(self, did: str) -> Mapping[str, Any]:
        """Verified claims of `did` (membership, region...)."""
        ...


@dataclass
class Services:
    """Stores, policy gate, audit sink and identity of one connector."""

    engine: AsyncEngine
    did: str
    dsp_base: str
    """Our absolute DSP base URL: callbacks are `dsp_base + /callback`."""
    data_base: str
    """Base URL of our data plane."""
    gate: PolicyGate
    audit: AuditSink
    clock: Clock = time.time
    worker_id: str = field(default_factory=lambda: f"replica-{uuid.uuid4().hex[:8]}")
    data_token_lifetime: float = 3600.0
    lease_seconds: float = 30.0
    signals: Signals = field(default_factory=Signals)
    allow_private_callbacks: bool = False
    """Tests and closed networks only: accept callback addresses on private hosts."""
    allow_http_callbacks: bool = False
    asset_dir: Path | None = None
    """Where asset files live (per-print stamped 3MF copies go to `licensed/` inside)."""

    def __post_init__(self) -> None:
        in_tx = self.audit if hasattr(self.audit, "append_in") else None
        self.negotiations = NegotiationStore(
            self.engine, clock=self.clock, audit=in_tx  # type: ignore[arg-type]
        )
        self.transfers = TransferStore(
            self.engine, clock=self.clock, audit=in_tx  # type: ignore[arg-type]
        )
        for store in (self.negotiations, self.transfers):
            store.sender = (self.worker_id, self.lease_seconds)
        self.outbox = OutboxStore(self.engine, clock=self.clock)
        self.offers = OfferStore(self.engine, clock=self.clock)
        self.agreements = AgreementStore(self.engine)

    @property
    def callback_base(self) -> str:
        """Where providers send us consumer-side messages."""
        return self.dsp_base.rstrip("/") + "/callback"


async def with_records(
    services: Services, store: NegotiationStore | TransferStore,
    records: Sequence[AuditRecord], step: Callable[[list[AuditRecord]], Awaitable[T]],
) -> T:
    """Run `step` (a transition of `store`) with the audit `records` (e.g. the policy
    decision it acts on) written in the step's own transaction, before its transition entry.

    Without an in-transaction audit log the records are appended first, on their own. If
    the step fails, its transaction is rolled back and the records are appended on their
    own, so every decision stays in the log whatever became of the step.
    """
    if store.audit is None:
        for kind, data in records:
            await services.audit.record(kind, data)
        return await step([])
    try:
        return await step(list(records))
    except Exception:
        for kind, data in records:
            await services.audit.record(kind, data)
        raise
