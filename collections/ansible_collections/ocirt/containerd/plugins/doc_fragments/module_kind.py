"""The documentation every module of one kind shares, as one fragment entry.

Every module of the action group takes the connection options (connection.py), declares its
attributes and its membership of the group (attributes.py) and names the maintainers; the
modules that talk to containerd also need grpcio. Listing those pieces in each module repeated
the same header twelve times, so each kind of module gets one fragment, composed here from
the pieces as Ansible itself merges fragments (mappings merged, lists extended):

- ``state``: changes containerd's state over gRPC, with full check mode, diff and idempotency;
- ``info``: reports over gRPC and changes nothing;
- ``node_state``: changes the node's files or packages, not over gRPC;
- ``grpc``: talks gRPC and says its own check mode, diff and idempotency support.
"""

from __future__ import annotations

from typing import Any, Dict

import yaml
from ansible_collections.ocirt.containerd.plugins.doc_fragments.attributes import (
    ModuleDocFragment as Attributes,
)
from ansible_collections.ocirt.containerd.plugins.doc_fragments.connection import (
    ModuleDocFragment as Connection,
)

_AUTHOR = r"""
options: {}
author:
  - ocirt maintainers (@ocirt)
"""


def _merge(into: Dict[str, Any], piece: Dict[str, Any]) -> None:
    for key, value in piece.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key].extend(value)
        else:
            into[key] = value


def _compose(*pieces: str) -> str:
    doc: Dict[str, Any] = {}
    for piece in pieces:
        _merge(doc, yaml.safe_load(piece))
    return yaml.safe_dump(doc, sort_keys=False, width=1000)


_COMMON = (_AUTHOR, Connection.DOCUMENTATION, Attributes.DOCUMENTATION, Attributes.ACTIONGROUP)


class ModuleDocFragment:
    """One attribute per kind, set below: ansible-test's yamllint reads every assignment in
    this body as a YAML literal, and these are composed."""


ModuleDocFragment.STATE = _compose(*_COMMON, Connection.GRPC, Attributes.STATE_MODULE)
ModuleDocFragment.INFO = _compose(*_COMMON, Connection.GRPC, Attributes.INFO_MODULE)
ModuleDocFragment.NODE_STATE = _compose(*_COMMON, Attributes.STATE_MODULE)
ModuleDocFragment.GRPC = _compose(*_COMMON, Connection.GRPC)
