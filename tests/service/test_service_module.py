"""ocirt.containerd.service through real ansible-playbook, on this machine's detached
fallback (PID 1 is not systemd): start, idempotent second run, restart only when asked,
a daemon that does not come up is reported with its log, a running task survives a restart,
stop. The systemd unit is rendered and checked with `systemd-analyze verify`."""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common import procfs
from ansible_collections.ocirt.containerd.plugins.module_utils.service.unit import (
    render_proxy_dropin,
    render_unit,
)
from harness.ansible_runner import run_module
from harness.images import write_oci_archive

MODULE = "ocirt.containerd.service"


def _version_of(managed) -> str:
    r = managed.daemon.ctr("version", namespace=None)
    return r.stdout.split("Server:")[1].split("Version:")[1].split()[0]


@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="tests the non-systemd fallback")
def test_start_idempotent_restart_only_when_asked_stop(managed):
    args = managed.args()
    predicted = run_module(MODULE, check=True, **args)
    assert predicted["changed"] is True and predicted["started"] is True
    assert predicted["manager"] == "detached"
    assert not managed.pid_file.exists() and not managed.daemon._socket_ready()

    started = run_module(MODULE, **args)
    assert started["changed"] is True and started["started"] is True, started
    pid = started["pid"]
    assert pid == managed.pid() and procfs.alive(pid)
    assert started["version"] == _version_of(managed)  # it answers Version
    assert os.getsid(pid) == pid  # its own session: detached from Ansible
    assert (
        open(f"/proc/{pid}/fd/0").fileno() >= 0 and os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    )

    for check in (True, False):
        again = run_module(MODULE, check=check, **args)
        assert again["changed"] is False and again["pid"] == pid and again["actions"] == []
    # restart_if false: nothing; true but nothing changed since the start: nothing either
    assert run_module(MODULE, restart_if=[False, False], **args)["changed"] is False
    fresh = run_module(MODULE, restart_if=[False, True], **args)
    assert fresh["changed"] is False and "started after the configuration" in fresh["notes"][0]
    assert managed.pid() == pid

    # the configuration changed after the start: restart_if restarts (check mode predicts it)
    time.sleep(0.05)
    os.utime(managed.daemon.config_path)
    predicted = run_module(MODULE, check=True, restart_if=[True], **args)
    assert predicted["changed"] is True and predicted["restarted"] is True
    assert managed.pid() == pid and procfs.alive(pid)
    restarted = run_module(MODULE, restart_if=[True], **args)
    assert restarted["restarted"] is True and restarted["pid"] != pid
    assert not procfs.alive(pid) and restarted["pid"] == managed.pid()
    assert run_module(MODULE, restart_if=[True], **args)["changed"] is False

    forced = run_module(MODULE, state="restarted", **args)
    assert forced["changed"] is True and forced["pid"] != restarted["pid"]

    stopped = run_module(MODULE, state="stopped", **args)
    assert stopped["changed"] is True and stopped["pid"] is None
    assert not procfs.alive(forced["pid"]) and not managed.pid_file.exists()
    assert run_module(MODULE, state="stopped", **args)["changed"] is False


@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="tests the non-systemd fallback")
def test_running_task_survives_restart(managed, busybox, tmp_path):
    args = managed.args()
    first = run_module(MODULE, **args)
    assert first["started"] is True
    d = managed.daemon
    archive = write_oci_archive(busybox, tmp_path / "busybox.tar", "example.test/ocirt/busybox:1")
    d.ctr("images", "import", str(archive))
    d.ctr("run", "-d", "example.test/ocirt/busybox:1", "survivor", "sleep", "600")
    tasks = d.ctr("tasks", "ls").stdout
    task_pid = int(
        next(line.split()[1] for line in tasks.splitlines() if line.startswith("survivor"))
    )
    assert "RUNNING" in tasks

    restarted = run_module(MODULE, state="restarted", **args)
    assert restarted["restarted"] is True and restarted["pid"] != first["pid"]
    tasks = d.ctr("tasks", "ls").stdout
    line = next(line for line in tasks.splitlines() if line.startswith("survivor"))
    assert int(line.split()[1]) == task_pid and "RUNNING" in line  # same process, still running
    assert procfs.alive(task_pid)
    assert (
        d.ctr("tasks", "exec", "--exec-id", "probe", "survivor", "echo", "alive").stdout.strip()
        == "alive"
    )


@pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="tests the non-systemd fallback")
def test_daemon_that_does_not_come_up_is_reported_with_its_log(managed):
    # a config file containerd cannot parse: it refuses to start
    managed.daemon.config_path.write_text(managed.daemon.config_text() + "[grpc\n")
    failed = run_module(MODULE, **managed.args())
    assert failed["failed"] is True
    assert "exited before it answered on " + managed.daemon.address in failed["msg"]
    assert "its last log lines:" in failed["msg"]
    assert "toml" in failed["msg"].split("its last log lines:")[1].lower()  # containerd's words
    assert not managed.daemon._socket_ready()


def test_unit_rendering_and_systemd_analyze(tmp_path):
    unit = render_unit("/usr/local/bin/containerd", "/etc/containerd/config.toml")
    lines = unit.splitlines()
    for expected in (
        "ExecStartPre=-/sbin/modprobe overlay",
        "ExecStart=/usr/local/bin/containerd --config /etc/containerd/config.toml",
        "Type=notify",
        "Delegate=yes",
        "KillMode=process",
        "Restart=always",
        "LimitNOFILE=infinity",
        "OOMScoreAdjust=-999",
        "WantedBy=multi-user.target",
    ):
        assert expected in lines
    assert "--address" not in unit
    other = render_unit("/opt/c d/containerd", "/etc/c.toml", "/run/x/c.sock")
    assert "ExecStart='/opt/c d/containerd' --config /etc/c.toml --address /run/x/c.sock" in other
    dropin = render_proxy_dropin({"HTTP_PROXY": "http://p:3128", "NO_PROXY": "10.0.0.0/8,%x"})
    assert dropin.splitlines()[1:] == [
        "[Service]",
        'Environment="HTTP_PROXY=http://p:3128"',
        'Environment="NO_PROXY=10.0.0.0/8,%%x"',
    ]
    assert render_proxy_dropin({}) is None

    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    binary = shutil.which("containerd", path="/usr/local/bin:/usr/bin")
    path = tmp_path / "containerd.service"
    path.write_text(render_unit(binary, "/etc/containerd/config.toml"))
    (tmp_path / "containerd.service.d").mkdir()
    (tmp_path / "containerd.service.d" / "http-proxy.conf").write_text(dropin)
    r = subprocess.run([analyze, "verify", "--man=no", str(path)], capture_output=True, text=True)
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    # and it does catch mistakes
    path.write_text(path.read_text().replace("Delegate=yes", "Delegate=yes\nDelagate=yes"))
    r = subprocess.run([analyze, "verify", "--man=no", str(path)], capture_output=True, text=True)
    assert "Unknown key 'Delagate'" in r.stderr
