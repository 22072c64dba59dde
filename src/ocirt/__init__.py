"""ocirt: the Python API, the ``ocirt`` command and the node agent over one runtime library.

``client = ocirt.connect(address=..., namespace=...)`` is the public API (``ocirt.client``):
``client.version()``, ``client.info()``, ``client.images``, ``client.containers``,
``client.namespaces``. Errors are ``ocirt.OcirtError`` and its subclasses (``NotFound``,
``AlreadyExists``, ``InvalidInput``, ``DaemonUnavailable``, ``Timeout``, ...).

The names are loaded on first use, so that ``import ocirt`` (and every ``ocirt`` command,
which imports this package first) costs nothing until the API is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, List

if TYPE_CHECKING:
    from .client import *  # noqa: F403  (the names of ocirt.client.__all__)


def _client() -> Any:
    return importlib.import_module(".client", __name__)


def __getattr__(name: str) -> Any:
    exported = _client().__all__
    if name == "__all__":
        return exported
    if name in exported:
        value = getattr(_client(), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> List[str]:
    return sorted([*globals(), *_client().__all__])
