"""`hinterland init`: complete output, safe file modes, never overwrites."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from hinterland.did import DidResolver
from hinterland.keys import load_private_key
from hinterland.settings import load_settings


def _init(directory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hinterland", "init", "--name", "ACME GmbH",
         "--domain", "acme.example:8443/connector", "--dir", str(directory), *extra],
        capture_output=True, text=True, timeout=120,
    )


async def test_init_creates_a_complete_installation(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    result = _init(target)
    assert result.returncode == 0, result.stderr
    assert "https://acme.example:8443/connector/did.json" in result.stdout

    key_file = target / "keys" / "connector-signing-key.json"
    api_key = target / "secrets" / "HINTERLAND_CONNECTOR__MANAGEMENT_API_KEY"
    for secret in (key_file, api_key):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert len(api_key.read_text()) >= 40
    assert api_key.read_text() not in result.stdout  # the secret is never printed

    did = "did:web:acme.example%3A8443:connector"
    document = json.loads((target / "did.json").read_text())
    assert document["id"] == did
    key = load_private_key(key_file)
    resolver = DidResolver(documents={did: document})
    method = await resolver.resolve_verification_method(f"{did}#key-1")
    assert method["publicKeyJwk"] == key.public().to_jwk()

    settings = load_settings(
        config_file=target / "hinterland.yaml", secrets_dir=target / "secrets"
    )
    assert settings.data_dir == target.resolve() / "data"
    assert settings.database.migrate_on_start is True
    assert settings.did.allow_private_addresses is False
    config_text = (target / "hinterland.yaml").read_text()
    assert f'did: "{did}"' in config_text and str(key_file.resolve()) in config_text
    assert "d" not in document["verificationMethod"][0]["publicKeyJwk"]  # no private part


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    assert _init(target).returncode == 0
    key_before = (target / "keys" / "connector-signing-key.json").read_bytes()
    again = _init(target)
    assert again.returncode == 2
    assert "refusing to overwrite" in again.stderr and "Traceback" not in again.stderr
    assert (target / "keys" / "connector-signing-key.json").read_bytes() == key_before


def test_init_for_a_catalog_has_no_api_key(tmp_path: Path) -> None:
    result = _init(tmp_path / "cat", "--role", "catalog")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cat" / "keys" / "catalog-signing-key.json").is_file()
    assert list((tmp_path / "cat" / "secrets").iterdir()) == []
    assert "participant_policy: onboarded" in (tmp_path / "cat" / "hinterland.yaml").read_text()


def test_init_rejects_a_url_as_domain(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hinterland", "init", "--name", "X", "--domain",
         "https://acme.example", "--dir", str(tmp_path / "x")],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2 and "not a URL" in result.stderr
    assert not (tmp_path / "x" / "keys").exists()
