"""Inside a running container: exec, logs, stats, the image's user/workdir/env, mounts and
capabilities, each checked from within the container itself."""

import os
import time

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    inspect,
    lifecycle,
    logs,
    stats,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.exec import (
    ExecFailed,
    ExecTimeout,
    exec_command,
)

from .conftest import CONFIGURED

SLEEP = ["sleep", "3600"]


def run(conn, cid, *argv, **kw):
    return exec_command(conn, cid, list(argv), **kw)


def test_exec_stdout_stderr_rc_env_user_workdir(conn, make):
    make("ex", command=SLEEP)
    r = run(conn, "ex", "sh", "-c", "echo out; echo err >&2; exit 4")
    assert r == {"rc": 4, "stdout": b"out\n", "stderr": b"err\n"}
    r = run(conn, "ex", "sh", "-c", 'echo "$FOO $OCIRT_IMAGE"', env={"FOO": "bar"})
    assert r["stdout"] == b"bar busybox\n"
    r = run(conn, "ex", "sh", "-c", "id -u; id -g; pwd; echo $HOME", user="app", workdir="/tmp")
    assert r["stdout"] == b"1000\n1000\n/tmp\n/home/app\n"
    assert run(conn, "ex", "id", "-u", user="65534")["stdout"] == b"65534\n"
    big = run(conn, "ex", "sh", "-c", "seq 1 200000")
    assert big["rc"] == 0 and big["stdout"].count(b"\n") == 200000


def test_exec_of_a_missing_binary_fails_clearly(conn, make):
    make("ex-missing", command=SLEEP)
    with pytest.raises(ExecFailed, match="cannot run '/no/such/binary' in container 'ex-missing'"):
        run(conn, "ex-missing", "/no/such/binary")
    # nothing is left behind: the exec process was deleted
    assert run(conn, "ex-missing", "true")["rc"] == 0


def test_exec_timeout_kills_the_process(conn, make):
    make("ex-slow", command=SLEEP)
    # the timeout raised (a run that waited for the sleep would have returned rc 0)
    with pytest.raises(ExecTimeout, match=r"did not finish within 1\.0 s") as exc:
        run(conn, "ex-slow", "sh", "-c", "echo started; sleep 60", timeout=1.0)
    assert exc.value.stdout == b"started\n"
    ps = run(conn, "ex-slow", "ps", "-o", "args")["stdout"].decode()
    assert "sleep 60" not in ps


def test_logs_tail_offset_and_follow(conn, make):
    made = make(
        "chatty",
        start=False,
        command=["sh", "-c", "for i in $(seq 1 50); do echo line $i; done; sleep 1; echo last"],
    )
    lifecycle.start(conn, "chatty")
    chunks = b"".join(logs.follow_log(conn, "chatty", interval=0.1))
    assert chunks.splitlines()[-1] == b"last" and chunks.count(b"\n") == 51
    tail = logs.read_log(made["log_path"], tail=3)
    assert tail["data"] == b"line 49\nline 50\nlast\n"
    assert logs.read_log(made["log_path"], offset=tail["offset"])["data"] == b""
    assert logs.read_log(made["log_path"], tail=0)["data"] == b""
    assert logs.read_log(made["log_path"], tail=100)["data"] == chunks
    assert logs.read_log(made["log_path"], since="2024-01-01T00:00:00Z")["data"] == chunks
    later = str(int(time.time()) + 3600)
    assert logs.read_log(made["log_path"], since=later)["data"] == b""


def test_stats_of_a_busy_container(conn, make):
    make("busy", command=["sh", "-c", "x=$(seq 1 20000); while true; do :; done"], memory="64m")
    time.sleep(0.5)
    sampled = stats.sample(conn, ["busy"], interval=1.0)["busy"]
    assert sampled["cgroup"] in ("v1", "v2")
    assert sampled["cpu_usage_ns"] > 100_000_000
    assert sampled["cpu_percent"] > 20
    assert sampled["memory_usage"] > 0
    assert sampled["memory_limit"] == 64 * 1024 * 1024
    assert sampled["pids"] >= 1
    assert stats.stats(conn, "no-such-container") is None


def test_user_workdir_env_and_stop_signal_from_the_image(conn, make):
    make("configured", image=CONFIGURED, env={"EXTRA": "1", "GREETING": "override"})
    r = run(conn, "configured", "sh", "-c", "id -un; pwd; echo $OCIRT_IMAGE $GREETING $EXTRA $HOME")
    assert r["stdout"] == b"app\n/home/app\nconfigured override 1 /home/app\n"
    info = inspect.inspect_container(conn, "configured")
    assert info["spec"]["args"] == ["sh", "-c", "sleep 3600"]
    assert info["spec"]["user"] == "1000:1000" and info["spec"]["cwd"] == "/home/app"
    assert info["labels"]["io.ocirt/stop-signal"] == "SIGINT"
    # the options beat the image
    make("overridden", image=CONFIGURED, user="root", working_dir="/tmp", command=["sleep 3600"])
    r = run(conn, "overridden", "sh", "-c", "id -u; pwd")
    assert r["stdout"] == b"0\n/tmp\n"
    with pytest.raises(InvalidInput, match="no user 'ghost'"):
        make("ghost", image=CONFIGURED, user="ghost")


def test_read_only_bind_mount_and_named_volume(conn, make, tmp_path, paths):
    host = tmp_path / "data"
    host.mkdir()
    (host / "hello.txt").write_text("from host\n")
    make(
        "mounts",
        command=SLEEP,
        mounts=[
            {"type": "bind", "source": str(host), "target": "/data", "readonly": True},
            {"type": "volume", "source": "cache", "target": "/cache"},
            {"type": "tmpfs", "target": "/scratch"},
        ],
    )
    assert run(conn, "mounts", "cat", "/data/hello.txt")["stdout"] == b"from host\n"
    denied = run(conn, "mounts", "touch", "/data/new")
    assert denied["rc"] != 0 and b"Read-only file system" in denied["stderr"]
    assert not (host / "new").exists()
    assert run(conn, "mounts", "sh", "-c", "echo kept > /cache/f")["rc"] == 0
    volume = os.path.join(paths.volume_path(conn.namespace, "cache"), "f")
    with open(volume) as f:
        assert f.read() == "kept\n"
    assert b"tmpfs" in run(conn, "mounts", "sh", "-c", "mount | grep /scratch")["stdout"]
    with pytest.raises(InvalidInput, match="bind source /nonexistent does not exist"):
        make("bad-mount", mounts=["/nonexistent:/x"])


def test_read_only_rootfs(conn, make):
    make("ro-root", command=SLEEP, read_only_rootfs=True)
    assert run(conn, "ro-root", "touch", "/etc/x")["rc"] != 0
    assert run(conn, "ro-root", "touch", "/tmp/x")["rc"] != 0


def _cap_eff(conn, cid):
    status = run(conn, cid, "cat", "/proc/self/status")["stdout"].decode()
    line = next(x for x in status.splitlines() if x.startswith("CapEff:"))
    return int(line.split()[1], 16)


def test_dropped_capability_is_gone(conn, make):
    cap_chown = 1 << 0
    make("caps-default", command=SLEEP)
    make("caps-dropped", command=SLEEP, cap_drop=["CHOWN"], cap_add=["SYS_TIME"])
    assert _cap_eff(conn, "caps-default") & cap_chown
    assert not _cap_eff(conn, "caps-dropped") & cap_chown
    assert _cap_eff(conn, "caps-dropped") & (1 << 25)  # CAP_SYS_TIME
    assert run(conn, "caps-default", "chown", "1000", "/tmp")["rc"] == 0
    denied = run(conn, "caps-dropped", "chown", "1000", "/tmp")
    assert denied["rc"] != 0 and b"Operation not permitted" in denied["stderr"]


def test_resources_and_hostname_reach_the_cgroup(conn, make):
    make(
        "limited",
        command=SLEEP,
        memory="48m",
        pids_limit=20,
        cpus=0.5,
        hostname="web-1",
        sysctls={"net.ipv4.ip_forward": "1"},
        ulimits={"nofile": "100:200"},
    )
    s = stats.stats(conn, "limited")
    assert s["memory_limit"] == 48 * 1024 * 1024 and s["pids_limit"] == 20
    assert run(conn, "limited", "hostname")["stdout"] == b"web-1\n"
    assert run(conn, "limited", "cat", "/proc/sys/net/ipv4/ip_forward")["stdout"] == b"1\n"
    limits = run(conn, "limited", "cat", "/proc/1/limits")["stdout"].decode()
    assert next(x for x in limits.splitlines() if x.startswith("Max open files")).split()[3:5] == [
        "100",
        "200",
    ]
