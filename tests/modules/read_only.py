"""A directory made read-only for a test by a read-only bind mount of itself (the tests run
as root, for whom chmod alone denies nothing)."""

from __future__ import annotations

import contextlib
import subprocess
from pathlib import Path
from typing import Iterator


@contextlib.contextmanager
def read_only(directory: Path) -> Iterator[Path]:
    subprocess.run(["mount", "--bind", str(directory), str(directory)], check=True, timeout=30)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(directory)], check=True,
                       timeout=30)
        yield directory
    finally:
        subprocess.run(["umount", str(directory)], check=True, timeout=30)


def assert_clean_failure(result: dict, *words: str) -> None:
    """One fail_json with a message, not a module crash with a traceback."""
    assert result["failed"] is True, result
    # an uncaught exception is "Task failed: Module failed: [Errno ..." without an error name
    assert "module_stderr" not in result and result.get("error"), result
    assert not result["msg"].startswith("Task failed"), result
    for word in words:
        assert word in result["msg"], result["msg"]
