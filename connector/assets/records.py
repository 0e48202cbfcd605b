"""Value-chain records: JSON or CSV in, validated, stored as one JSON array.

The `pcf` record type is a product carbon footprint in the spirit of the WBCSD PACT data
model (reduced to what partner firms exchange most): product, period, declared unit, and
the footprint in kg CO2e per declared unit. Every record of a `pcf` asset is checked
against this schema; errors name the record and the field.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from typing import Any

from jsonschema import Draft202012Validator

from hinterland.errors import InputError, LimitExceeded

MAX_RECORDS = 100_000

PCF_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://w3id.org/hinterland/schemas/pcf-record.json",
    "title": "Product carbon footprint record",
    "type": "object",
    "required": [
        "id", "productId", "productName", "companyName", "declaredUnit",
        "unitaryProductAmount", "pcfExcludingBiogenic", "referencePeriodStart",
        "referencePeriodEnd", "geography",
    ],
    "properties": {
        "id": {"type": "string", "minLength": 1, "maxLength": 200},
        "productId": {"type": "string", "minLength": 1, "maxLength": 200},
        "productName": {"type": "string", "minLength": 1, "maxLength": 500},
        "companyName": {"type": "string", "minLength": 1, "maxLength": 500},
        "declaredUnit": {
            "enum": ["liter", "kilogram", "cubic meter", "kilowatt hour", "megajoule",
                     "ton kilometer", "square meter", "piece"],
        },
        "unitaryProductAmount": {"type": "number", "exclusiveMinimum": 0},
        "pcfExcludingBiogenic": {"type": "number", "minimum": 0},
        "pcfIncludingBiogenic": {"type": "number"},
        "fossilGhgEmissions": {"type": "number", "minimum": 0},
        "primaryDataShare": {"type": "number", "minimum": 0, "maximum": 100},
        "referencePeriodStart": {"type": "string", "format": "date-time"},
        "referencePeriodEnd": {"type": "string", "format": "date-time"},
        "geography": {"type": "string", "pattern": "^[A-Z]{2}(-[A-Z0-9]{1,3})?$"},
        "crossSectoralStandards": {"type": "array", "items": {"type": "string"}},
        "version": {"type": "integer", "minimum": 0},
    },
    "additionalProperties": True,
}
RECORD_TYPES: dict[str, dict[str, Any]] = {"pcf": PCF_SCHEMA}
NUMBER_FIELDS = {
    "pcf": {"unitaryProductAmount", "pcfExcludingBiogenic", "pcfIncludingBiogenic",
            "fossilGhgEmissions", "primaryDataShare"},
}
INTEGER_FIELDS = {"pcf": {"version"}}


def parse_records(raw: bytes, *, media_type: str, record_type: str | None) -> list[dict[str, Any]]:
    """Records from a JSON array (or `{"records": [...]}`) or CSV with a header row,
    validated against the record type's schema if one is given."""
    if record_type is not None and record_type not in RECORD_TYPES:
        raise InputError(
            f"unknown record type {record_type!r}; known: {', '.join(sorted(RECORD_TYPES))}"
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("records must be UTF-8 text") from None
    if "csv" in media_type:
        records: Any = list(csv.DictReader(io.StringIO(text)))
        records = [_typed(r, record_type) for r in records]
    else:
        try:
            records = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"records are not JSON: {exc}") from None
        if isinstance(records, dict) and isinstance(records.get("records"), list):
            records = records["records"]
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise InputError("records must be a JSON array of objects (or CSV with a header row)")
    if not records:
        raise InputError("there are no records")
    if len(records) > MAX_RECORDS:
        raise LimitExceeded(f"at most {MAX_RECORDS} records per asset")
    if record_type is not None:
        validator = Draft202012Validator(
            RECORD_TYPES[record_type], format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        for index, record in enumerate(records, start=1):
            errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
            if errors:
                first = errors[0]
                field = "/".join(str(p) for p in first.path) or "(record)"
                raise InputError(
                    f"record {index} ({record.get('id', 'no id')}) is not a valid "
                    f"{record_type} record: {field}: {first.message}"
                )
    return records


def _typed(row: dict[str, str], record_type: str | None) -> dict[str, Any]:
    """CSV cells are text: convert the numeric fields of a known record type."""
    result: dict[str, Any] = {k: v for k, v in row.items() if k is not None and v != ""}
    if record_type is None:
        return result
    # a cell that does not convert stays text, and the schema check names it
    for name in NUMBER_FIELDS.get(record_type, set()) & set(result):
        with contextlib.suppress(ValueError):
            result[name] = float(result[name])
    for name in INTEGER_FIELDS.get(record_type, set()) & set(result):
        with contextlib.suppress(ValueError):
            result[name] = int(result[name])
    if isinstance(result.get("crossSectoralStandards"), str):
        result["crossSectoralStandards"] = result["crossSectoralStandards"].split(";")
    return result


def records_json(records: list[dict[str, Any]]) -> bytes:
    """The stored (and delivered) form of records."""
    return json.dumps(records, ensure_ascii=False, indent=None, separators=(",", ":")).encode()
