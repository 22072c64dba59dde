"""containerd running (or stopped) as declared, under systemd or, where PID 1 is not
systemd, as a detached process with a pid file.

A restart happens only when asked: ``state=restarted``, or ``restart_if`` holding a true
value (the ``restart_required`` of the install/config modules). A ``restart_if`` restart is
skipped when the daemon already started after the config file and the binary last changed
(for instance it was just started for the first time), so a handler never restarts twice.
After a start or restart ``apply`` waits (bounded) until containerd answers Version, and
fails with the daemon's last log lines when it does not.

``observe`` asks the manager (systemctl, or the pid file and /proc), reads the unit files
and the clock of the config file and binary; ``decide`` is a pure function of the desired
and the observed service, so tests drive it from data (tests/reconcile/test_service.py)
and apply through a manager of their own.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..common import procfs
from ..common.atomic_file import atomic_write, remove
from ..common.defaults import DEFAULT_ADDRESS, DEFAULT_CONFIG_FILE, SYSTEM_PATH
from ..common.errors import InvalidInput, ServiceError
from ..common.options import Option, OptionTable
from ..service.detached import DEFAULT_LOG_FILE, DEFAULT_PID_FILE, Detached
from ..service.manager import Manager, ProcessStatus
from ..service.systemd import Systemd, systemd_runs
from ..service.unit import DEFAULT_UNIT_PATH, UNIT_NAME, proxy_environment
from ..service.unit_files import FileStatus, wanted_files
from ..service.unit_files import observe as observe_file
from .plan import Action, Applied, Plan

STATES = ("started", "stopped", "restarted")
MANAGERS = ("auto", "systemd", "detached")
NO_RESTART_NEEDED = (
    "restart_if was true but containerd started after the configuration and the binary "
    "last changed; no restart needed"
)


def _absolute_path(option: str, value: Any) -> None:
    if not value or not os.path.isabs(value):
        raise InvalidInput(f"{option}: {value!r} is not allowed; allowed: an absolute path")


def _positive(option: str, value: Any) -> None:
    if value <= 0:
        raise InvalidInput(f"{option}: must be more than 0 seconds")


def _path(name: str, doc: str, default: str) -> Option:
    return Option(name, "path", doc, default, validator=_absolute_path)


PROXY_OPTIONS = OptionTable(
    "proxy",
    [
        Option("http_proxy", "str", "HTTP_PROXY.", no_log=True),
        Option("https_proxy", "str", "HTTPS_PROXY.", no_log=True),
        Option("no_proxy", "str", "NO_PROXY."),
    ],
)

SERVICE_OPTIONS = OptionTable(
    "service",
    [
        Option("state", "str", "What containerd should be doing.", "started", STATES),
        Option("manager", "str", "auto: systemd where it is PID 1.", "auto", MANAGERS),
        Option("enabled", "bool", "Start at boot (systemd only).", True),
        Option("restart_if", "list", "Restart when any value is true.", [], elements="bool"),
        Option("binary", "path", "The containerd executable."),
        _path("config_path", "The configuration file (--config).", DEFAULT_CONFIG_FILE),
        _path("unit_path", "Where the systemd unit is written.", DEFAULT_UNIT_PATH),
        Option("manage_unit", "bool", "Write the unit and the proxy drop-in.", True),
        Option("proxy", "dict", "Proxy environment.", {}, suboptions=PROXY_OPTIONS),
        _path("pid_file", "Pid file of the detached fallback.", DEFAULT_PID_FILE),
        _path("log_file", "Log file of the detached fallback.", DEFAULT_LOG_FILE),
        Option("wait_timeout", "float", "Seconds to wait for an answer.", 60, validator=_positive),
        Option("stop_timeout", "float", "Seconds between SIGTERM and SIGKILL.", 30),
    ],
)


@dataclass
class DesiredService:
    state: str = "started"
    manager: str = "auto"
    enabled: bool = True
    binary: Optional[str] = None
    config_path: str = DEFAULT_CONFIG_FILE
    address: str = DEFAULT_ADDRESS
    restart_if: List[bool] = field(default_factory=list)
    unit_path: str = DEFAULT_UNIT_PATH
    manage_unit: bool = True
    proxy: Dict[str, Optional[str]] = field(default_factory=dict)
    pid_file: str = DEFAULT_PID_FILE
    log_file: str = DEFAULT_LOG_FILE
    wait_timeout: float = 60.0
    stop_timeout: float = 30.0

    @classmethod
    def from_options(cls, values: Dict[str, Any], address: str) -> DesiredService:
        """From the options of SERVICE_OPTIONS (a module's parameters) and the socket."""
        options = {name: values[name] for name in SERVICE_OPTIONS.names()}
        options["restart_if"] = list(options["restart_if"] or [])
        options["proxy"] = dict(options["proxy"] or {})
        return cls(address=address, **options)

    def validate(self) -> None:
        SERVICE_OPTIONS.check({name: getattr(self, name) for name in SERVICE_OPTIONS.names()})


@dataclass
class ObservedService:
    """What is true on the machine now, as plain data."""

    manager: str  # "systemd" or "detached"
    binary: str
    status: ProcessStatus = field(default_factory=ProcessStatus)
    answers: Optional[bool] = None  # Version answered on the address (asked when running)
    started_at: Optional[float] = None  # when the running daemon started (Unix time)
    changed_at: float = 0.0  # last change of the config file or the binary (mtime)
    binary_replaced: Optional[bool] = None  # the running daemon's binary was replaced since
    unit: FileStatus = field(default_factory=FileStatus)  # systemd with manage_unit only
    dropin: FileStatus = field(default_factory=lambda: FileStatus(exists=False))


@dataclass
class ServicePlan(Plan):
    """The plan, plus the facts a service result reports in check mode too."""

    manager: str = ""
    binary: str = ""
    pid_before: Optional[int] = None
    binary_replaced: Optional[bool] = None
    notes: List[str] = field(default_factory=list)


# --------------------------------------------------------------------------- observe


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


def manager_name(desired: DesiredService) -> str:
    """systemd where asked or (auto) where it is PID 1, else detached."""
    runs = systemd_runs()
    if desired.manager == "systemd" and not runs:
        raise ServiceError(
            "manager=systemd but systemd is not running as PID 1 here (no /run/systemd/system); "
            "use manager=auto or detached"
        )
    wanted = desired.manager == "systemd" or (desired.manager == "auto" and runs)
    return "systemd" if wanted else "detached"


def make_manager(name: str, desired: DesiredService, binary: str) -> Manager:
    if name == "systemd":
        return Systemd()
    return Detached(
        binary,
        desired.config_path,
        _address_arg(desired),
        desired.pid_file,
        desired.log_file,
        proxy_environment(desired.proxy),
    )


def observe_unit_files(desired: DesiredService, binary: str) -> Tuple[FileStatus, FileStatus]:
    unit, dropin = wanted_files(
        desired.unit_path, binary, desired.config_path, _address_arg(desired), desired.proxy
    )
    return observe_file(unit), observe_file(dropin)


def _replaced(pid: Optional[int]) -> Optional[bool]:
    if not pid:
        return None
    exe = procfs.executable(pid)
    return bool(exe and exe.endswith(" (deleted)"))


def observe(desired: DesiredService, manager: Manager, binary: str) -> ObservedService:
    status = manager.status()
    observed = ObservedService(manager.name, binary, status)
    if status.running and desired.state != "stopped":
        observed.answers = manager.version(desired.address) is not None
    if status.pid:
        observed.started_at = procfs.started_at(status.pid)
        observed.binary_replaced = _replaced(status.pid)
    observed.changed_at = max(
        (os.path.getmtime(p) for p in (desired.config_path, binary) if os.path.exists(p)),
        default=0.0,
    )
    if manager.name == "systemd" and desired.manage_unit:
        observed.unit, observed.dropin = observe_unit_files(desired, binary)
    return observed


# --------------------------------------------------------------------------- decide


def plan_unit_files(
    desired: DesiredService, binary: str, unit_status: FileStatus, dropin_status: FileStatus
) -> Tuple[List[Action], bool]:
    """The unit file and drop-in actions (content, mode and owner, see atomic_file.differs),
    and whether systemd must reload them. A drop-in made readable by hand is rewritten,
    without a reload or a restart when only its mode or owner differ (containerd's
    environment is the same)."""
    unit, dropin = wanted_files(
        desired.unit_path, binary, desired.config_path, _address_arg(desired), desired.proxy
    )
    actions: List[Action] = []
    reload = False
    if unit_status.differs:
        details = {"text": unit.text, "mode": unit.mode}
        actions.append(Action("write_unit", unit.path, unit_status.differs, details))
        reload = not unit_status.same_content
    if dropin.text is None and dropin_status.exists:
        actions.append(Action("remove_dropin", dropin.path, "no proxy is set"))
        reload = True
    elif dropin.text is not None and dropin_status.differs:
        details = {"text": dropin.text, "mode": dropin.mode}
        actions.append(Action("write_dropin", dropin.path, dropin_status.differs, details))
        reload = reload or not dropin_status.same_content
    return actions, reload


def _restart_reason(
    desired: DesiredService, observed: ObservedService
) -> Tuple[Optional[str], Optional[str]]:
    """(why to restart, or None; a note when a restart_if restart is not needed)."""
    if desired.state == "restarted":
        return "state=restarted", None
    if not any(desired.restart_if):
        return None, None
    started = observed.started_at
    if started is not None and started > observed.changed_at + 0.01:
        return None, NO_RESTART_NEEDED
    return "restart_if: the configuration or the binaries changed", None


def _process_actions(
    desired: DesiredService, observed: ObservedService, sp: ServicePlan, unit_changed: bool
) -> List[Action]:
    """Start, stop or restart; targets name the unit, or the pid and binary (detached)."""
    pid = observed.status.pid
    systemd = observed.manager == "systemd"
    target = UNIT_NAME if systemd else f"pid {pid}"
    if desired.state == "stopped":
        return [Action("stop", target, "running")] if observed.status.running else []
    if not observed.status.running:
        return [Action("start", UNIT_NAME if systemd else observed.binary, "not running")]
    reason, note = _restart_reason(desired, observed)
    if note:
        sp.notes.append(note)
    if reason is None and unit_changed:
        reason = "the unit changed"
    return [Action("restart", target, reason)] if reason else []


def _systemd_actions(desired: DesiredService, observed: ObservedService) -> List[Action]:
    actions: List[Action] = []
    reload = False
    if desired.manage_unit:
        actions, reload = plan_unit_files(desired, observed.binary, observed.unit, observed.dropin)
    if reload:
        actions.append(Action("daemon_reload", UNIT_NAME, "unit files changed"))
    enabled = observed.status.enabled
    if desired.enabled and not enabled:
        actions.append(Action("enable", UNIT_NAME, "not enabled"))
    elif not desired.enabled and enabled:
        actions.append(Action("disable", UNIT_NAME, "enabled"))
    return actions


def _noop_reason(desired: DesiredService, observed: ObservedService, notes: List[str]) -> str:
    if desired.state == "stopped":
        return "containerd is not running, as declared"
    if observed.answers is False:
        reason = (
            f"containerd is running (pid {observed.status.pid}) but does not answer on "
            f"{desired.address}; state=restarted restarts it"
        )
    else:
        reason = f"containerd is running and answers on {desired.address}"
    return "; ".join([reason, *notes])


def decide(desired: DesiredService, observed: ObservedService) -> ServicePlan:
    """The plan for ``desired`` given ``observed`` (pure)."""
    pid = observed.status.pid
    sp = ServicePlan(
        [],
        subject="containerd",
        manager=observed.manager,
        binary=observed.binary,
        pid_before=pid,
        binary_replaced=observed.binary_replaced,
    )
    if observed.manager == "systemd":
        sp.actions.extend(_systemd_actions(desired, observed))
    unit_changed = any(a.kind == "daemon_reload" for a in sp.actions)
    sp.actions.extend(_process_actions(desired, observed, sp, unit_changed))
    sp.before = {"running": pid is not None, "pid": pid}
    sp.after = {"running": desired.state != "stopped"}
    if not sp.actions:
        sp.noop_reason = _noop_reason(desired, observed, sp.notes)
    return sp


def plan(desired: DesiredService, manager: Optional[Manager] = None) -> ServicePlan:
    """Observe (through ``manager``, by default the one this machine uses) and decide."""
    desired.validate()
    binary = find_containerd(desired.binary)
    mgr = manager or make_manager(manager_name(desired), desired, binary)
    return decide(desired, observe(desired, mgr, binary))


# --------------------------------------------------------------------------- apply


def apply_unit_files(plan: Plan) -> None:
    """Carry out the unit file actions of plan_unit_files."""
    for action in plan.actions:
        if action.kind in ("write_unit", "write_dropin"):
            text = action.details["text"]
            atomic_write(action.target, text.encode(), mode=action.details["mode"])
        elif action.kind == "remove_dropin":
            remove(action.target)


def _carry_out(mgr: Manager, action: Action, pid: Optional[int], timeout: float) -> Optional[int]:
    """One manager action; the daemon's pid after it."""
    if action.kind == "daemon_reload":
        mgr.reload()
    elif action.kind in ("enable", "disable"):
        mgr.enable(action.kind == "enable")
    elif action.kind == "start":
        return mgr.start()
    elif action.kind == "restart":
        return mgr.restart(pid, timeout)
    elif action.kind == "stop":
        mgr.stop(pid, timeout)
        return None
    return pid


def apply(desired: DesiredService, plan: ServicePlan, manager: Optional[Manager] = None) -> Applied:
    """Carry out the plan (unit files first, then the manager's verbs, in the plan's
    order); ``details`` hold the pid afterwards and the Version the daemon answered."""
    mgr = manager or make_manager(plan.manager, desired, plan.binary)
    apply_unit_files(plan)
    pid = plan.pid_before
    for action in plan.actions:
        pid = _carry_out(mgr, action, pid, desired.stop_timeout)
    version = None
    if desired.state != "stopped":
        if any(a.kind in ("start", "restart") for a in plan.actions):
            version = mgr.wait_serving(desired.address, desired.wait_timeout, pid)
        else:
            version = mgr.version(desired.address)
    after = {"running": desired.state != "stopped", "pid": pid}
    return Applied(plan, after=after, details={"pid": pid, "version": version})
