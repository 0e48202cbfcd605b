"""Read requests and states of the world from JSON (ours) or Turtle (the ODRL test suite).

JSON request::

    {"action": "print", "target": "urn:asset:bracket",
     "party": {"id": "did:web:partner.example", "partOf": ["urn:group:suppliers"],
               "claims": {"membership": "catena-x"}},
     "params": {"purpose": "prototyping", "spatial": "DE-SN"}, "amount": 1}

JSON state of the world (every key optional; `now` may also come from `--now`)::

    {"now": "2026-11-21T09:00:00Z", "agreedAt": "2026-11-01T00:00:00Z",
     "counts": {"urn:policy:p|print": 2}, "duties": {"urn:policy:p#duty-1": "fulfilled"},
     "partOf": {"urn:asset:bracket": ["urn:collection:parts"]}, "events": ["urn:event:x"]}
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from hinterland.errors import InputError, LimitExceeded
from policies.request import DutyState, Request, Requester, StateOfTheWorld
from policies.values import parse_datetime

MAX_INPUT_BYTES = 1_000_000


class _Party(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str = Field(min_length=1, max_length=2048)
    part_of: list[str] = Field(default_factory=list, alias="partOf")
    claims: dict[str, Any] = Field(default_factory=dict)


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    action: str = Field(min_length=1, max_length=2048)
    target: str | None = None
    party: _Party | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    amount: int = Field(default=1, ge=1, le=1_000_000)
    uid: str | None = None


class _Sotw(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    now: str | None = None
    agreed_at: str | None = Field(default=None, alias="agreedAt")
    counts: dict[str, int] = Field(default_factory=dict)
    duties: dict[str, DutyState] = Field(default_factory=dict)
    part_of: dict[str, list[str]] = Field(default_factory=dict, alias="partOf")
    events: list[str] = Field(default_factory=list)


def _problem(exc: ValidationError, what: str) -> InputError:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"]) or "document"
    return InputError(f"{what}: {where}: {first['msg']}")


def request_from_json(data: Any) -> Request:
    """A `Request` from decoded JSON (see the module docstring)."""
    try:
        model = _Request.model_validate(data)
    except ValidationError as exc:
        raise _problem(exc, "invalid request") from None
    party = model.party
    requester = None
    if party is not None:
        requester = Requester(party.id, frozenset(party.part_of), dict(party.claims))
    return Request(model.action, requester, model.target, dict(model.params), model.amount,
                   uid=model.uid)


def sotw_from_json(data: Any, *, now: datetime | None = None) -> StateOfTheWorld:
    """A `StateOfTheWorld` from decoded JSON; `now` overrides the document's time."""
    try:
        model = _Sotw.model_validate(data)
    except ValidationError as exc:
        raise _problem(exc, "invalid state of the world") from None
    if now is None:
        if model.now is None:
            raise InputError("the state of the world has no 'now'; pass --now")
        now = parse_datetime(model.now, where="now")
    return StateOfTheWorld(
        now=now,
        agreed_at=parse_datetime(model.agreed_at, where="agreedAt") if model.agreed_at else None,
        counts=dict(model.counts),
        duties=dict(model.duties),
        part_of={k: frozenset(v) for k, v in model.part_of.items()},
        events=frozenset(model.events),
    )


def read_text(path: Path, what: str) -> str:
    """A bounded UTF-8 file, with errors that name the file."""
    try:
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise LimitExceeded(f"{what} file {path} is larger than {MAX_INPUT_BYTES} bytes")
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise InputError(f"{what} file {path} does not exist") from None
    except (UnicodeDecodeError, IsADirectoryError, PermissionError) as exc:
        raise InputError(f"cannot read {what} file {path}: {exc}") from None


def _is_turtle(path: Path, text: str) -> bool:
    return path.suffix.lower() in (".ttl", ".turtle") or not text.lstrip().startswith(("{", "["))


def _json(text: str, path: Path, what: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{what} file {path} is not valid JSON: {exc}") from None


def load_request(path: Path) -> Request:
    """A request from a JSON or Turtle (`odrl:Request`) file."""
    text = read_text(path, "request")
    if _is_turtle(path, text):
        from policies.compliance import request_from_turtle

        return request_from_turtle(text)
    return request_from_json(_json(text, path, "request"))


def load_sotw(
    path: Path | None, *, now: datetime | None, default_now: datetime | None = None
) -> StateOfTheWorld:
    """A state of the world from a JSON or Turtle file, or just a time.

    `now` overrides the file's time; `default_now` is used when neither gives one.
    """
    if path is None:
        when = now or default_now
        if when is None:
            raise InputError("give --now or a --sotw file with the current time")
        return StateOfTheWorld(now=when)
    text = read_text(path, "state of the world")
    if _is_turtle(path, text):
        from policies.compliance import CURRENT_TIME, sotw_from_graph
        from policies.parse import load_graph
        from policies.terms import DCT

        graph = load_graph(text, format="turtle")
        if now is None and not graph.objects(CURRENT_TIME, DCT + "issued"):
            now = default_now
        return sotw_from_graph(graph, now=now)
    data = _json(text, path, "state of the world")
    if now is None and isinstance(data, dict) and "now" not in data:
        now = default_now
    return sotw_from_json(data, now=now)
