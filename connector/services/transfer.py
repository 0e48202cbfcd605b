"""Transfer process (HTTP pull), provider and consumer side.

The provider checks the usage policy when a transfer is requested and counts it at once
(a print is one transfer); a refusal is answered with a TransferError whose reason a person
can read, and no process is created. Started transfers get a short-lived bearer token for
the data plane; only its SHA-256 is stored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
from typing import Any

from connector.assets.records import records_json
from connector.assets.threemf import stamp_licence
from connector.dsp import messages as m
from connector.enforcement import Caller
from connector.licence import licence_id
from connector.services.context import AuditRecord, Services, with_records
from connector.services.negotiation import new_pid
from connector.services.urls import check_callback, endpoint
from connector.statemachine import Role
from connector.statemachine import TransferEvent as TE
from connector.store.offers import split_offer_id
from connector.store.processes import Outbound, settle_replay
from connector.store.tables import TransferRow
from hinterland.errors import InputError, NotFound, PermissionDenied

P, C = Role.PROVIDER, Role.CONSUMER
PULL_FORMAT = "HttpData-PULL"
SUPPORTED_FORMATS = frozenset({PULL_FORMAT})


class UsageDenied(PermissionDenied):
    """The usage policy refused a transfer; `str()` is the policy's reason."""

    code = "usage_denied"


def token_hash(token: str) -> str:
    """What the provider stores instead of a data-plane token."""
    return hashlib.sha256(token.encode()).hexdigest()


class TransferService:
    """Both sides of the transfer process protocol."""

    def __init__(self, services: Services) -> None:
        self.s = services

    # ------------------------------------------------------------------ provider side

    async def on_request(self, msg: m.TransferRequestMessage, caller: Caller) -> TransferRow:
        """A consumer asks for data under an agreement."""
        existing = await self.s.transfers.find_remote(P, caller.did, msg.consumerPid)
        if existing is not None:
            return existing  # re-delivered request: same process
        try:
            agreement, negotiation = await self.s.agreements.with_negotiation(msg.agreementId, P)
        except NotFound:
            raise InputError(f"unknown agreement {msg.agreementId!r}") from None
        if agreement.consumer != caller.did:
            raise InputError(f"unknown agreement {msg.agreementId!r}")
        if negotiation.state != m.NegotiationState.FINALIZED.value:
            raise InputError(
                f"agreement {msg.agreementId!r} is not finalized yet "
                f"(negotiation is {negotiation.state})"
            )
        if msg.format not in SUPPORTED_FORMATS:
            raise InputError(
                f"format {msg.format!r} is not supported; use one of {sorted(SUPPORTED_FORMATS)}"
            )
        await check_callback(msg.callbackAddress, allow_private=self.s.allow_private_callbacks,
                             allow_http=self.s.allow_http_callbacks)
        params = _params(msg)
        decision = await self.s.gate.usage(
            agreement.policy, caller, action=params["action"], params=params, consume=True,
            # the caller's token must be on record before a count is spent
            before_consume=lambda: settle_replay(self.s.engine),
        )
        record: AuditRecord = (
            "policy.usage",
            {"agreement": agreement.id, "caller": caller.did, "action": params["action"],
             "purpose": params.get("purpose"), "allowed": decision.allowed,
             "reason": decision.reason, "point": "transfer-request"},
        )
        if not decision.allowed:
            await self.s.audit.record(*record)
            raise UsageDenied(decision.reason)
        row = await with_records(
            self.s, self.s.transfers, [record],
            lambda records: self.s.transfers.create(
                TransferRow(
                    pid=new_pid(), role=P.value, remote_pid=msg.consumerPid,
                    counterparty=caller.did, counterparty_address=msg.callbackAddress,
                    state=m.TransferState.REQUESTED.value, agreement_id=agreement.id,
                    format=msg.format,
                    params={**params, "counted": True, "use": decision.used,
                            "of": decision.limit},
                    claims=dict(caller.claims), data_address=None,
                ),
                records=records,
            ),
        )
        await self._changed(row, True, TE.REQUEST)
        return row

    async def start(self, row: TransferRow) -> TransferRow:
        """REQUESTED (worker) or SUSPENDED (management): issue a fresh token and start."""
        assert row.remote_pid is not None
        updates: dict[str, Any] = {}
        if "variant" not in row.params:
            variant = (
                await self._stamped_copy(row)
                if row.params.get("action") == "print"
                else await self._narrowed_copy(row)
            )
            if variant is not None:
                updates["params"] = {**row.params, "variant": variant}
        token = secrets.token_urlsafe(32)
        address = m.http_pull_address(endpoint(self.s.data_base, "transfers", row.pid), token)
        message = m.TransferStartMessage(
            providerPid=row.pid, consumerPid=row.remote_pid, dataAddress=address
        )
        step = await self.s.transfers.apply(
            row.pid, TE.START, P,
            updates={
                **updates,
                "token_hash": token_hash(token),
                "token_expires": self.s.clock() + self.s.data_token_lifetime,
            },
            outbound=[self._outbound(row, "start", message)],
        )
        await self._changed(step.row, step.changed, TE.START)
        return step.row

    async def _stamped_copy(self, row: TransferRow) -> dict[str, Any] | None:
        """For a print of a 3MF file: a copy carrying the licence id in its metadata."""
        if self.s.asset_dir is None:
            return None
        _, asset = await self.s.agreements.with_asset(row.agreement_id, P)
        if not asset.sha256 or not (asset.file_name or "").lower().endswith(".3mf"):
            return None
        directory = self.s.asset_dir / "licensed"
        target = directory / f"{token_hash(row.pid)[:32]}.3mf"
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        sha256, size = await asyncio.to_thread(
            stamp_licence, self.s.asset_dir / asset.sha256, target,
            licence=licence_id(row), licensee=row.counterparty,
        )
        return {"file": target.name, "sha256": sha256, "size": size}

    async def _narrowed_copy(self, row: TransferRow) -> dict[str, Any] | None:
        """For records offered with a `recordFilter`: only the records this party gets."""
        if self.s.asset_dir is None:
            return None
        agreement, asset = await self.s.agreements.with_asset(row.agreement_id, P)
        if asset.kind != "records" or not asset.sha256:
            return None
        negotiation = await self.s.negotiations.get(agreement.negotiation_pid)
        try:
            definition = await self.s.offers.get_offer(split_offer_id(negotiation.offer["@id"])[0])
        except NotFound:
            return None
        record_filter = definition.selector.get("recordFilter")
        if not isinstance(record_filter, dict) or not record_filter:
            return None
        source = self.s.asset_dir / asset.sha256
        records = json.loads(await asyncio.to_thread(source.read_bytes))
        kept = [r for r in records if matches_record(r, record_filter, row.counterparty)]
        data = records_json(kept)
        directory = self.s.asset_dir / "licensed"
        target = directory / f"{token_hash(row.pid)[:32]}.json"
        await asyncio.to_thread(directory.mkdir, parents=True, exist_ok=True)
        await asyncio.to_thread(target.write_bytes, data)
        return {"file": target.name, "sha256": hashlib.sha256(data).hexdigest(),
                "size": len(data), "records": len(kept)}

    # ------------------------------------------------------------------ consumer side

    async def request(
        self, agreement_id: str, *, action: str = "use", purpose: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> TransferRow:
        """Ask the provider of `agreement_id` for the data (management API)."""
        agreement, negotiation = await self.s.agreements.with_negotiation(agreement_id, C)
        pid = new_pid()
        params: dict[str, Any] = {"action": action, **(extra or {})}
        if purpose is not None:
            params["purpose"] = purpose
        message = m.TransferRequestMessage(
            consumerPid=pid, agreementId=agreement_id, format=PULL_FORMAT,
            callbackAddress=self.s.callback_base, **params,
        )
        row = await self.s.transfers.create(
            TransferRow(
                pid=pid, role=C.value, remote_pid=None, counterparty=agreement.provider,
                counterparty_address=negotiation.counterparty_address,
                state=m.TransferState.REQUESTED.value, agreement_id=agreement_id,
                format=PULL_FORMAT, params=params, claims={}, data_address=None,
            ),
            outbound=[
                Outbound(endpoint(negotiation.counterparty_address, "transfers", "request"),
                         agreement.provider, message.to_json())
            ],
        )
        await self._changed(row, True, TE.REQUEST)
        return row

    # ------------------------------------------------------------------ both sides

    async def on_message(
        self, pid: str, event: TE, msg: Any, caller: Caller, *, our_role: Role
    ) -> TransferRow:
        """Start, suspension, completion or termination from the counterparty."""
        sender = C if our_role is P else P
        updates: dict[str, Any] = {}
        if event is TE.START and our_role is C and msg.dataAddress is not None:
            updates["data_address"] = msg.dataAddress.to_json()
        if our_role is C:
            updates["remote_pid"] = msg.providerPid
        if event in (TE.SUSPENSION, TE.TERMINATION) and (msg.reason or msg.code):
            updates["reason"] = _reason(msg.reason, msg.code)

        def check(row: TransferRow) -> None:
            if row.counterparty != caller.did or row.role != our_role.value:
                raise NotFound(f"no transfer {row.pid!r}")
            ours, theirs = (
                (msg.providerPid, msg.consumerPid) if our_role is P
                else (msg.consumerPid, msg.providerPid)
            )
            if ours != row.pid:
                raise InputError("the process id in the message differs from the one in the path")
            if row.remote_pid is not None and theirs != row.remote_pid:
                raise InputError(f"{theirs!r} does not belong to transfer {row.pid!r}")

        step = await self.s.transfers.apply(pid, event, sender, check=check, updates=updates)
        await self._changed(step.row, step.changed, event)
        return step.row

    async def act(
        self, pid: str, event: TE, *, reason: str | None = None, code: str | None = None
    ) -> TransferRow:
        """Suspend, resume (start), complete or terminate our side (management API)."""
        row = await self.s.transfers.get(pid)
        role = Role(row.role)
        if event is TE.START and role is P:
            return await self.start(row)
        if row.remote_pid is None:
            if event is TE.TERMINATION:
                await self.s.transfers.abandon(pid, reason or "terminated before acknowledgement")
                return await self.s.transfers.get(pid)
            raise InputError("the provider has not acknowledged this transfer yet")
        provider_pid, consumer_pid = (
            (row.pid, row.remote_pid) if role is P else (row.remote_pid, row.pid)
        )
        kwargs: dict[str, Any] = {"providerPid": provider_pid, "consumerPid": consumer_pid}
        if event in (TE.SUSPENSION, TE.TERMINATION):
            if reason:
                kwargs["reason"] = [reason]
            if code:
                kwargs["code"] = code
        message: m.DspModel = {
            TE.START: m.TransferStartMessage,
            TE.SUSPENSION: m.TransferSuspensionMessage,
            TE.COMPLETION: m.TransferCompletionMessage,
            TE.TERMINATION: m.TransferTerminationMessage,
        }[event](**kwargs)
        path = {TE.START: "start", TE.SUSPENSION: "suspension", TE.COMPLETION: "completion",
                TE.TERMINATION: "termination"}[event]
        updates = {"reason": reason} if reason else {}
        step = await self.s.transfers.apply(
            pid, event, role, updates=updates, outbound=[self._outbound(row, path, message)]
        )
        await self._changed(step.row, step.changed, event)
        return step.row

    def _outbound(self, row: TransferRow, path: str, message: m.DspModel) -> Outbound:
        assert row.remote_pid is not None
        their_pid = row.remote_pid
        return Outbound(
            endpoint(row.counterparty_address, "transfers", their_pid, path),
            row.counterparty,
            message.to_json(),
        )

    async def _changed(self, row: TransferRow, changed: bool, event: TE) -> None:
        if not changed:
            return
        if self.s.transfers.audit is None:  # else recorded with the transition itself
            await self.s.audit.record(
                "transfer.transition",
                {"transfer": row.pid, "role": row.role, "counterparty": row.counterparty,
                 "agreement": row.agreement_id, "event": event.value, "state": row.state,
                 "reason": row.reason},
            )
        await self.s.signals.notify(("transfer", row.pid, row.role, row.state), row)


def matches_record(record: Any, record_filter: dict[str, Any], caller: str) -> bool:
    """Does a record pass an offer's `recordFilter`? Each field must equal the value (or be
    one of a list of values); the value `"$caller"` stands for the requesting party's DID,
    so a supplier can hand each customer only the records about its own orders."""
    if not isinstance(record, dict):
        return False
    for field, wanted in record_filter.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        values = [caller if v == "$caller" else v for v in values]
        if record.get(field) not in values:
            return False
    return True


def _params(msg: m.TransferRequestMessage) -> dict[str, Any]:
    extra = msg.model_extra or {}
    params: dict[str, Any] = {"action": str(extra.get("action") or "use")}
    for key in ("purpose",):
        if isinstance(extra.get(key), str):
            params[key] = extra[key]
    return params


def _reason(reason: list[Any] | None, code: str | None) -> str:
    text = "; ".join(str(r) for r in reason or [])
    return f"{code}: {text}" if code and text else (text or code or "")
