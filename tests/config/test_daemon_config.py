"""A rendered config.toml really runs: for each series a private containerd is started on a
file written by the library, and the running daemon is asked what it uses.

- `config dump` of the installed file (containerd's loader) has the values;
- the CRI plugin's own view (CRI Status verbose `config`: SystemdCgroup everywhere,
  sandbox image, snapshotter and registry config_path on 1.x), introspection (a disabled
  plugin is not registered), the log (debug level), the snapshots of a pull (snapshotter);
- a CRI pull of an image under a host name that does not resolve succeeds only through the
  mirror declared in hosts.toml (removed: the pull fails; declared again: it works).
- On 2.1 the starting file is Debian's version 2 config.toml, so SystemdCgroup in effect
  there also proves the migration path.
"""

from __future__ import annotations

import json
import subprocess

import pytest
import tomlkit
from ansible_collections.ocirt.containerd.plugins.module_utils.api import (
    cri,
    cri_images,
    introspection,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import OcirtError
from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.writer import (
    HostsConfig,
    Mirror,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    config as config_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    registry as registry_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.config import (
    DesiredConfig,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.registry import (
    DesiredHosts,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.daemon import ContainerdDaemon
from harness.images import push

HOST = "unreachable.invalid"  # .invalid never resolves (RFC 6761)
SANDBOX = f"{HOST}/ocirt/pause:1"
DISABLED = "io.containerd.snapshotter.v1.devmapper"


class Rendered:
    def __init__(self, daemon: ContainerdDaemon, plan, start: str):
        self.daemon = daemon
        self.plan = plan
        self.start = start


@pytest.fixture(scope="module")
def rendered(series_binary, registry_http, _busybox_session, debian_config):
    series = series_binary.series
    daemon = ContainerdDaemon(series)
    start = "debian12-v2" if series_binary.schema == 3 else "none"
    if start == "none":
        daemon.config_path.unlink()  # the library starts from `containerd config default`
    else:
        daemon.config_path.write_text(debian_config)
    settings = {
        "ttrpc": {"address": daemon.ttrpc_address},
        "debug": {"address": daemon.debug_address},
        "plugins": {"io.containerd.internal.v1.opt": {"path": str(daemon.tmpdir / "opt")}},
    }
    if series != "1.6":  # NRI's socket is machine-wide
        settings["plugins"]["io.containerd.nri.v1.nri"] = {"disable": True}
    plan = config_reconciler.plan(DesiredConfig(
        path=str(daemon.config_path),
        containerd_binary=str(daemon.containerd_bin),
        settings=settings,
        options={
            "root_dir": str(daemon.root),
            "state_dir": str(daemon.state),
            "grpc_address": daemon.address,
            "debug_level": "debug",
            "systemd_cgroup": True,
            "sandbox_image": SANDBOX,
            "snapshotter": "native",
            "registry_config_path": str(daemon.hosts_dir),
            "cni_bin_dir": "/usr/lib/cni",
            "cni_conf_dir": str(daemon.cni_conf_dir),
            "disabled_plugins": [DISABLED],
        },
    ))
    config_reconciler.apply(plan)
    for tag in ("1", "2"):
        push(registry_http, "ocirt/busybox", tag, _busybox_session)
    push(registry_http, "ocirt/pause", "1", _busybox_session)
    try:
        daemon.start()
    except BaseException:
        daemon.stop(keep_files=True)
        raise
    yield Rendered(daemon, plan, start)
    daemon.stop()


def mirror_hosts(daemon, registry, state="present"):
    config = HostsConfig(host=HOST, server=f"https://{HOST}",
                         mirrors=[Mirror(url=registry.url, capabilities=["pull", "resolve"])])
    desired = DesiredHosts(config, str(daemon.hosts_dir), state)
    registry_reconciler.apply(registry_reconciler.plan(desired))


def cri_config(daemon) -> dict:
    with Connection(daemon.address) as conn:
        return json.loads(cri.runtime_status(conn)["info"]["config"])


def test_the_file_is_the_series_schema_and_containerd_dumps_the_values(rendered):
    d = rendered.daemon
    kinds = [a["action"] for a in rendered.plan.summaries()]
    assert kinds == (["create"] if rendered.start == "none" else ["migrate"])
    dumped = tomlkit.loads(subprocess.run(
        [str(d.containerd_bin), "--config", str(d.config_path), "config", "dump"],
        capture_output=True, text=True, check=True).stdout).unwrap()
    assert dumped["version"] == d.config_version
    assert dumped["debug"]["level"] == "debug"
    assert DISABLED in dumped["disabled_plugins"]
    if d.config_version == 2:
        c = dumped["plugins"]["io.containerd.grpc.v1.cri"]
        assert c["sandbox_image"] == SANDBOX
        assert c["containerd"]["snapshotter"] == "native"
        assert c["registry"]["config_path"] == str(d.hosts_dir)
        assert c["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
    else:
        img = dumped["plugins"]["io.containerd.cri.v1.images"]
        rt = dumped["plugins"]["io.containerd.cri.v1.runtime"]
        assert img["pinned_images"]["sandbox"] == SANDBOX
        assert img["snapshotter"] == "native"
        assert img["registry"]["config_path"] == str(d.hosts_dir)
        assert rt["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
    assert rendered.plan.after.effective["systemd_cgroup"] is True


def test_running_cri_plugin_uses_systemd_cgroup_and_the_settings(rendered):
    """The CRI plugin's loaded configuration, as the running daemon reports it."""
    d = rendered.daemon
    config = cri_config(d)
    assert config["containerd"]["runtimes"]["runc"]["options"]["SystemdCgroup"] is True
    assert config["containerd"]["runtimes"]["runc"]["runtimeType"] == "io.containerd.runc.v2"
    if d.config_version == 2:  # 2.x reports only the runtime half here
        assert config["sandboxImage"] == SANDBOX
        assert config["containerd"]["snapshotter"] == "native"
        assert config["registry"]["configPath"] == str(d.hosts_dir)


def test_debug_level_and_disabled_plugin_are_in_effect(rendered):
    d = rendered.daemon
    assert "level=debug" in d.log_path.read_text()
    with Connection(d.address) as conn:
        ids = {f"{p['type']}.{p['id']}" for p in introspection.list_plugins(conn)}
    assert "io.containerd.snapshotter.v1.overlayfs" in ids
    assert DISABLED not in ids


def test_pull_succeeds_only_through_the_hosts_toml_mirror(rendered, registry_http):
    d = rendered.daemon
    mirror_hosts(d, registry_http)
    with Connection(d.address, timeout=120) as conn:
        ref = cri_images.pull_image(conn, f"{HOST}/ocirt/busybox:1")
        assert ref.startswith("sha256:")
        status = cri_images.image_status(conn, f"{HOST}/ocirt/busybox:1")
        assert status is not None and f"{HOST}/ocirt/busybox:1" in status["repo_tags"]

        mirror_hosts(d, registry_http, state="absent")
        assert not (d.hosts_dir / HOST).exists()
        with pytest.raises(OcirtError) as err:
            cri_images.pull_image(conn, f"{HOST}/ocirt/busybox:2", timeout=60)
        assert HOST in str(err.value)
        assert cri_images.image_status(conn, f"{HOST}/ocirt/busybox:2") is None

        mirror_hosts(d, registry_http)  # no restart: hosts.toml is read on each pull
        cri_images.pull_image(conn, f"{HOST}/ocirt/busybox:2")
        assert cri_images.image_status(conn, f"{HOST}/ocirt/busybox:2") is not None

        # the configured snapshotter unpacked it
        native = d.ctr("snapshots", "--snapshotter", "native", "ls", namespace="k8s.io")
        assert len(native.stdout.splitlines()) > 1
        overlay = d.ctr("snapshots", "--snapshotter", "overlayfs", "ls", namespace="k8s.io")
        assert len(overlay.stdout.splitlines()) <= 1

        # the sandbox image setting: containerd pins the image it names (1.7+)
        cri_images.pull_image(conn, SANDBOX)
        pause = cri_images.image_status(conn, SANDBOX)
        if d.version >= "1.7":
            assert pause["pinned"] is True
            assert status["pinned"] is False
