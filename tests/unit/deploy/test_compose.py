"""deploy/compose.yaml: valid YAML whose services, ports, env names and secrets match
what the servers read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from settings_names import reads

from catalog.settings import CatalogSettings
from connector.settings import ConnectorSettings
from hinterland.cli.main import app
from hinterland.settings import HinterlandSettings

DEPLOY = Path(__file__).parents[3] / "deploy"
SERVERS = {"catalog": CatalogSettings, "toolmaker": ConnectorSettings,
           "printshop": ConnectorSettings}


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    assert isinstance(data, dict)
    return data


def _option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def test_services_are_the_data_space(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {
        "postgres", "migrate", "init", "catalog", "toolmaker", "printshop"}


@pytest.mark.parametrize("name", sorted(SERVERS))
def test_server_commands_ports_and_env_match_the_code(
    compose: dict[str, Any], name: str
) -> None:
    service = compose["services"][name]
    command = service["command"]
    component = "catalog" if name == "catalog" else "connector"
    assert command[:2] == [component, "serve"]
    # every option given exists on the real command
    group = next(g for g in app.registered_groups if g.name == component)
    assert group.typer_instance is not None
    serve = next(c for c in group.typer_instance.registered_commands if c.name == "serve"
                 or (c.name is None and c.callback is not None
                     and c.callback.__name__ == "serve"))
    assert serve.callback is not None
    import inspect

    params = inspect.signature(serve.callback).parameters
    for flag in [part for part in command if part.startswith("--")]:
        assert flag.removeprefix("--").replace("-", "_") in params, flag
    port = _option(command, "--port")
    assert service["ports"] == [f"{port}:{port}"]
    assert _option(command, "--host") == "0.0.0.0"
    assert service["environment"]["HEALTHCHECK_URL"] == f"http://127.0.0.1:{port}/healthz"
    # every HINTERLAND_ variable is a setting the server reads
    for variable in service["environment"]:
        if variable.startswith("HINTERLAND_"):
            assert reads(SERVERS[name], variable), f"{name}: {variable} is read by nothing"
    # the config and secrets paths are where `init` writes them
    directory = f"/var/lib/hinterland/{name}"
    assert _option(command, "--config") == f"{directory}/hinterland.yaml"
    assert _option(command, "--secrets-dir") == f"{directory}/secrets"
    assert f"--dir {directory}" in compose["services"]["init"]["command"][0]


def test_databases_exist_and_no_password_is_written_down(compose: dict[str, Any]) -> None:
    created = set(re.findall(r"CREATE DATABASE (\w+);",
                             (DEPLOY / "compose" / "initdb.sql").read_text()))
    assert created == set(SERVERS)
    for name in SERVERS:
        url = compose["services"][name]["environment"]["HINTERLAND_DATABASE__URL"]
        assert url == (f"postgresql://hinterland:${{POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}}"
                       f"@postgres:5432/{name}")
        assert compose["services"][name]["depends_on"]
    migrate = compose["services"]["migrate"]["command"][0]
    assert sorted(re.findall(r"@postgres:5432/(\w+)", migrate)) == sorted(SERVERS)
    text = (DEPLOY / "compose.yaml").read_text()
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?" in text
    assert not re.search(r"PASSWORD:\s*[\"']?[A-Za-z0-9]{6,}", text)


def test_only_the_closed_network_relaxes_did_resolution(compose: dict[str, Any]) -> None:
    relaxed = {"HINTERLAND_DID__ALLOW_PRIVATE_ADDRESSES", "HINTERLAND_DID__ALLOW_HTTP"}
    for variable in relaxed:
        assert reads(HinterlandSettings, variable)
    for name in SERVERS:
        assert relaxed <= set(compose["services"][name]["environment"])
