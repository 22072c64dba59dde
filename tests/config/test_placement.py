"""Every typed option lands where the schema wants it, checked two ways: against a table
written here independently of the library, and by the real containerd of each series
(`config dump` of the result shows the value at that place, i.e. containerd reads it)."""

from __future__ import annotations

import subprocess

import pytest
import tomlkit
from ansible_collections.ocirt.containerd.plugins.module_utils.config import placement, schema
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    config as config_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.config import (
    DesiredConfig,
)

V2_CRI = ("plugins", "io.containerd.grpc.v1.cri")
V3_IMG = ("plugins", "io.containerd.cri.v1.images")
V3_RT = ("plugins", "io.containerd.cri.v1.runtime")

VALUES = {
    "systemd_cgroup": True,
    "sandbox_image": "registry.test/pause:ocirt",
    "snapshotter": "native",
    "default_runtime": "crun",
    "runtimes": {
        "crun": {
            "runtime_type": "io.containerd.runc.v2",
            "binary": "/usr/local/bin/crun",
            "options": {"NoNewKeyring": True},
            "pod_annotations": ["example.test/*"],
            "privileged_without_host_devices": True,
        }
    },
    "registry_config_path": "/srv/ocirt/certs.d",
    "max_container_log_line_size": 65536,
    "root_dir": "/srv/ocirt/root",
    "state_dir": "/run/ocirt-test",
    "grpc_address": "/run/ocirt-test/c.sock",
    "grpc_uid": 1000,
    "grpc_gid": 1001,
    "debug_level": "warn",
    "disabled_plugins": ["io.containerd.snapshotter.v1.devmapper"],
    "cni_bin_dir": "/srv/ocirt/cni/bin",
    "cni_conf_dir": "/srv/ocirt/cni/net.d",
    "enable_cdi": True,
    "oom_score": -321,
    "metrics_address": "127.0.0.1:13380",
    "imports": ["/srv/ocirt/conf.d/*.toml"],
}


def expected(schema: int, version: tuple) -> dict:
    """(key path -> value) each option must produce; written out by hand on purpose."""
    common = {
        ("root",): "/srv/ocirt/root",
        ("state",): "/run/ocirt-test",
        ("grpc", "address"): "/run/ocirt-test/c.sock",
        ("grpc", "uid"): 1000,
        ("grpc", "gid"): 1001,
        ("debug", "level"): "warn",
        ("disabled_plugins",): ["io.containerd.snapshotter.v1.devmapper"],
        ("oom_score",): -321,
        ("metrics", "address"): "127.0.0.1:13380",
        ("imports",): ["/srv/ocirt/conf.d/*.toml"],
    }
    if schema == 2:
        c = V2_CRI
        rt = (*c, "containerd", "runtimes")
        return {
            **common,
            (*rt, "runc", "options", "SystemdCgroup"): True,
            (*c, "sandbox_image"): "registry.test/pause:ocirt",
            (*c, "containerd", "snapshotter"): "native",
            (*c, "containerd", "default_runtime_name"): "crun",
            (*rt, "crun", "runtime_type"): "io.containerd.runc.v2",
            (*rt, "crun", "options", "BinaryName"): "/usr/local/bin/crun",
            (*rt, "crun", "options", "NoNewKeyring"): True,
            (*rt, "crun", "pod_annotations"): ["example.test/*"],
            (*rt, "crun", "privileged_without_host_devices"): True,
            (*c, "registry", "config_path"): "/srv/ocirt/certs.d",
            (*c, "max_container_log_line_size"): 65536,
            (*c, "cni", "bin_dir"): "/srv/ocirt/cni/bin",
            (*c, "cni", "conf_dir"): "/srv/ocirt/cni/net.d",
            **({(*c, "enable_cdi"): True} if version >= (1, 7) else {}),
        }
    rt = (*V3_RT, "containerd", "runtimes")
    cni_bin = ("bin_dirs", ["/srv/ocirt/cni/bin"]) if version >= (2, 1) else \
        ("bin_dir", "/srv/ocirt/cni/bin")
    return {
        **common,
        (*rt, "runc", "options", "SystemdCgroup"): True,
        (*V3_IMG, "pinned_images", "sandbox"): "registry.test/pause:ocirt",
        (*V3_IMG, "snapshotter"): "native",
        (*V3_RT, "containerd", "default_runtime_name"): "crun",
        (*rt, "crun", "runtime_type"): "io.containerd.runc.v2",
        (*rt, "crun", "options", "BinaryName"): "/usr/local/bin/crun",
        (*rt, "crun", "options", "NoNewKeyring"): True,
        (*rt, "crun", "pod_annotations"): ["example.test/*"],
        (*rt, "crun", "privileged_without_host_devices"): True,
        (*V3_IMG, "registry", "config_path"): "/srv/ocirt/certs.d",
        ("plugins", "io.containerd.transfer.v1.local", "config_path"): "/srv/ocirt/certs.d",
        (*V3_RT, "max_container_log_line_size"): 65536,
        (*V3_RT, "cni", cni_bin[0]): cni_bin[1],
        (*V3_RT, "cni", "conf_dir"): "/srv/ocirt/cni/net.d",
        (*V3_RT, "enable_cdi"): True,
    }


def lookup(data: dict, path: tuple):
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return KeyError(path)
        data = data[key]
    return data


@pytest.mark.parametrize("schema,version", [(2, (1, 6, 20)), (2, (1, 7, 24)), (3, (2, 0, 0)),
                                            (3, (2, 1, 4))])
def test_assignments_match_the_hand_written_table(schema, version):
    values = dict(VALUES)
    if version < (1, 7):
        values.pop("enable_cdi")
    got = {a.path: a.value for a in placement.assignments(values, schema, version)
           if not a.only_if_missing}
    assert got == expected(schema, version[:2])


def test_version_to_schema():
    assert schema.schema_for_version((1, 6, 20)) == 2
    assert schema.schema_for_version((1, 7, 24)) == 2
    assert schema.schema_for_version((2, 0, 0)) == 3
    assert schema.schema_for_version((2, 2, 1)) == 3
    with pytest.raises(Exception, match=r"config version 4 .*config_version: 3"):
        schema.schema_for_version((2, 3, 0))


@pytest.mark.parametrize("start", ["none", "debian12"])
def test_each_series_reads_every_option_where_it_was_written(series_binary, tmp_path, start,
                                                            debian_config):
    """Render all typed options with the series' own containerd, then ask that containerd
    (`config dump`) where it finds them; a second plan changes nothing."""
    path = tmp_path / "config.toml"
    if start == "debian12":
        path.write_text("# kept comment\n" + debian_config)
    values = dict(VALUES)
    version = series_binary.version
    if version < (1, 7):
        values.pop("enable_cdi")
    extra = tmp_path / "extra.toml"  # a real import, so containerd has something to merge
    extra.write_text(f"version = {series_binary.schema}\n[metrics]\n  grpc_histogram = true\n")
    values["imports"] = [str(extra)]
    want = expected(series_binary.schema, version[:2])
    want[("imports",)] = [str(extra)]
    desired = DesiredConfig(path=str(path), options=values, containerd_binary=series_binary.path)
    plan = config_reconciler.plan(desired)
    assert plan.changed and plan.after.restart_required
    kinds = [a.kind for a in plan.actions]
    if start == "none":
        assert kinds == ["create"]
    elif series_binary.schema == 3:
        assert kinds == ["migrate"]  # a v2 file under 2.x is migrated, never patched
    else:
        assert kinds == ["update"]
    config_reconciler.apply(plan)
    text = path.read_text()
    written = tomlkit.loads(text).unwrap()
    assert written["version"] == series_binary.schema
    if start == "debian12" and series_binary.schema == 2:
        assert text.startswith("# kept comment\n")
    dump = subprocess.run(
        [series_binary.path, "--config", str(path), "config", "dump"],
        capture_output=True, text=True, check=True,
    ).stdout
    dumped = tomlkit.loads(dump).unwrap()
    assert dumped["metrics"]["grpc_histogram"] is True  # the import was loaded
    for key_path, value in want.items():
        assert lookup(written, key_path) == value, key_path
        if key_path == ("imports",):  # 1.x's dump lists the loaded file itself as well
            assert set(value) <= set(lookup(dumped, key_path) or [])
            continue
        assert lookup(dumped, key_path) == value, ("containerd does not read", key_path)
    # effective settings come from containerd's dump
    assert plan.after.effective_source == "containerd config dump"
    assert plan.after.effective["systemd_cgroup"] is True
    assert plan.after.effective["sandbox_image"] == "registry.test/pause:ocirt"
    assert plan.after.effective["cni_bin_dir"] == "/srv/ocirt/cni/bin"

    again = config_reconciler.plan(desired)
    assert not again.changed and again.actions == [] and not again.after.restart_required
    assert path.read_text() == text


def test_systemd_cgroup_under_the_1x_section_is_ignored_by_2x(series_binary, tmp_path):
    """Why placement matters (the line-editing bug users hit): in a version 3 file,
    SystemdCgroup under the 1.x CRI section is silently not used by containerd 2.x."""
    if series_binary.schema != 3:
        pytest.skip("a 2.x containerd shows this")
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        "version = 3\n"
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n'
        "  SystemdCgroup = true\n"
    )
    dump = tomlkit.loads(subprocess.run(
        [series_binary.path, "--config", str(wrong), "config", "dump"],
        capture_output=True, text=True, check=True).stdout).unwrap()
    assert lookup(dump, (*V3_RT, "containerd", "runtimes", "runc", "options",
                         "SystemdCgroup")) is False
    plan = config_reconciler.plan(DesiredConfig(path=str(wrong), options={"systemd_cgroup": True},
                                     containerd_binary=series_binary.path))
    assert plan.after.effective["systemd_cgroup"] is True
    after = tomlkit.loads(plan.after.text).unwrap()
    assert lookup(after, (*V3_RT, "containerd", "runtimes", "runc", "options",
                          "SystemdCgroup")) is True
