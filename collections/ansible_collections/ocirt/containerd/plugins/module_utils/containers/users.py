"""Resolve a docker-style user ("app", "1000", "app:staff", "1000:50") against the image's
/etc/passwd and /etc/group, as containerd's WithUser/WithAdditionalGIDs do.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

from ..common.errors import InvalidInput


def parse_passwd(data: Optional[bytes]) -> List[Tuple[str, int, int, str]]:
    """(name, uid, gid, home) entries; malformed lines are skipped like libc does."""
    out = []
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        f = line.split(":")
        if len(f) >= 6 and f[2].isdigit() and f[3].isdigit():
            out.append((f[0], int(f[2]), int(f[3]), f[5]))
    return out


def parse_group(data: Optional[bytes]) -> List[Tuple[str, int, List[str]]]:
    """(name, gid, members) entries."""
    out = []
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        f = line.split(":")
        if len(f) >= 3 and f[2].isdigit():
            members = [m for m in (f[3].split(",") if len(f) > 3 else []) if m]
            out.append((f[0], int(f[2]), members))
    return out


def resolve_user(
    user: Optional[str], passwd: Optional[bytes], group: Optional[bytes]
) -> Dict[str, Any]:
    """{'uid', 'gid', 'additional_gids', 'home', 'name'} for the OCI process.

    A numeric uid absent from /etc/passwd runs with gid 0 (containerd's rule); a name that
    is absent is an error naming the image files that were searched.
    """
    text = (user or "").strip()
    users = parse_passwd(passwd)
    groups = parse_group(group)
    user_part, _, group_part = text.partition(":")
    name = ""
    home = "/"
    if not user_part:
        uid, gid = 0, 0
        name, home = "root", "/root"
        for n, u, g, h in users:
            if u == 0:
                name, gid, home = n, g, h or "/"
                break
    elif user_part.isdigit():
        uid, gid = int(user_part), 0
        for n, u, g, h in users:
            if u == uid:
                name, gid, home = n, g, h or "/"
                break
    else:
        for n, u, g, h in users:
            if n == user_part:
                name, uid, gid, home = n, u, g, h or "/"
                break
        else:
            raise InvalidInput(
                f"user: no user {user_part!r} in the image's /etc/passwd; use a numeric uid "
                "or a user the image defines"
            )
    if group_part:
        if group_part.isdigit():
            gid = int(group_part)
        else:
            for n, g, _ in groups:
                if n == group_part:
                    gid = g
                    break
            else:
                raise InvalidInput(f"user: no group {group_part!r} in the image's /etc/group")
    extra = [gid]
    if name:
        for _, g, members in groups:
            if name in members and g not in extra:
                extra.append(g)
    return {"uid": uid, "gid": gid, "additional_gids": extra, "home": home, "name": name}
