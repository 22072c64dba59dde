"""Where the node agent lives on a host and how it is run: the one place that builds its
command lines, for the facts and the operations alike.

Host data (inventory, ``--data``) may set ``ocirt_agent`` (the path on the host),
``ocirt_python`` (the interpreter), ``ocirt_agent_src`` (the local file to upload) and
``ocirt_address`` / ``ocirt_namespace`` (containerd's socket and namespace, for every
operation that does not name its own).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any, List, Mapping, Optional

from pyinfra.api import OperationValueError, QuoteString, StringCommand

AGENT_PATH = "/usr/local/lib/ocirt/ocirt.pyz"
DIST_AGENT = Path(__file__).resolve().parents[3] / "dist" / "ocirt.pyz"  # a checkout's
PYTHON = "python3"  # the host's own: Debian's, with python3-grpcio
#: what the agent needs on a Debian host (README, "Node agent")
PACKAGES = ("python3", "python3-grpcio", "python3-tomlkit", "python3-yaml")


class Document(str):
    """A state document's JSON text that hides itself when formatted: pyinfra writes a
    fact's arguments, ``_stdin`` included, into its log with ``-v``, and a document may hold
    a registry password. ``str`` methods (what the connectors call to send it) see the
    text; ``str()``, ``repr()`` and f-strings see only a placeholder."""

    def __new__(cls, value: Mapping[str, Any]) -> Document:
        # ends with a newline, so that pyinfra's write_stdin does not format it
        return super().__new__(cls, json.dumps(value, sort_keys=True) + "\n")

    def __str__(self) -> str:
        return "<ocirt state document>"

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return str(self)


def local_agent(src: Optional[str], data: Any) -> io.BytesIO:
    """The agent to upload, read whole: ``src``, else host data ``ocirt_agent_src``, else
    the repository's ``dist/ocirt.pyz`` (``bash scripts/build-agent.sh``).

    Handed to ``files.put`` as bytes, not as a path: the same upload, checked by the same
    sha1, and read once per operation call whatever the number of hosts' checks."""
    path = src or data.get("ocirt_agent_src") or str(DIST_AGENT)
    try:
        with open(path, "rb") as f:
            return io.BytesIO(f.read())
    except OSError as e:
        raise OperationValueError(
            f"agent: cannot read the node agent {path} ({e.strerror}): build it with "
            "bash scripts/build-agent.sh, or give src"
        ) from None


def command(
    python: str,
    agent: str,
    args: List[str],
    address: Optional[str] = None,
    namespace: Optional[str] = None,
) -> StringCommand:
    """``python3 AGENT [--address A] [--namespace N] ARGS...``, every value quoted."""
    bits: List[Any] = [QuoteString(python), QuoteString(agent)]
    if address:
        bits += ["--address", QuoteString(address)]
    if namespace:
        bits += ["--namespace", QuoteString(namespace)]
    return StringCommand(*bits, *[QuoteString(a) for a in args])
