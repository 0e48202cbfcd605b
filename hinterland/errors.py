"""The one error tree of Hinterland.

Every failure the code raises on purpose is a value of this tree. Errors say what went
wrong in words a person can act on; they never carry HTTP status codes. The API edges
(`hinterland.web.errors`) map them to HTTP and Dataspace Protocol errors.

::

    HinterlandError
    ├── InputError                    bad input from a caller or a file
    │   ├── LimitExceeded             bytes, depth, blank nodes, time budget
    │   ├── JsonLdError               JSON-LD could not be processed
    │   │   ├── RemoteContextRefused  a context that is neither bundled nor allow-listed
    │   │   └── DroppedTermError      a term expansion would silently drop
    │   ├── PolicyError               a malformed ODRL policy
    │   ├── DescriptionRejected       a self-description failed verification (has the report)
    │   └── ProtocolMessageError      a DSP message that breaks its schema
    ├── KeyMaterialError              unreadable, unsupported or mismatched keys
    ├── DidResolutionError            a DID that cannot be resolved (safely)
    ├── AuthenticationError           missing, invalid, expired or replayed tokens
    ├── PermissionDenied              the caller may not do this (a policy said no)
    ├── NotFound                      no such entry, process or asset
    ├── Conflict                      the request clashes with current state
    │   └── IllegalTransition         a state machine refuses this step
    ├── ConfigurationError            settings that cannot work
    └── StorageError                  the database failed
"""

from __future__ import annotations


class HinterlandError(Exception):
    """Base of every error Hinterland raises on purpose.

    `code` is a stable machine-readable name; `str(error)` is the human reason.
    """

    code: str = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(HinterlandError):
    """The caller sent something we cannot accept."""

    code = "invalid_input"


class LimitExceeded(InputError):
    """Input is larger, deeper or slower to process than the configured limits allow."""

    code = "limit_exceeded"


class JsonLdError(InputError):
    """A JSON-LD document could not be expanded, compacted or canonicalized."""

    code = "jsonld_error"


class RemoteContextRefused(JsonLdError):
    """A remote JSON-LD context is neither bundled nor allow-listed."""

    code = "remote_context_refused"


class DroppedTermError(JsonLdError):
    """A term would be silently dropped by JSON-LD expansion, so it would not be signed."""

    code = "dropped_term"

    def __init__(self, message: str, terms: list[str] | None = None) -> None:
        super().__init__(message)
        self.terms = list(terms or [])


class PolicyError(InputError):
    """An ODRL policy is malformed."""

    code = "invalid_policy"


class DescriptionRejected(InputError):
    """A signed self-description failed verification or the catalog's policy.

    `report` is the full JSON verification report that says which checks failed.
    """

    code = "description_rejected"

    def __init__(self, message: str, report: dict[str, object]) -> None:
        super().__init__(message)
        self.report = report


class ProtocolMessageError(InputError):
    """A Dataspace Protocol message does not satisfy its schema."""

    code = "invalid_message"


class KeyMaterialError(HinterlandError):
    """A key is unreadable, of an unsupported type or does not fit its use."""

    code = "key_error"


class DidResolutionError(HinterlandError):
    """A DID could not be resolved, or its resolution was refused for safety."""

    code = "did_resolution_failed"


class AuthenticationError(HinterlandError):
    """The caller could not be authenticated (token missing, invalid, expired or replayed)."""

    code = "unauthenticated"


class PermissionDenied(HinterlandError):
    """The caller is known but may not do this; `reason` is the policy's explanation."""

    code = "forbidden"


class NotFound(HinterlandError):
    """The named entry, process or asset does not exist (or is not visible to the caller)."""

    code = "not_found"


class Conflict(HinterlandError):
    """The request clashes with the current state."""

    code = "conflict"


class IllegalTransition(Conflict):
    """A state machine refuses a step from its current state."""

    code = "illegal_transition"


class ConfigurationError(HinterlandError):
    """Settings that cannot work together, or a missing required setting."""

    code = "configuration_error"


class StorageError(HinterlandError):
    """The database failed in a way the caller cannot fix."""

    code = "storage_error"


class Busy(HinterlandError):
    """A bounded resource is taken by other requests for longer than this one may wait;
    trying again later can succeed."""

    code = "busy"
