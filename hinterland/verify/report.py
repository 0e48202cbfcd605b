"""The verification report: one check per concern, each with a status and a human reason."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

ShapesChoice = Literal["gaia-x-22.10", "gaia-x-25.11", "none"]


@dataclass
class VerifyOptions:
    """What `verify_document` checks and against what."""

    shapes: ShapesChoice = "none"
    now: datetime | None = None  # None = current UTC time
    trusted_issuers: frozenset[str] | None = None  # None = the trust check is skipped
    proof_only: bool = False
    expected_purpose: str = "assertionMethod"
    presentation_purpose: str = "authentication"
    challenge: str | None = None  # a presentation's proof must carry this challenge
    domain: str | None = None  # ... and this domain (replay protection for VPs)
    max_proofs: int = 64  # in the whole document: each may cost a canonicalization and a
    # DID resolution, so a document cannot make us do unbounded work
    max_credentials: int = 64  # embedded in a presentation
    max_dids: int = 16  # distinct DIDs resolved for one document (each may be a fetch)


class CheckStatus(StrEnum):
    """The outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    WARNING = "warning"
    SKIPPED = "skipped"


@dataclass
class Check:
    """One check: `name` is one of the stable check names, `subject` what it is about."""

    name: str
    status: CheckStatus
    reason: str
    subject: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "status": self.status.value,
            "reason": self.reason,
            "subject": self.subject,
        }


@dataclass
class VerificationReport:
    """Every check made on one document; valid when no check failed."""

    checks: list[Check] = field(default_factory=list)
    issuer: str | None = None  # the (first) credential's issuer
    holder: str | None = None  # a presentation's holder
    # the SHACL data graph the shapes check built (hinterland.shacl.ShaclData), for callers
    # that validate more shapes sets; not part of the report's JSON
    shacl_data: Any = field(default=None, repr=False, compare=False)

    @property
    def valid(self) -> bool:
        """True when no check FAILED (skipped and warning checks do not invalidate)."""
        return not any(check.status is CheckStatus.FAILED for check in self.checks)

    def failures(self) -> list[Check]:
        """The FAILED checks, in order."""
        return [check for check in self.checks if check.status is CheckStatus.FAILED]

    def add(
        self, name: str, status: CheckStatus, reason: str, subject: str | None = None
    ) -> Check:
        """Append a check and return it."""
        check = Check(name, status, reason, subject)
        self.checks.append(check)
        return check

    def by_name(self, name: str) -> list[Check]:
        """The checks called `name`."""
        return [check for check in self.checks if check.name == name]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, including `valid`."""
        return {
            "valid": self.valid,
            "issuer": self.issuer,
            "holder": self.holder,
            "checks": [check.to_dict() for check in self.checks],
        }
