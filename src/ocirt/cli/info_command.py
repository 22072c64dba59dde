"""`ocirt info`: what the daemon is and serves."""

from __future__ import annotations

import argparse
from collections import Counter

from ..client import Client, Connection
from .output import format_labels, print_json, print_table


def add_parser(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "info", parents=[common], help="show the daemon's version, plugins, CRI and namespaces"
    )
    p.add_argument("--plugins", action="store_true", help="list every plugin with its status")
    p.set_defaults(run=run)


def run(args: argparse.Namespace, conn: Connection) -> int:
    info = Client(connection=conn).info()
    if args.json:
        print_json(info)
        return 0
    cri = info["cri"]
    counts = Counter(p["status"] for p in info["plugins"])
    print(f"Address:       {info['address']}")
    print(f"Version:       {info['version']} (revision {info['revision']})")
    print(f"UUID:          {info['uuid'] or '-'}")
    if cri["served"]:
        print(f"CRI:           served ({', '.join(cri['api_versions'])})")
    else:
        why = f": {cri['error']}" if cri["error"] else ""
        print(f"CRI:           not served ({cri['plugin_status']}{why})")
    ok_snapshotters = [s["id"] for s in info["snapshotters"] if s["status"] == "ok"]
    print(f"Snapshotters:  {', '.join(ok_snapshotters) or 'none usable'}")
    print(
        f"Plugins:       {len(info['plugins'])} ({counts['ok']} ok, {counts['skip']} skipped, "
        f"{counts['error']} failed)"
    )
    for d in info["deprecated_features"]:
        print(f"Deprecated:    {d['id']}: {d['message']}")
    print()
    print_table(
        ["namespace", "images", "containers", "labels"],
        [
            (n["name"], n["images"], n["containers"], format_labels(n["labels"]))
            for n in info["namespaces"]
        ],
    )
    if info["failed_plugins"]:
        print("\nFailed plugins:")
        for p in info["failed_plugins"]:
            print(f"  {p['type']}.{p['id']}: {p['error']}")
    if args.plugins:
        print()
        print_table(
            ["type", "id", "platforms", "status"],
            [(p["type"], p["id"], ",".join(p["platforms"]), p["status"]) for p in info["plugins"]],
        )
    return 0
