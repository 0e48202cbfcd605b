"""Contract negotiation, provider and consumer side.

Inbound messages are checked (caller is the counterparty, ids match) and applied through
the state machine; what we send in reply is queued in the outbox in the same transaction.
Decisions that take work (evaluating the contract policy, verifying an agreement) are left
to the worker, which the handlers wake at once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from connector.dsp import messages as m
from connector.enforcement import Caller
from connector.services.context import AuditRecord, Services, with_records
from connector.services.urls import check_callback, endpoint
from connector.statemachine import NegotiationEvent as NE
from connector.statemachine import Role
from connector.store.offers import selector_matches, split_offer_id
from connector.store.processes import Outbound
from connector.store.tables import AgreementRow, NegotiationRow
from hinterland.errors import IllegalTransition, InputError, NotFound

RULE_KEYS = ("permission", "prohibition", "obligation")
P, C = Role.PROVIDER, Role.CONSUMER


def _rules(policy: dict[str, Any] | m.Offer | m.Agreement) -> dict[str, Any]:
    data = policy if isinstance(policy, dict) else policy.to_json()
    return {k: data[k] for k in RULE_KEYS if data.get(k)}


def new_pid() -> str:
    """A fresh process id."""
    return f"urn:uuid:{uuid.uuid4()}"


def _owned_by(caller: Caller) -> Any:
    def check(row: NegotiationRow) -> None:
        # someone else's negotiation is reported exactly like a missing one (DSP: 404)
        if row.counterparty != caller.did:
            raise NotFound(f"no negotiation {row.pid!r}")

    return check


class NegotiationService:
    """Both sides of the contract negotiation protocol."""

    def __init__(self, services: Services) -> None:
        self.s = services

    # ------------------------------------------------------------------ provider side

    async def offer_for(self, offer_id: str, caller: Caller) -> tuple[m.Offer, str, str]:
        """Our published offer `offer_id` as `caller` may see it: (offer, asset, contract
        policy id). `InputError` if we never offered it to this caller. The access decision
        is audited."""
        offer, asset_id, contract_id, record = await self._offer_for(offer_id, caller)
        await self.s.audit.record(*record)
        return offer, asset_id, contract_id

    async def _offer_for(
        self, offer_id: str, caller: Caller
    ) -> tuple[m.Offer, str, str, AuditRecord]:
        """`offer_for`, leaving the audit entry of a permit to the caller (to be written
        with the step it permits); a denial is audited here."""
        try:
            definition_id, asset_id = split_offer_id(offer_id)
            definition, asset, access, contract = await self.s.offers.offer_parts(
                definition_id, asset_id
            )
        except NotFound:
            raise InputError(f"unknown offer {offer_id!r}") from None
        if not selector_matches(definition.selector, asset):
            raise InputError(f"unknown offer {offer_id!r}")
        decision = await self.s.gate.access(access.policy, caller, target=asset.id)
        record: AuditRecord = (
            "policy.access",
            {"caller": caller.did, "target": asset.id, "allowed": decision.allowed,
             "reason": decision.reason, "offer": offer_id},
        )
        if not decision.allowed:
            await self.s.audit.record(*record)
            raise InputError(f"unknown offer {offer_id!r}")  # not visible = not known
        offer = m.Offer(id=offer_id, target=asset.id, **_rules(contract.policy))
        return offer, asset.id, contract.id, record

    async def on_request(self, msg: m.ContractRequestMessage, caller: Caller) -> NegotiationRow:
        """A consumer requests a contract (initial, or within an existing negotiation)."""
        if msg.providerPid is not None:
            return await self._step(
                msg.providerPid, NE.REQUEST, C, check=self._provider_check(caller, msg)
            )
        existing = await self.s.negotiations.find_remote(P, caller.did, msg.consumerPid)
        if existing is not None:
            return existing  # re-delivered initial request
        offer, asset_id, _, access = await self._offer_for(msg.offer.id, caller)

        async def create(records: list[AuditRecord]) -> NegotiationRow:
            if msg.offer.target is not None and msg.offer.target != asset_id:
                raise InputError(
                    f"offer {msg.offer.id!r} is for {asset_id!r}, not {msg.offer.target!r}"
                )
            asked = _rules(msg.offer)
            if asked and asked != _rules(offer):
                raise InputError(
                    "the requested terms differ from the published offer; counter-offers are "
                    "not accepted, request the offer as published"
                )
            assert msg.callbackAddress is not None  # the schema's oneOf guarantees it
            await check_callback(msg.callbackAddress,
                                 allow_private=self.s.allow_private_callbacks,
                                 allow_http=self.s.allow_http_callbacks)
            return await self.s.negotiations.create(
                NegotiationRow(
                    pid=new_pid(),
                    role=P.value,
                    remote_pid=msg.consumerPid,
                    counterparty=caller.did,
                    counterparty_address=msg.callbackAddress,
                    state=m.NegotiationState.REQUESTED.value,
                    asset_id=asset_id,
                    offer=offer.to_json(),
                    claims=dict(caller.claims),
                ),
                records=records,
            )

        row = await with_records(self.s, self.s.negotiations, [access], create)
        await self._changed(row, True, NE.REQUEST)
        return row

    async def on_provider_event(
        self, pid: str, msg: m.ContractNegotiationEventMessage, caller: Caller
    ) -> NegotiationRow:
        """The consumer accepts our offer (`ACCEPTED`); `FINALIZED` from a consumer is an error."""
        if msg.eventType != "ACCEPTED":
            await self.s.negotiations.get(pid, role=P)
            raise IllegalTransition("a consumer may not send a FINALIZED event")
        return await self._step(
            pid, NE.ACCEPTED, C, check=self._provider_check(caller, msg)
        )

    async def on_verification(
        self, pid: str, msg: m.ContractAgreementVerificationMessage, caller: Caller
    ) -> NegotiationRow:
        """The consumer verified the agreement; the worker finalizes."""
        return await self._step(
            pid, NE.VERIFICATION, C, check=self._provider_check(caller, msg)
        )

    async def on_provider_termination(
        self, pid: str, msg: m.ContractNegotiationTerminationMessage, caller: Caller
    ) -> NegotiationRow:
        """The consumer ends the negotiation."""
        return await self._step(
            pid, NE.TERMINATION, C, check=self._provider_check(caller, msg),
            updates={"reason": _reason(msg.reason, msg.code)},
        )

    def _provider_check(self, caller: Caller, msg: Any) -> Any:
        owned = _owned_by(caller)

        def check(row: NegotiationRow) -> None:
            owned(row)
            if row.role != P.value:
                raise NotFound(f"no negotiation {row.pid!r}")
            if msg.consumerPid != row.remote_pid:
                raise InputError(
                    f"consumerPid {msg.consumerPid!r} does not belong to negotiation {row.pid!r}"
                )
            if getattr(msg, "providerPid", row.pid) != row.pid:
                raise InputError("providerPid in the message differs from the one in the path")

        return check

    # provider-side work, run by the worker

    async def decide(self, row: NegotiationRow) -> None:
        """REQUESTED/ACCEPTED: evaluate the contract policy; agree or terminate."""
        caller = Caller(row.counterparty, row.claims)
        offer = m.Offer.model_validate(row.offer)
        definition_id, asset_id = split_offer_id(offer.id)
        try:
            _, contract = await self.s.offers.offer_with_contract(definition_id)
            decision = await self.s.gate.contract(contract.policy, caller, target=asset_id)
            allowed, reason = decision.allowed, decision.reason
        except NotFound as exc:
            allowed, reason = False, f"the offer was withdrawn: {exc}"
        record: AuditRecord = (
            "policy.contract",
            {"negotiation": row.pid, "caller": caller.did, "target": asset_id,
             "allowed": allowed, "reason": reason},
        )
        assert row.remote_pid is not None
        if not allowed:
            await self.s.audit.record(*record)
            await self.terminate(row, reason, code="contract-denied")
            return
        agreement = m.Agreement(
            id=new_pid(),
            target=asset_id,
            assigner=self.s.did,
            assignee=row.counterparty,
            timestamp=datetime.fromtimestamp(self.s.clock(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **_rules(offer),
        )
        message = m.ContractAgreementMessage(
            providerPid=row.pid, consumerPid=row.remote_pid, agreement=agreement
        )
        step = await with_records(
            self.s, self.s.negotiations, [record],
            lambda records: self.s.negotiations.apply(
                row.pid,
                NE.AGREEMENT,
                P,
                updates={"agreement_id": agreement.id},
                outbound=[self._to_consumer(row, "agreement", message)],
                extra=[
                    AgreementRow(
                        id=agreement.id, role=P.value, negotiation_pid=row.pid,
                        asset_id=asset_id, provider=self.s.did, consumer=row.counterparty,
                        policy=agreement.to_json(), created_at=self.s.clock(),
                    )
                ],
                records=records,
            ),
        )
        await self._changed(step.row, step.changed, NE.AGREEMENT)

    async def finalize(self, row: NegotiationRow) -> None:
        """VERIFIED: send FINALIZED."""
        assert row.remote_pid is not None
        message = m.ContractNegotiationEventMessage(
            providerPid=row.pid, consumerPid=row.remote_pid, eventType="FINALIZED"
        )
        await self._step(
            row.pid, NE.FINALIZED, P, outbound=[self._to_consumer(row, "events", message)]
        )

    def _to_consumer(self, row: NegotiationRow, path: str, message: m.DspModel) -> Outbound:
        assert row.remote_pid is not None
        return Outbound(
            url=endpoint(row.counterparty_address, "negotiations", row.remote_pid, path),
            audience=row.counterparty,
            body=message.to_json(),
        )

    # ------------------------------------------------------------------ consumer side

    async def request(
        self, provider_dsp: str, provider_did: str, offer: m.Offer
    ) -> NegotiationRow:
        """Start a negotiation for `offer` at the provider (management API)."""
        if offer.target is None:
            raise InputError("the offer must name its target dataset")
        pid = new_pid()
        message = m.ContractRequestMessage(
            consumerPid=pid, offer=offer, callbackAddress=self.s.callback_base
        )
        row = await self.s.negotiations.create(
            NegotiationRow(
                pid=pid, role=C.value, remote_pid=None, counterparty=provider_did,
                counterparty_address=provider_dsp, state=m.NegotiationState.REQUESTED.value,
                asset_id=offer.target, offer=offer.to_json(), claims={},
            ),
            outbound=[
                Outbound(endpoint(provider_dsp, "negotiations", "request"), provider_did,
                         message.to_json())
            ],
        )
        await self._changed(row, True, NE.REQUEST)
        return row

    async def on_initial_offer(
        self, msg: m.ContractOfferMessage, caller: Caller
    ) -> NegotiationRow:
        """A provider starts a negotiation with an offer (`POST /negotiations/offers`)."""
        existing = await self.s.negotiations.find_remote(C, caller.did, msg.providerPid)
        if existing is not None:
            return existing
        assert msg.callbackAddress is not None and msg.offer.target is not None
        await check_callback(msg.callbackAddress, allow_private=self.s.allow_private_callbacks,
                             allow_http=self.s.allow_http_callbacks)
        row = await self.s.negotiations.create(
            NegotiationRow(
                pid=new_pid(), role=C.value, remote_pid=msg.providerPid,
                counterparty=caller.did, counterparty_address=msg.callbackAddress,
                state=m.NegotiationState.OFFERED.value, asset_id=msg.offer.target,
                offer=msg.offer.to_json(), claims=dict(caller.claims),
            )
        )
        await self._changed(row, True, NE.OFFER)
        return row

    async def on_offer(
        self, pid: str, msg: m.ContractOfferMessage, caller: Caller
    ) -> NegotiationRow:
        """A provider's counter-offer."""
        return await self._step(
            pid, NE.OFFER, P, check=self._consumer_check(caller, msg),
            updates={"offer": msg.offer.to_json()},
        )

    async def on_agreement(
        self, pid: str, msg: m.ContractAgreementMessage, caller: Caller
    ) -> NegotiationRow:
        """The provider agreed. The agreement must be for what we asked, to us, by them."""
        agreement = msg.agreement

        def check(row: NegotiationRow) -> None:
            self._consumer_check(caller, msg)(row)
            if agreement.target != row.asset_id:
                raise InputError(
                    f"the agreement is for {agreement.target!r}, we negotiated {row.asset_id!r}"
                )
            if agreement.assignee != self.s.did or agreement.assigner != caller.did:
                raise InputError(
                    "the agreement's assigner/assignee are not the negotiating parties"
                )
            if _rules(agreement) != _rules(row.offer):
                raise InputError("the agreement's rules differ from the offer we requested")

        return await self._step(
            pid, NE.AGREEMENT, P, check=check,
            updates={"agreement_id": agreement.id, "remote_pid": msg.providerPid},
            extra=[
                AgreementRow(
                    id=agreement.id, role=C.value, negotiation_pid=pid,
                    asset_id=agreement.target, provider=caller.did, consumer=self.s.did,
                    policy=agreement.to_json(), created_at=self.s.clock(),
                )
            ],
        )

    async def on_consumer_event(
        self, pid: str, msg: m.ContractNegotiationEventMessage, caller: Caller
    ) -> NegotiationRow:
        """FINALIZED from the provider; ACCEPTED from a provider is an error."""
        if msg.eventType != "FINALIZED":
            await self.s.negotiations.get(pid, role=C)
            raise IllegalTransition("a provider may not send an ACCEPTED event")
        return await self._step(
            pid, NE.FINALIZED, P, check=self._consumer_check(caller, msg)
        )

    async def on_consumer_termination(
        self, pid: str, msg: m.ContractNegotiationTerminationMessage, caller: Caller
    ) -> NegotiationRow:
        """The provider ends the negotiation (e.g. the contract policy said no)."""
        return await self._step(
            pid, NE.TERMINATION, P, check=self._consumer_check(caller, msg),
            updates={"reason": _reason(msg.reason, msg.code)},
        )

    def _consumer_check(self, caller: Caller, msg: Any) -> Any:
        owned = _owned_by(caller)

        def check(row: NegotiationRow) -> None:
            owned(row)
            if row.role != C.value:
                raise NotFound(f"no negotiation {row.pid!r}")
            if msg.consumerPid != row.pid:
                raise InputError("consumerPid in the message differs from the one in the path")
            if row.remote_pid is not None and msg.providerPid != row.remote_pid:
                raise InputError(
                    f"providerPid {msg.providerPid!r} does not belong to negotiation {row.pid!r}"
                )

        return check

    # consumer-side work, run by the worker or the management API

    async def verify(self, row: NegotiationRow) -> None:
        """AGREED: send the agreement verification."""
        assert row.remote_pid is not None
        message = m.ContractAgreementVerificationMessage(
            providerPid=row.remote_pid, consumerPid=row.pid
        )
        await self._step(
            row.pid, NE.VERIFICATION, C,
            outbound=[self._to_provider(row, "agreement/verification", message)],
        )

    async def accept(self, pid: str) -> NegotiationRow:
        """OFFERED: accept the provider's offer (management API)."""
        row = await self.s.negotiations.get(pid, role=C)
        if row.remote_pid is None:
            raise InputError("the provider has not acknowledged this negotiation yet")
        message = m.ContractNegotiationEventMessage(
            providerPid=row.remote_pid, consumerPid=row.pid, eventType="ACCEPTED"
        )
        return await self._step(
            pid, NE.ACCEPTED, C, outbound=[self._to_provider(row, "events", message)]
        )

    def _to_provider(self, row: NegotiationRow, path: str, message: m.DspModel) -> Outbound:
        assert row.remote_pid is not None
        parts = ["negotiations", row.remote_pid, *path.split("/")]
        return Outbound(endpoint(row.counterparty_address, *parts), row.counterparty,
                        message.to_json())

    # ------------------------------------------------------------------ both sides

    async def terminate(self, row: NegotiationRow, reason: str, *, code: str) -> NegotiationRow:
        """End a negotiation from our side, telling the counterparty why."""
        role = Role(row.role)
        if row.remote_pid is None:
            # the counterparty never learned of it: nothing to tell
            await self.s.negotiations.abandon(row.pid, reason)
            return await self.s.negotiations.get(row.pid)
        provider_pid, consumer_pid = (
            (row.pid, row.remote_pid) if role is P else (row.remote_pid, row.pid)
        )
        message = m.ContractNegotiationTerminationMessage(
            providerPid=provider_pid, consumerPid=consumer_pid, code=code, reason=[reason]
        )
        out = (
            self._to_consumer(row, "termination", message)
            if role is P
            else self._to_provider(row, "termination", message)
        )
        return await self._step(
            row.pid, NE.TERMINATION, role, updates={"reason": reason}, outbound=[out]
        )

    async def _step(self, pid: str, event: NE, sender: Role, **kwargs: Any) -> NegotiationRow:
        """Apply `event` to negotiation `pid` (the store's `apply`), announce the change and
        return the row as it now is."""
        step = await self.s.negotiations.apply(pid, event, sender, **kwargs)
        await self._changed(step.row, step.changed, event)
        return step.row

    async def _changed(self, row: NegotiationRow, changed: bool, event: NE) -> None:
        if not changed:
            return
        if self.s.negotiations.audit is None:  # else recorded with the transition itself
            await self.s.audit.record(
                "negotiation.transition",
                {"negotiation": row.pid, "role": row.role, "counterparty": row.counterparty,
                 "event": event.value, "state": row.state, "reason": row.reason},
            )
        await self.s.signals.notify(("negotiation", row.pid, row.role, row.state), row)


def _reason(reason: list[Any] | None, code: str | None) -> str:
    text = "; ".join(str(r) for r in reason or [])
    return f"{code}: {text}" if code and text else (text or code or "")
