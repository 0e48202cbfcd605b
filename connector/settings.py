"""Connector settings (`HINTERLAND_CONNECTOR__*`), a subclass of the shared settings."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr

from connector.declarations import Declarations
from hinterland.settings import HinterlandSettings


class ConnectorOptions(BaseModel):
    """One company's connector."""

    did: str = ""
    """Our DID (did:web), the `iss` of our tokens and the `aud` callers address."""
    public_url: str = "http://127.0.0.1:8181"
    """Where partners reach us (DSP base is `public_url + dsp_path`)."""
    dsp_path: str = "/dsp/2025-1"
    host: str = "127.0.0.1"
    """Address `connector serve` binds to (0.0.0.0 in a container)."""
    port: int = Field(default=8181, ge=0, le=65535)
    """Port `connector serve` listens on."""
    key_file: Path | None = None
    """Our private key (JWK), used for identity tokens, licences and audit checkpoints."""
    management_api_key: SecretStr | None = None
    storage_dir: Path | None = None
    """Where uploaded files live (default: `<data_dir>/assets`)."""
    token_lifetime_seconds: int = Field(default=300, ge=10, le=300)
    """Lifetime of the identity tokens we issue (DSP callers: at most 5 minutes)."""
    data_token_lifetime_seconds: int = Field(default=3600, ge=10)
    max_message_bytes: int = Field(default=1_000_000, ge=1_024)
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1_024)
    catalog_page_size: int = Field(default=50, ge=1, le=1_000)
    lease_seconds: float = Field(default=30.0, gt=0)
    poll_seconds: float = Field(default=1.0, gt=0)
    worker_id: str = ""
    """Replica id for leases (default: random per process)."""
    audit_checkpoint_every: int = Field(default=100, ge=1)
    trusted_issuers: list[str] = Field(default_factory=list)
    """DIDs whose credentials about callers we believe (e.g. the data space's catalog)."""
    catalogs: list[str] = Field(default_factory=list)
    """Federated catalogs (base URLs) we publish our self-descriptions to."""
    legal_name: str = ""
    """Our company's legal name, for the LegalParticipant we publish."""
    region: str = "DE"
    """ISO 3166-1/2 code of our headquarters (e.g. DE-SN)."""
    republish_seconds: float = Field(default=3600.0, gt=0)
    declare: Declarations | None = None
    """Assets, policies and offers applied at start (see `connector.declarations`)."""
    credentials_dir: Path | None = None
    """Our own credentials (*.json), shown to partners through `/presentations/query`."""


class ConnectorSettings(HinterlandSettings):
    """Settings of a connector process."""

    connector: ConnectorOptions = Field(default_factory=ConnectorOptions)

    def dsp_base(self) -> str:
        """The absolute DSP base URL partners call."""
        return self.connector.public_url.rstrip("/") + self.connector.dsp_path

    def asset_dir(self) -> Path:
        """Directory of uploaded asset files."""
        return self.connector.storage_dir or (self.data_dir / "assets")
