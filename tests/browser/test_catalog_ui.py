"""Acceptance 6 of the catalog (issue 4): the web UI in a real browser (Playwright driving
Debian's Chromium): search, filter by a facet, open a detail page, see a revoked entry
marked, and German when the browser asks for it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from catalog_support import (
    DidHost,
    catalog_settings,
    legal_participant,
    need,
    print_service,
    revocation,
    serve,
)

from catalog.app import create_app
from hinterland.db import migrate

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is missing (apt-get install -y chromium)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    require_chromium()
    tmp = tmp_path_factory.mktemp("ui")
    database = f"sqlite+aiosqlite:///{tmp / 'catalog.db'}"
    migrate.upgrade(database)
    host = DidHost()
    with serve(host.app) as did_url:
        host.base_url = did_url
        app = create_app(catalog_settings(tmp, database))
        with serve(app) as base:
            acme, bravo = host.party("acme-ui"), host.party("bravo-ui")
            ids = {}
            for key, document in {
                "acme": legal_participant(acme, "ACME Additive GmbH"),
                "bravo": legal_participant(bravo, "Bravo Druck KG"),
                "sls": print_service(
                    acme,
                    "sls",
                    name="SLS printing in Dresden",
                    material="PA12",
                    process="SLS",
                    format="STL",
                    region="DE-SN",
                    description="Nylon parts from Saxony",
                ),
                "fdm": print_service(
                    bravo,
                    "fdm",
                    name="FDM printing in Munich",
                    material="PLA",
                    process="FDM",
                    format="STL",
                    region="DE-BY",
                ),
                "old": print_service(
                    bravo, "old", name="Withdrawn printing offer", material="PA12", region="DE-BY"
                ),
                "need": need(
                    bravo,
                    "n",
                    name="PA12 SLS printing in DE-SN",
                    seeks="PrintService",
                    material="PA12",
                    process="SLS",
                    region="DE-SN",
                ),
            }.items():
                response = httpx.post(f"{base}/self-descriptions", json=document)
                assert response.status_code == 201, response.text
                ids[key] = response.json()["id"]
            response = httpx.post(
                f"{base}/self-descriptions/{ids['old']}/revoke", json=revocation(bravo, ids["old"])
            )
            assert response.status_code == 200, response.text
            yield {"base": base, **ids}


@pytest.fixture(scope="module")
def browser(site: dict[str, str]) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def follow(page: object, target: object) -> None:
    """Click a link or button and wait until the page it leads to has loaded: a click
    only starts the navigation, and a query of the page in between may find nothing."""
    with page.expect_navigation():  # type: ignore[attr-defined]
        target.click()  # type: ignore[attr-defined]


def titles(page: object) -> list[str]:
    return sorted(page.locator("article.card h3").all_inner_texts())  # type: ignore[attr-defined]


def test_search_filter_detail_and_revoked(site: dict[str, str], browser: object) -> None:
    context = browser.new_context(locale="en-GB", java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site["base"] + "/")
    assert page.locator("html").get_attribute("lang") == "en"
    page.get_by_label("Search descriptions").fill("printing")
    follow(page, page.get_by_role("button", name="Search"))
    assert titles(page) == [
        "FDM printing in Munich",
        "PA12 SLS printing in DE-SN",
        "SLS printing in Dresden",
    ]
    assert page.get_by_role("status").inner_text() == "3 results"

    follow(page, page.locator('a[data-facet="material"][data-value="PA12"]'))
    assert titles(page) == ["PA12 SLS printing in DE-SN", "SLS printing in Dresden"]
    assert (
        page.locator('a[data-facet="material"][data-value="PA12"]').get_attribute("aria-current")
        == "true"
    )
    follow(page, page.locator('a[data-facet="type"][data-value="PrintService"]'))
    assert titles(page) == ["SLS printing in Dresden"]
    card = page.locator("article.card")
    assert "ACME Additive GmbH" in card.inner_text()  # issuer name, not just the DID
    assert "Signature verified" in card.inner_text() and "Active" in card.inner_text()

    follow(page, page.get_by_role("link", name="SLS printing in Dresden"))
    assert page.get_by_role("heading", level=1).inner_text() == "SLS printing in Dresden"
    assert "PA12" in page.locator("dl").inner_text()
    assert "eddsa-rdfc-2022" in page.locator("pre").inner_text()  # the signed JSON-LD
    report = page.locator("table").inner_text()
    assert "key-binding" in report and "passed" in report
    matches = page.locator("ol.matches").inner_text()
    assert "PA12 SLS printing in DE-SN" in matches and "material PA12 matches" in matches

    follow(page, page.get_by_role("link", name="Back to search"))
    follow(page, page.locator('a[data-facet="status"][data-value="revoked"]'))
    assert titles(page) == ["Withdrawn printing offer"]
    assert page.locator("article.card .status-revoked").inner_text() == "Revoked"
    follow(page, page.get_by_role("link", name="Withdrawn printing offer"))
    assert "was revoked" in page.get_by_role("alert").inner_text()
    assert page.locator(".badge.status-revoked").inner_text() == "Revoked"
    context.close()


def test_german_when_the_browser_asks(site: dict[str, str], browser: object) -> None:
    context = browser.new_context(locale="de-DE", java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(site["base"] + "/?status=revoked")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.get_by_role("button", name="Suchen").is_visible()
    assert page.locator("article.card .status-revoked").inner_text() == "Widerrufen"
    page.goto(site["base"] + f"/entries/{site['sls']}")
    assert page.get_by_role("heading", name="Prüfbericht").is_visible()
    assert "Werkstoff PA12 passt" in page.locator("ol.matches").inner_text()
    follow(page, page.get_by_role("link", name="English"))
    assert page.locator("html").get_attribute("lang") == "en"
    context.close()


def test_pages_keep_their_style_under_their_security_policy(
    site: dict[str, str], browser: object
) -> None:
    """Every page forbids scripts, frames and loads from elsewhere; its own inline style
    and the search form still work (Chromium enforces the policy and reports refusals)."""
    context = browser.new_context(locale="en-GB")  # type: ignore[attr-defined]
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    response = page.goto(site["base"] + "/")
    policy = response.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    header = page.locator("header")
    background = "element => getComputedStyle(element).backgroundColor"
    assert header.evaluate(background) == "rgb(13, 43, 69)"  # the inline style applied
    page.get_by_label("Search descriptions").fill("printing")
    follow(page, page.get_by_role("button", name="Search"))  # form-action 'self'
    assert len(titles(page)) == 3
    follow(page, page.get_by_role("link", name="SLS printing in Dresden"))
    assert page.get_by_role("heading", level=1).inner_text() == "SLS printing in Dresden"
    assert header.evaluate(background) == "rgb(13, 43, 69)"
    missing = page.goto(site["base"] + "/entries/sd-none")
    assert missing.status == 404 and "default-src 'none'" in missing.headers[
        "content-security-policy"
    ]
    assert refused == []
    context.close()
