"""No secret reaches a log line."""

from __future__ import annotations

import json
import logging

import pytest

from hinterland.web.logging import JsonFormatter, configure_logging, redact, register_secret


def test_registered_secrets_and_secret_shapes_are_masked() -> None:
    register_secret("hl_admin_0123456789abcdef")
    line = redact(
        "key hl_admin_0123456789abcdef; Authorization: Bearer abc.def-ghi; "
        'jwk {"kty":"OKP","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}; '
        "token eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2ln; "
        "db postgresql://hl:s3cretpw@db:5432/h"
    )
    for secret in (
        "hl_admin_0123456789abcdef",
        "abc.def-ghi",
        "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",
        "eyJhbGciOiJFZERTQSJ9",
        "s3cretpw",
    ):
        assert secret not in line
    assert "postgresql://hl:[redacted]@db:5432/h" in line
    assert "Bearer [redacted]" in line


def test_json_lines_carry_level_logger_and_message(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json_lines=True)
    token = "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2ln"
    logging.getLogger("hinterland.test").info("published %s with key %s", "sd-1", token)
    entry = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert entry["level"] == "INFO" and entry["logger"] == "hinterland.test"
    assert entry["message"].startswith("published sd-1 with key ")
    assert "eyJhbGciOiJFZERTQSJ9" not in entry["message"]


def test_formatter_masks_exceptions_too() -> None:
    register_secret("super-secret-api-key-value")
    try:
        raise ValueError("bad key super-secret-api-key-value")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
        import sys

        record.exc_info = sys.exc_info()
    assert "super-secret-api-key-value" not in JsonFormatter().format(record)


def test_ordinary_values_are_left_alone() -> None:
    line = (
        '{"method": "GET", "path": "/dsp/2025-1/catalog/request", "request_id": "a1b2c3", '
        '"did": "did:web:127.0.0.1%3A8181", "url": "http://127.0.0.1:8181/x", '
        '"jwk": {"kty": "OKP", "crv": "Ed25519", '
        '"x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}'
    )
    assert redact(line) == line


def test_key_value_secrets_are_masked() -> None:
    line = redact(
        'connecting with api_key=abcdef123456 and password: hunter22! '
        '{"management_api_key": "hl_0123456789"}'
    )
    for secret in ("abcdef123456", "hunter22!", "hl_0123456789"):
        assert secret not in line
