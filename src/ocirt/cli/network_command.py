"""`ocirt network create|ls|inspect|rm` and `ocirt port CONTAINER`.

Networks are the library's (``reconcile/network``: the same plan the Ansible module
applies); this file parses, calls and formats. Networks belong to the machine, not to a
containerd namespace, so these commands never need the daemon, except ``port``.
"""

from __future__ import annotations

import argparse
from typing import Any, Dict, List

from ansible_collections.ocirt.containerd.plugins.module_utils.cni import (
    network_store,
    result_cache,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.bridge_network import (
    BridgeNetwork,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.options import (
    NETWORK_OPTIONS,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.paths import CniPaths
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import NotFound
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.record import (
    get_container,
    stored_config,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import network
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .flags import add_table_flags, table_values
from .output import print_json, print_table


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    net = sub.add_parser("network", help="manage bridge networks for containers")
    net_sub = net.add_subparsers(dest="network_command", metavar="COMMAND", required=True)
    create = net_sub.add_parser("create", parents=[common], help="create a bridge network")
    create.add_argument("name")
    add_table_flags(create, NETWORK_OPTIONS)
    create.set_defaults(run=run_create)
    ls = net_sub.add_parser("ls", aliases=["list"], parents=[common], help="list networks")
    ls.add_argument("-q", "--quiet", action="store_true", help="print names only")
    ls.set_defaults(run=run_ls)
    inspect = net_sub.add_parser("inspect", parents=[common], help="networks in detail (JSON)")
    inspect.add_argument("names", nargs="+", metavar="NAME")
    inspect.set_defaults(run=run_inspect)
    rm = net_sub.add_parser("rm", aliases=["remove"], parents=[common], help="remove networks")
    rm.add_argument("names", nargs="+", metavar="NAME")
    rm.set_defaults(run=run_rm)
    port = sub.add_parser("port", parents=[common], help="list a container's published ports")
    port.add_argument("container")
    port.set_defaults(run=run_port)


def _paths() -> CniPaths:
    return CniPaths.from_environment()


def run_create(args: argparse.Namespace, conn: Connection) -> int:
    values = {k: v for k, v in table_values(args, NETWORK_OPTIONS).items() if k != "name"}
    plan = network.plan(_paths(), network.DesiredNetwork(args.name, **values))
    applied = network.apply(_paths(), plan)
    if args.json:
        print_json({"changed": plan.changed, "network": applied.after})
    else:
        print(args.name if plan.changed else f"{args.name}: unchanged")
    return 0


def _describe(paths: CniPaths, name: str) -> Dict[str, Any]:
    networks = network_store.read(paths, name)
    if networks is None:
        raise NotFound(f"network {name!r} does not exist")
    shape = BridgeNetwork.from_conflist(networks)
    attached = {
        e.container_id: result_cache.addresses(e.result) for e in result_cache.entries(paths, name)
    }
    return {
        **(shape.as_dict() if shape else {"name": name}),
        "conflist": network_store.conflist_path(paths, name),
        "containers": attached,
    }


def run_ls(args: argparse.Namespace, conn: Connection) -> int:
    paths = _paths()
    rows = [_describe(paths, name) for name in network_store.all_networks(paths)]
    if args.json:
        print_json(rows)
    elif args.quiet:
        for row in rows:
            print(row["name"])
    else:
        print_table(
            ["name", "bridge", "subnet", "gateway", "containers"],
            [
                (
                    r["name"],
                    r.get("bridge", ""),
                    r.get("subnet", ""),
                    r.get("gateway", ""),
                    str(len(r["containers"])),
                )
                for r in rows
            ],
        )
    return 0


def run_inspect(args: argparse.Namespace, conn: Connection) -> int:
    paths = _paths()
    print_json([_describe(paths, name) for name in args.names])
    return 0


def run_rm(args: argparse.Namespace, conn: Connection) -> int:
    paths = _paths()
    missing: List[str] = []
    for name in args.names:
        plan = network.plan(paths, network.DesiredNetwork(name, state="absent"))
        if not plan.changed:
            missing.append(name)
            continue
        network.apply(paths, plan)
        print(name)
    if missing:
        raise NotFound(f"no such network: {', '.join(missing)}")
    return 0


def run_port(args: argparse.Namespace, conn: Connection) -> int:
    """docker's form: ``80/tcp -> 127.0.0.1:8080``."""
    config = stored_config(get_container(conn, args.container)) or {}
    ports = config.get("published_ports") or []
    if args.json:
        print_json(ports)
        return 0
    for p in ports:
        print(
            f"{p['container_port']}/{p['protocol']} -> {p['host_ip'] or '0.0.0.0'}:{p['host_port']}"
        )
    return 0
