"""Assets, policies and offers declared in the connector's YAML config, applied at start.

An IT department keeps them in version control; applying them again changes nothing
(files are content-addressed, rows are upserted by id)::

    connector:
      declare:
        policies:
          print3: {permission: [{action: print, constraint: [...]}]}
        assets:
          - id: urn:asset:bracket
            title: Mounting bracket
            file: /srv/parts/bracket.stl
          - id: urn:asset:pcf
            title: PCF bracket A
            records: /srv/pcf/bracket-a.csv
            recordType: pcf
        offers:
          bracket-print: {assets: {assets: [urn:asset:bracket]}, accessPolicy: members,
                          contractPolicy: print3}
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from connector.assets.files import guess_media_type, iter_file, store_stream
from connector.assets.printmeta import print_metadata
from connector.assets.records import parse_records, records_json
from connector.services.context import Services
from connector.store.tables import AssetRow
from hinterland.errors import ConfigurationError, HinterlandError


class DeclaredAsset(BaseModel):
    """One asset: a file, or records (inline or from a JSON/CSV file)."""

    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    description: str | None = None
    file: Path | None = None
    records: Path | list[dict[str, Any]] | None = None
    recordType: str | None = None
    mediaType: str | None = None
    properties: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_source(self) -> DeclaredAsset:
        if (self.file is None) == (self.records is None):
            raise ValueError(f"asset {self.id}: give exactly one of 'file' and 'records'")
        return self


class DeclaredOffer(BaseModel):
    """A contract definition."""

    model_config = ConfigDict(extra="forbid")
    assets: dict[str, Any] = Field(default_factory=dict)
    accessPolicy: str
    contractPolicy: str
    recordFilter: dict[str, Any] | None = None


class Declarations(BaseModel):
    """Everything declared in the config."""

    model_config = ConfigDict(extra="forbid")
    policies: dict[str, dict[str, Any]] = Field(default_factory=dict)
    assets: list[DeclaredAsset] = Field(default_factory=list)
    offers: dict[str, DeclaredOffer] = Field(default_factory=dict)


async def apply(declarations: Declarations, services: Services, asset_dir: Path,
                *, max_bytes: int) -> None:
    """Upsert every declared policy, asset and offer; `ConfigurationError` names the entry."""
    check = getattr(services.gate, "check", None)
    for policy_id, policy in declarations.policies.items():
        try:
            if check is not None:
                check(policy)
            await services.offers.put_policy(policy_id, policy)
        except HinterlandError as exc:
            raise ConfigurationError(f"declared policy {policy_id!r}: {exc}") from None
    for asset in declarations.assets:
        try:
            await services.offers.put_asset(await _asset_row(asset, asset_dir, max_bytes))
        except (HinterlandError, OSError) as exc:
            raise ConfigurationError(f"declared asset {asset.id!r}: {exc}") from None
    for offer_id, offer in declarations.offers.items():
        try:
            selector = dict(offer.assets)
            if offer.recordFilter:
                selector["recordFilter"] = offer.recordFilter
            await services.offers.put_offer(offer_id, selector, offer.accessPolicy,
                                            offer.contractPolicy)
        except HinterlandError as exc:
            raise ConfigurationError(f"declared offer {offer_id!r}: {exc}") from None


async def _asset_row(asset: DeclaredAsset, asset_dir: Path, max_bytes: int) -> AssetRow:
    if asset.file is not None:
        stored = await store_stream(iter_file(asset.file), asset_dir, max_bytes=max_bytes)
        printing = await asyncio.to_thread(print_metadata, stored.path, asset.file.name)
        return AssetRow(
            id=asset.id, kind="file", title=asset.title, description=asset.description,
            media_type=asset.mediaType or guess_media_type(asset.file.name),
            record_type=None, file_name=asset.file.name, sha256=stored.sha256,
            size=stored.size, properties={**asset.properties,
                                          **({"print": printing} if printing else {})},
        )
    if isinstance(asset.records, Path):
        raw = await asyncio.to_thread(asset.records.read_bytes)
        media = "text/csv" if asset.records.suffix.lower() == ".csv" else "application/json"
        records = parse_records(raw, media_type=media, record_type=asset.recordType)
    else:
        records = parse_records(records_json(asset.records or []), media_type="application/json",
                                record_type=asset.recordType)
    data = records_json(records)

    async def one() -> Any:
        yield data

    stored = await store_stream(one(), asset_dir, max_bytes=max_bytes)
    return AssetRow(
        id=asset.id, kind="records", title=asset.title, description=asset.description,
        media_type="application/json", record_type=asset.recordType, file_name=None,
        sha256=stored.sha256, size=stored.size, properties=asset.properties,
    )
