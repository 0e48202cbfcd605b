"""The Helm chart, rendered by Helm's own engine (helm-python-sdk binds Helm's Go SDK):
valid YAML whose services, ports, probes, env names and secrets match the servers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import helm_python as helm
import pytest
import yaml
from settings_names import reads

from catalog.app import create_app as create_catalog
from catalog.settings import CatalogSettings
from connector.app import create_app as create_connector
from connector.settings import ConnectorSettings
from hinterland.keys import PrivateKey

CHART = Path(__file__).parents[3] / "deploy" / "helm" / "hinterland"
SETTINGS = {"connector": ConnectorSettings, "catalog": CatalogSettings}


def _render(values: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    with helm.Chart.load(str(CHART)) as chart:
        manifests = chart.render(values, name="acme", namespace="dataspace")
    kinds: dict[str, list[dict[str, Any]]] = {}
    for name, text in manifests.items():
        if name.endswith(".txt"):
            continue
        for document in yaml.safe_load_all(text):
            if document:
                kinds.setdefault(document["kind"], []).append(document)
    return kinds


def test_chart_lints_clean() -> None:
    result = helm.lint(str(CHART))
    assert result["errors"] == []
    assert all(m["severity"] <= 1 for m in result["messages"]), result["messages"]


@pytest.mark.parametrize("component", ["connector", "catalog"])
def test_rendered_chart_matches_the_server(component: str, tmp_path: Path) -> None:
    kinds = _render({"component": component, "ingress": {"enabled": True,
                                                          "tlsSecretName": "acme-tls"}})
    assert set(kinds) == {"ConfigMap", "Deployment", "Service", "Ingress",
                          "PodDisruptionBudget"}
    (deployment,) = kinds["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    args = container["args"]
    assert args[:2] == [component, "serve"]
    port = int(args[args.index("--port") + 1])
    assert container["ports"] == [{"name": "http", "containerPort": port}]
    assert args[args.index("--host") + 1] == "0.0.0.0"

    # every HINTERLAND_ variable is read by the server; secrets come from secret refs
    env = {e["name"]: e for e in container["env"]}
    for name in env:
        if name.startswith("HINTERLAND_"):
            assert reads(SETTINGS[component], name), f"{name} is read by nothing"
    assert env["HINTERLAND_DATABASE__URL"]["valueFrom"]["secretKeyRef"]["name"]
    section = component.upper()
    key_path = env[f"HINTERLAND_{section}__KEY_FILE"]["value"]
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    assert key_path.startswith(mounts["signing-key"]["mountPath"] + "/")
    secret_volume = next(v for v in pod["volumes"] if v["name"] == "signing-key")
    assert secret_volume["secret"]["defaultMode"] == 0o400
    if component == "connector":
        api_key = env["HINTERLAND_CONNECTOR__MANAGEMENT_API_KEY"]["valueFrom"]
        assert api_key["secretKeyRef"]["key"] == "api-key"
    for value in env.values():
        assert "value" not in value or "secret" not in str(value["value"]).lower()

    # the probes ask endpoints the server really has
    if component == "connector":
        key_file = tmp_path / "key.json"
        PrivateKey.generate().save(key_file)
        application = create_connector(ConnectorSettings(
            data_dir=tmp_path, connector={"did": "did:web:acme.example", "key_file": key_file}))
    else:
        application = create_catalog(CatalogSettings(data_dir=tmp_path))
    paths = {getattr(route, "path", None) for route in application.routes}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] == "http"
        assert container[probe]["httpGet"]["path"] in paths

    # the config map is a config file the server can load
    (config_map,) = kinds["ConfigMap"]
    config = yaml.safe_load(config_map["data"]["hinterland.yaml"])
    assert set(config) <= set(SETTINGS[component].model_fields)

    # service, ingress and disruption budget select this deployment's pods
    labels = deployment["spec"]["selector"]["matchLabels"]
    assert labels.items() <= pod.get("labels", deployment["spec"]["template"]["metadata"]
                                     ["labels"]).items()
    (service,) = kinds["Service"]
    assert service["spec"]["selector"] == labels
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    (budget,) = kinds["PodDisruptionBudget"]
    assert budget["spec"]["selector"]["matchLabels"] == labels
    (ingress,) = kinds["Ingress"]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend["name"] == service["metadata"]["name"]
    assert ingress["spec"]["tls"][0]["secretName"] == "acme-tls"
    assert pod["securityContext"]["runAsNonRoot"] is True


def test_an_unknown_component_is_refused() -> None:
    with pytest.raises(helm.HelmError, match="component must be connector or catalog"):
        _render({"component": "database"})


@pytest.mark.parametrize("component", ["connector", "catalog"])
def test_optional_keys_come_from_secrets_the_server_reads(component: str) -> None:
    """The metrics key (both) and the catalog's admin key are set only when a secret is
    named, and then as secret references to settings the server reads."""

    def env(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
        (deployment,) = _render({"component": component, **values})["Deployment"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        return {e["name"]: e for e in container["env"]}

    plain = env({})
    assert "HINTERLAND_METRICS_API_KEY" not in plain
    assert "HINTERLAND_CATALOG__ADMIN_API_KEY" not in plain
    keyed = env({"metricsApiKey": {"existingSecret": "acme-metrics"},
                 "adminApiKey": {"existingSecret": "acme-admin"}})
    wanted = {"HINTERLAND_METRICS_API_KEY": "acme-metrics"}
    if component == "catalog":
        wanted["HINTERLAND_CATALOG__ADMIN_API_KEY"] = "acme-admin"
    else:
        assert "HINTERLAND_CATALOG__ADMIN_API_KEY" not in keyed
    for name, secret in wanted.items():
        assert keyed[name]["valueFrom"]["secretKeyRef"] == {"name": secret, "key": "api-key"}
        assert reads(SETTINGS[component], name), name
