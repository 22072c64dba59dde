"""The profiles in config_templates/containerd load in the containerd of their schema, and
the library manages them without losing their comments."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import tomlkit
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    config as config_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.config import (
    DesiredConfig,
)

TEMPLATES = Path(__file__).resolve().parents[2] / "config_templates" / "containerd"


def profiles(schema: int):
    return sorted(TEMPLATES.glob(f"*.v{schema}.toml"))


def test_every_profile_exists_for_both_schemas():
    names = {p.name for p in TEMPLATES.glob("*.toml")}
    assert names == {"kubernetes-node.v2.toml", "kubernetes-node.v3.toml",
                     "plain-host.v2.toml", "plain-host.v3.toml"}


@pytest.mark.parametrize("profile", ["kubernetes-node", "plain-host"])
def test_profile_loads_in_matching_containerd_and_keeps_comments(series_binary, tmp_path,
                                                                  profile):
    source = TEMPLATES / f"{profile}.v{series_binary.schema}.toml"
    dump = subprocess.run([series_binary.path, "--config", str(source), "config", "dump"],
                          capture_output=True, text=True)
    assert dump.returncode == 0, dump.stderr
    dumped = tomlkit.loads(dump.stdout).unwrap()
    if profile == "kubernetes-node":
        if series_binary.schema == 2:
            rt = dumped["plugins"]["io.containerd.grpc.v1.cri"]["containerd"]["runtimes"]
        else:
            rt = dumped["plugins"]["io.containerd.cri.v1.runtime"]["containerd"]["runtimes"]
        assert rt["runc"]["options"]["SystemdCgroup"] is True
    else:
        assert "io.containerd.grpc.v1.cri" in dumped["disabled_plugins"]

    path = tmp_path / "config.toml"
    path.write_text(source.read_text())
    plan = config_reconciler.plan(DesiredConfig(path=str(path),
                                                containerd_binary=series_binary.path,
                                                options={"debug_level": "warn"}))
    config_reconciler.apply(plan)
    comments = [line.strip() for line in source.read_text().splitlines()
                if line.strip().startswith("#")]
    text = path.read_text()
    assert all(c in text for c in comments)
    assert plan.after.effective["debug_level"] == "warn"
