"""The audit log: a hash chain with signed checkpoints; the verifier names each tampering."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner

from connector.audit.chain import canonical, entry_hash
from connector.audit.log import AuditLog
from connector.audit.verify import verify_export
from hinterland.cli.main import app
from hinterland.did import did_web_document
from hinterland.keys import PrivateKey

DID = "did:web:tools.example"


@pytest.fixture
def key() -> PrivateKey:
    return PrivateKey.generate()


def _log(engine: AsyncEngine, key: PrivateKey) -> AuditLog:
    return AuditLog(engine, key, signer=DID, verification_method=f"{DID}#key-1", checkpoint_every=5)


async def _export(log: AuditLog) -> list[str]:
    return [line async for line in log.export()]


async def _filled(engine: AsyncEngine, key: PrivateKey, n: int = 12) -> list[str]:
    log = _log(engine, key)
    for i in range(n):
        await log.append("transfer.transition", {"transfer": f"urn:t:{i}", "state": "STARTED"})
    return await _export(log)


def _entries(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def _text(items: list[dict[str, Any]]) -> str:
    return "".join(canonical(item) + "\n" for item in items)


def _kinds(text: str, key: PrivateKey) -> set[tuple[str, int | None]]:
    report = verify_export(text, did_web_document(DID, key.public()))
    return {(f.kind, f.seq) for f in report.findings}


def _index(items: list[dict[str, Any]], seq: int) -> int:
    return next(i for i, item in enumerate(items) if item.get("seq") == seq)


async def test_intact_log_verifies(engine: AsyncEngine, key: PrivateKey) -> None:
    lines = await _filled(engine, key)
    report = verify_export("".join(lines), did_web_document(DID, key.public()))
    assert report.valid, report.findings
    assert report.entries == 12
    assert report.checkpoints == 3  # at 5, at 10, and the export checkpoint over 12


async def test_changed_entry_is_named(engine: AsyncEngine, key: PrivateKey) -> None:
    items = _entries(await _filled(engine, key))
    items[_index(items, 7)]["data"]["state"] = "COMPLETED"
    assert ("changed", 7) in _kinds(_text(items), key)


async def test_changed_and_rehashed_entry_is_named(engine: AsyncEngine, key: PrivateKey) -> None:
    items = _entries(await _filled(engine, key))
    i = _index(items, 7)
    items[i]["data"]["state"] = "COMPLETED"
    items[i]["hash"] = entry_hash(items[i])
    assert ("changed", 7) in _kinds(_text(items), key)


async def test_rewritten_chain_is_caught_by_the_signed_checkpoint(
    engine: AsyncEngine, key: PrivateKey
) -> None:
    items = _entries(await _filled(engine, key))
    entries = [item for item in items if "seq" in item]
    entries[2]["data"]["state"] = "COMPLETED"  # entry 3, then re-hash the whole chain
    prev = "0" * 64
    for entry in entries:
        entry["prev"] = prev
        entry["hash"] = prev = entry_hash(entry)
    kinds = _kinds(_text(items), key)
    assert ("changed", 5) in kinds  # the first checkpoint after the edit no longer matches


async def test_deleted_entry_is_named(engine: AsyncEngine, key: PrivateKey) -> None:
    items = _entries(await _filled(engine, key))
    del items[_index(items, 8)]
    assert ("deleted", 8) in _kinds(_text(items), key)


async def test_inserted_entry_is_named(engine: AsyncEngine, key: PrivateKey) -> None:
    items = _entries(await _filled(engine, key))
    i = _index(items, 8)
    forged = {**items[i], "data": {"transfer": "urn:t:forged", "state": "STARTED"}}
    forged["hash"] = entry_hash(forged)
    items.insert(i + 1, forged)
    assert ("inserted", 8) in _kinds(_text(items), key)


async def test_appended_entry_is_caught_by_the_export_checkpoint(
    engine: AsyncEngine, key: PrivateKey
) -> None:
    items = _entries(await _filled(engine, key))
    last = items[_index(items, 12)]
    extra = {"seq": 13, "time": last["time"], "kind": "x", "data": {}, "prev": last["hash"]}
    extra["hash"] = entry_hash(extra)
    items.append(extra)
    assert ("unsigned-tail", 13) in _kinds(_text(items), key)


async def test_reordered_entries_are_named(engine: AsyncEngine, key: PrivateKey) -> None:
    items = _entries(await _filled(engine, key))
    i, j = _index(items, 7), _index(items, 8)
    items[i], items[j] = items[j], items[i]
    kinds = _kinds(_text(items), key)
    assert ("reordered", 7) in kinds or ("reordered", 8) in kinds
    assert not any(kind in ("changed", "deleted", "inserted") for kind, _ in kinds)


async def test_truncated_tail_and_forged_signature(engine: AsyncEngine, key: PrivateKey) -> None:
    items = _entries(await _filled(engine, key))
    truncated = items[: _index(items, 11)]
    assert any(kind == "unsigned-tail" for kind, _ in _kinds(_text(truncated), key))
    forged = _entries(await _filled(engine, key, n=0))  # a fresh export line
    items[-1]["checkpoint"]["signature"] = forged[-1]["checkpoint"]["signature"]
    assert ("signature", 12) in _kinds(_text(items), key)
    other = PrivateKey.generate()
    assert ("signature", 5) in _kinds("".join(await _export(_log(engine, key))), other)


async def test_concurrent_appends_keep_one_chain(engine: AsyncEngine, key: PrivateKey) -> None:
    log = _log(engine, key)
    await asyncio.gather(*(log.append("access", {"i": i}) for i in range(25)))
    assert await log.count() == 25
    report = verify_export("".join(await _export(log)), did_web_document(DID, key.public()))
    assert report.valid, report.findings


def test_cli_verify_exit_codes(tmp_path: Path, key: PrivateKey, sqlite_url: str) -> None:
    from hinterland.db import create_engine, migrate

    migrate.upgrade(sqlite_url)

    async def build() -> list[str]:
        engine = create_engine(sqlite_url)
        try:
            return await _filled(engine, key)
        finally:
            await engine.dispose()

    lines = asyncio.run(build())
    log_file, did_file = tmp_path / "audit.jsonl", tmp_path / "did.json"
    log_file.write_text("".join(lines))
    did_file.write_text(json.dumps(did_web_document(DID, key.public())))
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", str(log_file), "--did-document", str(did_file)])
    assert ok.exit_code == 0, ok.output
    assert "intact" in ok.output
    items = _entries(lines)
    del items[_index(items, 4)]
    log_file.write_text(_text(items))
    bad = runner.invoke(app, ["audit", "verify", str(log_file), "--did-document", str(did_file)])
    assert bad.exit_code == 1
    assert "entry 4 is missing" in bad.output
    log_file.write_text("not json\n")
    broken = runner.invoke(app, ["audit", "verify", str(log_file), "--did-document", str(did_file)])
    assert broken.exit_code == 2
