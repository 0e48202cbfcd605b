"""Settings, read from (highest first) keyword arguments, `HINTERLAND_*` environment
variables (`__` nests: `HINTERLAND_DATABASE__URL`), a secrets directory (one file per
setting, named like its environment variable, e.g. a file `HINTERLAND_DATABASE__URL`
mounted from a Kubernetes secret) and an optional YAML file.

Nothing here is instantiated at import time: call `load_settings()` (or a component's
subclass via `load_settings(CatalogSettings, ...)`) where the program starts.
"""

from __future__ import annotations

from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)

from hinterland.errors import ConfigurationError

_config_file: ContextVar[Path | None] = ContextVar("hinterland_config_file", default=None)
_secrets_dir: ContextVar[Path | None] = ContextVar("hinterland_secrets_dir", default=None)


class SecretsDirectorySource(PydanticBaseSettingsSource):
    """Reads one file per setting, named like its environment variable (`__` nests).

    pydantic-settings' own secrets source does not nest, and a database URL with its
    password is exactly the nested secret an operator mounts.
    """

    prefix = "HINTERLAND_"

    def __init__(self, settings_cls: type[BaseSettings], secrets_dir: Path) -> None:
        super().__init__(settings_cls)
        self.secrets_dir = secrets_dir

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything is returned by __call__

    def __call__(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for path in sorted(self.secrets_dir.iterdir()):
            if not path.is_file() or not path.name.upper().startswith(self.prefix):
                continue
            keys = path.name[len(self.prefix) :].lower().split("__")
            node = values
            for key in keys[:-1]:
                node = node.setdefault(key, {})
            node[keys[-1]] = path.read_text("utf-8").strip()
        return values


class DatabaseSettings(BaseModel):
    """Where state lives. Empty `url` means a SQLite file under the data directory."""

    url: str = ""
    echo: bool = False
    pool_size: int = Field(default=5, ge=1, le=200)
    migrate_on_start: bool = False


class JsonLdSettings(BaseModel):
    """Limits and the allow-list for JSON-LD processing."""

    allowed_remote_contexts: list[str] = Field(default_factory=list)
    remote_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    remote_max_bytes: int = Field(default=1_000_000, ge=1_024)
    max_document_bytes: int = Field(default=2_000_000, ge=1_024)
    max_depth: int = Field(default=64, ge=4, le=1_000)
    max_blank_nodes: int = Field(default=2_000, ge=1)
    canonicalization_seconds: float = Field(default=1.0, gt=0, le=60)


class DidSettings(BaseModel):
    """How DIDs are resolved."""

    allow_private_addresses: bool = False
    allow_http: bool = False
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    max_document_bytes: int = Field(default=200_000, ge=1_024)
    cache_seconds: float = Field(default=300.0, ge=0)
    trust_dir: Path | None = None


class HinterlandSettings(BaseSettings):
    """Settings shared by every Hinterland server and command."""

    model_config = SettingsConfigDict(
        env_prefix="HINTERLAND_",
        env_nested_delimiter="__",
        extra="ignore",
        case_sensitive=False,
    )

    data_dir: Path = Path("./hinterland-data")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    jsonld: JsonLdSettings = Field(default_factory=JsonLdSettings)
    did: DidSettings = Field(default_factory=DidSettings)
    log_level: str = "INFO"
    log_json: bool = True
    # when set, GET /metrics needs it (Bearer or X-API-Key): keep the figures off the
    # public side of an ingress that routes every path
    metrics_api_key: SecretStr | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        secrets_dir = _secrets_dir.get()
        if secrets_dir is not None:
            sources.append(SecretsDirectorySource(settings_cls, secrets_dir))
        config_file = _config_file.get()
        if config_file is not None:
            sources.append(YamlConfigSettingsSource(settings_cls, yaml_file=config_file))
        return tuple(sources)

    def database_url(self) -> str:
        """The SQLAlchemy URL, defaulting to a SQLite file in the data directory."""
        if self.database.url:
            return self.database.url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'hinterland.db').resolve()}"


SettingsT = TypeVar("SettingsT", bound=HinterlandSettings)


def load_settings(
    cls: type[SettingsT] = HinterlandSettings,  # type: ignore[assignment]
    *,
    config_file: Path | None = None,
    secrets_dir: Path | None = None,
    **overrides: Any,
) -> SettingsT:
    """Build settings from the environment, an optional YAML file and secrets directory.

    Raises `ConfigurationError` naming the file or setting that is wrong.
    """
    if config_file is not None and not config_file.is_file():
        raise ConfigurationError(f"config file {config_file} does not exist")
    if secrets_dir is not None and not secrets_dir.is_dir():
        raise ConfigurationError(f"secrets directory {secrets_dir} does not exist")
    file_token = _config_file.set(config_file)
    secrets_token = _secrets_dir.set(secrets_dir)
    try:
        return cls(**overrides)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise ConfigurationError(f"invalid settings: {exc}") from exc
    finally:
        _config_file.reset(file_token)
        _secrets_dir.reset(secrets_token)
