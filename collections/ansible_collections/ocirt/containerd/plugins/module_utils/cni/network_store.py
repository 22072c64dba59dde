"""The networks ocirt defined: one ``<name>.conflist`` each in ``CniPaths.conf_dir``.

Written atomically; the file is the only record of a network (its options are read back
from it, ``bridge_network.BridgeNetwork.from_conflist``). The default network is written
on first use, as docker's ``bridge`` exists without being asked for.
"""

from __future__ import annotations

import os
from typing import Dict, Optional

from ..common import atomic_file
from ..common.errors import NotFound
from .bridge_network import DEFAULT_NETWORK, BridgeNetwork, default_network
from .conflist import NetworkList
from .paths import CniPaths

SUFFIX = ".conflist"


class NetworkNotFound(NotFound):
    pass


def conflist_path(paths: CniPaths, name: str) -> str:
    return os.path.join(paths.conf_dir, name + SUFFIX)


def read(paths: CniPaths, name: str) -> Optional[NetworkList]:
    path = conflist_path(paths, name)
    data = atomic_file.read_bytes(path)
    return None if data is None else NetworkList.parse(data, path)


def all_networks(paths: CniPaths) -> Dict[str, NetworkList]:
    try:
        names = sorted(os.listdir(paths.conf_dir))
    except FileNotFoundError:
        return {}
    found = {}
    for file_name in names:
        if file_name.endswith(SUFFIX) and not file_name.startswith("."):
            networks = read(paths, file_name[: -len(SUFFIX)])
            if networks is not None:
                found[networks.name] = networks
    return found


def write(paths: CniPaths, network: BridgeNetwork) -> None:
    atomic_file.atomic_write(conflist_path(paths, network.name), network.conflist(paths).raw)


def delete(paths: CniPaths, name: str) -> bool:
    return atomic_file.remove(conflist_path(paths, name))


def get(paths: CniPaths, name: str) -> NetworkList:
    """The network's list; the default network is created when first asked for."""
    networks = read(paths, name)
    if networks is not None:
        return networks
    if name == DEFAULT_NETWORK:
        write(paths, default_network())
        return default_network().conflist(paths)
    known = ", ".join(sorted(all_networks(paths))) or "none yet"
    raise NetworkNotFound(
        f"network {name!r} does not exist (known: {known}); create it with the "
        "ocirt.containerd.network module or `ocirt network create`"
    )
