"""The version an installed (or just extracted) binary reports about itself."""

from __future__ import annotations

import os
import re
import subprocess
from typing import Optional

_PATTERNS = {
    # 'containerd github.com/containerd/containerd/v2 2.1.9+unknown' / '... v1.7.24 <rev>'
    "containerd": re.compile(r"^containerd\s+\S+\s+v?(\d+\.\d+\.\d+\S*)"),
    "runc": re.compile(r"^runc version\s+v?(\S+)"),
    "crictl": re.compile(r"^crictl version\s+v?(\S+)"),
}


def binary_version(component: str, path: Optional[str]) -> Optional[str]:
    """``path --version`` parsed, or None when there is no such executable or it is silent."""
    pattern = _PATTERNS.get(component)
    if pattern is None or not path or not os.access(path, os.X_OK):
        return None
    try:
        r = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            timeout=30,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in (r.stdout or "").splitlines():
        m = pattern.match(line.strip())
        if m:
            return m.group(1)
    return None
