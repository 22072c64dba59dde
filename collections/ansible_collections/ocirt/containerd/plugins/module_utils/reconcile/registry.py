"""Registry hosts in their declared state: ``<config_path>/<host>/hosts.toml`` and the
certificate files beside it, or none of them (state absent).

The plan compares bytes, mode and owner of every file (atomic_file.differs), so a second run
with the same input changes nothing, and a key or a hosts.toml with headers that was made
readable by hand is made 0600 again. containerd reads hosts.toml on every pull: no restart
is ever required.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..common.atomic_file import atomic_write, differs, read_bytes, remove
from ..common.errors import InvalidInput
from ..config.document import require_tomlkit
from ..hosts_toml.reader import DEFAULT_CONFIG_PATH
from ..hosts_toml.writer import (
    HOSTS_FILE,
    OWNED_RE,
    HostsConfig,
    RenderedFile,
    host_dir,
    mask_secrets,
    referenced_files,
    render,
)
from .plan import Action, Plan

STATES = ("present", "absent")


@dataclass
class DesiredHosts:
    config: HostsConfig
    config_path: str = DEFAULT_CONFIG_PATH
    state: str = "present"


@dataclass
class HostsPlan:
    plan: Plan
    path: str
    writes: List[RenderedFile] = field(default_factory=list)
    removals: List[str] = field(default_factory=list)  # file names in the host directory
    before_text: Optional[str] = None
    after_text: Optional[str] = None

    @property
    def changed(self) -> bool:
        return self.plan.changed

    def diff(self) -> Dict[str, Any]:
        after = self.after_text if self.changed else self.before_text
        return {
            "before": mask_secrets(self.before_text or ""),
            "after": mask_secrets(after or ""),
            "before_header": self.path if self.before_text is not None else "/dev/null",
            "after_header": self.path if after is not None else "/dev/null",
        }

    def result(self) -> Dict[str, Any]:
        return {
            "changed": self.changed,
            "path": self.path,
            "files": sorted(
                [os.path.join(os.path.dirname(self.path), f.name) for f in self.writes]
            ),
            "restart_required": False,
            "actions": self.plan.summaries(),
        }


def plan_hosts(desired: DesiredHosts) -> HostsPlan:
    require_tomlkit()
    if desired.state not in STATES:
        raise InvalidInput(f"state: {desired.state!r} is not allowed; allowed: present, absent")
    if not os.path.isabs(desired.config_path or ""):
        raise InvalidInput(
            f"config_path: {desired.config_path!r} is not allowed; allowed: an absolute path"
        )
    directory = host_dir(desired.config_path, desired.config.host)
    path = os.path.join(directory, HOSTS_FILE)
    raw = read_bytes(path)
    before = raw.decode("utf-8", "replace") if raw is not None else None
    actions: List[Action] = []

    if desired.state == "absent":
        if desired.config.host == "" or "/" in desired.config.host:
            raise InvalidInput(f"host: {desired.config.host!r} is not allowed")
        names = []
        if raw is not None:
            names = [HOSTS_FILE, *referenced_files(before or "", directory)]
        names += [n for n in _owned_files(directory) if n not in names]
        present = [n for n in names if os.path.lexists(os.path.join(directory, n))]
        if present:
            actions.append(Action("remove", path, f"{', '.join(present)} present"))
        return HostsPlan(Plan(actions, before=before), path, [], present, before, None)

    files = render(desired.config, desired.config_path)
    reasons = {f.name: differs(os.path.join(directory, f.name), f.data, f.mode) for f in files}
    writes = [f for f in files if reasons[f.name]]
    stale = [n for n in _owned_files(directory) if n not in {f.name for f in files}]
    if writes:
        what = "; ".join(f"{f.name}: {reasons[f.name]}" for f in writes)
        actions.append(Action("write", path, what))
    if stale:
        actions.append(Action("remove", path, f"{', '.join(stale)} no longer used"))
    after = files[-1].data.decode()
    return HostsPlan(Plan(actions, before=before, after=after), path, writes, stale, before, after)


def _owned_files(directory: str) -> List[str]:
    try:
        return sorted(n for n in os.listdir(directory) if OWNED_RE.match(n))
    except FileNotFoundError:
        return []


def apply_hosts(plan: HostsPlan) -> None:
    """Write certificate files first and hosts.toml last, so containerd never reads a
    hosts.toml that points at a file not yet there; removals the other way round."""
    directory = os.path.dirname(plan.path)
    for f in plan.writes:  # render() lists hosts.toml last
        atomic_write(os.path.join(directory, f.name), f.data, mode=f.mode)
    removals = sorted(plan.removals, key=lambda n: n != HOSTS_FILE)
    for name in removals:
        remove(os.path.join(directory, name))
    if plan.removals and os.path.isdir(directory) and not os.listdir(directory):
        os.rmdir(directory)
