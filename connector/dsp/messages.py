"""Typed Dataspace Protocol 2025-1 messages: build them, parse them.

Every model serialises (`to_json()`) to the compact JSON-LD form of the official examples,
with `@context` `["https://w3id.org/dspace/2025/1/context.jsonld"]` on top-level messages.
Parsing (`parse_message`) first checks the official JSON Schema, then builds the model, so
an error always names the schema rule that was broken. Unknown extra properties are kept
(JSON-LD is open-world) and written back unchanged.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connector.dsp.schema import validate_message
from hinterland.errors import ProtocolMessageError

DSP_CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
DSP_VERSION = "2025-1"


def _context() -> list[str]:
    return [DSP_CONTEXT]


class NegotiationState(StrEnum):
    """Contract negotiation states of DSP 2025-1."""

    REQUESTED = "REQUESTED"
    OFFERED = "OFFERED"
    ACCEPTED = "ACCEPTED"
    AGREED = "AGREED"
    VERIFIED = "VERIFIED"
    FINALIZED = "FINALIZED"
    TERMINATED = "TERMINATED"


class TransferState(StrEnum):
    """Transfer process states of DSP 2025-1."""

    REQUESTED = "REQUESTED"
    STARTED = "STARTED"
    SUSPENDED = "SUSPENDED"
    COMPLETED = "COMPLETED"
    TERMINATED = "TERMINATED"


class DspModel(BaseModel):
    """Base: aliases for `@`-keys, extra properties kept, immutable."""

    model_config = ConfigDict(populate_by_name=True, extra="allow", frozen=True)

    def to_json(self) -> dict[str, Any]:
        """The JSON-ready compact form (None fields omitted)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Message(DspModel):
    """A top-level message: carries the DSP context."""

    context: list[str] = Field(default_factory=_context, alias="@context")


# --- ODRL inside DSP -------------------------------------------------------------------


class Offer(DspModel):
    """An ODRL Offer as used in catalogs (no target) and messages (with target)."""

    id: str = Field(alias="@id")
    type: Literal["Offer"] = Field(default="Offer", alias="@type")
    target: str | None = None
    profile: str | list[str] | None = None
    permission: list[dict[str, Any]] | None = None
    prohibition: list[dict[str, Any]] | None = None
    obligation: list[dict[str, Any]] | None = None

    def without_target(self) -> Offer:
        """The same offer for a Dataset's `hasPolicy`, where a target is forbidden."""
        return self.model_copy(update={"target": None})


class Agreement(DspModel):
    """An ODRL Agreement: a target, assigner (provider) and assignee (consumer)."""

    id: str = Field(alias="@id")
    type: Literal["Agreement"] = Field(default="Agreement", alias="@type")
    target: str
    assigner: str
    assignee: str
    timestamp: str | None = None
    profile: str | list[str] | None = None
    permission: list[dict[str, Any]] | None = None
    prohibition: list[dict[str, Any]] | None = None
    obligation: list[dict[str, Any]] | None = None


# --- catalog ---------------------------------------------------------------------------


class DataService(DspModel):
    """A DCAT DataService: where the connector speaks DSP."""

    id: str = Field(alias="@id")
    type: Literal["DataService"] = Field(default="DataService", alias="@type")
    endpointURL: str


class Distribution(DspModel):
    """A DCAT Distribution: a format reachable through a data service."""

    type: Literal["Distribution"] = Field(default="Distribution", alias="@type")
    format: str
    accessService: str | DataService
    hasPolicy: list[Offer] | None = None


class Dataset(DspModel):
    """A DCAT Dataset with its offers; `context` is set when sent on its own."""

    context: list[str] | None = Field(default=None, alias="@context")
    id: str = Field(alias="@id")
    type: Literal["Dataset"] = Field(default="Dataset", alias="@type")
    hasPolicy: list[Offer]
    distribution: list[Distribution]


class Catalog(DspModel):
    """A DCAT Catalog; the root catalog carries `@context` and `participantId`."""

    context: list[str] | None = Field(default=None, alias="@context")
    id: str = Field(alias="@id")
    type: Literal["Catalog"] = Field(default="Catalog", alias="@type")
    participantId: str | None = None
    service: list[DataService] | None = None
    dataset: list[Dataset] | None = None
    catalog: list[Catalog] | None = None
    distribution: list[Distribution] | None = None


class CatalogRequestMessage(Message):
    """Ask a provider for its catalog, optionally filtered."""

    type: Literal["CatalogRequestMessage"] = Field(
        default="CatalogRequestMessage", alias="@type"
    )
    filter: list[Any] | None = None


class DatasetRequestMessage(Message):
    """Ask a provider for one dataset."""

    type: Literal["DatasetRequestMessage"] = Field(default="DatasetRequestMessage", alias="@type")
    dataset: str


class CatalogError(Message):
    """A catalog request failed."""

    type: Literal["CatalogError"] = Field(default="CatalogError", alias="@type")
    code: str | None = None
    reason: list[Any] | None = None


# --- contract negotiation --------------------------------------------------------------


class ContractRequestMessage(Message):
    """Consumer -> provider: request (or counter-request) a contract for an offer.

    The schema demands exactly one of `callbackAddress` (initial request) and
    `providerPid` (request within an existing negotiation).
    """

    type: Literal["ContractRequestMessage"] = Field(
        default="ContractRequestMessage", alias="@type"
    )
    consumerPid: str
    providerPid: str | None = None
    offer: Offer
    callbackAddress: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ContractRequestMessage:
        if (self.callbackAddress is None) == (self.providerPid is None):
            raise ValueError(
                "a ContractRequestMessage carries either callbackAddress (initial request) "
                "or providerPid (counter-request), not both or neither"
            )
        return self


class ContractOfferMessage(Message):
    """Provider -> consumer: offer or counter-offer; one of callbackAddress/consumerPid."""

    type: Literal["ContractOfferMessage"] = Field(default="ContractOfferMessage", alias="@type")
    providerPid: str
    consumerPid: str | None = None
    offer: Offer
    callbackAddress: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> ContractOfferMessage:
        if (self.callbackAddress is None) == (self.consumerPid is None):
            raise ValueError(
                "a ContractOfferMessage carries either callbackAddress (initial offer) "
                "or consumerPid (counter-offer), not both or neither"
            )
        if self.offer.target is None:
            raise ValueError("the offer of a ContractOfferMessage must name its target")
        return self


class ContractAgreementMessage(Message):
    """Provider -> consumer: the agreement."""

    type: Literal["ContractAgreementMessage"] = Field(
        default="ContractAgreementMessage", alias="@type"
    )
    providerPid: str
    consumerPid: str
    agreement: Agreement


class ContractAgreementVerificationMessage(Message):
    """Consumer -> provider: the agreement is verified."""

    type: Literal["ContractAgreementVerificationMessage"] = Field(
        default="ContractAgreementVerificationMessage", alias="@type"
    )
    providerPid: str
    consumerPid: str


class ContractNegotiationEventMessage(Message):
    """ACCEPTED (consumer -> provider) or FINALIZED (provider -> consumer)."""

    type: Literal["ContractNegotiationEventMessage"] = Field(
        default="ContractNegotiationEventMessage", alias="@type"
    )
    providerPid: str
    consumerPid: str
    eventType: Literal["ACCEPTED", "FINALIZED"]


class ContractNegotiationTerminationMessage(Message):
    """Either side ends the negotiation."""

    type: Literal["ContractNegotiationTerminationMessage"] = Field(
        default="ContractNegotiationTerminationMessage", alias="@type"
    )
    providerPid: str
    consumerPid: str
    code: str | None = None
    reason: list[Any] | None = Field(default=None, min_length=1)


class ContractNegotiation(Message):
    """The ACK: a negotiation's current state."""

    type: Literal["ContractNegotiation"] = Field(default="ContractNegotiation", alias="@type")
    providerPid: str
    consumerPid: str
    state: NegotiationState


class ContractNegotiationError(Message):
    """The ERROR of a negotiation endpoint."""

    type: Literal["ContractNegotiationError"] = Field(
        default="ContractNegotiationError", alias="@type"
    )
    providerPid: str
    consumerPid: str
    code: str | None = None
    reason: list[Any] | None = Field(default=None, min_length=1)


# --- transfer process ------------------------------------------------------------------


class EndpointProperty(DspModel):
    """One name/value of a DataAddress (e.g. `authorization`, `authType`)."""

    type: Literal["EndpointProperty"] = Field(default="EndpointProperty", alias="@type")
    name: str
    value: str


class DataAddress(DspModel):
    """Where and how to fetch (pull) or push the data."""

    type: Literal["DataAddress"] = Field(default="DataAddress", alias="@type")
    endpointType: str
    endpoint: str | None = None
    endpointProperties: list[EndpointProperty] | None = Field(
        default=None, min_length=1
    )

    def property(self, name: str) -> str | None:
        """The value of endpoint property `name`, if present."""
        for prop in self.endpointProperties or []:
            if prop.name == name:
                return prop.value
        return None


HTTP_ENDPOINT_TYPE = "https://w3id.org/idsa/v4.1/HTTP"


def http_pull_address(endpoint: str, token: str) -> DataAddress:
    """The DataAddress of an HTTP pull transfer: endpoint plus bearer token."""
    return DataAddress(
        endpointType=HTTP_ENDPOINT_TYPE,
        endpoint=endpoint,
        endpointProperties=[
            EndpointProperty(name="authorization", value=token),
            EndpointProperty(name="authType", value="bearer"),
        ],
    )


class TransferRequestMessage(Message):
    """Consumer -> provider: start a transfer under an agreement."""

    type: Literal["TransferRequestMessage"] = Field(
        default="TransferRequestMessage", alias="@type"
    )
    consumerPid: str
    agreementId: str
    format: str
    callbackAddress: str
    dataAddress: DataAddress | None = None


class TransferStartMessage(Message):
    """Either side (re)starts a transfer; the provider's carries the pull DataAddress."""

    type: Literal["TransferStartMessage"] = Field(default="TransferStartMessage", alias="@type")
    providerPid: str
    consumerPid: str
    dataAddress: DataAddress | None = None


class _CodeMessage(Message):
    providerPid: str
    consumerPid: str
    code: str | None = None
    reason: list[Any] | None = Field(default=None, min_length=1)


class TransferSuspensionMessage(_CodeMessage):
    """Either side pauses a transfer."""

    type: Literal["TransferSuspensionMessage"] = Field(
        default="TransferSuspensionMessage", alias="@type"
    )


class TransferTerminationMessage(_CodeMessage):
    """Either side ends a transfer for good."""

    type: Literal["TransferTerminationMessage"] = Field(
        default="TransferTerminationMessage", alias="@type"
    )


class TransferError(_CodeMessage):
    """The ERROR of a transfer endpoint."""

    type: Literal["TransferError"] = Field(default="TransferError", alias="@type")


class TransferCompletionMessage(Message):
    """Either side declares the transfer complete."""

    type: Literal["TransferCompletionMessage"] = Field(
        default="TransferCompletionMessage", alias="@type"
    )
    providerPid: str
    consumerPid: str


class TransferProcess(Message):
    """The ACK: a transfer's current state."""

    type: Literal["TransferProcess"] = Field(default="TransferProcess", alias="@type")
    providerPid: str
    consumerPid: str
    state: TransferState


# --- version document ------------------------------------------------------------------


class VersionAuth(DspModel):
    """How a protocol version authenticates callers."""

    protocol: str
    version: str
    profile: list[str] | None = None


class ProtocolVersion(DspModel):
    """One entry of `/.well-known/dspace-version`."""

    version: str
    path: str
    binding: Literal["HTTPS"] = "HTTPS"
    identifierType: str | None = None
    serviceId: str | None = None
    auth: VersionAuth | None = None


class VersionResponse(DspModel):
    """The `/.well-known/dspace-version` document."""

    protocolVersions: list[ProtocolVersion] = Field(min_length=1)


# --- parsing ---------------------------------------------------------------------------

MESSAGE_TYPES: dict[str, type[DspModel]] = {
    cls.model_fields["type"].default: cls
    for cls in (
        Catalog,
        Dataset,
        CatalogRequestMessage,
        DatasetRequestMessage,
        CatalogError,
        ContractRequestMessage,
        ContractOfferMessage,
        ContractAgreementMessage,
        ContractAgreementVerificationMessage,
        ContractNegotiationEventMessage,
        ContractNegotiationTerminationMessage,
        ContractNegotiation,
        ContractNegotiationError,
        TransferRequestMessage,
        TransferStartMessage,
        TransferSuspensionMessage,
        TransferCompletionMessage,
        TransferTerminationMessage,
        TransferProcess,
        TransferError,
    )
}

M = TypeVar("M", bound=DspModel)


def schema_name(model: type[DspModel]) -> str:
    """The schema key of a model class (its `@type`, or VersionResponse)."""
    if model is VersionResponse:
        return "VersionResponse"
    return str(model.model_fields["type"].default)


def parse_message(document: Any, expected: type[M]) -> M:
    """Check `document` against the official schema of `expected`, then build the model.

    Raises `ProtocolMessageError` naming what is wrong (wrong `@type`, schema violations,
    or a rule the schema cannot express such as "exactly one of ...").
    """
    if not isinstance(document, dict):
        raise ProtocolMessageError("a DSP message must be a JSON object")
    name = schema_name(expected)
    if expected is not VersionResponse and document.get("@type") != name:
        raise ProtocolMessageError(
            f"expected a {name}, got @type {document.get('@type')!r}"
        )
    validate_message(document, name)
    try:
        return expected.model_validate(document)
    except ValidationError as exc:
        raise ProtocolMessageError(f"invalid {name}: {validation_problems(exc)}") from None


def validation_problems(exc: ValidationError) -> str:
    """The first five problems of a validation error: `path: message; ...`."""
    return "; ".join(
        f"{'/'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}"
        for err in exc.errors()[:5]
    )


def parse_any(document: Any) -> DspModel:
    """Parse a message of any known `@type`."""
    if not isinstance(document, dict) or document.get("@type") not in MESSAGE_TYPES:
        found = document.get("@type") if isinstance(document, dict) else None
        raise ProtocolMessageError(f"unknown or missing DSP message @type {found!r}")
    return parse_message(document, MESSAGE_TYPES[document["@type"]])
