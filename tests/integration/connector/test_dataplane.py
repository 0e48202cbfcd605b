"""The data plane: token-bound, range-capable streaming with digests, re-checked usage,
and a signed licence with every print."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from conftest import CONSUMER_DID, PROVIDER_DID, Pair
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from test_dsp_flow import MEMBERS_ONLY, PRINT_LICENCE, _negotiate, _print

from connector.api.dataplane import RECHECK_SECONDS, _stream
from connector.assets.files import store_stream
from connector.dsp import messages as m
from connector.services.download import download
from connector.statemachine import TransferEvent
from connector.store.processes import run_write
from connector.store.tables import AssetRow, TransferRow
from hinterland.did import DidResolver
from hinterland.verify import verify_document

SIZE = 3 * 1024 * 1024 + 123  # more than three chunks


async def _chunks(data: bytes) -> AsyncIterator[bytes]:
    for i in range(0, len(data), 65536):
        yield data[i : i + 65536]


async def _provision_file(pair: Pair, data: bytes) -> None:
    state = pair.provider.state
    stored = await store_stream(_chunks(data), state.settings.asset_dir(), max_bytes=10**9)
    offers = state.services.offers
    await offers.put_asset(
        AssetRow(
            id="urn:asset:bracket",
            kind="file",
            title="Mounting bracket",
            media_type="model/stl",
            file_name="bracket.stl",
            sha256=stored.sha256,
            size=stored.size,
            properties={},
        )
    )
    await offers.put_policy("members", {"@id": "urn:policy:members", **MEMBERS_ONLY})
    await offers.put_policy("print3", {"@id": "urn:policy:print3", **PRINT_LICENCE})
    await offers.put_offer("bracket-print", {"assets": ["urn:asset:bracket"]}, "members", "print3")


@pytest.fixture
def data() -> bytes:
    return os.urandom(SIZE)


async def _started(pair: Pair, data: bytes) -> TransferRow:
    await _provision_file(pair, data)
    negotiation = await _negotiate(pair)
    row = await _print(pair, negotiation.agreement_id)
    assert row.state == "STARTED", row.reason
    return row


async def test_download_with_digest_and_signed_licence(
    pair: Pair, data: bytes, tmp_path: Path
) -> None:
    row = await _started(pair, data)
    got = await download(row, tmp_path / "bracket.stl", pair.client)
    assert got.size == SIZE and got.sha256 == hashlib.sha256(data).hexdigest()
    assert (tmp_path / "bracket.stl").read_bytes() == data
    licence = got.licence
    assert licence is not None
    subject = licence["credentialSubject"]
    assert subject["id"] == CONSUMER_DID and subject["fileSha256"] == got.sha256
    assert (subject["useNumber"], subject["usesAllowed"]) == (1, 3)
    assert subject["agreement"] == row.agreement_id
    resolver = DidResolver(documents={PROVIDER_DID: pair.provider.app.state.did_document})
    report = await verify_document(licence, resolver=resolver)
    assert report.valid, report.to_dict()
    licence["credentialSubject"]["usesAllowed"] = 30
    assert not (await verify_document(licence, resolver=resolver)).valid


async def test_range_resume_etag_and_digest_headers(
    pair: Pair, data: bytes, tmp_path: Path
) -> None:
    row = await _started(pair, data)
    address = m.DataAddress.model_validate(row.data_address)
    auth = {"Authorization": f"Bearer {address.property('authorization')}"}
    part = await pair.client.get(address.endpoint, headers={**auth, "Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{SIZE}"
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    assert part.headers["repr-digest"] == f"sha-256=:{digest}:"
    etag = part.headers["etag"]
    assert (
        await pair.client.get(address.endpoint, headers={**auth, "If-None-Match": etag})
    ).status_code == 304
    tail = await pair.client.get(address.endpoint, headers={**auth, "Range": "bytes=-10"})
    assert tail.content == data[-10:]
    stale = await pair.client.get(
        address.endpoint, headers={**auth, "Range": "bytes=0-9", "If-Range": '"old"'}
    )
    assert stale.status_code == 200 and len(stale.content) == SIZE
    bad = await pair.client.get(address.endpoint, headers={**auth, "Range": f"bytes={SIZE}-"})
    assert bad.status_code == 416 and bad.headers["content-range"] == f"bytes */{SIZE}"
    # resume a partial download
    partial = tmp_path / "partial.stl"
    partial.write_bytes(data[:1_000_000])
    got = await download(row, partial, pair.client)
    assert got.sha256 == hashlib.sha256(data).hexdigest()


async def test_only_the_transfer_token_opens_it_and_only_while_started(
    pair: Pair, data: bytes
) -> None:
    row = await _started(pair, data)
    address = m.DataAddress.model_validate(row.data_address)
    auth = {"Authorization": f"Bearer {address.property('authorization')}"}
    assert (await pair.client.get(address.endpoint)).status_code == 401
    wrong = await pair.client.get(address.endpoint, headers={"Authorization": "Bearer forged"})
    assert wrong.status_code == 401
    other = address.endpoint.rsplit("/", 1)[0] + "/urn:uuid:someone-else"
    assert (await pair.client.get(other, headers=auth)).status_code == 401
    consumer = pair.consumer.state
    await consumer.transfer.act(row.pid, TransferEvent.SUSPENSION, reason="pause")

    async def provider_suspended() -> bool:
        provider = await pair.provider.state.services.transfers.get(row.remote_pid)
        return provider.state == "SUSPENDED"

    assert await consumer.services.signals.wait_until(provider_suspended, within=10)
    refused = await pair.client.get(address.endpoint, headers=auth)
    assert refused.status_code == 403 and "SUSPENDED" in refused.json()["message"]
    await consumer.transfer.act(row.pid, TransferEvent.START)

    async def provider_started() -> bool:
        provider = await pair.provider.state.services.transfers.get(row.remote_pid)
        return provider.state == "STARTED"

    assert await consumer.services.signals.wait_until(provider_started, within=10)
    assert (
        await pair.client.get(address.endpoint, headers={**auth, "Range": "bytes=0-0"})
    ).status_code == 206


async def test_streaming_stops_when_the_transfer_is_suspended(pair: Pair, data: bytes) -> None:
    row = await _started(pair, data)
    provider = pair.provider.state
    asset = await provider.services.offers.get_asset("urn:asset:bracket")
    path = provider.settings.asset_dir() / asset.sha256
    big = path.with_name("big")
    big.write_bytes(data * 4)  # 12 MiB: more chunks than the re-check interval
    received = 0
    async for chunk in _stream(provider, row.remote_pid, big, 0, len(data) * 4 - 1):
        received += len(chunk)
        if received == len(chunk):  # after the first chunk, the provider suspends
            await provider.transfer.act(row.remote_pid, TransferEvent.SUSPENSION, reason="stop")
    assert 0 < received < len(data) * 4
    assert received <= 2 * 1024 * 1024  # signalled in this process: the next chunk stops


async def test_a_suspension_by_another_replica_stops_the_stream_soon(
    pair: Pair, data: bytes
) -> None:
    """A state written to the database by another process sends no in-process signal: the
    stream reads the state again every RECHECK_SECONDS."""
    row = await _started(pair, data)
    provider = pair.provider.state
    asset = await provider.services.offers.get_asset("urn:asset:bracket")
    big = (provider.settings.asset_dir() / asset.sha256).with_name("big")
    big.write_bytes(data * 8)  # 24 chunks of 1 MiB

    async def suspend_elsewhere(session: AsyncSession) -> None:
        await session.execute(
            update(TransferRow).where(TransferRow.pid == row.remote_pid).values(state="SUSPENDED")
        )

    received = 0
    async for chunk in _stream(provider, row.remote_pid, big, 0, len(data) * 8 - 1):
        received += len(chunk)
        if received == len(chunk):
            await run_write(provider.services.engine, suspend_elsewhere)  # no signal
        await asyncio.sleep(RECHECK_SECONDS / 4)  # a slow client: 4 chunks per re-check
    assert 0 < received < len(data) * 8
    assert received <= 6 * 1024 * 1024


async def test_usage_is_rechecked_on_every_access(pair: Pair, data: bytes) -> None:
    row = await _started(pair, data)
    address = m.DataAddress.model_validate(row.data_address)
    auth = {"Authorization": f"Bearer {address.property('authorization')}"}
    # the claims the provider holds for the consumer now place it outside Germany
    provider_row = await pair.provider.state.services.transfers.get(row.remote_pid)

    async def move(session: AsyncSession) -> None:
        await session.execute(
            update(TransferRow)
            .where(TransferRow.pid == provider_row.pid)
            .values(claims={"spatial": "FR"})
        )

    await run_write(pair.provider.state.services.engine, move)
    refused = await pair.client.get(address.endpoint, headers=auth)
    assert refused.status_code == 403
    assert "FR" in refused.json()["message"]


async def test_a_printed_3mf_carries_its_licence(pair: Pair, tmp_path: Path) -> None:
    from connector_meshes import write_3mf

    from connector.assets.printmeta import print_metadata
    from connector.assets.threemf import licence_of

    source = write_3mf(tmp_path / "bracket.3mf")
    state = pair.provider.state
    stored = await store_stream(
        _chunks(source.read_bytes()), state.settings.asset_dir(), max_bytes=10**9
    )
    await state.services.offers.put_asset(
        AssetRow(
            id="urn:asset:bracket",
            kind="file",
            title="Bracket 3MF",
            media_type="model/3mf",
            file_name="bracket.3mf",
            sha256=stored.sha256,
            size=stored.size,
            properties={},
        )
    )
    await state.services.offers.put_policy("members", {"@id": "urn:policy:members", **MEMBERS_ONLY})
    await state.services.offers.put_policy("print3", {"@id": "urn:policy:print3", **PRINT_LICENCE})
    await state.services.offers.put_offer(
        "bracket-print", {"assets": ["urn:asset:bracket"]}, "members", "print3"
    )
    negotiation = await _negotiate(pair)
    row = await _print(pair, negotiation.agreement_id)
    got = await download(row, tmp_path / "printed.3mf", pair.client)
    stamped = licence_of(got.path)
    assert got.licence is not None
    assert stamped == {"hinterland:Licence": got.licence["id"], "hinterland:Licensee": CONSUMER_DID}
    subject = got.licence["credentialSubject"]
    assert subject["fileSha256"] == stored.sha256
    assert subject["deliveredSha256"] == got.sha256 != stored.sha256
    # still the same part for a slicer
    assert print_metadata(got.path, "printed.3mf") == print_metadata(source, "bracket.3mf")


async def test_an_expired_token_or_a_completed_transfer_opens_nothing(
    pair: Pair, data: bytes
) -> None:
    row = await _started(pair, data)
    address = m.DataAddress.model_validate(row.data_address)
    auth = {"Authorization": f"Bearer {address.property('authorization')}"}
    provider = pair.provider.state.services

    async def expire(session: AsyncSession) -> None:
        await session.execute(
            update(TransferRow)
            .where(TransferRow.pid == row.remote_pid)
            .values(token_expires=provider.clock() - 1)
        )

    await run_write(provider.engine, expire)
    expired = await pair.client.get(address.endpoint, headers=auth)
    assert expired.status_code == 401 and "expired" in expired.json()["message"]

    again = await _print(pair, row.agreement_id)
    address = m.DataAddress.model_validate(again.data_address)
    auth = {"Authorization": f"Bearer {address.property('authorization')}"}
    await pair.consumer.state.transfer.act(again.pid, TransferEvent.COMPLETION)

    async def completed() -> bool:
        return (await provider.transfers.get(again.remote_pid)).state == "COMPLETED"

    assert await pair.consumer.state.services.signals.wait_until(completed, within=10)
    done = await pair.client.get(address.endpoint, headers=auth)
    assert done.status_code == 403 and "COMPLETED" in done.json()["message"]
