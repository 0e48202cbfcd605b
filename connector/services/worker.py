"""The worker: sends the outbox and moves processes that wait for us.

Woken by `Signals.wake` right after a handler commits (no polling delay on the happy path).
A step that leaves a process waiting for us leases it to this worker in the step's own
UPDATE and hands the row over (`store.due`), and a step's outbound messages are leased the
same way (`store.ready`): on a wake-up the worker acts and sends without querying for work.
Every `poll` seconds (busy or idle) it also scans the database, so that work whose owner
died, messages due for a retry and messages of another replica are picked up. Every piece
of work is leased first, so replicas sharing a database never act on the same process or
message twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connector.dsp.messages import NegotiationState as NS
from connector.dsp.messages import TransferState as TS
from connector.services.context import Services
from connector.services.negotiation import NegotiationService
from connector.services.transfer import TransferService
from connector.statemachine import Role
from connector.store.outbox import DEAD
from connector.store.tables import OutboxRow

log = logging.getLogger("hinterland.connector.worker")
RETRYABLE_STATUS = frozenset({408, 425, 429})
MARK_DELAY = 0.25
"""Seconds a delivered message may wait to be marked sent with its process's next step
before the worker marks it in a batch (well below any lease, so nobody sends it again)."""


@dataclass(frozen=True)
class Response:
    """What came back from the counterparty."""

    status: int
    body: Any


class TransportError(Exception):
    """The message could not be delivered (network, timeout); worth retrying."""


class Transport(Protocol):
    """Delivers one DSP message with our identity token for `audience`."""

    async def post(self, url: str, body: Mapping[str, Any], audience: str) -> Response:
        """POST `body` to `url`; raises `TransportError` when nothing came back."""
        ...


class Worker:
    """Drives negotiations and transfers and empties the outbox."""

    def __init__(
        self,
        services: Services,
        transport: Transport,
        *,
        poll: float = 1.0,
        negotiation: NegotiationService | None = None,
        transfer: TransferService | None = None,
    ) -> None:
        self.s = services
        self.transport = transport
        self.poll = poll
        self.negotiation = negotiation or NegotiationService(services)
        self.transfer = transfer or TransferService(services)
        self._stopping = False
        self._scan_outbox = False
        self._defer_marks = False
        self._flush_at: float | None = None

    def _stores(self) -> tuple[Any, ...]:
        return (self.s.negotiations, self.s.transfers)

    async def run(self) -> None:
        """Work until cancelled: on a wake-up, the processes handed over or hinted and the
        messages just queued; every `poll` seconds, a full scan of the database (work of
        crashed replicas, retries), even while wake-ups keep the worker busy."""
        loop = asyncio.get_running_loop()
        for store in self._stores():
            store.due_states = frozenset(
                (role.value, state) for planned, role, states, _ in self._plan()
                if planned is store for state in states
            )
        self._defer_marks = True
        next_scan = loop.time()
        try:
            while not self._stopping:
                self.s.signals.wake.clear()
                full_scan = loop.time() >= next_scan
                if full_scan:
                    next_scan = loop.time() + self.poll
                try:
                    while not self._stopping and await self.run_once(full_scan=full_scan):
                        full_scan = False
                    if self._flush_at is not None and loop.time() >= self._flush_at:
                        await self._flush_marks()
                except asyncio.CancelledError:
                    raise
                except Exception:  # the loop must survive anything one step throws
                    log.exception("worker step failed")
                if self._stopping:
                    break
                until = min(next_scan, self._flush_at or next_scan)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self.s.signals.wake.wait(), max(0.0, until - loop.time())
                    )
        finally:
            for store in self._stores():
                store.due_states = frozenset()  # nobody takes hand-overs any more
            self._defer_marks = False
            if self._stopping:  # a clean stop (cancelled: no more database work)
                try:
                    await self._flush_marks()
                except Exception:  # the messages are only delivered again
                    log.exception("could not mark delivered messages sent")

    async def _flush_marks(self) -> None:
        """Mark the delivered messages that no step marked along, in one transaction."""
        self._flush_at = None
        batch = {store: {pid: list(ids) for pid, ids in store.delivered.items()}
                 for store in self._stores()}
        ids = [i for per_pid in batch.values() for found in per_pid.values() for i in found]
        if not ids:
            return
        await self.s.outbox.mark_sent_many(ids, self.s.worker_id)
        for store, per_pid in batch.items():
            for pid, found in per_pid.items():
                store.forget_delivered(pid, found)

    def stop(self) -> None:
        """Finish the current pass, then return from `run` (a clean shutdown: cancelling
        in the middle of a database call can leave a connection half-used)."""
        self._stopping = True
        self.s.signals.wake.set()

    async def run_once(self, *, full_scan: bool = True) -> int:
        """One pass: drive due processes and send due messages. Returns the work done.

        A full scan queries the database for all due work; otherwise only what was handed
        over, hinted, or queued behind a message sent meanwhile is looked at."""
        hints = self.s.signals.take_hints()
        done = await self._drive(None if full_scan else hints)
        done += await self._dispatch(scan=full_scan)
        return done

    # -- processes ------------------------------------------------------------------

    def _plan(self) -> list[tuple[Any, Role, list[str], Callable[[Any], Awaitable[Any]]]]:
        s = self.s
        return [
            (s.negotiations, Role.PROVIDER, [NS.REQUESTED.value, NS.ACCEPTED.value],
             self.negotiation.decide),
            (s.negotiations, Role.PROVIDER, [NS.VERIFIED.value], self.negotiation.finalize),
            (s.negotiations, Role.CONSUMER, [NS.AGREED.value], self.negotiation.verify),
            (s.transfers, Role.PROVIDER, [TS.REQUESTED.value], self.transfer.start),
        ]

    async def _drive(self, hints: set[tuple[str, str, str, str]] | None) -> int:
        """Act on due processes: all of them (`hints` None) or just the hinted ones."""
        owner, lease = self.s.worker_id, self.s.lease_seconds
        plan = self._plan()
        due: list[tuple[Any, Any, Callable[[Any], Awaitable[Any]]]] = []
        taken: set[str] = set()
        for store in self._stores():
            handed, store.due = store.due, []
            for row in handed:  # leased to us by the step that made them due
                action = next((a for planned, role, states, a in plan if planned is store
                               and row.role == role.value and row.state in states), None)
                if action is not None and row.pid not in taken:
                    taken.add(row.pid)
                    due.append((store, row, action))
        if hints is None:
            for store, role, states, action in plan:
                for row in await store.claim(states, owner, role=role, seconds=lease):
                    if row.pid not in taken:
                        taken.add(row.pid)
                        due.append((store, row, action))
        else:
            stores: dict[str, Any] = {
                "negotiation": self.s.negotiations, "transfer": self.s.transfers
            }
            for kind, pid, hint_role, hint_state in hints:
                if pid in taken:
                    continue  # handed over already
                store = stores[kind]
                mine = [(role, states, action) for planned, role, states, action in plan
                        if planned is store]
                if not any(hint_role == r.value and hint_state in st for r, st, _ in mine):
                    continue  # nothing for us to do in that state: no query at all
                row = await store.acquire_due(
                    pid, owner, due=[(role, states) for role, states, _ in mine], seconds=lease
                )
                if row is not None:
                    action = next(a for role, states, a in mine
                                  if row.role == role.value and row.state in states)
                    due.append((store, row, action))
        done = 0
        for store, row, action in due:
            try:
                await action(row)
            except Exception:
                # keep the lease: the step is retried once it expires (natural backoff)
                log.exception("%s %s: step failed", store.process, row.pid)
                continue
            # the step's transition released the lease in the same UPDATE
            done += 1
        return done

    # -- outbox ---------------------------------------------------------------------

    async def _dispatch(self, *, scan: bool) -> int:
        """Send the messages queued for us, and (on a scan, or when a sent message had a
        follower waiting behind it) the due messages found in the outbox."""
        ready = [*self.s.negotiations.ready, *self.s.transfers.ready]
        self.s.negotiations.ready.clear()
        self.s.transfers.ready.clear()
        rows: list[OutboxRow] = []
        if scan or self._scan_outbox:
            self._scan_outbox = False
            await self._flush_marks()  # a delivered message must not hold up its followers
            rows = await self.s.outbox.claim_due(self.s.worker_id, seconds=self.s.lease_seconds)
        ids = {x.id for x in ready}
        rows = [*ready, *(r for r in rows if r.id not in ids)]
        if not rows:
            return 0
        by_process: dict[str, list[OutboxRow]] = {}
        for row in rows:
            by_process.setdefault(row.pid, []).append(row)

        async def in_order(batch: list[OutboxRow]) -> None:
            for row in sorted(batch, key=lambda r: r.id):
                await self._send(row)

        await asyncio.gather(*(in_order(batch) for batch in by_process.values()))
        return len(rows)

    async def _send(self, row: OutboxRow) -> None:
        owner = self.s.worker_id
        try:
            response = await self.transport.post(row.url, row.body, row.audience)
        except TransportError as exc:
            status = await self.s.outbox.mark_failed(row.id, owner, str(exc), permanent=False)
            if status == DEAD:
                self._release_follower(row)
                await self._give_up(row, f"{row.url} unreachable: {exc}")
            return
        if 200 <= response.status < 300:
            learned = self._provider_pid(row, response.body)
            if learned is None and self._defer_marks:
                # marked sent with the process's next step, or in a batch shortly after
                self._store(row).delivered.setdefault(row.pid, []).append(row.id)
                if self._flush_at is None:
                    loop = asyncio.get_running_loop()
                    self._flush_at = loop.time() + min(MARK_DELAY, self.s.lease_seconds / 4)
            elif learned is None:
                await self.s.outbox.mark_sent(row.id, owner)
            else:
                # the ACK of our initiating request names the provider's process id:
                # recorded with the delivery, in one transaction
                store = self._store(row)
                recorded = await self.s.outbox.mark_sent(
                    row.id, owner, also=lambda session: store.set_remote_pid_in(
                        session, row.pid, learned, Role.CONSUMER
                    ),
                )
                if recorded:
                    await self.s.signals.notify()
            self._release_follower(row)
            return
        reason = _error_reason(response)
        permanent = 400 <= response.status < 500 and response.status not in RETRYABLE_STATUS
        status = await self.s.outbox.mark_failed(row.id, owner, reason, permanent=permanent)
        if status == DEAD:
            self._release_follower(row)
            await self._give_up(row, reason)

    def _release_follower(self, row: OutboxRow) -> None:
        """`row` is out of the way: a message queued behind it is due now."""
        store = self._store(row)
        if row.pid in store.followers:
            store.followers.discard(row.pid)
            self._scan_outbox = True
            self.s.signals.wake.set()

    def _store(self, row: OutboxRow) -> Any:
        return self.s.negotiations if row.process == "negotiation" else self.s.transfers

    @staticmethod
    def _provider_pid(row: OutboxRow, body: Any) -> str | None:
        """The provider's process id from the ACK of our initiating request, if it is one."""
        if "providerPid" in row.body:
            return None  # not an initiating request: the provider's id is known already
        if not isinstance(body, dict) or not isinstance(body.get("providerPid"), str):
            return None
        if body.get("@type") not in ("ContractNegotiation", "TransferProcess"):
            return None
        return str(body["providerPid"])

    async def _give_up(self, row: OutboxRow, reason: str) -> None:
        """The counterparty refused our message for good (or never answered)."""
        store = self.s.negotiations if row.process == "negotiation" else self.s.transfers
        if await store.abandon(row.pid, reason):
            await self.s.audit.record(
                f"{row.process}.abandoned", {row.process: row.pid, "reason": reason}
            )
            await self.s.signals.notify()


def _error_reason(response: Response) -> str:
    body = response.body
    if isinstance(body, dict):
        reasons = body.get("reason")
        if isinstance(reasons, list) and reasons:
            text = "; ".join(str(r) for r in reasons)
            return f"{body.get('code')}: {text}" if body.get("code") else text
    return f"HTTP {response.status}"
