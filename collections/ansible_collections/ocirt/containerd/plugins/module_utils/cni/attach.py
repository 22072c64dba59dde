"""A container's networks: the pinned namespace in its spec, set up before its task
starts, torn down when it is removed (design (b) of the reference: CRI-style, all in the
client, so a restart by containerd's restart monitor or a containerd restart finds the
same namespace, address and ports).

Everything is driven by the container's stored canonical configuration, so a later run
(another process, after a crash) knows what to undo. Setup is idempotent and repairs a
half-done one: an attachment with a cached result in a namespace that survived is kept;
any other is DELeted (clearing what a crash left) and ADDed again. Teardown DELs from the
cache (the list and capability arguments the ADD used), unpins the namespace and removes
the container's files; each step succeeds when there is nothing left to undo.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..common.errors import CniError
from . import chain, container_files, netns, network_store, result_cache
from .bridge_network import DEFAULT_NETWORK, LOOPBACK
from .paths import CniPaths
from .ports import port_mappings


@dataclass(frozen=True)
class Request:
    name: str
    ipv4_address: Optional[str] = None
    aliases: Tuple[str, ...] = ()


@dataclass(frozen=True)
class Where:
    """Where one container's network state lives."""

    key: str  # CNI_CONTAINERID: "<namespace>-<id>"
    netns: str
    files: str


def requests(config: Mapping[str, Any]) -> List[Request]:
    """The networks a canonical configuration attaches, in order (none for host/none)."""
    given = config.get("networks") or []
    mode = config.get("network_mode") or "none"
    if not given and mode not in ("none", "host"):
        given = [{"name": mode}]
    if not given and mode == "none" and config.get("published_ports"):
        given = [{"name": DEFAULT_NETWORK}]
    return [Request(n["name"], n.get("ipv4_address"), tuple(n.get("aliases") or ())) for n in given]


def needs_files(config: Mapping[str, Any]) -> bool:
    if (config.get("network_mode") or "none") == "host":
        return False
    return bool(
        requests(config)
        or config.get("dns")
        or config.get("dns_search")
        or config.get("extra_hosts")
    )


def where(paths: CniPaths, address: str, namespace: str, container_id: str) -> Where:
    daemon = hashlib.sha256(address.encode()).hexdigest()[:12]
    key = f"{namespace}-{container_id}"
    return Where(
        key, os.path.join(paths.netns_dir, daemon, key), os.path.join(paths.files_dir, daemon, key)
    )


def prepare_spec(spec: Dict[str, Any], config: Mapping[str, Any], place: Where) -> None:
    """Point the spec's network namespace at the pinned one and mount the files."""
    if requests(config):
        for ns in spec["linux"]["namespaces"]:
            if ns["type"] == "network":
                ns["path"] = place.netns
    if needs_files(config):
        for name in ("hosts", "resolv.conf", "hostname"):
            spec["mounts"].append(
                {
                    "destination": f"/etc/{name}",
                    "type": "bind",
                    "source": os.path.join(place.files, name),
                    "options": ["rbind", "ro"],
                }
            )


def _capabilities(
    config: Mapping[str, Any], req: Request, index: int, place: Where, cid: str
) -> Dict[str, Any]:
    ports = (config.get("published_ports") or []) if index == 0 else []
    return {
        "portMappings": port_mappings(ports),
        "aliases": [cid, *req.aliases],
        "io.ocirt.files": place.files,
    }


def _refuse_taken_ports(paths: CniPaths, key: str, wanted: List[Dict[str, Any]]) -> None:
    for entry in result_cache.entries(paths):
        if entry.container_id == key:
            continue
        for theirs in entry.capability_args.get("portMappings") or []:
            for mine in wanted:
                same = (mine["hostPort"], mine["protocol"]) == (
                    theirs["hostPort"],
                    theirs["protocol"],
                )
                ips = {mine.get("hostIP", ""), theirs.get("hostIP", "")}
                if same and (len(ips) == 1 or "" in ips):
                    raise CniError(
                        f"published_ports: host port {mine['hostPort']}/{mine['protocol']} is "
                        f"already published by container {entry.container_id} "
                        f"(network {entry.network})"
                    )


def _ip_args(req: Request, cached: Optional[result_cache.CachedAttachment]) -> Dict[str, str]:
    """The address asked of IPAM: the declared one, else, when the namespace is made again
    for a container the result cache knows (a reboot empties /run; the cache and the
    host-local lease on disk remain), the address it had: it comes back as it was after a
    containerd restart, on the address other machines reach it by."""
    if req.ipv4_address:
        return {"IP": req.ipv4_address}
    had = result_cache.addresses(cached.result) if cached is not None else []
    return {"IP": had[0]} if len(had) == 1 else {}


def _attach_one(
    paths: CniPaths, place: Where, req: Request, index: int, caps: Dict[str, Any], fresh: bool
) -> Dict[str, Any]:
    ifname = f"eth{index}"
    cached = result_cache.load(paths, req.name, place.key, ifname)
    if cached is not None and not fresh:
        return cached.result
    networks = network_store.get(paths, req.name)
    _refuse_taken_ports(paths, place.key, caps["portMappings"])
    attachment = chain.Attachment(place.key, place.netns, ifname, caps, _ip_args(req, cached))
    if cached is not None or not fresh:  # what a crash or a reboot left; a new
        chain.delete(paths, networks, attachment, req.name)  # namespace holds nothing
    return chain.add(paths, networks, attachment)


def setup(
    paths: CniPaths, place: Where, container_id: str, config: Mapping[str, Any], hostname: str
) -> Dict[str, Dict[str, Any]]:
    """Attach (idempotent): the CNI result per network."""
    results: Dict[str, Dict[str, Any]] = {}
    wanted = requests(config)
    if wanted:
        fresh = netns.pin(place.netns)
        for index, req in enumerate(wanted):
            caps = _capabilities(config, req, index, place, container_id)
            results[req.name] = _attach_one(paths, place, req, index, caps, fresh)
        lo = chain.Attachment(place.key, place.netns, "lo")
        if fresh or result_cache.load(paths, LOOPBACK.name, place.key, "lo") is None:
            if not fresh:
                chain.delete(paths, LOOPBACK, lo, LOOPBACK.name)
            chain.add(paths, LOOPBACK, lo)
    if needs_files(config):
        settings = {
            "key": place.key,
            "hostname": hostname,
            "extra_hosts": config.get("extra_hosts") or {},
        }
        resolv = container_files.resolv_conf(
            config.get("dns") or [], config.get("dns_search") or []
        )
        container_files.write(place.files, settings, resolv, paths)
        container_files.refresh_peers(paths, [r.name for r in wanted], place.key)
    return results


def teardown(paths: CniPaths, place: Where, config: Mapping[str, Any]) -> bool:
    """Detach everything (idempotent); whether anything was there."""
    wanted = requests(config)
    found = False
    for index, req in enumerate(wanted):
        networks = network_store.read(paths, req.name)
        attachment = chain.Attachment(place.key, place.netns, f"eth{index}")
        found = chain.delete(paths, networks, attachment, req.name) or found
    if wanted:
        lo = chain.Attachment(place.key, place.netns, "lo")
        chain.delete(paths, LOOPBACK, lo, LOOPBACK.name)
        found = netns.unpin(place.netns) or found
    if os.path.isdir(place.files):
        container_files.remove(place.files)
        found = True
    container_files.refresh_peers(paths, [r.name for r in wanted], place.key)
    return found


def addresses(paths: CniPaths, place: Where, config: Mapping[str, Any]) -> Dict[str, List[str]]:
    """The container's IPs per network, from the cache (empty while not attached)."""
    out = {}
    for index, req in enumerate(requests(config)):
        cached = result_cache.load(paths, req.name, place.key, f"eth{index}")
        out[req.name] = result_cache.addresses(cached.result) if cached else []
    return out
