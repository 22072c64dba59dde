"""libcni's result cache, in libcni's own format, so a DEL after a restart still works.

libcni v1.1.1 (``api.go`` ``cachedInfo``) keeps the final ADD result of each attachment at
``<cacheDir>/results/<network>-<containerID>-<ifname>``, with the list it was made from
(base64), the CNI_ARGS and the capability arguments. DEL and CHECK need the result as
``prevResult``, and DEL needs the same capability arguments (portmap removes nothing
without its ``portMappings``), so both are read back from here, whatever the conflist
says by then. Go tools reading the same directory see the same attachments.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ..common import atomic_file
from .paths import CniPaths

KIND = "cniCacheV1"


@dataclass
class CachedAttachment:
    network: str
    container_id: str
    ifname: str
    config: bytes
    result: Dict[str, Any]
    capability_args: Dict[str, Any] = field(default_factory=dict)
    cni_args: List[List[str]] = field(default_factory=list)

    def to_json(self) -> bytes:
        doc = {
            "kind": KIND,
            "containerId": self.container_id,
            "config": base64.b64encode(self.config).decode(),
            "ifName": self.ifname,
            "networkName": self.network,
            "cniArgs": self.cni_args,
            "capabilityArgs": self.capability_args,
            "result": self.result,
        }
        return json.dumps(doc, sort_keys=True).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Optional[CachedAttachment]:
        try:
            doc = json.loads(data.decode())
            return cls(
                network=doc["networkName"],
                container_id=doc["containerId"],
                ifname=doc["ifName"],
                config=base64.b64decode(doc.get("config") or ""),
                result=dict(doc.get("result") or {}),
                capability_args=dict(doc.get("capabilityArgs") or {}),
                cni_args=list(doc.get("cniArgs") or []),
            )
        except (ValueError, KeyError, TypeError):
            return None  # a torn or foreign file: treated as absent


def cache_path(paths: CniPaths, network: str, container_id: str, ifname: str) -> str:
    return os.path.join(paths.results_dir, f"{network}-{container_id}-{ifname}")


def load(
    paths: CniPaths, network: str, container_id: str, ifname: str
) -> Optional[CachedAttachment]:
    data = atomic_file.read_bytes(cache_path(paths, network, container_id, ifname))
    return None if data is None else CachedAttachment.from_json(data)


def store(paths: CniPaths, entry: CachedAttachment) -> None:
    path = cache_path(paths, entry.network, entry.container_id, entry.ifname)
    atomic_file.atomic_write(path, entry.to_json(), mode=0o600)


def forget(paths: CniPaths, network: str, container_id: str, ifname: str) -> None:
    atomic_file.remove(cache_path(paths, network, container_id, ifname))


def entries(paths: CniPaths, network: Optional[str] = None) -> List[CachedAttachment]:
    """Every cached attachment (of one network), in file-name order."""
    try:
        names = sorted(os.listdir(paths.results_dir))
    except FileNotFoundError:
        return []
    found = []
    for name in names:
        if network is not None and not name.startswith(network + "-"):
            continue
        data = atomic_file.read_bytes(os.path.join(paths.results_dir, name))
        entry = CachedAttachment.from_json(data) if data is not None else None
        if entry is not None and (network is None or entry.network == network):
            found.append(entry)
    return found


def addresses(result: Mapping[str, Any]) -> List[str]:
    """The container's IPs in a result, without prefix length ("10.4.0.2")."""
    return [str(ip["address"]).split("/")[0] for ip in result.get("ips") or [] if ip.get("address")]
