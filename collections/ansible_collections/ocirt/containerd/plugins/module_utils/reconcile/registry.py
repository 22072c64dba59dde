"""Registry hosts in their declared state: ``<config_path>/<host>/hosts.toml`` and the
certificate files beside it, or none of them (state absent).

The plan compares bytes, mode and owner of every file, so a second run with the same input
changes nothing, and a key or a hosts.toml with headers that was made readable by hand is
made 0600 again. What is observed (the files of the host directory) is a plain
``ObservedHosts``, so the planner also runs on recorded data. containerd reads hosts.toml on
every pull: no restart is ever required.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..common.atomic_file import atomic_write, read_bytes, remove
from ..common.errors import InvalidInput
from ..config.document import require_tomlkit
from ..hosts_toml.options import ENDPOINT_OPTIONS, STATES
from ..hosts_toml.reader import DEFAULT_CONFIG_PATH
from ..hosts_toml.writer import (
    HOSTS_FILE,
    OWNED_RE,
    Endpoint,
    HeaderValue,
    HostsConfig,
    Mirror,
    RenderedFile,
    host_dir,
    referenced_files,
    render,
)
from .plan import Action, Applied, Plan

OWNER = (0, 0)  # what atomic_write leaves when run as root


@dataclass
class DesiredHosts:
    config: HostsConfig
    config_path: str = DEFAULT_CONFIG_PATH
    state: str = "present"


def _header(value: Optional[Mapping[str, Any]]) -> Dict[str, HeaderValue]:
    """Header values as strings (YAML may give numbers), lists kept as lists."""
    return {
        k: [str(x) for x in v] if isinstance(v, list) else str(v) for k, v in (value or {}).items()
    }


def _endpoint(values: Mapping[str, Any]) -> Dict[str, Any]:
    settings = {name: values[name] for name in ENDPOINT_OPTIONS.names()}
    settings["header"] = _header(values["header"])
    return settings


def desired_from(values: Mapping[str, Any], config_path: str) -> DesiredHosts:
    """The desired host directory from the registry module's options (``HOST_OPTIONS``,
    every one present: the module's parameters, or a node document's registries item) under
    ``config_path``: one translation for both."""
    config = HostsConfig(
        host=values["host"],
        server=values["server"],
        endpoint=Endpoint(**_endpoint(values)),
        mirrors=[Mirror(url=m["url"], **_endpoint(m)) for m in values["mirrors"]],
    )
    return DesiredHosts(config, config_path, values["state"])


@dataclass(frozen=True)
class ObservedFile:
    data: bytes
    mode: int
    owner: Optional[Tuple[int, int]] = None  # None: not compared (not root)


@dataclass
class ObservedHosts:
    """The entries of the host directory (an empty mapping when it does not exist)."""

    files: Dict[str, ObservedFile] = field(default_factory=dict)


@dataclass(frozen=True)
class HostsOutcome:
    """``Plan.after``: the files to write and to remove in the host directory."""

    path: str  # the hosts.toml
    writes: Tuple[RenderedFile, ...] = ()
    removals: Tuple[str, ...] = ()  # file names in the host directory
    text: Optional[str] = None  # hosts.toml as planned; None when it is removed

    @property
    def directory(self) -> str:
        return os.path.dirname(self.path)

    def files(self) -> List[str]:
        return sorted(os.path.join(self.directory, f.name) for f in self.writes)


def observe(directory: str) -> ObservedHosts:
    """The files of ``directory`` with their bytes, mode and (as root) owner."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return ObservedHosts()
    files: Dict[str, ObservedFile] = {}
    for name in names:
        files[name] = _observe_file(os.path.join(directory, name))
    return ObservedHosts(files)


def _observe_file(path: str) -> ObservedFile:
    try:
        st = os.stat(path)
    except FileNotFoundError:  # a dangling link: present, but nothing to read
        return ObservedFile(b"", 0)
    data = read_bytes(path) if os.path.isfile(path) else None
    owner = (st.st_uid, st.st_gid) if os.geteuid() == 0 else None
    return ObservedFile(data or b"", st.st_mode & 0o7777, owner)


def why_differs(current: Optional[ObservedFile], wanted: RenderedFile) -> Optional[str]:
    """Why a file is not what writing ``wanted`` leaves (atomic_file.differs, on data)."""
    if current is None:
        return "missing"
    reasons = []
    if current.data != wanted.data:
        reasons.append("content differs")
    if current.mode != wanted.mode:
        reasons.append(f"mode {current.mode:04o}, not {wanted.mode:04o}")
    if current.owner is not None and current.owner != OWNER:
        reasons.append(f"owner {current.owner[0]}:{current.owner[1]}, not 0:0")
    return ", ".join(reasons) or None


def _check_request(desired: DesiredHosts) -> None:
    require_tomlkit()
    if desired.state not in STATES:
        raise InvalidInput(f"state: {desired.state!r} is not allowed; allowed: present, absent")
    if not os.path.isabs(desired.config_path or ""):
        raise InvalidInput(
            f"config_path: {desired.config_path!r} is not allowed; allowed: an absolute path"
        )
    if desired.state == "absent" and (desired.config.host == "" or "/" in desired.config.host):
        raise InvalidInput(f"host: {desired.config.host!r} is not allowed")


def _owned(seen: ObservedHosts) -> List[str]:
    return sorted(n for n in seen.files if OWNED_RE.match(n))


def _text(seen: ObservedHosts) -> Optional[str]:
    current = seen.files.get(HOSTS_FILE)
    return current.data.decode("utf-8", "replace") if current is not None else None


def _plan_absent(path: str, seen: ObservedHosts) -> Plan:
    before = _text(seen)
    names = [HOSTS_FILE, *referenced_files(before, os.path.dirname(path))] if before else []
    names += [n for n in _owned(seen) if n not in names]
    present = tuple(n for n in names if n in seen.files)
    outcome = HostsOutcome(path, removals=present)
    if not present:
        return Plan([], before=before, after=outcome, noop_reason=f"{path} is absent",
                    subject=path)
    actions = [Action("remove", path, f"{', '.join(present)} present")]
    return Plan(actions, before=before, after=outcome, subject=path)


def _plan_present(desired: DesiredHosts, path: str, seen: ObservedHosts) -> Plan:
    files = render(desired.config, desired.config_path)
    reasons = {f.name: why_differs(seen.files.get(f.name), f) for f in files}
    writes = tuple(f for f in files if reasons[f.name])
    stale = tuple(n for n in _owned(seen) if n not in {f.name for f in files})
    actions: List[Action] = []
    if writes:
        what = "; ".join(f"{f.name}: {reasons[f.name]}" for f in writes)
        actions.append(Action("write", path, what))
    if stale:
        actions.append(Action("remove", path, f"{', '.join(stale)} no longer used"))
    outcome = HostsOutcome(path, writes, stale, files[-1].data.decode())
    noop = "" if actions else f"{path} and its files are as declared"
    return Plan(actions, before=_text(seen), after=outcome, noop_reason=noop, subject=path)


def plan(desired: DesiredHosts, observed: Optional[ObservedHosts] = None) -> Plan:
    """What a real run does to the host directory; ``observed`` defaults to this machine's."""
    _check_request(desired)
    directory = host_dir(desired.config_path, desired.config.host)
    path = os.path.join(directory, HOSTS_FILE)
    seen = observed if observed is not None else observe(directory)
    if desired.state == "absent":
        return _plan_absent(path, seen)
    return _plan_present(desired, path, seen)


def apply(planned: Plan) -> Applied:
    """Write certificate files first and hosts.toml last, so containerd never reads a
    hosts.toml that points at a file not yet there; removals the other way round."""
    outcome: HostsOutcome = planned.after
    directory = outcome.directory
    for f in outcome.writes:  # render() lists hosts.toml last
        atomic_write(os.path.join(directory, f.name), f.data, mode=f.mode)
    for name in sorted(outcome.removals, key=lambda n: n != HOSTS_FILE):
        remove(os.path.join(directory, name))
    if outcome.removals and os.path.isdir(directory) and not os.listdir(directory):
        os.rmdir(directory)
    return Applied(planned, after=outcome.text, details={"restart_required": False})
