"""Validate Dataspace Protocol 2025-1 messages against the official JSON Schemas.

The schemas ship in `connector/dsp/schemas/` exactly as published (Apache-2.0). They are
resolved through a local `referencing.Registry` keyed by each schema's `$id`, so nothing is
ever fetched from the network.

The published transfer schemas reference `...transfer-schema.json#definitions/...`, which
lacks the slash a JSON Pointer needs; current `referencing` refuses such a fragment. We
repair that one typo when loading (see docs/adr/connector-0001-dsp-schemas.md) instead of
editing the files, so the copies stay byte-identical to upstream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft201909Validator
from referencing import Registry, Resource

from hinterland.errors import ProtocolMessageError

SCHEMA_BASE = "https://w3id.org/dspace/2025/1/"

#: `@type` (or a pseudo type for untyped documents) -> schema file name.
SCHEMA_FOR_TYPE: dict[str, str] = {
    "CatalogRequestMessage": "catalog-request-message-schema.json",
    "DatasetRequestMessage": "dataset-request-message-schema.json",
    "Catalog": "catalog-schema.json",
    "Dataset": "dataset-schema.json",
    "CatalogError": "catalog-error-schema.json",
    "ContractRequestMessage": "contract-request-message-schema.json",
    "ContractOfferMessage": "contract-offer-message-schema.json",
    "ContractAgreementMessage": "contract-agreement-message-schema.json",
    "ContractAgreementVerificationMessage": "contract-agreement-verification-message-schema.json",
    "ContractNegotiationEventMessage": "contract-negotiation-event-message-schema.json",
    "ContractNegotiationTerminationMessage": "contract-negotiation-termination-message-schema.json",
    "ContractNegotiation": "contract-negotiation-schema.json",
    "ContractNegotiationError": "contract-negotiation-error-schema.json",
    "TransferRequestMessage": "transfer-request-message-schema.json",
    "TransferStartMessage": "transfer-start-message-schema.json",
    "TransferSuspensionMessage": "transfer-suspension-message-schema.json",
    "TransferCompletionMessage": "transfer-completion-message-schema.json",
    "TransferTerminationMessage": "transfer-termination-message-schema.json",
    "TransferProcess": "transfer-process-schema.json",
    "TransferError": "transfer-error-schema.json",
    "VersionResponse": "protocol-version-schema.json",
}


def _repair_refs(node: Any) -> Any:
    """Turn `#definitions/x` into the JSON Pointer `#/definitions/x` everywhere."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and "#definitions/" in value:
                value = value.replace("#definitions/", "#/definitions/")
            out[key] = _repair_refs(value)
        return out
    if isinstance(node, list):
        return [_repair_refs(item) for item in node]
    return node


class SchemaSet:
    """The DSP schemas of one directory, with a registry that resolves them offline."""

    def __init__(self, documents: dict[str, dict[str, Any]]) -> None:
        self.documents = {name: _repair_refs(doc) for name, doc in documents.items()}
        self.registry: Registry[Any] = Registry().with_resources(
            (doc["$id"], Resource.from_contents(doc)) for doc in self.documents.values()
        )
        self._validators: dict[str, Draft201909Validator] = {}

    @classmethod
    def from_directory(cls, directory: Path) -> SchemaSet:
        """Load every `*-schema.json` below `directory` (recursively)."""
        docs = {
            path.name: json.loads(path.read_text("utf-8"))
            for path in sorted(directory.rglob("*-schema.json"))
        }
        return cls(docs)

    def validator(self, type_name: str) -> Draft201909Validator:
        """The validator for a message `@type` (or "VersionResponse")."""
        if type_name not in SCHEMA_FOR_TYPE:
            raise ProtocolMessageError(f"unknown DSP message type {type_name!r}")
        if type_name not in self._validators:
            schema = self.documents[SCHEMA_FOR_TYPE[type_name]]
            self._validators[type_name] = Draft201909Validator(schema, registry=self.registry)
        return self._validators[type_name]

    def errors(self, document: Any, type_name: str) -> list[str]:
        """Human-readable schema violations (empty when the document conforms)."""
        return list(_describe(self.validator(type_name).iter_errors(document)))

    def validate(self, document: Any, type_name: str) -> None:
        """Raise `ProtocolMessageError` naming each violation when `document` breaks its schema."""
        problems = self.errors(document, type_name)
        if problems:
            raise ProtocolMessageError(
                f"{type_name} does not satisfy the DSP 2025-1 schema: " + "; ".join(problems[:5])
            )


def _describe(errors: Iterator[Any]) -> Iterator[str]:
    for error in sorted(errors, key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        yield f"at {where}: {error.message}"


@cache
def bundled_schemas() -> SchemaSet:
    """The schemas bundled in the package (loaded once)."""
    root = resources.files("connector.dsp.schemas")
    docs: dict[str, dict[str, Any]] = {}
    for entry in root.iterdir():
        if entry.name.endswith("-schema.json"):
            docs[entry.name] = json.loads(entry.read_text("utf-8"))
    return SchemaSet(docs)


def validate_message(document: Any, type_name: str | None = None) -> None:
    """Validate a DSP message against the bundled schema of its `@type` (or `type_name`)."""
    if type_name is None:
        if not isinstance(document, dict) or not isinstance(document.get("@type"), str):
            raise ProtocolMessageError("a DSP message must be a JSON object with a string @type")
        type_name = document["@type"]
    bundled_schemas().validate(document, type_name)
