"""Ansible's diff of one file (``before``/``after`` text with headers), secrets masked.

Ansible shows a diff with ``before_header``/``after_header`` as a unified diff of the file;
``/dev/null`` stands for a file that does not exist (before it is created, after removal).
"""

from __future__ import annotations

from typing import Callable, Optional, TypedDict

NO_FILE = "/dev/null"


class FileDiff(TypedDict):
    before: str
    after: str
    before_header: str
    after_header: str


def file_diff(
    path: str, before: Optional[str], after: Optional[str], mask: Callable[[str], str]
) -> FileDiff:
    """The diff of ``path`` from ``before`` to ``after`` (None: no file), through ``mask``."""
    return {
        "before": mask(before or ""),
        "after": mask(after or ""),
        "before_header": path if before is not None else NO_FILE,
        "after_header": path if after is not None else NO_FILE,
    }
