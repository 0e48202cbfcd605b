"""The catalog's view of verification: a small protocol around the trust core.

`KernelVerifier` wraps `hinterland.verify.verify_document`; the catalog's own logic takes
any `Verifier`, so it can be tested on its own. Reports stay the trust core's JSON
(`{"valid": ..., "checks": [{"name", "status", "reason", "subject"}], ...}`); the catalog
only appends checks of its own (participant policy, request shape).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from hinterland.did import DidResolver
from hinterland.errors import DroppedTermError, HinterlandError, LimitExceeded, RemoteContextRefused
from hinterland.jsonld import DocumentLoader
from hinterland.shacl import ShaclData, validate_shapes
from hinterland.verify import VerifyOptions, verify_document

Shapes = Literal["gaia-x-22.10", "gaia-x-25.11", "none"]


@dataclass
class Verification:
    """Outcome of verifying one document: validity, issuer and the JSON report."""

    valid: bool
    issuer: str | None
    report: dict[str, Any] = field(default_factory=dict)

    def add_check(self, name: str, status: str, reason: str, subject: str | None = None) -> None:
        """Append a catalog check; a failed one makes the whole verification invalid."""
        checks = self.report.setdefault("checks", [])
        checks.append({"name": name, "status": status, "reason": reason, "subject": subject})
        if status == "failed":
            self.valid = False
            self.report["valid"] = False

    def failures(self) -> list[dict[str, Any]]:
        """The failed checks."""
        return [c for c in self.report.get("checks", []) if c.get("status") == "failed"]


Purpose = Literal["description", "revocation"]


class Verifier(Protocol):
    """Verifies every proof of a VC or VP, key binding, validity and, for descriptions,
    the catalog's shapes and trust list."""

    async def verify(
        self, document: dict[str, Any], *, purpose: Purpose = "description"
    ) -> Verification:
        """Verify; never raises for bad input (failures are checks in the report)."""
        ...


class KernelVerifier:
    """The real verifier: DID resolution, Data Integrity / JWS proofs, validity, SHACL."""

    def __init__(
        self,
        resolver: DidResolver,
        *,
        shapes: Shapes = "none",
        trusted_issuers: frozenset[str] | None = None,
        loader: DocumentLoader | None = None,
        clock: Callable[[], datetime] | None = None,
        hinterland_shapes: bool = True,
    ) -> None:
        self.resolver = resolver
        self.hinterland_shapes = hinterland_shapes
        self.shapes: Shapes = shapes
        self.trusted_issuers = trusted_issuers
        self.loader = loader
        self.clock = clock

    async def verify(
        self, document: dict[str, Any], *, purpose: Purpose = "description"
    ) -> Verification:
        """Run `verify_document` with the catalog's options (a revocation is checked for
        proofs, key binding and validity only: shapes and trust lists are about
        descriptions)."""
        description = purpose == "description"
        options = VerifyOptions(
            shapes=self.shapes if description else "none",
            now=self.clock() if self.clock else None,
            trusted_issuers=self.trusted_issuers if description else None,
        )
        try:
            report = await verify_document(
                document, resolver=self.resolver, options=options, loader=self.loader
            )
        except Exception as exc:  # the trust core promises not to raise; be safe anyway
            return _failed_verification(document, exc)
        verification = Verification(
            valid=report.valid, issuer=report.issuer, report=report.to_dict()
        )
        if description and self.hinterland_shapes and verification.valid:
            self._hinterland_shapes(document, verification, report.shacl_data)
        return verification

    def _hinterland_shapes(
        self, document: dict[str, Any], verification: Verification, data: ShaclData | None
    ) -> None:
        """Our own vocabulary (Need, PrintService, PrintFile, DataResource) always has its
        shapes checked: matching relies on those claims being well-formed. The data graph
        of the configured shapes check, if there was one, serves again."""
        try:
            result = validate_shapes(document, "hinterland", loader=self.loader, data=data)
        except HinterlandError as exc:
            verification.add_check("shacl", "failed", f"hinterland shapes: {exc}")
            return
        if not result.applied_shapes:
            return
        if result.conforms:
            verification.add_check("shacl", "passed", "conforms to the hinterland shapes")
            return
        for violation in result.violations:
            verification.add_check(
                "shacl",
                "failed",
                f"{violation.message} (path {violation.path})",
                str(violation.focus),
            )
        if not result.violations:
            verification.add_check("shacl", "failed", "does not conform to the hinterland shapes")


def _innermost(exc: BaseException) -> BaseException:
    current: BaseException | None = exc
    seen = 0
    while current is not None and seen < 30:
        if isinstance(current, HinterlandError):
            return current
        current = getattr(current, "cause", None) or current.__cause__ or current.__context__
        seen += 1
    return exc


def _failed_verification(document: dict[str, Any], exc: BaseException) -> Verification:
    inner = _innermost(exc)
    if isinstance(inner, RemoteContextRefused):
        name = "contexts"
    elif isinstance(inner, DroppedTermError):
        name = "dropped-terms"
    elif isinstance(inner, LimitExceeded):
        name = "limits"
    else:
        name = "parse"
    reason = (
        str(inner)
        if isinstance(inner, HinterlandError)
        else (f"the document cannot be verified: {type(inner).__name__}")
    )
    issuer = document.get("issuer")
    issuer_id = issuer if isinstance(issuer, str) else None
    report = {
        "valid": False,
        "issuer": issuer_id,
        "checks": [{"name": name, "status": "failed", "reason": reason, "subject": None}],
    }
    return Verification(valid=False, issuer=issuer_id, report=report)
