"""containerd running (or stopped) as declared, under systemd or, where PID 1 is not
systemd, as a detached process with a pid file.

A restart happens only when asked: ``state=restarted``, or ``restart_if`` holding a true
value (the ``restart_required`` of the install/config modules). A ``restart_if`` restart is
skipped when the daemon already started after the config file and the binary last changed
(for instance it was just started for the first time), so a handler never restarts twice.
After a start or restart the module waits (bounded) until containerd answers Version, and
fails with the daemon's last log lines when it does not.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Union

from ..common import procfs
from ..common.atomic_file import atomic_write, differs, read_bytes, remove
from ..common.defaults import DEFAULT_CONFIG_FILE
from ..common.errors import InvalidInput, ServiceError
from ..service.detached import DEFAULT_LOG_FILE, DEFAULT_PID_FILE, SYSTEM_PATH, Detached
from ..service.readiness import version_if_serving, wait_serving
from ..service.systemd import Systemd, systemd_runs
from ..service.unit import (
    DEFAULT_UNIT_PATH,
    PROXY_DROPIN,
    has_credentials,
    proxy_environment,
    render_proxy_dropin,
    render_unit,
)
from ..transport.connection import DEFAULT_ADDRESS
from .plan import Action, Plan

STATES = ("started", "stopped", "restarted")
MANAGERS = ("auto", "systemd", "detached")
DEFAULT_CONFIG = DEFAULT_CONFIG_FILE

Manager = Union[Systemd, Detached]


@dataclass
class DesiredService:
    state: str = "started"
    manager: str = "auto"
    enabled: bool = True
    binary: Optional[str] = None
    config_path: str = DEFAULT_CONFIG
    address: str = DEFAULT_ADDRESS
    restart_if: List[bool] = field(default_factory=list)
    unit_path: str = DEFAULT_UNIT_PATH
    manage_unit: bool = True
    proxy: Dict[str, Optional[str]] = field(default_factory=dict)
    pid_file: str = DEFAULT_PID_FILE
    log_file: str = DEFAULT_LOG_FILE
    wait_timeout: float = 60.0
    stop_timeout: float = 30.0

    def validate(self) -> None:
        if self.state not in STATES:
            raise InvalidInput(
                f"state: {self.state!r} is not allowed; allowed: {', '.join(STATES)}"
            )
        if self.manager not in MANAGERS:
            raise InvalidInput(
                f"manager: {self.manager!r} is not allowed; allowed: {', '.join(MANAGERS)}"
            )
        for option in ("config_path", "unit_path", "pid_file", "log_file"):
            value = getattr(self, option)
            if not value or not os.path.isabs(value):
                raise InvalidInput(
                    f"{option}: {value!r} is not allowed; allowed: an absolute path"
                )
        if self.wait_timeout <= 0:
            raise InvalidInput("wait_timeout: must be more than 0 seconds")


@dataclass
class ServicePlan:
    plan: Plan
    manager: Manager
    desired: DesiredService
    binary: str
    pid_before: Optional[int]
    unit_text: Optional[str] = None
    dropin_path: Optional[str] = None
    dropin_text: Optional[str] = None
    dropin_mode: int = 0o644
    notes: List[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.plan.changed

    def kinds(self) -> List[str]:
        return [a.kind for a in self.plan.actions]


def find_containerd(binary: Optional[str]) -> str:
    if binary:
        if not (os.path.isfile(binary) and os.access(binary, os.X_OK)):
            raise InvalidInput(f"binary: {binary} is not an executable file")
        return binary
    found = shutil.which("containerd", path=SYSTEM_PATH)
    if not found:
        raise ServiceError("no containerd binary in " + SYSTEM_PATH + "; install it or set binary")
    return found


def _address_arg(desired: DesiredService) -> Optional[str]:
    """--address is passed only when it is not containerd's default (config.toml decides
    otherwise, and the unit stays the same as upstream's)."""
    return desired.address if desired.address != DEFAULT_ADDRESS else None


def _restart_reason(
    desired: DesiredService, binary: str, pid: Optional[int], notes: List[str]
) -> Optional[str]:
    if desired.state == "restarted":
        return "state=restarted"
    if not any(desired.restart_if):
        return None
    started = procfs.started_at(pid) if pid else None
    changed_at = max(
        (os.path.getmtime(p) for p in (desired.config_path, binary) if os.path.exists(p)),
        default=0.0,
    )
    if started is not None and started > changed_at + 0.01:
        notes.append(
            "restart_if was true but containerd started after the configuration and the binary "
            "last changed; no restart needed"
        )
        return None
    return "restart_if: the configuration or the binaries changed"


def plan_unit_files(desired: DesiredService, binary: str, sp: ServicePlan) -> bool:
    """Plan the unit file and the proxy drop-in (content, mode and owner, see
    atomic_file.differs); True when systemd must reload them. A drop-in with proxy
    credentials is 0600; one made readable by hand is rewritten, without a reload or a
    restart when only its mode or owner differ (containerd's environment is the same)."""
    actions = sp.plan.actions
    reload = False
    sp.unit_text = render_unit(binary, desired.config_path, _address_arg(desired))
    reason = differs(desired.unit_path, sp.unit_text.encode(), 0o644)
    if reason:
        actions.append(Action("write_unit", desired.unit_path, reason))
        reload = read_bytes(desired.unit_path) != sp.unit_text.encode()
    env = proxy_environment(desired.proxy)
    sp.dropin_path = os.path.join(desired.unit_path + ".d", PROXY_DROPIN)
    sp.dropin_text = render_proxy_dropin(env)
    sp.dropin_mode = 0o600 if has_credentials(env) else 0o644
    have = read_bytes(sp.dropin_path)
    if sp.dropin_text is None and have is not None:
        actions.append(Action("remove_dropin", sp.dropin_path, "no proxy is set"))
        reload = True
    elif sp.dropin_text is not None:
        reason = differs(sp.dropin_path, sp.dropin_text.encode(), sp.dropin_mode)
        if reason:
            actions.append(Action("write_dropin", sp.dropin_path, reason))
            reload = reload or have != sp.dropin_text.encode()
    return reload


def _plan_systemd(desired: DesiredService, binary: str, sp: ServicePlan, mgr: Systemd) -> None:
    actions = sp.plan.actions
    unit_changed = desired.manage_unit and plan_unit_files(desired, binary, sp)
    if unit_changed:
        actions.append(Action("daemon_reload", mgr.unit, "unit files changed"))
    if desired.enabled and not mgr.is_enabled():
        actions.append(Action("enable", mgr.unit, "not enabled"))
    elif not desired.enabled and mgr.is_enabled():
        actions.append(Action("disable", mgr.unit, "enabled"))
    active = mgr.is_active()
    if desired.state == "stopped":
        if active:
            actions.append(Action("stop", mgr.unit, "running"))
        return
    if not active:
        actions.append(Action("start", mgr.unit, "not running"))
        return
    reason = _restart_reason(desired, binary, sp.pid_before, sp.notes)
    if reason is None and unit_changed:
        reason = "the unit changed"
    if reason:
        actions.append(Action("restart", mgr.unit, reason))


def _plan_detached(desired: DesiredService, binary: str, sp: ServicePlan) -> None:
    pid = sp.pid_before
    actions = sp.plan.actions
    if desired.state == "stopped":
        if pid:
            actions.append(Action("stop", f"pid {pid}", "running"))
        return
    if not pid:
        actions.append(Action("start", binary, "not running"))
        return
    reason = _restart_reason(desired, binary, pid, sp.notes)
    if reason:
        actions.append(Action("restart", f"pid {pid}", reason))


def plan_service(desired: DesiredService) -> ServicePlan:
    desired.validate()
    binary = find_containerd(desired.binary)
    use_systemd = desired.manager == "systemd" or (desired.manager == "auto" and systemd_runs())
    if desired.manager == "systemd" and not systemd_runs():
        raise ServiceError(
            "manager=systemd but systemd is not running as PID 1 here (no /run/systemd/system); "
            "use manager=auto or detached"
        )
    mgr: Manager
    if use_systemd:
        mgr = Systemd()
    else:
        mgr = Detached(
            binary,
            desired.config_path,
            _address_arg(desired),
            desired.pid_file,
            desired.log_file,
            proxy_environment(desired.proxy),
        )
    pid = mgr.pid() if not use_systemd or mgr.is_active() else None  # type: ignore[union-attr]
    sp = ServicePlan(plan=Plan([]), manager=mgr, desired=desired, binary=binary, pid_before=pid)
    if isinstance(mgr, Systemd):
        _plan_systemd(desired, binary, sp, mgr)
    else:
        _plan_detached(desired, binary, sp)
    running_before = pid is not None
    will_run = desired.state != "stopped"
    sp.plan.before = {"running": running_before, "pid": pid}
    sp.plan.after = {"running": will_run}
    return sp


def _wait(sp: ServicePlan, pid: Optional[int]) -> Dict[str, str]:
    mgr = sp.manager
    return wait_serving(
        sp.desired.address,
        sp.desired.wait_timeout,
        still_running=(lambda: mgr.still_running(pid)) if pid else (lambda: True),  # type: ignore[arg-type]
        log_tail=mgr.log_tail,
    )


def apply_unit_files(sp: ServicePlan) -> None:
    """Carry out the unit file actions of plan_unit_files."""
    for action in sp.plan.actions:
        if action.kind == "write_unit" and sp.unit_text is not None:
            atomic_write(sp.desired.unit_path, sp.unit_text.encode(), mode=0o644)
        elif action.kind == "write_dropin" and sp.dropin_text is not None and sp.dropin_path:
            atomic_write(sp.dropin_path, sp.dropin_text.encode(), mode=sp.dropin_mode)
        elif action.kind == "remove_dropin" and sp.dropin_path:
            remove(sp.dropin_path)


def apply_service(sp: ServicePlan) -> Dict[str, Any]:
    """Carry out the plan; returns pid, version and what happened."""
    mgr = sp.manager
    desired = sp.desired
    kinds = sp.kinds()
    pid = sp.pid_before
    if isinstance(mgr, Systemd):
        apply_unit_files(sp)  # the plan lists these writes before any systemctl action
        for action in sp.plan.actions:
            if action.kind == "daemon_reload":
                mgr.systemctl("daemon-reload")
            elif action.kind in ("enable", "disable", "start", "restart", "stop"):
                mgr.systemctl(action.kind, mgr.unit)
        pid = mgr.pid() if desired.state != "stopped" else None
    else:
        if "stop" in kinds and pid:
            mgr.stop(pid, desired.stop_timeout)
            pid = None
        if "restart" in kinds and pid:
            mgr.stop(pid, desired.stop_timeout)
            pid = mgr.start()
        if "start" in kinds:
            pid = mgr.start()
    version = None
    if desired.state != "stopped":
        if "start" in kinds or "restart" in kinds:
            version = _wait(sp, pid)
        else:
            version = version_if_serving(desired.address)
    return {"pid": pid, "version": version}


def service_result(
    sp: ServicePlan, applied: Optional[Dict[str, Any]], check_mode: bool
) -> Dict[str, Any]:
    kinds = sp.kinds()
    stale = None
    if sp.pid_before:
        exe = procfs.executable(sp.pid_before)
        stale = bool(exe and exe.endswith(" (deleted)"))
    return {
        "changed": sp.changed,
        "manager": sp.manager.name,
        "state": sp.desired.state,
        "pid_before": sp.pid_before,
        "pid": (applied or {}).get("pid") if not check_mode else sp.pid_before,
        "started": "start" in kinds,
        "restarted": "restart" in kinds,
        "unit_changed": any(k in kinds for k in ("write_unit", "write_dropin", "remove_dropin")),
        "binary": sp.binary,
        "binary_replaced_since_start": stale,
        "version": ((applied or {}).get("version") or {}).get("version"),
        "actions": sp.plan.summaries(),
        "notes": list(sp.notes),
    }
