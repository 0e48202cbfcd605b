from __future__ import annotations

from pathlib import Path

import pytest

from hinterland.errors import ConfigurationError
from hinterland.settings import HinterlandSettings, load_settings


def test_env_nesting_and_yaml_and_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "hinterland.yaml"
    config.write_text("data_dir: /srv/h\njsonld:\n  max_depth: 40\ndatabase:\n  echo: true\n")
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "HINTERLAND_LOG_LEVEL").write_text("DEBUG")
    (secrets / "HINTERLAND_DATABASE__URL").write_text("postgresql://u:secret@db/h")
    monkeypatch.setenv("HINTERLAND_JSONLD__MAX_DEPTH", "50")

    settings = load_settings(config_file=config, secrets_dir=secrets)

    assert settings.jsonld.max_depth == 50  # environment beats the file
    assert settings.database.echo is True  # from the file
    assert settings.data_dir == Path("/srv/h")
    assert settings.log_level == "DEBUG"  # from the secrets directory
    assert settings.database_url() == "postgresql://u:secret@db/h"
    assert load_settings(config_file=config).database_url() == (
        "sqlite+aiosqlite:////srv/h/hinterland.db"
    )


def test_invalid_values_name_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HINTERLAND_JSONLD__MAX_DEPTH", "1")
    with pytest.raises(ConfigurationError, match="max_depth"):
        load_settings()


def test_missing_config_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="does not exist"):
        load_settings(config_file=tmp_path / "nope.yaml")


def test_defaults_need_no_environment() -> None:
    assert HinterlandSettings().did.allow_private_addresses is False
