"""`policies` depends only on the kernel: no web framework, no other component."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[3]


def test_importing_the_engine_pulls_in_no_web_framework_or_component() -> None:
    code = (
        "import sys, policies, policies.cli, policies.templates, policies.compliance\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('fastapi', 'starlette', 'uvicorn', 'connector', 'catalog'))\n"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60, check=True)
    assert out.stdout.strip() == ""
