"""DSP 2025-1 messages: what we build conforms to the official schemas (read from the
copied vectors, not from the package), and every official example parses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from connector.dsp import messages as m
from connector.dsp.schema import SCHEMA_FOR_TYPE, SchemaSet, validate_message
from hinterland.errors import ProtocolMessageError

VECTORS = Path(__file__).parents[2] / "vectors" / "dsp-2025-1"
OFFICIAL = SchemaSet.from_directory(VECTORS)
EXAMPLES = sorted(p for p in VECTORS.glob("*/example/*.json") if "did-service" not in p.name)

PID_P = "urn:uuid:a343fcbf-99fc-4ce8-8e9b-148c97605aab"
PID_C = "urn:uuid:32541fe6-c580-409e-85a8-8a9a32fbe833"
RULES: list[dict[str, Any]] = [
    {
        "action": "use",
        "constraint": [{"leftOperand": "count", "operator": "lteq", "rightOperand": "3"}],
    }
]


def _offer(target: str | None = "urn:asset:bracket") -> m.Offer:
    return m.Offer(id="urn:offer:1", target=target, permission=RULES)


def _built() -> list[m.DspModel]:
    addr = m.http_pull_address("https://provider.example/data/t1", "tok-123")
    dataset = m.Dataset(
        id="urn:asset:bracket",
        hasPolicy=[_offer(None)],
        distribution=[m.Distribution(format="HttpData-PULL", accessService="urn:svc:1")],
    )
    return [
        m.CatalogRequestMessage(filter=[]),
        m.CatalogRequestMessage(),
        m.DatasetRequestMessage(dataset="urn:asset:bracket"),
        m.Catalog(
            context=[m.DSP_CONTEXT],
            id="urn:catalog:1",
            participantId="did:web:tools.example",
            service=[m.DataService(id="urn:svc:1", endpointURL="https://p.example/dsp")],
            dataset=[dataset],
        ),
        dataset.model_copy(update={"context": [m.DSP_CONTEXT]}),
        m.CatalogError(code="403", reason=["not for you"]),
        m.ContractRequestMessage(
            consumerPid=PID_C, offer=_offer(), callbackAddress="https://c.example/cb"
        ),
        m.ContractRequestMessage(consumerPid=PID_C, providerPid=PID_P, offer=_offer()),
        m.ContractOfferMessage(
            providerPid=PID_P, offer=_offer(), callbackAddress="https://p.example/cb"
        ),
        m.ContractOfferMessage(providerPid=PID_P, consumerPid=PID_C, offer=_offer()),
        m.ContractAgreementMessage(
            providerPid=PID_P,
            consumerPid=PID_C,
            agreement=m.Agreement(
                id="urn:agreement:1",
                target="urn:asset:bracket",
                assigner="did:web:tools.example",
                assignee="did:web:print.example",
                timestamp="2026-11-21T08:00:00Z",
                permission=RULES,
            ),
        ),
        m.ContractAgreementVerificationMessage(providerPid=PID_P, consumerPid=PID_C),
        m.ContractNegotiationEventMessage(
            providerPid=PID_P, consumerPid=PID_C, eventType="ACCEPTED"
        ),
        m.ContractNegotiationEventMessage(
            providerPid=PID_P, consumerPid=PID_C, eventType="FINALIZED"
        ),
        m.ContractNegotiationTerminationMessage(
            providerPid=PID_P, consumerPid=PID_C, code="denied", reason=["print limit reached"]
        ),
        *[
            m.ContractNegotiation(providerPid=PID_P, consumerPid=PID_C, state=s)
            for s in m.NegotiationState
        ],
        m.ContractNegotiationError(providerPid=PID_P, consumerPid=PID_C, code="400", reason=["x"]),
        m.TransferRequestMessage(
            consumerPid=PID_C,
            agreementId="urn:agreement:1",
            format="HttpData-PULL",
            callbackAddress="https://c.example/cb",
        ),
        m.TransferStartMessage(providerPid=PID_P, consumerPid=PID_C, dataAddress=addr),
        m.TransferStartMessage(providerPid=PID_P, consumerPid=PID_C),
        m.TransferSuspensionMessage(providerPid=PID_P, consumerPid=PID_C, reason=["pause"]),
        m.TransferCompletionMessage(providerPid=PID_P, consumerPid=PID_C),
        m.TransferTerminationMessage(providerPid=PID_P, consumerPid=PID_C, code="x"),
        *[
            m.TransferProcess(providerPid=PID_P, consumerPid=PID_C, state=s)
            for s in m.TransferState
        ],
        m.TransferError(providerPid=PID_P, consumerPid=PID_C, reason=["unknown"]),
        m.VersionResponse(
            protocolVersions=[
                m.ProtocolVersion(
                    version="2025-1",
                    path="/dsp/2025-1",
                    identifierType="did:web",
                    auth=m.VersionAuth(protocol="DCP", version="1.0"),
                )
            ]
        ),
    ]


def test_every_message_type_is_covered() -> None:
    built = {m.schema_name(type(msg)) for msg in _built()}
    assert built == set(SCHEMA_FOR_TYPE)


@pytest.mark.parametrize("message", _built(), ids=lambda msg: type(msg).__name__)
def test_built_message_satisfies_official_schema(message: m.DspModel) -> None:
    document = message.to_json()
    assert OFFICIAL.errors(document, m.schema_name(type(message))) == []
    # and parses back to an equal model
    assert m.parse_message(document, type(message)) == message


def _type_of(path: Path, document: dict[str, Any]) -> str:
    return "VersionResponse" if "protocol-version" in path.name else str(document["@type"])


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_official_example_parses(path: Path) -> None:
    document = json.loads(path.read_text("utf-8"))
    name = _type_of(path, document)
    model = m.parse_message(document, m.MESSAGE_TYPES.get(name, m.VersionResponse))
    # nothing is lost: serialising again gives the example back
    assert model.to_json() == document


def test_examples_cover_every_schema_with_an_example() -> None:
    names = {_type_of(p, json.loads(p.read_text())) for p in EXAMPLES}
    assert {"ContractRequestMessage", "TransferStartMessage", "VersionResponse"} <= names
    assert len(EXAMPLES) >= 25


def test_bundled_schemas_equal_the_official_copies() -> None:
    pkg = Path(m.__file__).parent / "schemas"
    for path in VECTORS.rglob("*-schema.json"):
        assert (pkg / path.name).read_bytes() == path.read_bytes(), path.name


@pytest.mark.parametrize(
    ("document", "expected", "fragment"),
    [
        ({"@type": "ContractRequestMessage"}, m.ContractRequestMessage, "@context"),
        (
            {"@context": [m.DSP_CONTEXT], "@type": "TransferStartMessage", "consumerPid": "x"},
            m.TransferStartMessage,
            "providerPid",
        ),
        (
            {
                "@context": [m.DSP_CONTEXT],
                "@type": "ContractNegotiationEventMessage",
                "providerPid": "p",
                "consumerPid": "c",
                "eventType": "DONE",
            },
            m.ContractNegotiationEventMessage,
            "eventType",
        ),
        (
            {"@context": ["https://other"], "@type": "CatalogRequestMessage"},
            m.CatalogRequestMessage,
            "context",
        ),
        (
            {
                "@context": [m.DSP_CONTEXT],
                "@type": "TransferProcess",
                "providerPid": "p",
                "consumerPid": "c",
                "state": "REQUESTED",
            },
            m.TransferStartMessage,
            "expected a TransferStartMessage",
        ),
        ([], m.CatalogRequestMessage, "JSON object"),
    ],
)
def test_bad_messages_are_refused_naming_the_problem(
    document: Any, expected: type[m.DspModel], fragment: str
) -> None:
    with pytest.raises(ProtocolMessageError) as info:
        m.parse_message(document, expected)
    assert fragment in str(info.value)


def test_request_with_both_callback_and_provider_pid_is_refused() -> None:
    document = m.ContractRequestMessage(
        consumerPid=PID_C, providerPid=PID_P, offer=_offer()
    ).to_json()
    document["callbackAddress"] = "https://c.example/cb"
    with pytest.raises(ProtocolMessageError):
        m.parse_message(document, m.ContractRequestMessage)
    with pytest.raises(ValueError, match="either callbackAddress"):
        m.ContractRequestMessage(
            consumerPid=PID_C, providerPid=PID_P, offer=_offer(), callbackAddress="https://x"
        )


def test_validate_message_by_type_and_unknown_type() -> None:
    validate_message(m.TransferCompletionMessage(providerPid="p", consumerPid="c").to_json())
    with pytest.raises(ProtocolMessageError, match="unknown DSP message type"):
        validate_message({"@type": "Nope"})


def test_data_address_property_lookup() -> None:
    addr = m.http_pull_address("https://p.example/data", "secret")
    assert addr.property("authorization") == "secret"
    assert addr.property("authType") == "bearer"
    assert addr.property("missing") is None
