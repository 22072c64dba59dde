"""The unit file and the proxy drop-in as files on disk: what each should hold, with which
mode, and how the disk differs from it (``observe``), apart from deciding what to do."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

from ..common.atomic_file import differs, read_bytes
from .unit import PROXY_DROPIN, has_credentials, proxy_environment, render_proxy_dropin, render_unit


@dataclass
class WantedFile:
    path: str
    text: Optional[str]  # None: the file should not exist
    mode: int = 0o644


@dataclass
class FileStatus:
    """How a file on disk differs from its ``WantedFile`` (``atomic_file.differs``)."""

    exists: bool = True
    differs: Optional[str] = None  # "missing", "content differs, mode 0644, not 0600"; None: same
    same_content: bool = True  # only mode or owner differ (no reload, no restart)


def wanted_files(
    unit_path: str,
    binary: str,
    config_path: str,
    address: Optional[str],
    proxy: Optional[Dict[str, Optional[str]]],
) -> Tuple[WantedFile, WantedFile]:
    """The unit and the drop-in. A drop-in with proxy credentials is 0600."""
    unit = WantedFile(unit_path, render_unit(binary, config_path, address))
    env = proxy_environment(proxy)
    dropin = WantedFile(
        os.path.join(unit_path + ".d", PROXY_DROPIN),
        render_proxy_dropin(env),
        0o600 if has_credentials(env) else 0o644,
    )
    return unit, dropin


def observe(wanted: WantedFile) -> FileStatus:
    have = read_bytes(wanted.path)
    if wanted.text is None:
        return FileStatus(exists=have is not None, same_content=have is None)
    data = wanted.text.encode()
    return FileStatus(
        exists=have is not None,
        differs=differs(wanted.path, data, wanted.mode),
        same_content=have == data,
    )
