"""Catalog settings: `HINTERLAND_CATALOG__*` environment variables or the `catalog:` section
of the YAML config file, on top of the shared `HinterlandSettings`."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

from hinterland.settings import HinterlandSettings

ParticipantPolicy = Literal["open", "onboarded", "trust_list"]
ShapesSetting = Literal["gaia-x-22.10", "gaia-x-25.11", "none"]


class CatalogOptions(BaseModel):
    """What the catalog accepts, whom it peers with and the limits it enforces."""

    base_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    key_file: Path | None = None
    did: str | None = None
    admin_dids: list[str] = Field(default_factory=list)
    # operator endpoints (`POST /federation/sync`); unset, they are disabled
    admin_api_key: SecretStr | None = None
    participant_policy: ParticipantPolicy = "onboarded"
    trusted_issuers: list[str] = Field(default_factory=list)
    shapes: ShapesSetting = "none"
    hinterland_shapes: bool = True  # always check Need/PrintService/... against our shapes
    compliance_validity_days: int = Field(default=90, ge=1, le=3650)
    membership_validity_days: int = Field(default=365, ge=1, le=3650)
    max_request_bytes: int = Field(default=2_000_000, ge=1_024)
    page_size_default: int = Field(default=20, ge=1, le=500)
    page_size_max: int = Field(default=200, ge=1, le=5_000)
    sparql_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    sparql_max_results: int = Field(default=10_000, ge=1)
    sparql_max_query_bytes: int = Field(default=20_000, ge=64)
    # heap of the SPARQL evaluator process: the store (about 7 MB per 1,000 entries) plus
    # what a query builds; a query that needs more ends with 413
    sparql_max_memory_mb: int = Field(default=4_096, ge=64)
    peers: list[str] = Field(default_factory=list)
    peer_poll_seconds: float = Field(default=30.0, gt=0)
    peer_page_size: int = Field(default=100, ge=1, le=1_000)
    sweep_seconds: float = Field(default=60.0, gt=0)
    search_cache_entries: int = Field(default=256, ge=0, le=100_000)  # 0: no facet cache


class CatalogSettings(HinterlandSettings):
    """Settings of a catalog server."""

    catalog: CatalogOptions = Field(default_factory=CatalogOptions)
