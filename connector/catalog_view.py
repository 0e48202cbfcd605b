"""The provider's DSP catalog as one caller may see it.

Each asset covered by an offer (contract definition) whose access policy admits the caller
becomes a Dataset; each such offer becomes one ODRL Offer in its `hasPolicy`, carrying the
rules of the contract policy. A caller who may not see an offer does not learn it exists.
"""

from __future__ import annotations

from typing import Any

from connector.dsp import messages as m
from connector.enforcement import Caller
from connector.services.context import Services
from connector.store.offers import offer_id
from connector.store.tables import AssetRow
from hinterland.errors import InputError, NotFound

RULE_KEYS = ("permission", "prohibition", "obligation")
PRINT_NS = "https://w3id.org/hinterland/print#"
MAX_FILTERS = 20


def service_id(services: Services) -> str:
    """The `@id` of our DataService."""
    return f"{services.dsp_base}#dsp"


def _asset_properties(asset: AssetRow) -> dict[str, Any]:
    props: dict[str, Any] = {"dct:title": asset.title, "dcat:mediaType": asset.media_type}
    if asset.description:
        props["dct:description"] = asset.description
    if asset.size is not None:
        props["dcat:byteSize"] = asset.size
    if asset.sha256:
        props["spdx:checksum"] = {"spdx:algorithm": "SHA256", "spdx:checksumValue": asset.sha256}
    if asset.record_type:
        props["dct:conformsTo"] = asset.record_type
    printing = asset.properties.get("print")
    if isinstance(printing, dict):
        props[f"{PRINT_NS}metadata"] = printing
    return props


def _matches(filters: list[Any], dataset: m.Dataset) -> bool:
    """Every filter item must match. Supported items: a string (keyword in title or
    description) or an object with any of `keyword`, `id`, `mediaType`."""
    data = dataset.to_json()
    text = " ".join(str(data.get(k, "")) for k in ("dct:title", "dct:description")).lower()
    for item in filters:
        if isinstance(item, str):
            item = {"keyword": item}
        if not isinstance(item, dict):
            raise InputError("catalog filter items must be strings or objects")
        unknown = set(item) - {"keyword", "id", "mediaType"}
        if unknown:
            raise InputError(f"unsupported catalog filter field(s): {', '.join(sorted(unknown))}")
        if "keyword" in item and str(item["keyword"]).lower() not in text:
            return False
        if "id" in item and item["id"] != dataset.id:
            return False
        if "mediaType" in item and item["mediaType"] != data.get("dcat:mediaType"):
            return False
    return True


async def visible_datasets(services: Services, caller: Caller) -> list[m.Dataset]:
    """Every dataset with at least one offer the caller may see, ordered by id."""
    by_asset: dict[str, tuple[AssetRow, list[m.Offer]]] = {}
    for offer, asset, access, contract in await services.offers.offered():
        decision = await services.gate.access(access.policy, caller, target=asset.id)
        await services.audit.record(
            "policy.access",
            {"caller": caller.did, "target": asset.id, "offer": offer.id,
             "allowed": decision.allowed, "reason": decision.reason, "point": "catalog"},
        )
        if not decision.allowed:
            continue
        rules = {k: contract.policy[k] for k in RULE_KEYS if contract.policy.get(k)}
        entry = by_asset.setdefault(asset.id, (asset, []))
        entry[1].append(m.Offer(id=offer_id(offer.id, asset.id), **rules))
    distribution = [m.Distribution(format="HttpData-PULL", accessService=service_id(services))]
    return [
        m.Dataset(id=asset.id, hasPolicy=offers, distribution=distribution,
                  **_asset_properties(asset))
        for asset, offers in (by_asset[k] for k in sorted(by_asset))
    ]


async def catalog_page(
    services: Services, caller: Caller, filters: list[Any] | None, *, offset: int, limit: int
) -> tuple[m.Catalog, bool]:
    """The root catalog with datasets `offset..offset+limit`; True if more follow."""
    if filters is not None and len(filters) > MAX_FILTERS:
        raise InputError(f"at most {MAX_FILTERS} catalog filter items")
    datasets = [d for d in await visible_datasets(services, caller) if _matches(filters or [], d)]
    page = datasets[offset : offset + limit]
    catalog = m.Catalog(
        context=[m.DSP_CONTEXT],
        id=f"{services.dsp_base}#catalog",
        participantId=services.did,
        service=[m.DataService(id=service_id(services), endpointURL=services.dsp_base)],
        dataset=page or None,
    )
    return catalog, offset + limit < len(datasets)


async def dataset(services: Services, caller: Caller, dataset_id: str) -> m.Dataset:
    """One dataset as the caller may see it; `NotFound` if it is not visible."""
    for item in await visible_datasets(services, caller):
        if item.id == dataset_id:
            return item.model_copy(update={"context": [m.DSP_CONTEXT]})
    raise NotFound(f"no dataset {dataset_id!r}")
