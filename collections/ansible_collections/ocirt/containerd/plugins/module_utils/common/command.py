"""Running a system command (systemctl, journalctl, apt-get, dpkg-query, ...) the one way
ocirt does: stdin /dev/null, output captured as text, a bounded wait, and a library error
naming the command when it cannot be run at all. Its exit status is the caller's to judge.
"""

from __future__ import annotations

import os
import subprocess
from typing import Dict, Optional, Sequence, Type

from .errors import OcirtError


def run_command(
    argv: Sequence[str],
    error: Type[OcirtError],
    timeout: float,
    env: Optional[Dict[str, str]] = None,
) -> subprocess.CompletedProcess:
    """Run ``argv`` with ``env`` added to this process's environment; raise ``error`` when
    it is missing, not executable or does not finish within ``timeout`` seconds."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    try:
        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
            env=full_env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise error(f"running {' '.join(argv)}: {exc}") from None
