"""Build DSP endpoint URLs from a base (callback address or provider DSP base)."""

from __future__ import annotations

from urllib.parse import quote


def endpoint(base: str, *parts: str) -> str:
    """`base` + `/part/part...`, each part percent-encoded (":" kept), one slash between.

    The spec asks both sides to cope with a callback address with or without a trailing
    slash.
    """
    return base.rstrip("/") + "/" + "/".join(quote(p, safe=":") for p in parts)
