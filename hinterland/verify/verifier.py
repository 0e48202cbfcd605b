"""`verify_document`: every check on a VC or VP, never raising for bad input."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from hinterland.did import DidResolver, find_verification_method, is_authorized
from hinterland.errors import (
    DidResolutionError,
    HinterlandError,
    InputError,
    JsonLdError,
    KeyMaterialError,
)
from hinterland.jsonld import (
    BUNDLED_CONTEXTS,
    DocumentLoader,
    check_limits,
    default_loader,
    find_dropped_terms,
)
from hinterland.keys import PublicKey
from hinterland.proofs import (
    CanonicalCache,
    proofs_of,
    rdf_proof_config,
    suite_name,
    verify_proof,
    without_proof,
)
from hinterland.verify.report import CheckStatus, VerificationReport, VerifyOptions

PASSED, FAILED, WARNING, SKIPPED = (
    CheckStatus.PASSED,
    CheckStatus.FAILED,
    CheckStatus.WARNING,
    CheckStatus.SKIPPED,
)


def _types(node: dict[str, Any]) -> list[str]:
    value = node.get("type", node.get("@type", []))
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _id_of(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        return str(value["id"])
    return None


def _did_of(vm_id: str) -> str:
    return vm_id.split("#", 1)[0]


def _context_urls(node: Any, found: dict[str, None]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                for entry in value if isinstance(value, list) else [value]:
                    if isinstance(entry, str):
                        found[entry] = None
                    elif isinstance(entry, dict):
                        _context_urls(entry, found)
            else:
                _context_urls(value, found)
    elif isinstance(node, list):
        for item in node:
            _context_urls(item, found)


_LEAP_SECOND = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:)60(\.\d+)?")


def _parse_time(value: Any) -> datetime:
    """An XSD dateTime; a leap second (``:60``, as in the DIF vectors) is the next second."""
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a date-time string")
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    leap = _LEAP_SECOND.match(text)
    if leap:
        text = leap.group(1) + "59" + text[leap.end(0) :]
    moment = datetime.fromisoformat(text)
    if leap:
        moment += timedelta(seconds=1)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass
class _Credential:
    node: dict[str, Any]
    label: str | None  # "credential[0] <id>" inside a VP, None for a lone VC


class _Verification:
    def __init__(
        self,
        resolver: DidResolver,
        options: VerifyOptions,
        loader: DocumentLoader,
    ) -> None:
        self.resolver = resolver
        self.options = options
        self.loader = loader
        self.cache = CanonicalCache(loader)
        self.report = VerificationReport()
        self._methods: dict[str, dict[str, Any] | DidResolutionError] = {}
        self._dids: set[str] = set()

    # -- parse -------------------------------------------------------------------------
    def parse(self, document: dict[str, Any] | bytes | str) -> dict[str, Any] | None:
        report = self.report
        try:
            check_limits(document, self.loader.settings)
        except HinterlandError as exc:
            report.add("limits", FAILED, str(exc))
            return None
        if isinstance(document, bytes | str):
            try:
                parsed = json.loads(document)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                report.add("parse", FAILED, f"not JSON: {exc}")
                return None
        else:
            parsed = document
        if not isinstance(parsed, dict):
            report.add("parse", FAILED, "a credential or presentation must be a JSON object")
            return None
        kinds = _types(parsed)
        if "VerifiablePresentation" not in kinds and "VerifiableCredential" not in kinds:
            report.add(
                "parse", WARNING,
                "the document is typed neither VerifiableCredential nor VerifiablePresentation",
            )
        else:
            report.add("parse", PASSED, f"JSON object of type {', '.join(kinds)}")
        return parsed

    # -- JSON-LD -----------------------------------------------------------------------
    def contexts(self, document: dict[str, Any]) -> bool:
        found: dict[str, None] = {}
        _context_urls(document, found)
        refused: list[str] = []
        for url in found:
            if url in BUNDLED_CONTEXTS or url.rstrip("/") in BUNDLED_CONTEXTS:
                continue  # no need to load (and copy) a bundled context to know it is there
            try:
                self.loader(url, {})
            except HinterlandError as exc:
                refused.append(url)
                self.report.add("contexts", FAILED, str(exc), subject=url)
        if not refused:
            self.report.add(
                "contexts", PASSED, f"all {len(found)} contexts are bundled or allow-listed"
            )
        return not refused

    def dropped_terms(self, document: dict[str, Any], contexts_ok: bool) -> None:
        if not contexts_ok:
            self.report.add(
                "dropped-terms", SKIPPED, "not checked: a context could not be loaded"
            )
            return
        try:
            dropped = self._dropped(document)
        except HinterlandError as exc:
            self.report.add("dropped-terms", FAILED, f"cannot expand the document: {exc}")
            return
        if dropped:
            for term in dropped:
                self.report.add(
                    "dropped-terms", FAILED,
                    f"the term {term!r} is not defined by any context, so it is not signed",
                    subject=term,
                )
        else:
            self.report.add("dropped-terms", PASSED, "every term is defined by a context")

    def _dropped(self, document: dict[str, Any]) -> list[str]:
        """Dropped terms, from the expansions the proofs need anyway when they cover the
        whole document (its unsecured form and each proof's configuration); otherwise
        from an expansion of their own."""
        proofs = proofs_of(document)
        configs = [rdf_proof_config(document, proof) for proof in proofs]
        if not proofs or any(config is None for config in configs):
            return find_dropped_terms(document, self.loader)
        self.cache.unsecured_sha256(document, without_proof(document))
        dropped = set(self.cache.dropped_terms(document))
        for proof, config in zip(proofs, configs, strict=True):
            assert config is not None
            self.cache.config_sha256(proof, config)
            dropped.update(f"proof.{t}" for t in self.cache.dropped_terms(proof, "config"))
        return sorted(dropped)

    # -- proofs ------------------------------------------------------------------------
    async def method(self, vm_id: str) -> dict[str, Any]:
        cached = self._methods.get(vm_id)
        if isinstance(cached, DidResolutionError):
            raise cached
        if cached is not None:
            return cached
        self._dids.add(_did_of(vm_id))
        try:
            if len(self._dids) > self.options.max_dids:
                raise DidResolutionError(
                    f"the document names more than {self.options.max_dids} distinct DIDs; "
                    "not resolving more"
                )
            method = await self.resolver.resolve_verification_method(vm_id)
        except DidResolutionError as exc:
            self._methods[vm_id] = exc
            raise
        self._methods[vm_id] = method
        return method

    async def proofs(self, node: dict[str, Any], label: str | None) -> list[dict[str, Any]]:
        """Check every proof of `node`; returns the proofs whose signatures are valid."""
        proofs = proofs_of(node)
        where = f"{label}: " if label else ""
        if not proofs:
            self.report.add("proof", FAILED, f"{where}the document has no proof", subject=label)
            return []
        good: list[dict[str, Any]] = []
        for proof in proofs:
            if not isinstance(proof, dict):
                self.report.add("proof", FAILED, f"{where}a proof is not a JSON object")
                continue
            vm_id = _id_of(proof.get("verificationMethod"))
            suite = suite_name(proof)
            if vm_id is None:
                self.report.add(
                    "proof", FAILED, f"{where}{suite} proof has no verificationMethod"
                )
                continue
            try:
                method = await self.method(vm_id)
            except DidResolutionError as exc:
                self.report.add(
                    "proof", FAILED,
                    f"{where}cannot verify: DID {_did_of(vm_id)} could not be resolved ({exc})",
                    subject=vm_id,
                )
                continue
            try:
                key = PublicKey.from_verification_method(method)
                valid, reason = verify_proof(node, proof, key, self.cache)
            except KeyMaterialError as exc:
                valid, reason = False, f"unusable key in {vm_id}: {exc}"
            except HinterlandError as exc:
                valid, reason = False, f"{suite} proof cannot be checked: {exc}"
            if valid and label == "presentation":
                problem = self._replay_problem(proof)
                if problem:
                    valid, reason = False, problem
            self.report.add("proof", PASSED if valid else FAILED, where + reason, subject=vm_id)
            if valid:
                good.append(proof)
        return good

    def _replay_problem(self, proof: dict[str, Any]) -> str | None:
        """Why a presentation proof does not answer this verifier's challenge/domain."""
        expected, got = self.options.challenge, proof.get("challenge")
        if expected is not None and got != expected:
            return f"the proof's challenge {got!r} is not the expected {expected!r}"
        domain, proof_domain = self.options.domain, proof.get("domain")
        domains = proof_domain if isinstance(proof_domain, list) else [proof_domain]
        if domain is not None and domain not in domains:
            return f"the proof's domain {proof_domain!r} does not include {domain!r}"
        return None

    async def key_binding(
        self,
        proofs: list[dict[str, Any]],
        controller: str | None,
        role: str,
        purpose: str,
        label: str | None,
    ) -> None:
        where = f"{label}: " if label else ""
        if not proofs:
            self.report.add(
                "key-binding", SKIPPED, f"{where}no verified proof to bind", subject=label
            )
            return
        for proof in proofs:
            vm_id = _id_of(proof.get("verificationMethod")) or ""
            vm_did = _did_of(vm_id)
            method = await self.method(vm_id)  # resolved already while checking the proof
            owner = str(method.get("controller") or vm_did)
            problems: list[str] = []
            if controller is None:
                problems.append(f"the document names no {role}")
            elif controller != owner or controller != vm_did:
                problems.append(f"{role} {controller} is not the key's DID {vm_did}"
                                + (f" (controller {owner})" if owner != vm_did else ""))
            proof_purpose = proof.get("proofPurpose")
            if proof_purpose != purpose:
                problems.append(f"proof purpose is {proof_purpose!r}, expected {purpose!r}")
            else:
                try:
                    document = await self.resolver.resolve(vm_did)
                except DidResolutionError as exc:
                    problems.append(f"DID {vm_did} could not be resolved ({exc})")
                else:
                    if find_verification_method(document, vm_id) is None or not is_authorized(
                        document, vm_id, purpose
                    ):
                        problems.append(
                            f"{vm_id} is not listed for {purpose} in the DID document of "
                            f"{vm_did}"
                        )
            if problems:
                self.report.add("key-binding", FAILED, where + "; ".join(problems),
                                subject=vm_id)
            else:
                self.report.add(
                    "key-binding", PASSED,
                    f"{where}{vm_id} belongs to {role} {controller} and is authorized "
                    f"for {purpose}", subject=vm_id,
                )

    # -- credential checks -------------------------------------------------------------
    def validity(self, credential: _Credential, now: datetime) -> None:
        node, label = credential.node, credential.label
        where = f"{label}: " if label else ""
        v2 = "validFrom" in node or "validUntil" in node
        start_key, end_key = ("validFrom", "validUntil") if v2 else (
            "issuanceDate", "expirationDate"
        )
        try:
            start = _parse_time(node[start_key]) if start_key in node else None
            end = _parse_time(node[end_key]) if end_key in node else None
        except ValueError as exc:
            self.report.add("validity", FAILED, f"{where}invalid date: {exc}", subject=label)
            return
        stamp = now.isoformat().replace("+00:00", "Z")
        if start is not None and now < start:
            self.report.add(
                "validity", FAILED,
                f"{where}not valid before {node[start_key]} (now {stamp})", subject=label,
            )
        elif end is not None and now > end:
            self.report.add(
                "validity", FAILED, f"{where}expired on {node[end_key]} (now {stamp})",
                subject=label,
            )
        else:
            bounds = ", ".join(
                f"{k} {node[k]}" for k in (start_key, end_key) if k in node
            ) or "no validity dates"
            self.report.add("validity", PASSED, f"{where}valid now ({bounds})", subject=label)

    def issuer_trust(self, issuer: str | None, label: str | None) -> None:
        where = f"{label}: " if label else ""
        trusted = self.options.trusted_issuers
        if trusted is None:
            self.report.add(
                "issuer-trust", SKIPPED, f"{where}no trust list configured", subject=issuer
            )
        elif issuer is not None and issuer in trusted:
            self.report.add(
                "issuer-trust", PASSED, f"{where}issuer {issuer} is trusted", subject=issuer
            )
        else:
            self.report.add(
                "issuer-trust", FAILED, f"{where}issuer {issuer} is not on the trust list",
                subject=issuer,
            )

    def shacl(self, document: dict[str, Any]) -> None:
        shapes = self.options.shapes
        if shapes == "none":
            self.report.add("shacl", SKIPPED, "no shapes selected")
            return
        try:
            from hinterland.shacl import shacl_data, validate_shapes
        except ImportError:
            self.report.add("shacl", FAILED, "SHACL validation is not available in this build")
            return
        try:
            self.report.shacl_data = shacl_data(document, self.loader)
            result = validate_shapes(
                document, shapes, loader=self.loader, data=self.report.shacl_data
            )
        except HinterlandError as exc:
            self.report.add("shacl", FAILED, f"{shapes} shapes could not be checked: {exc}")
            return
        for note in result.notes:  # e.g. no shape targets the claims: a vacuous "conforms"
            self.report.add("shacl", WARNING, f"{shapes}: {note}")
        if result.conforms and not result.violations:
            self.report.add("shacl", PASSED, f"conforms to the {shapes} shapes")
            return
        for violation in result.violations:
            status = FAILED if violation.severity == "Violation" else WARNING
            where = f" (path {violation.path})" if violation.path else ""
            self.report.add(
                "shacl", status, f"{shapes}: {violation.message}{where}",
                subject=str(violation.focus),
            )
        if not result.conforms and not result.violations:
            self.report.add("shacl", FAILED, f"does not conform to the {shapes} shapes")


def _credentials(document: dict[str, Any]) -> tuple[bool, list[_Credential]]:
    if "VerifiablePresentation" in _types(document):
        entries = document.get("verifiableCredential", [])
        entries = entries if isinstance(entries, list) else [entries]
        credentials = []
        for index, entry in enumerate(entries):
            if isinstance(entry, dict):
                ident = _id_of(entry.get("id"))
                if ident and len(ident) > 60:
                    ident = ident[:57] + "..."
                credentials.append(
                    _Credential(entry, f"credential[{index}]" + (f" {ident}" if ident else ""))
                )
        return True, credentials
    return False, [_Credential(document, None)]


def _within_work_limits(
    run: _Verification, document: dict[str, Any], credentials: list[_Credential]
) -> bool:
    """Refuse documents that would make us canonicalize or resolve without bound."""
    options = run.options
    if len(credentials) > options.max_credentials:
        run.report.add(
            "limits", FAILED,
            f"the presentation embeds {len(credentials)} credentials, more than the limit "
            f"of {options.max_credentials}",
        )
        return False
    nodes = [c.node for c in credentials if c.node is not document] + [document]
    count = sum(len(proofs_of(node)) for node in nodes)
    if count > options.max_proofs:
        run.report.add(
            "limits", FAILED,
            f"the document carries {count} proofs, more than the limit of {options.max_proofs}",
        )
        return False
    return True


async def verify_document(
    document: dict[str, Any] | bytes | str,
    *,
    resolver: DidResolver,
    options: VerifyOptions | None = None,
    loader: DocumentLoader | None = None,
) -> VerificationReport:
    """Verify a VC (1.1 or 2.0) or a VP (each VC and the VP's proof); never raises for bad
    input: every problem is a FAILED check with a reason."""
    options = options or VerifyOptions()
    run = _Verification(resolver, options, loader or default_loader())
    report = run.report
    parsed = run.parse(document)
    if parsed is None:
        return report
    is_vp, credentials = _credentials(parsed)
    if not _within_work_limits(run, parsed, credentials):
        return report
    report.add("limits", PASSED, "within the size, depth, proof and credential limits")
    if is_vp and not credentials:
        report.add("parse", WARNING, "the presentation holds no embedded credentials")
    first_issuer = next((_id_of(c.node.get("issuer")) for c in credentials), None)
    report.issuer = first_issuer
    report.holder = _id_of(parsed.get("holder")) if is_vp else None
    try:
        await _run_checks(run, parsed, is_vp, credentials)
    except (InputError, JsonLdError, DidResolutionError, KeyMaterialError) as exc:
        report.add("parse", FAILED, f"cannot be verified: {exc}")
    except (RecursionError, ValueError, TypeError, AttributeError, KeyError) as exc:
        # the last guard: a malformed document must yield a report, never a stack trace
        report.add("parse", FAILED, f"malformed document: {type(exc).__name__}: {exc}")
    return report


async def _run_checks(
    run: _Verification, document: dict[str, Any], is_vp: bool, credentials: list[_Credential]
) -> None:
    options = run.options
    if not options.proof_only:
        contexts_ok = run.contexts(document)
        run.dropped_terms(document, contexts_ok)
    for credential in credentials:
        good = await run.proofs(credential.node, credential.label)
        if options.proof_only:
            continue
        issuer = _id_of(credential.node.get("issuer"))
        await run.key_binding(
            good, issuer, "issuer", options.expected_purpose, credential.label
        )
        run.validity(credential, options.now or datetime.now(UTC))
        run.issuer_trust(issuer, credential.label)
    if is_vp:
        label = "presentation"
        if not proofs_of(document) and not options.proof_only:
            run.report.add("proof", FAILED, "presentation: the presentation has no proof")
        elif proofs_of(document):
            good = await run.proofs(document, label)
            if not options.proof_only:
                holder = _id_of(document.get("holder"))
                if holder is not None:
                    await run.key_binding(
                        good, holder, "holder", options.presentation_purpose, label
                    )
                else:
                    run.report.add(
                        "key-binding", WARNING,
                        "presentation: no holder, so its proof is bound to no one",
                    )
    if not options.proof_only:
        run.shacl(document)
