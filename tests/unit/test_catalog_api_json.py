"""`json_object`: a JSON object with members given as JSON text already."""

from __future__ import annotations

import json

from catalog.api import json_object


def test_members_and_texts_make_one_object_in_order() -> None:
    body = json_object({"id": "sd-1", "name": "Gehäuse"}, {"report": '{"valid":true}'})
    assert json.loads(body) == {"id": "sd-1", "name": "Gehäuse", "report": {"valid": True}}
    assert list(json.loads(body)) == ["id", "name", "report"]
    assert "Gehäuse".encode() in body  # UTF-8, as JSONResponse answers


def test_either_part_may_be_empty() -> None:
    assert json.loads(json_object({}, {"a": "[1]", "b": "null"})) == {"a": [1], "b": None}
    assert json.loads(json_object({"a": 1}, {})) == {"a": 1}
    assert json_object({}, {}) == b"{}"


def test_member_names_are_escaped() -> None:
    assert json.loads(json_object({}, {'we"ird': "1"})) == {'we"ird': 1}
