"""`hinterland demo` as a new user runs it: a subprocess, its output and its exit code."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_demo_plays_the_whole_story(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "hinterland", "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "200"},
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    steps = re.findall(r"^✓ ([^:]+):", out, flags=re.M)
    assert steps == [
        "keys and DIDs", "servers", "onboarding", "search", "PCF records, non-member",
        "onboarding", "need matched", "negotiation", "print 1", "print 2", "print 3",
        "print 4", "PCF records, member", "auditor checks a description",
        "auditor checks the audit log",
    ]
    for n in (1, 2, 3):
        assert f"print {n} of 3 licensed" in out
    assert "print 4: refused: usage_denied: denied: print count 3 of 3 used" in out
    assert re.search(r"PCF records, non-member: refused: offer hidden; negotiation terminated", out)
    assert "PCF records, member: delivered: Mounting bracket 60x40, 2.41 kg CO2e" in out
    assert re.search(r"need matched: best offer: the bracket \(score 0\.\d+: .*material PA12", out)
    assert "auditor checks a description: VALID" in out
    audit_line = r"auditor checks the audit log: intact: \d+ entries, [1-9]\d* signed checkpoint"
    assert re.search(audit_line, out)
    assert "What happened" in out and "demo finished: all steps succeeded" in out
    # it cleaned up: no server is left listening
    ports = set(re.findall(r"http://127\.0\.0\.1:(\d+)", out))
    assert len(ports) == 3
    for port in ports:
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", int(port))) != 0, f"port {port} still open"
