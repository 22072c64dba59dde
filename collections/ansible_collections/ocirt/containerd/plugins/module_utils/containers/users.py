"""Resolve a docker-style user ("app", "1000", "app:staff", "1000:50") against the image's
/etc/passwd and /etc/group, as containerd's WithUser/WithAdditionalGIDs do.
"""

from __future__ import annotations

from typing import List, Optional, Tuple, TypedDict

from ..common.errors import InvalidInput

PasswdEntry = Tuple[str, int, int, str]  # name, uid, gid, home
GroupEntry = Tuple[str, int, List[str]]  # name, gid, members


def parse_passwd(data: Optional[bytes]) -> List[PasswdEntry]:
    """(name, uid, gid, home) entries; malformed lines are skipped like libc does."""
    out = []
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        f = line.split(":")
        if len(f) >= 6 and f[2].isdigit() and f[3].isdigit():
            out.append((f[0], int(f[2]), int(f[3]), f[5]))
    return out


def parse_group(data: Optional[bytes]) -> List[GroupEntry]:
    """(name, gid, members) entries."""
    out = []
    for line in (data or b"").decode("utf-8", "replace").splitlines():
        f = line.split(":")
        if len(f) >= 3 and f[2].isdigit():
            members = [m for m in (f[3].split(",") if len(f) > 3 else []) if m]
            out.append((f[0], int(f[2]), members))
    return out


class ResolvedUser(TypedDict):
    """Who the container's process runs as."""

    uid: int
    gid: int
    additional_gids: List[int]
    home: str
    name: str


def _by_uid(users: List[PasswdEntry], uid: int, name: str, gid: int, home: str) -> ResolvedUser:
    """The entry of ``uid``, else the given name, gid and home."""
    for n, u, g, h in users:
        if u == uid:
            name, gid, home = n, g, h or "/"
            break
    return {"uid": uid, "gid": gid, "additional_gids": [], "home": home, "name": name}


def _by_name(users: List[PasswdEntry], name: str) -> ResolvedUser:
    for n, u, g, h in users:
        if n == name:
            return {"uid": u, "gid": g, "additional_gids": [], "home": h or "/", "name": n}
    raise InvalidInput(
        f"user: no user {name!r} in the image's /etc/passwd; use a numeric uid "
        "or a user the image defines"
    )


def _group_id(groups: List[GroupEntry], group: str) -> int:
    if group.isdigit():
        return int(group)
    for n, g, _ in groups:
        if n == group:
            return g
    raise InvalidInput(f"user: no group {group!r} in the image's /etc/group")


def _additional_gids(groups: List[GroupEntry], name: str, gid: int) -> List[int]:
    """The primary gid, then every group listing the user as a member (WithAdditionalGIDs)."""
    extra = [gid]
    if name:
        for _, g, members in groups:
            if name in members and g not in extra:
                extra.append(g)
    return extra


def resolve_user(
    user: Optional[str], passwd: Optional[bytes], group: Optional[bytes]
) -> ResolvedUser:
    """{'uid', 'gid', 'additional_gids', 'home', 'name'} for the OCI process.

    A numeric uid absent from /etc/passwd runs with gid 0 (containerd's rule); a name that
    is absent is an error naming the image files that were searched. No user is root.
    """
    user_part, _, group_part = (user or "").strip().partition(":")
    users = parse_passwd(passwd)
    groups = parse_group(group)
    if not user_part:
        who = _by_uid(users, 0, "root", 0, "/root")
    elif user_part.isdigit():
        who = _by_uid(users, int(user_part), "", 0, "/")
    else:
        who = _by_name(users, user_part)
    if group_part:
        who["gid"] = _group_id(groups, group_part)
    who["additional_gids"] = _additional_gids(groups, who["name"], who["gid"])
    return who
