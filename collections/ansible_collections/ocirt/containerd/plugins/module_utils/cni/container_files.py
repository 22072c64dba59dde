"""Each networked container's /etc/hosts and /etc/resolv.conf, made on the host and
bind-mounted read-only, as docker does.

/etc/hosts names the container itself and every container sharing one of its networks
(by name and aliases, from the result cache: what is attached is what is named), then the
``extra_hosts``. It is rewritten in place (same inode, so the bind mount sees it) whenever a
container joins or leaves one of those networks. resolv.conf takes ``dns``/``dns_search``,
else the host's servers, unless they are loopback ones that mean nothing inside the
container (systemd-resolved's 127.0.0.53): then Google's, as docker does.
"""

from __future__ import annotations

import json
import os
import shutil
from typing import Any, Dict, List, Mapping, Sequence, Set

from . import result_cache
from .paths import CniPaths

SETTINGS = "settings.json"  # hostname, extra_hosts, the cache key: what a rewrite needs
FALLBACK_DNS = ("8.8.8.8", "8.8.4.4")
HOST_RESOLV_CONF = "/etc/resolv.conf"


def _host_resolv(path: str = HOST_RESOLV_CONF) -> Dict[str, List[str]]:
    found: Dict[str, List[str]] = {"nameserver": [], "search": [], "options": []}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                words = line.split()
                if words and words[0] in found:
                    found[words[0]].extend(words[1:])
    except OSError:
        pass
    return found


def resolv_conf(
    dns: Sequence[str], dns_search: Sequence[str], host_file: str = HOST_RESOLV_CONF
) -> str:
    host = _host_resolv(host_file)
    servers = list(dns) or [s for s in host["nameserver"] if not s.startswith("127.")]
    search = list(dns_search) or host["search"]
    lines = [f"nameserver {s}" for s in servers or FALLBACK_DNS]
    if search:
        lines.append("search " + " ".join(search))
    if host["options"] and not dns:
        lines.append("options " + " ".join(host["options"]))
    return "\n".join(lines) + "\n"


def hosts_file(
    settings: Mapping[str, Any], attachments: List[result_cache.CachedAttachment]
) -> str:
    """/etc/hosts of the container whose ``settings`` are given, from every attachment of
    the networks it is on."""
    me = settings["key"]
    mine = [a for a in attachments if a.container_id == me]
    networks = {a.network for a in mine}
    lines = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
    seen: Set[str] = set()
    for a in mine + [a for a in attachments if a.container_id != me and a.network in networks]:
        names = list(a.capability_args.get("aliases") or [])
        if a.container_id == me and settings.get("hostname") not in names:
            names.insert(0, settings.get("hostname") or "")
        for address in result_cache.addresses(a.result):
            line = f"{address}\t{' '.join(n for n in names if n)}"
            if line not in seen:
                seen.add(line)
                lines.append(line)
    lines += [f"{ip}\t{host}" for host, ip in sorted((settings.get("extra_hosts") or {}).items())]
    return "\n".join(lines) + "\n"


def _write_in_place(path: str, text: str) -> None:
    with open(path, "a+", encoding="utf-8") as f:  # the bind mount follows the inode
        f.seek(0)
        f.truncate()
        f.write(text)


def write(directory: str, settings: Mapping[str, Any], resolv: str, paths: CniPaths) -> None:
    os.makedirs(directory, mode=0o755, exist_ok=True)
    with open(os.path.join(directory, SETTINGS), "w", encoding="utf-8") as f:
        json.dump(dict(settings), f)
    _write_in_place(os.path.join(directory, "resolv.conf"), resolv)
    _write_in_place(os.path.join(directory, "hostname"), (settings.get("hostname") or "") + "\n")
    rewrite_hosts(directory, paths)


def rewrite_hosts(directory: str, paths: CniPaths) -> None:
    try:
        with open(os.path.join(directory, SETTINGS), encoding="utf-8") as f:
            settings = json.load(f)
    except (OSError, ValueError):
        return  # the container went meanwhile
    _write_in_place(
        os.path.join(directory, "hosts"), hosts_file(settings, result_cache.entries(paths))
    )


def refresh_peers(paths: CniPaths, networks: Sequence[str], me: str) -> None:
    """Rewrite /etc/hosts of every other container on ``networks``."""
    for entry in result_cache.entries(paths):
        if entry.network in networks and entry.container_id != me:
            directory = entry.capability_args.get("io.ocirt.files")
            if isinstance(directory, str):
                rewrite_hosts(directory, paths)


def remove(directory: str) -> None:
    shutil.rmtree(directory, ignore_errors=True)
