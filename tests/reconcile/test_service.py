"""The service planner from data files, no daemon and no systemd: desired + observed ->
actions with reasons or the no-op reason (data/service/*.json), then applied through an
injected manager that records what it is asked to do. Unit files go to a temporary
directory (``@TMP@`` in the data)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import List, Optional

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api.version import VersionInfo
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import service
from ansible_collections.ocirt.containerd.plugins.module_utils.service.manager import (
    Manager,
    ProcessStatus,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.service.unit_files import (
    FileStatus,
)

CASES = sorted((Path(__file__).parent / "data" / "service").glob("*.json"))
BINARY = "/usr/bin/containerd"
ANSWER: VersionInfo = {"version": "2.1.4", "revision": "test"}


class RecordingManager(Manager):
    """A manager whose status comes from data and whose verbs are only written down."""

    def __init__(self, name: str, status: ProcessStatus, answers: Optional[bool]):
        self.name = name
        self._status = status
        self._answers = answers
        self.calls: List[str] = []

    def status(self) -> ProcessStatus:
        return self._status

    def start(self) -> Optional[int]:
        self.calls.append("start")
        return 5000

    def stop(self, pid: Optional[int], timeout: float) -> None:
        self.calls.append(f"stop {pid}")

    def restart(self, pid: Optional[int], timeout: float) -> Optional[int]:
        self.calls.append(f"restart {pid}")
        return 5001

    def enable(self, enabled: bool) -> None:
        self.calls.append("enable" if enabled else "disable")

    def reload(self) -> None:
        self.calls.append("reload")

    def version(self, address: str) -> Optional[VersionInfo]:
        self.calls.append("version")
        return ANSWER if self._answers else None

    def wait_serving(self, address: str, timeout: float, pid: Optional[int]) -> VersionInfo:
        self.calls.append(f"wait_serving {pid}")
        return ANSWER


def _load(path: Path, tmp_path: Path) -> dict:
    return json.loads(path.read_text().replace("@TMP@", str(tmp_path)))


def _observed(data: dict) -> service.ObservedService:
    return service.ObservedService(
        manager=data["manager"],
        binary=data.get("binary", BINARY),
        status=ProcessStatus(**data["status"]),
        answers=data.get("answers"),
        started_at=data.get("started_at"),
        changed_at=data.get("changed_at", 0.0),
        unit=FileStatus(**data.get("unit", {})),
        dropin=FileStatus(**data.get("dropin", {"exists": False})),
    )


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, tmp_path: Path) -> None:
    case = _load(path, tmp_path)
    desired = service.DesiredService(**case["desired"])
    desired.validate()
    observed = _observed(case["observed"])
    plan = service.decide(desired, observed)
    assert plan.summaries() == case.get("actions", [])
    assert plan.noop_reason == case.get("noop", "")
    assert plan.notes == case.get("notes", [])

    manager = RecordingManager(observed.manager, observed.status, observed.answers)
    applied = service.apply(desired, plan, manager)
    assert manager.calls == case["calls"]
    assert applied.details["pid"] == case["pid_after"]
    for name in case.get("written", []):
        assert (tmp_path / name).is_file()


def test_plan_observes_through_the_injected_manager(tmp_path: Path) -> None:
    """plan() end to end: status from the manager, the binary and config from disk."""
    binary = tmp_path / "containerd"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    desired = service.DesiredService(
        binary=str(binary),
        config_path=str(tmp_path / "config.toml"),
        pid_file=str(tmp_path / "containerd.pid"),
        log_file=str(tmp_path / "containerd.log"),
    )
    manager = RecordingManager("detached", ProcessStatus(running=False), None)
    plan = service.plan(desired, manager)
    assert plan.summaries() == [{"action": "start", "target": str(binary), "reason": "not running"}]
    assert (plan.manager, plan.binary, plan.pid_before) == ("detached", str(binary), None)
    assert plan.before == {"running": False, "pid": None} and plan.after == {"running": True}


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"state": "gone"}, "state must be one of started, stopped, restarted, got 'gone'"),
        ({"pid_file": "run/c.pid"}, "pid_file: 'run/c.pid' is not allowed; allowed: an absolute"),
        ({"wait_timeout": 0}, "wait_timeout: must be more than 0 seconds"),
    ],
)
def test_invalid_options_name_the_option(options: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        service.DesiredService(**options).validate()
