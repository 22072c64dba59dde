"""The node agent (dist/ocirt.pyz) built by scripts/build-agent.sh, as a release builds it,
for the tests and benchmarks that run it as a node does."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Optional

from .util import REPO_ROOT

DEFAULT_AGENT = REPO_ROOT / "dist" / "ocirt.pyz"  # the script's own output path


def build_agent(output: Optional[Path] = None) -> Path:
    """Build the agent at ``output`` (None: the script's default, dist/ocirt.pyz) and
    return its path; the script's stderr is the failure's message."""
    args = [] if output is None else [str(output)]
    built = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "build-agent.sh"), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    return DEFAULT_AGENT if output is None else output
