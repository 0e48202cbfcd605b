"""English and German texts of the web UI, chosen from `Accept-Language` (or `?lang=`)."""

from __future__ import annotations

LANGUAGES = ("en", "de")

MESSAGES: dict[str, dict[str, str]] = {
    "en": {
        "title": "Hinterland catalog",
        "tagline": "Find who in the data space offers what, published and signed by the firms "
        "themselves.",
        "skip": "Skip to results",
        "search_label": "Search descriptions",
        "search_placeholder": "e.g. PA12 SLS printing",
        "search_button": "Search",
        "filters": "Filters",
        "clear_filters": "Clear all filters",
        "results": "Results",
        "results_count": "{count} results",
        "no_results": "No descriptions match your search.",
        "next_page": "Next page",
        "first_page": "First page",
        "facet_type": "Type",
        "facet_issuer": "Publisher",
        "facet_status": "Status",
        "facet_country": "Country",
        "facet_region": "Region",
        "facet_format": "Format",
        "facet_material": "Material",
        "facet_keyword": "Keyword",
        "status_active": "Active",
        "status_deprecated": "Superseded",
        "status_revoked": "Revoked",
        "status_expired": "Expired",
        "verified": "Signature verified",
        "not_verified": "Not verified",
        "compliant": "Compliance credential",
        "issuer": "Publisher",
        "type": "Type",
        "region": "Region",
        "details": "Details",
        "claims": "Claims",
        "document": "Signed JSON-LD",
        "report": "Verification report",
        "check": "Check",
        "result": "Result",
        "reason": "Reason",
        "matches_for_need": "Offers that fit this need",
        "matches_for_offer": "Needs this offer could serve",
        "no_matches": "No matches yet.",
        "score": "Score",
        "revoked_notice": "This description was revoked by its publisher or the catalog. "
        "It is kept for the record only.",
        "deprecated_notice": "A newer version of this description exists.",
        "expired_notice": "This description has expired.",
        "back": "Back to search",
        "origin": "Origin",
        "origin_local": "published here",
        "valid_until": "Valid until",
        "name": "Name",
        "description": "Description",
        "not_found": "No such description.",
        "language": "Deutsch",
        "language_code": "de",
        "compliance_until": "Compliance credential valid until",
        "sha256": "Canonical SHA-256",
        "status": "Status",
        "reason_match": "{field} {values} matches",
        "reason_country": "same country {values}, other region",
        "reason_text": "shares the words {values}",
        "field_sought": "type",
        "field_material": "material",
        "field_process": "process",
        "field_format": "format",
        "field_region": "region",
        "field_keyword": "keyword",
    },
    "de": {
        "title": "Hinterland-Katalog",
        "tagline": "Finden Sie, wer im Datenraum was anbietet, veröffentlicht und signiert von "
        "den Firmen selbst.",
        "skip": "Zu den Ergebnissen springen",
        "search_label": "Beschreibungen durchsuchen",
        "search_placeholder": "z. B. PA12 SLS-Druck",
        "search_button": "Suchen",
        "filters": "Filter",
        "clear_filters": "Alle Filter entfernen",
        "results": "Ergebnisse",
        "results_count": "{count} Ergebnisse",
        "no_results": "Keine Beschreibung passt zu Ihrer Suche.",
        "next_page": "Nächste Seite",
        "first_page": "Erste Seite",
        "facet_type": "Typ",
        "facet_issuer": "Herausgeber",
        "facet_status": "Status",
        "facet_country": "Land",
        "facet_region": "Region",
        "facet_format": "Format",
        "facet_material": "Werkstoff",
        "facet_keyword": "Schlagwort",
        "status_active": "Aktiv",
        "status_deprecated": "Ersetzt",
        "status_revoked": "Widerrufen",
        "status_expired": "Abgelaufen",
        "verified": "Signatur geprüft",
        "not_verified": "Nicht geprüft",
        "compliant": "Konformitätsnachweis",
        "issuer": "Herausgeber",
        "type": "Typ",
        "region": "Region",
        "details": "Details",
        "claims": "Angaben",
        "document": "Signiertes JSON-LD",
        "report": "Prüfbericht",
        "check": "Prüfung",
        "result": "Ergebnis",
        "reason": "Begründung",
        "matches_for_need": "Angebote, die zu diesem Bedarf passen",
        "matches_for_offer": "Bedarfe, die dieses Angebot bedienen könnte",
        "no_matches": "Noch keine Treffer.",
        "score": "Bewertung",
        "revoked_notice": "Diese Beschreibung wurde vom Herausgeber oder vom Katalog "
        "widerrufen. Sie bleibt nur zur Nachvollziehbarkeit erhalten.",
        "deprecated_notice": "Es gibt eine neuere Fassung dieser Beschreibung.",
        "expired_notice": "Diese Beschreibung ist abgelaufen.",
        "back": "Zurück zur Suche",
        "origin": "Herkunft",
        "origin_local": "hier veröffentlicht",
        "valid_until": "Gültig bis",
        "name": "Name",
        "description": "Beschreibung",
        "not_found": "Diese Beschreibung gibt es nicht.",
        "language": "English",
        "language_code": "en",
        "compliance_until": "Konformitätsnachweis gültig bis",
        "sha256": "Kanonischer SHA-256",
        "status": "Status",
        "reason_match": "{field} {values} passt",
        "reason_country": "gleiches Land {values}, andere Region",
        "reason_text": "gemeinsame Wörter: {values}",
        "field_sought": "Typ",
        "field_material": "Werkstoff",
        "field_process": "Verfahren",
        "field_format": "Format",
        "field_region": "Region",
        "field_keyword": "Schlagwort",
    },
}

CHECK_RESULTS = {
    "en": {"passed": "passed", "failed": "failed", "warning": "warning", "skipped": "skipped"},
    "de": {
        "passed": "bestanden",
        "failed": "nicht bestanden",
        "warning": "Warnung",
        "skipped": "übersprungen",
    },
}


def choose_language(accept_language: str | None, override: str | None = None) -> str:
    """`?lang=` wins; else the best-weighted supported language of the header; else English."""
    if override in LANGUAGES:
        return str(override)
    best, best_q = "en", 0.0
    for position, part in enumerate((accept_language or "").split(",")):
        pieces = part.strip().split(";")
        tag = pieces[0].strip().lower().split("-", 1)[0]
        q = 1.0
        for param in pieces[1:]:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        q -= position * 1e-6  # earlier wins among equals
        if tag in LANGUAGES and q > best_q:
            best, best_q = tag, q
    return best
