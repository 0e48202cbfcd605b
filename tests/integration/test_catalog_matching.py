"""Acceptance 4 of the catalog (issue 4): a need for "PA12 SLS printing in DE-SN" ranks
the fitting offer first and explains why; offers find the needs they could serve."""

from __future__ import annotations

from pathlib import Path

from catalog_support import (
    CatalogClient,
    DidHost,
    catalog_settings,
    did_host,
    hinterland_credential,
    need,
    print_service,
)

__all__ = ["did_host"]


async def test_need_ranks_the_fitting_offer_first_and_explains_why(
    tmp_path: Path, migrated_url: str, did_host: DidHost
) -> None:
    catalog = CatalogClient(catalog_settings(tmp_path, migrated_url, participant_policy="open"))
    acme, bravo, carla, dora, buyer = (
        did_host.party(n) for n in ("acme-m", "bravo-m", "carla-m", "dora-m", "buyer-m")
    )
    try:
        documents = {
            "fitting": print_service(
                acme,
                "sls",
                name="Selective laser sintering service",
                material=["PA12", "PA11"],
                process="SLS",
                format=["STL", "3MF"],
                region="DE-SN",
            ),
            "elsewhere": print_service(
                bravo,
                "sls",
                name="SLS parts from Bavaria",
                material="PA12",
                process="SLS",
                format="STL",
                region="DE-BY",
            ),
            "other-process": print_service(
                carla,
                "fdm",
                name="FDM printing Dresden",
                material="PLA",
                process="FDM",
                format="STL",
                region="DE-SN",
            ),
            "a-file": hinterland_credential(
                dora,
                {
                    "id": "https://dora-m.example/files/1",
                    "type": "PrintFile",
                    "name": "PA12 bracket",
                    "format": "STL",
                    "material": "PA12",
                    "region": "DE-SN",
                },
            ),
            "unrelated": print_service(
                dora,
                "cnc",
                name="Metal casting",
                material="AlSi10Mg",
                process="casting",
                region="FR",
            ),
        }
        ids = {}
        for key, document in documents.items():
            response = await catalog.publish(document)
            assert response.status_code == 201, (key, response.text)
            ids[key] = response.json()["id"]
        names = {v: k for k, v in ids.items()}
        wanted = need(
            buyer,
            "pa12",
            name="PA12 SLS printing in DE-SN",
            seeks="PrintService",
            material="PA12",
            process="SLS",
            region="DE-SN",
            quantity=40,
            deadline="2026-12-15T12:00:00Z",
        )
        response = await catalog.publish(wanted)
        assert response.status_code == 201, response.text
        need_id = response.json()["id"]
        assert response.json()["entry"]["types"] == ["Need"]

        result = (await catalog.http.get(f"/self-descriptions/{need_id}/matches")).json()
        assert result["role"] == "need"
        ranked = [names[m["entry"]["id"]] for m in result["matches"]]
        assert ranked[:2] == ["fitting", "elsewhere"]
        assert "unrelated" not in ranked
        assert set(ranked) == {"fitting", "elsewhere", "other-process", "a-file"}
        scores = [m["score"] for m in result["matches"]]
        assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]
        best = result["matches"][0]
        explained = {r["field"]: r for r in best["reasons"]}
        assert explained["material"]["matched"] == ["PA12"]
        assert explained["process"]["matched"] == ["SLS"]
        assert explained["region"]["matched"] == ["DE-SN"]
        assert explained["sought"]["matched"] == ["PrintService"]
        assert "region DE-SN matches" in [r["text"] for r in best["reasons"]]
        second = {r["field"]: r for r in result["matches"][1]["reasons"]}
        assert "country" in second and "DE" in second["country"]["matched"]
        assert "region" not in second  # the reason says: same country, other region

        # and the other way round: the offer sees the need it could serve
        back = (await catalog.http.get(f"/self-descriptions/{ids['fitting']}/matches")).json()
        assert back["role"] == "offer"
        assert [m["entry"]["id"] for m in back["matches"]] == [need_id]
        assert back["matches"][0]["score"] == best["score"]
        missing = await catalog.http.get("/self-descriptions/sd-unknown/matches")
        assert missing.status_code == 404
    finally:
        await catalog.close()
