"""The private containerd: version, layout, restart, cleanup, start-up failure."""

import os
import re
import secrets

import pytest
from harness.daemon import RUNC_DEFAULT_ROOT, ContainerdDaemon, ContainerdError
from harness.images import write_oci_archive
from harness.plugin import selected_series
from harness.util import cgroup_mounts, mounts_under, pid_alive, wait_for


def test_version_and_layout(containerd):
    out = containerd.ctr("version", namespace=None).stdout
    server = out.split("Server:", 1)[1]
    m = re.search(r"Version:\s+v?(\S+)", server)
    assert m and m.group(1).startswith(containerd.version)
    assert containerd.series in selected_series()
    assert containerd.version.startswith(containerd.series + ".")
    cfg = containerd.config_path.read_text()
    assert cfg.startswith(f"version = {3 if containerd.series.startswith('2.') else 2}\n")
    assert containerd.address.startswith("/tmp/ocirt-")
    assert len(containerd.address) < 100 and os.path.exists(containerd.address)
    for p in (containerd.root, containerd.state, containerd.log_path):
        assert str(p).startswith(str(containerd.tmpdir)) and p.exists()
    assert "/usr/lib/cni" in cfg
    assert containerd.log_tail(5)


def test_plugins_load(containerd):
    out = containerd.ctr("plugins", "ls", namespace=None).stdout
    rows = {tuple(line.split()[:2]): line.split()[-1] for line in out.splitlines()[1:]}
    assert rows[("io.containerd.snapshotter.v1", "overlayfs")] == "ok"
    cri = [v for (t, i), v in rows.items() if i == "cri" and "grpc" in t]
    assert cri == ["ok"]


def test_task_uses_the_series_shim_and_survives_restart(
    containerd, containerd_namespace, busybox, tmp_path
):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/bb:restart")
    containerd.ctr("images", "import", str(archive), namespace=ns)
    containerd.ctr("run", "-d", "example.test/bb:restart", "sleeper", "sleep", "600", namespace=ns)
    shims = [s for s in containerd.shim_processes() if s[1] == ns]
    assert shims, "no shim process found for the task"
    assert os.readlink(f"/proc/{shims[0][0]}/exe") == os.path.realpath(containerd.shim_bin)

    old_pid = containerd.proc.pid
    containerd.restart()
    assert containerd.proc.pid != old_pid
    assert "example.test/bb:restart" in containerd.ctr("images", "ls", "-q", namespace=ns).stdout
    tasks = containerd.ctr("tasks", "ls", namespace=ns).stdout
    assert re.search(r"sleeper\s+\d+\s+RUNNING", tasks), tasks
    r = containerd.ctr(
        "tasks", "exec", "--exec-id", "e1", "sleeper", "cat", "/etc/ocirt/release", namespace=ns
    )
    assert r.stdout == "ocirt-test-image layer2\n"
    # the namespace fixture's cleanup kills the task


@pytest.fixture
def series():
    return selected_series()[-1]


def _leftovers(ns):
    """Machine-wide traces of namespace ns: runc state dir and cgroup dirs."""
    found = [str(RUNC_DEFAULT_ROOT / ns)] if (RUNC_DEFAULT_ROOT / ns).exists() else []
    for mp in cgroup_mounts():
        if os.path.exists(os.path.join(mp, ns)):
            found.append(os.path.join(mp, ns))
    return found


def test_stop_leaves_nothing_behind(series, busybox, tmp_path):
    ns = f"ocirt-stop-{secrets.token_hex(3)}"
    d = ContainerdDaemon(series)
    try:
        d.start()
        archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/bb:stop")
        d.ctr("images", "import", str(archive), namespace=ns)
        d.ctr("run", "-d", "example.test/bb:stop", "left-running", "sleep", "600", namespace=ns)
        shims = d.shim_processes()
        assert shims
        assert mounts_under(str(d.tmpdir))
    finally:
        d.stop()
    assert not d.shim_processes()
    for pid, _, _ in shims:
        wait_for(lambda pid=pid: not pid_alive(pid), 5, what=f"shim {pid} to exit")
    assert not mounts_under(str(d.tmpdir))
    assert not d.tmpdir.exists()
    assert not _leftovers(ns)


def test_stop_kills_orphaned_shims(series, busybox, tmp_path):
    """Shims whose daemon died (SIGKILL) are found by their -address and killed."""
    ns = f"ocirt-orphan-{secrets.token_hex(3)}"
    d = ContainerdDaemon(series)
    try:
        d.start()
        archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/bb:orph")
        d.ctr("images", "import", str(archive), namespace=ns)
        d.ctr("run", "-d", "example.test/bb:orph", "orphan", "sleep", "600", namespace=ns)
        d.proc.kill()
        d.proc.wait()
        assert d.shim_processes()
    finally:
        d.stop()
    assert not d.shim_processes()
    assert not d.tmpdir.exists()
    assert not _leftovers(ns)


def test_start_failure_reports_log(series):
    d = ContainerdDaemon(series, extra_config="[grpc\nthis is not toml")
    try:
        with pytest.raises(ContainerdError) as exc:
            d.start(timeout=10)
        assert "last log lines" in str(exc.value)
    finally:
        d.stop()
    assert not d.tmpdir.exists()
