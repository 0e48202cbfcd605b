"""Structured JSON logs with request ids, and a filter that keeps secrets out of them.

Secrets are kept out twice: known secret values (API keys, tokens the process holds) are
registered with `register_secret` and replaced wherever they appear, and anything shaped
like a bearer token, a JWT or a private JWK member is masked by pattern.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import threading
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("hinterland_request_id", default=None)

_MASK = "[redacted]"
_PATTERNS = (
    # Authorization: Bearer <token>
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    # a compact JWS/JWT
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*"),
    # the private members of a JWK, as JSON ("d": "...", also RSA's p, q, dp, dq, qi)
    re.compile(r'((?<![A-Za-z0-9_])"(?:d|p|q|dp|dq|qi)"\s*:\s*")[^"]*(")'),
    # named secrets in JSON or key=value form
    re.compile(
        r"(?i)((?<![A-Za-z0-9_])\"?[A-Za-z0-9_]*(?:privateKeyMultibase|secretKeyMultibase|api[_-]?key"
        r"|password|secret)\"?\s*[:=]\s*\"?)[^\"\s,}]+"
    ),
    # credentials inside a URL (postgresql://user:password@host)
    re.compile(r"(://[^:/@\s]+:)[^@\s/]+(@)"),
)
_secrets: set[str] = set()
_secrets_lock = threading.Lock()


def register_secret(value: str) -> None:
    """Mask this exact value in every log line from now on (ignored when very short)."""
    if len(value) >= 8:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """Mask registered secrets and secret-shaped substrings."""
    for secret in tuple(_secrets):
        text = text.replace(secret, _MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(
            lambda m: (m.group(1) if m.lastindex else "")
            + _MASK
            + (m.group(2) if (m.lastindex or 0) >= 2 else ""),
            text,
        )
    return text


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = request_id_var.get()
        if request_id:
            entry["request_id"] = request_id
        for key in ("method", "path", "status", "duration_ms"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, ensure_ascii=False, default=str))


class RedactingFormatter(logging.Formatter):
    """Plain-text formatter that still masks secrets (for interactive use)."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Send Hinterland's and uvicorn's logs to stderr, as JSON lines or plain text."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
