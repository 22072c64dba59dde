"""``ocirt node diff|apply``: a node document (config.toml, a registry host, the service)
planned and applied by the modules' reconcilers against a private containerd 2.1 that the
document's service section starts detached: first apply changes, the second plan is empty
with the same pid, a config.toml edit plans (and then does) one restart, as the role's
handler does; install from a release file into a private prefix; a bad option is refused
before anything is touched, naming it and what it allows."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import tomlkit

RUNC = Path("/usr/sbin/runc")


def _by_kind(report):
    return {e["kind"]: e for e in report["entries"]}


def test_config_registry_service_then_no_change_then_one_restart(node):
    registry = {
        "config_path": str(node.tmp / "certs.d"),
        "host": "r.test:5000",
        "server": "http://r.test:5000",
        "header": {"Authorization": "Bearer s3cret"},
    }
    document = {
        "config": node.config(debug_level="info"),
        "registries": [registry],
        "service": node.service(),
    }
    planned = node.report("diff", document, code=2)
    assert [(e["kind"], e["change"]) for e in planned["entries"]] == [
        ("config", "update"),
        ("registry", "write"),
        ("service", "start"),
    ], planned
    assert node.pid() is None  # diff changes nothing
    assert "s3cret" not in json.dumps(planned)  # hosts.toml is shown masked

    applied = node.report("apply", document)
    assert applied["mode"] == "apply" and applied["counts"] == {"changed": 3, "unchanged": 0}
    pid = node.pid()
    assert pid and node.daemon._socket_ready()
    assert tomlkit.parse(node.daemon.config_path.read_text()).unwrap()["debug"]["level"] == "info"
    assert (node.tmp / "certs.d" / "r.test:5000" / "hosts.toml").exists()

    again = node.ocirt("diff", document)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "nothing to do: all 3 entries are as declared"
    assert node.pid() == pid

    document["config"]["debug_level"] = "warn"
    edit = node.report("diff", document, code=2)
    entries = _by_kind(edit)
    assert entries["config"]["change"] == "update" and not entries["registry"]["changed"]
    assert entries["service"]["change"] == "restart"
    assert entries["service"]["reason"] == "restart_required: config.toml changed"
    node.report("apply", document)
    assert node.pid() not in (None, pid)  # restarted once, with the new file
    assert node.ocirt("diff", document).returncode == 0


def test_install_from_a_release_file_into_a_private_prefix(tmp_path):
    release = tmp_path / "runc.amd64"
    shutil.copy(RUNC, release)
    sha = hashlib.sha256(release.read_bytes()).hexdigest()
    document = {
        "install": {
            "method": "archive",
            "runc": {"path": str(release), "sha256": sha, "version": "1.1.5"},
            "prefix": str(tmp_path / "prefix"),
            "manifest_path": str(tmp_path / "install.json"),
        }
    }
    first = _ocirt("apply", document, "--json")
    assert first.returncode == 0, first.stderr
    (entry,) = json.loads(first.stdout)["entries"]
    assert (entry["kind"], entry["change"], entry["changed"]) == ("install", "install", True)
    assert entry["after"] == {"runc": "1.1.5"}
    installed = tmp_path / "prefix" / "sbin" / "runc"
    assert installed.read_bytes() == release.read_bytes()
    again = _ocirt("diff", document)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("nothing to do: all 1 entry are as declared"), again.stdout


def test_a_bad_option_is_refused_naming_it_before_anything_is_touched(tmp_path):
    config = tmp_path / "config.toml"
    bad = {"config": {"path": str(config)}, "service": {"state": "running"}}
    ran = _ocirt("apply", bad)
    assert ran.returncode == 1 and ran.stdout == ""
    assert ran.stderr.strip() == (
        "ocirt: the node document: service.state: must be one of started, stopped, "
        "restarted, got 'running'"
    )
    assert not config.exists()
    unknown = _ocirt("diff", {"services": {}})
    assert unknown.stderr.strip() == (
        "ocirt: the node document: unknown section(s) services; allowed: install, config, "
        "registries, service"
    )


def _ocirt(verb, document, *flags):
    return subprocess.run(
        [sys.executable, "-m", "ocirt.cli.main", "node", verb, *flags, "-f", "-"],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=120,
    )
