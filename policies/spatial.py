"""ISO 3166 spatial containment: DE-SN is part of DE, DE is part of the EU.

Codes are ISO 3166-1 alpha-2 countries, ISO 3166-2 subdivisions (`DE-SN`) and the regions
below. Values may also be IRIs ending in a code (`https://.../iso3166/DE`). A region a
company cares about can be added with `register_region`.
"""

from __future__ import annotations

from functools import lru_cache

EU = frozenset({
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
})
"""The 27 member states of the European Union (ISO 3166-1 alpha-2)."""

_REGIONS: dict[str, frozenset[str]] = {
    "EU": EU,
    "EEA": EU | {"IS", "LI", "NO"},
    "EFTA": frozenset({"IS", "LI", "NO", "CH"}),
    "DACH": frozenset({"DE", "AT", "CH"}),
}
_ALIASES = {"EL": "GR", "UK": "GB"}  # EU statistical codes people write anyway


def register_region(code: str, countries: set[str] | frozenset[str]) -> None:
    """Add or replace a named region made of ISO 3166-1 alpha-2 country codes."""
    _REGIONS[code.upper()] = frozenset(c.upper() for c in countries)
    within.cache_clear()


def normalize(value: str) -> str:
    """Upper-case code; an IRI or URN is reduced to its last segment (`...:3166:DE` -> DE)."""
    code = value.strip()
    if "/" in code or "#" in code or ":" in code:
        code = code.rstrip("/").replace("#", "/").replace(":", "/").rsplit("/", 1)[-1]
    code = code.upper()
    return _ALIASES.get(code, code)


def _parents(code: str) -> set[str]:
    if "-" in code:
        return {code.split("-", 1)[0]}
    return {region for region, members in _REGIONS.items() if code in members}


@lru_cache(maxsize=4096)
def within(inner: str, outer: str) -> bool:
    """True when `inner` equals or lies inside `outer` (DE-SN within DE within EU)."""
    a, b = normalize(inner), normalize(outer)
    seen: set[str] = set()
    stack = [a]
    while stack:
        code = stack.pop()
        if code == b:
            return True
        if code in seen:
            continue
        seen.add(code)
        stack.extend(_parents(code))
    return False
