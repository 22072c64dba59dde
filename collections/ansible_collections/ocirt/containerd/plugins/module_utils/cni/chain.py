"""ADD, CHECK and DEL of a whole network configuration list (spec 1.0 section 3).

ADD runs the plugins in order, each getting the previous one's result as ``prevResult``,
and caches the final result; a failed ADD is followed by a DEL of the whole list (the spec
asks the runtime to clean up), and the original error is raised. DEL runs the plugins in
reverse with the cached result and the cached capability arguments, and is idempotent: a
DEL of something never added (or already deleted) succeeds. CHECK runs every plugin with
the cached result.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ..common.errors import CniError, OcirtError
from . import result_cache
from .conflist import NetworkList
from .paths import CniPaths
from .plugin_exec import DEFAULT_PLUGIN_TIMEOUT, Invocation, run_plugin


@dataclass(frozen=True)
class Attachment:
    """One interface of one container on one network."""

    container_id: str  # CNI_CONTAINERID: [A-Za-z0-9][A-Za-z0-9_.-]*
    netns: str  # path of the pinned namespace
    ifname: str = "eth0"
    capability_args: Mapping[str, Any] = field(default_factory=dict)
    cni_args: Mapping[str, str] = field(default_factory=dict)

    def invocation(self, command: str) -> Invocation:
        args = ";".join(["IgnoreUnknown=1", *(f"{k}={v}" for k, v in self.cni_args.items())])
        return Invocation(command, self.container_id, self.netns, self.ifname, args)


def add(
    paths: CniPaths,
    networks: NetworkList,
    attachment: Attachment,
    timeout: float = DEFAULT_PLUGIN_TIMEOUT,
) -> Dict[str, Any]:
    """Attach; the final result (also cached)."""
    invocation = attachment.invocation("ADD")
    result: Optional[Dict[str, Any]] = None
    try:
        for index, plugin_type in enumerate(networks.plugin_types()):
            stdin = networks.plugin_stdin(index, result, attachment.capability_args)
            result = run_plugin(paths, networks.name, plugin_type, invocation, stdin, timeout)
    except OcirtError:
        with contextlib.suppress(OcirtError):  # the ADD's error is the one to report
            _run_reverse(paths, networks, attachment, result, timeout)
        raise
    final = dict(result or {})
    result_cache.store(
        paths,
        result_cache.CachedAttachment(
            networks.name,
            attachment.container_id,
            attachment.ifname,
            networks.raw,
            final,
            dict(attachment.capability_args),
            [[k, v] for k, v in attachment.cni_args.items()],
        ),
    )
    return final


def _run_reverse(
    paths: CniPaths,
    networks: NetworkList,
    attachment: Attachment,
    result: Optional[Mapping[str, Any]],
    timeout: float,
) -> None:
    invocation = attachment.invocation("DEL")
    types = networks.plugin_types()
    for index in reversed(range(len(types))):
        stdin = networks.plugin_stdin(index, result, attachment.capability_args)
        run_plugin(paths, networks.name, types[index], invocation, stdin, timeout)


def delete(
    paths: CniPaths,
    networks: Optional[NetworkList],
    attachment: Attachment,
    network_name: str,
    timeout: float = DEFAULT_PLUGIN_TIMEOUT,
) -> bool:
    """Detach (idempotent); whether there was a cached attachment. The cached list and
    capability arguments win over the ones given: they are what the ADD used."""
    cached = result_cache.load(paths, network_name, attachment.container_id, attachment.ifname)
    prev: Optional[Mapping[str, Any]] = None
    if cached is not None:
        networks = NetworkList.parse(cached.config, f"cached config of {network_name}")
        attachment = Attachment(
            attachment.container_id,
            attachment.netns,
            attachment.ifname,
            cached.capability_args,
            dict((k, v) for k, v in cached.cni_args),
        )
        prev = cached.result
    if networks is None:
        return False  # never attached, nothing known to undo
    _run_reverse(paths, networks, attachment, prev, timeout)
    result_cache.forget(paths, network_name, attachment.container_id, attachment.ifname)
    return cached is not None


def check(
    paths: CniPaths,
    networks: NetworkList,
    attachment: Attachment,
    timeout: float = DEFAULT_PLUGIN_TIMEOUT,
) -> None:
    """Ask every plugin whether the attachment is still as it made it (CniError if not)."""
    cached = result_cache.load(paths, networks.name, attachment.container_id, attachment.ifname)
    if cached is None:
        raise CniError(
            f"network {networks.name!r}: {attachment.container_id} is not attached "
            f"({attachment.ifname})"
        )
    invocation = attachment.invocation("CHECK")
    for index, plugin_type in enumerate(networks.plugin_types()):
        stdin = networks.plugin_stdin(index, cached.result, cached.capability_args)
        run_plugin(paths, networks.name, plugin_type, invocation, stdin, timeout)


def attached(paths: CniPaths, network: str) -> List[str]:
    """CNI container ids with a cached attachment to ``network``."""
    return sorted({e.container_id for e in result_cache.entries(paths, network)})
