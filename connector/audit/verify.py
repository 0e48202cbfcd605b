"""Offline verification of an exported audit log (`hinterland audit verify`).

Finds and names every kind of tampering an auditor cares about:

- *changed*: an entry whose content no longer matches its hash, or whose hash no longer
  matches the `prev` of the next entry (it was edited and re-hashed);
- *deleted*: a sequence number that is missing;
- *inserted*: an entry that is not part of the chain (a duplicate number, or a link that
  does not fit), or extra entries revealed by a signed checkpoint;
- *reordered*: entries present but out of order;
- *signature*: a checkpoint whose signature fails or that does not match the chain;
- *unsigned tail*: the log does not end with a signed export checkpoint over its last entry.
"""

from __future__ import annotations

import bisect
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from connector.audit.chain import GENESIS, checkpoint_signature_valid, entry_hash
from hinterland.errors import InputError, KeyMaterialError
from hinterland.keys import PublicKey


@dataclass(frozen=True)
class Finding:
    """One problem: its kind, the entry's sequence number (if any) and the explanation."""

    kind: str
    seq: int | None
    message: str


@dataclass
class AuditReport:
    """The outcome of verifying an exported log."""

    entries: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when nothing was found."""
        return not self.findings

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "valid": self.valid,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "findings": [f.__dict__ for f in self.findings],
        }


def _keys_from_did_document(document: dict[str, Any]) -> dict[str, PublicKey]:
    keys: dict[str, PublicKey] = {}
    did = document.get("id", "")
    for method in document.get("verificationMethod", []) or []:
        if not isinstance(method, dict) or not isinstance(method.get("id"), str):
            continue
        vm_id = method["id"] if not method["id"].startswith("#") else did + method["id"]
        try:
            keys[vm_id] = PublicKey.from_verification_method(method)
        except KeyMaterialError:
            continue
    return keys


Lines = list[tuple[int, dict[str, Any]]]


def parse_lines(text: str) -> tuple[Lines, Lines]:
    """(entries, checkpoints), each with its 1-based line number; `InputError` on bad lines."""
    entries: Lines = []
    checkpoints: Lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {number} is not JSON: {exc.msg}") from None
        if not isinstance(value, dict):
            raise InputError(f"line {number} is not a JSON object")
        if "checkpoint" in value and isinstance(value["checkpoint"], dict):
            checkpoints.append((number, value["checkpoint"]))
        elif isinstance(value.get("seq"), int) and isinstance(value.get("hash"), str):
            entries.append((number, value))
        else:
            raise InputError(f"line {number} is neither an audit entry nor a checkpoint")
    return entries, checkpoints


def verify_export(text: str, did_document: dict[str, Any]) -> AuditReport:
    """Verify an exported log against the connector's DID document."""
    entries, checkpoints = parse_lines(text)
    report = AuditReport(entries=len(entries), checkpoints=len(checkpoints))
    find = report.findings.append

    # 1. each entry against its own hash
    intact: dict[int, bool] = {}
    for line, entry in entries:
        ok = entry_hash(entry) == entry["hash"]
        intact[id(entry)] = ok
        if not ok:
            find(Finding("changed", entry["seq"],
                         f"entry {entry['seq']} (line {line}) was changed: its content "
                         "does not match its hash"))

    # 2. duplicates (one of them was inserted), missing numbers (deleted), order
    counts = Counter(e["seq"] for _, e in entries)
    by_hash = {e["hash"]: e for _, e in entries}
    chain_ok: set[int] = set()
    present = set(counts)
    top = max(present, default=0)
    for seq in range(1, top + 1):
        if seq not in present:
            find(Finding("deleted", seq, f"entry {seq} is missing (deleted)"))
    for seq, n in counts.items():
        if n > 1:
            candidates = [(line, e) for line, e in entries if e["seq"] == seq]
            prev_hash = next(
                (e["hash"] for _, e in entries if e["seq"] == seq - 1), GENESIS
            )
            nxt = next((e for _, e in entries if e["seq"] == seq + 1), None)
            for line, e in candidates:
                fits = e["prev"] == prev_hash and (nxt is None or nxt["prev"] == e["hash"])
                if not fits:
                    find(Finding("inserted", seq,
                                 f"the entry at line {line} claims number {seq} but is not "
                                 "part of the chain (inserted)"))
                else:
                    chain_ok.add(id(e))
    file_order = [e["seq"] for _, e in entries if counts[e["seq"]] == 1]
    if file_order != sorted(file_order):
        lis = _longest_increasing(file_order)
        for seq in file_order:
            if seq not in lis:
                find(Finding("reordered", seq, f"entry {seq} is out of order (moved)"))

    # 3. links between consecutive numbers
    ordered = sorted(
        (e for _, e in entries if counts[e["seq"]] == 1 or id(e) in chain_ok),
        key=lambda e: e["seq"],
    )
    previous_hash, expected = GENESIS, 1
    for e in ordered:
        linked = e["prev"] == previous_hash
        if e["seq"] == expected and not linked and intact.get(id(e), True):
            find(Finding("changed", e["seq"] - 1,
                         f"entry {e['seq'] - 1} was changed and re-hashed: entry {e['seq']} "
                         "links to a different predecessor"))
        previous_hash, expected = e["hash"], e["seq"] + 1

    # 4. checkpoints
    keys = _keys_from_did_document(did_document)
    chain = {e["seq"]: e for e in ordered}
    for line, cp in checkpoints:
        cp_seq: Any = cp.get("seq")
        method = cp.get("verificationMethod")
        key = keys.get(method) if isinstance(method, str) else None
        if key is None:
            find(Finding("signature", cp_seq if isinstance(cp_seq, int) else None,
                         f"checkpoint at line {line} names key {method!r}, which the DID "
                         "document does not contain"))
            continue
        if not checkpoint_signature_valid(cp, key):
            find(Finding("signature", cp_seq if isinstance(cp_seq, int) else None,
                         f"checkpoint at line {line} has an invalid signature"))
            continue
        target = chain.get(cp_seq) if isinstance(cp_seq, int) else None
        if target is None or target["hash"] != cp.get("hash"):
            moved = by_hash.get(str(cp.get("hash")))
            if moved is not None and moved["seq"] != cp_seq:
                shift = abs(moved["seq"] - cp_seq)
                kind = "inserted" if moved["seq"] > cp_seq else "deleted"
                find(Finding(kind, cp_seq,
                             f"the entry signed as number {cp_seq} is now number {moved['seq']}: "
                             f"{shift} entry(ies) {kind} before it and the chain re-hashed"))
            else:
                find(Finding("changed", cp_seq,
                             f"the signed checkpoint over entry {cp_seq} does not match: entries "
                             f"up to {cp_seq} were changed and the chain re-hashed"))

    # 5. the tail must be signed by an export checkpoint
    final = checkpoints[-1][1] if checkpoints else None
    last = ordered[-1] if ordered else None
    if final is None or not final.get("exported") or (
        last is not None and final.get("seq") != last["seq"]
    ) or (entries and checkpoints[-1][0] < entries[-1][0]):
        find(Finding("unsigned-tail", last["seq"] if last else None,
                     "the log does not end with a signed export checkpoint over its last "
                     "entry: entries may have been removed from or added to the end"))
    return report


def _longest_increasing(values: list[int]) -> set[int]:
    """The values of one longest increasing subsequence (those that stayed in place)."""
    tails: list[int] = []
    tails_idx: list[int] = []
    parent = [-1] * len(values)
    for i, v in enumerate(values):
        pos = bisect.bisect_left(tails, v)
        if pos == len(tails):
            tails.append(v)
            tails_idx.append(i)
        else:
            tails[pos] = v
            tails_idx[pos] = i
        parent[i] = tails_idx[pos - 1] if pos > 0 else -1
    keep: set[int] = set()
    i = tails_idx[-1] if tails_idx else -1
    while i >= 0:
        keep.add(values[i])
        i = parent[i]
    return keep
