"""Verification of credentials and presentations, reported check by check.

Public API: `verify_document`, `VerifyOptions`, `VerificationReport`, `Check`,
`CheckStatus`. Check names: "parse", "limits", "contexts", "dropped-terms", "proof" (one
per proof; subject = verification method id), "key-binding", "validity", "issuer-trust",
"shacl".
"""

from hinterland.verify.report import (
    Check,
    CheckStatus,
    ShapesChoice,
    VerificationReport,
    VerifyOptions,
)
from hinterland.verify.verifier import verify_document

__all__ = [
    "Check",
    "CheckStatus",
    "ShapesChoice",
    "VerificationReport",
    "VerifyOptions",
    "verify_document",
]
