"""Installing the log driver where the shim can run it, and the ``binary://`` URI naming it.

The shim executes the URI's path directly, with an environment of two variables and no
PATH, so the installed file is ``driver.py``'s source behind a ``#!`` line with an absolute
interpreter: ``/usr/bin/python3`` when the node has it (the distribution's python3, which
outlives any virtualenv and is what the managed node runs modules with), else the real file
behind the calling interpreter (``sys.executable`` itself may be a virtualenv's link, gone
with the virtualenv, while containers and their restart-monitor labels stay). ``-I`` keeps
the driver's interpreter from reading PYTHON* variables or a user's site directory.

The source is read through the module's loader, so it works from a checkout, from
AnsiballZ's zip and from the ``ocirt.pyz`` agent alike: each of them installs the same file.
The write is atomic and happens only when the content differs (a new ocirt replaces it,
running drivers keep the inode they were started from).
"""

from __future__ import annotations

import os
import sys
from typing import Optional
from urllib.parse import quote, unquote, urlencode, urlsplit

from ..common.atomic_file import atomic_write, read_bytes
from . import driver

DRIVER_NAME = "ocirt-log-driver"
SYSTEM_PYTHON = "/usr/bin/python3"
SCHEME = "binary"


def interpreter() -> str:
    """The python3 the driver runs on (absolute, outside any virtualenv)."""
    if os.access(SYSTEM_PYTHON, os.X_OK):
        return SYSTEM_PYTHON
    return os.path.realpath(sys.executable)


def driver_script(python: Optional[str] = None) -> bytes:
    """The installed file: a ``#!`` line, then driver.py's source."""
    loader = getattr(driver, "__loader__", None)
    source = loader.get_source(driver.__name__) if loader is not None else None
    if source is None:
        with open(driver.__file__, encoding="utf-8") as f:
            source = f.read()
    return f"#!{python or interpreter()} -I\n".encode() + source.encode()


def install_driver(directory: str) -> str:
    """Write the driver into ``directory`` unless it is there already; its path."""
    path = os.path.join(directory, DRIVER_NAME)
    script = driver_script()
    if read_bytes(path) != script or not os.access(path, os.X_OK):
        atomic_write(path, script, mode=0o755, owner=None, group=None)
    return path


def driver_uri(driver_path: str, log_path: str, max_size: int = 0, max_files: int = 1) -> str:
    """``binary://DRIVER?--path=LOG&...``: each query pair is one ``--name value`` argument."""
    query = [("--path", log_path)]
    if max_size:
        query += [("--max-size", str(max_size)), ("--max-files", str(max_files))]
    return f"{SCHEME}://{quote(driver_path)}?{urlencode(query)}"


def uri_driver_path(uri: str) -> Optional[str]:
    """The driver a ``binary://`` URI names (None for another URI)."""
    parts = urlsplit(uri)
    if parts.scheme != SCHEME:
        return None
    return unquote(parts.path)


def ensure_installed(uri: str) -> None:
    """Before a task starts with ``uri``: put ocirt's driver back if it is missing or older
    (a URI naming another program is left alone)."""
    path = uri_driver_path(uri)
    if path and os.path.basename(path) == DRIVER_NAME:
        install_driver(os.path.dirname(path))
