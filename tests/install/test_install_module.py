"""ocirt.containerd.install through real ansible-playbook.

Archives (built from Debian's 1.7 / 2.1 binaries in the upstream layout) are served from
127.0.0.1 and installed into a temporary prefix, never over the machine's binaries. The apt
path runs against the machine's real Debian packages (already installed: no change)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from pathlib import Path

from harness.ansible_runner import run_module

from .conftest import _QuietHandler

MODULE = "ocirt.containerd.install"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _snapshot(root: Path) -> dict:
    return {str(p): _sha(p) for p in sorted(root.rglob("*")) if p.is_file()}


def _args(tmp_path: Path, **archives: dict) -> dict:
    return {
        "method": "archive",
        "prefix": str(tmp_path / "prefix"),
        "cni_bin_dir": str(tmp_path / "cni"),
        "manifest_path": str(tmp_path / "state" / "install.json"),
        **archives,
    }


def _version(binary: Path) -> str:
    return subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, check=True
    ).stdout


def test_good_checksum_installs_and_is_idempotent(tmp_path, releases):
    c17, runc, cni = releases["containerd_1.7"], releases["runc"], releases["cni_plugins"]
    args = _args(
        tmp_path,
        containerd=c17.arg(),
        runc=runc.arg(),
        cni_plugins={"path": str(cni.path), "sha256": "sha256:" + cni.sha256},
    )

    predicted = run_module(MODULE, check=True, diff=True, **args)
    assert predicted["changed"] is True, predicted
    assert predicted["restart_required"] is True
    assert not (tmp_path / "prefix").exists() and not (tmp_path / "state").exists()
    assert predicted["versions"]["containerd"] == {"before": None, "after": c17.version}
    assert predicted["diff"]["after"]["containerd"] == c17.version

    done = run_module(MODULE, diff=True, **args)
    assert done["changed"] is True and done["restart_required"] is True
    assert done["actions"] == predicted["actions"]
    assert done["versions"] == {
        "containerd": {"before": None, "after": c17.version},
        "runc": {"before": None, "after": "1.1.5+ds1"},
        "cni_plugins": {"before": None, "after": "1.1.1"},
    }
    prefix = tmp_path / "prefix"
    assert c17.version in _version(prefix / "bin" / "containerd")
    assert _sha(prefix / "sbin" / "runc") == runc.sha256
    assert (tmp_path / "cni" / "bridge").stat().st_mode & 0o777 == 0o755
    assert sorted(p.name for p in (prefix / "bin").iterdir()) == [
        "containerd",
        "containerd-shim",
        "containerd-shim-runc-v1",
        "containerd-shim-runc-v2",
        "ctr",
    ]
    manifest = json.loads((tmp_path / "state" / "install.json").read_text())
    files = manifest["components"]["containerd"]["files"]
    assert files[str(prefix / "bin" / "ctr")] == _sha(prefix / "bin" / "ctr")
    assert manifest["components"]["containerd"]["sha256"] == c17.sha256

    installed = _snapshot(tmp_path)
    _QuietHandler.requests.clear()
    for check in (True, False):
        again = run_module(MODULE, check=check, **args)
        assert again["changed"] is False and again["restart_required"] is False
        assert again["actions"] == []
        assert again["versions"]["containerd"] == {"before": c17.version, "after": c17.version}
    assert _QuietHandler.requests == []  # recorded checksum + intact files: no download
    assert _snapshot(tmp_path) == installed

    # a file changed behind ocirt's back is put back; ctr alone needs no restart
    (prefix / "bin" / "ctr").write_bytes(b"#!/bin/sh\n")
    repaired = run_module(MODULE, **args)
    assert repaired["changed"] is True and repaired["restart_required"] is False
    assert [a["target"] for a in repaired["actions"]] == [str(prefix / "bin" / "ctr")]
    assert _snapshot(tmp_path) == installed


def test_bad_checksum_fails_and_replaces_nothing(tmp_path, releases):
    c17, c21 = releases["containerd_1.7"], releases["containerd_2.1"]
    assert run_module(MODULE, **_args(tmp_path, containerd=c17.arg()))["changed"] is True
    before = _snapshot(tmp_path)
    wrong = "0" * 64
    for check in (True, False):
        bad = run_module(
            MODULE,
            check=check,
            **_args(
                tmp_path, containerd={"url": c21.url, "sha256": wrong}, runc=releases["runc"].arg()
            ),
        )
        assert bad["failed"] is True
        assert bad["msg"] == (
            f"checksum mismatch for {c21.url}: expected sha256 {wrong}, got {c21.sha256}; "
            f"nothing was installed or replaced"
        )
        assert _snapshot(tmp_path) == before  # not even runc, which was fine
    assert not (tmp_path / "prefix" / "sbin").exists()
    invalid = run_module(MODULE, **_args(tmp_path, containerd={"url": c21.url, "sha256": "abc"}))
    assert (
        invalid["failed"] is True
        and "archives.containerd.sha256: 'abc' is not allowed" in invalid["msg"]
    )
    missing = run_module(
        MODULE, **_args(tmp_path, containerd={"url": c21.url + ".nope", "sha256": wrong})
    )
    assert missing["failed"] is True and "HTTP 404" in missing["msg"]
    assert _snapshot(tmp_path) == before


def test_upgrade_then_downgrade_reports_versions(tmp_path, releases):
    c17, c21 = releases["containerd_1.7"], releases["containerd_2.1"]
    bin_dir = tmp_path / "prefix" / "bin"
    run_module(MODULE, **_args(tmp_path, containerd=c17.arg()))

    # a running containerd keeps running when its binary is replaced (rename, not rewrite)
    inode = os.stat(bin_dir / "containerd").st_ino
    up = run_module(MODULE, **_args(tmp_path, containerd=c21.arg()))
    assert up["changed"] is True and up["restart_required"] is True
    assert up["versions"]["containerd"] == {"before": c17.version, "after": c21.version}
    assert sorted(up["components"]["containerd"]["files_removed"]) == [
        str(bin_dir / "containerd-shim"),
        str(bin_dir / "containerd-shim-runc-v1"),
    ]
    assert sorted(p.name for p in bin_dir.iterdir()) == [
        "containerd",
        "containerd-shim-runc-v2",
        "ctr",
    ]
    assert c21.version in _version(bin_dir / "containerd")
    assert os.stat(bin_dir / "containerd").st_ino != inode
    assert run_module(MODULE, **_args(tmp_path, containerd=c21.arg()))["changed"] is False

    down = run_module(MODULE, **_args(tmp_path, containerd=c17.arg()))
    assert down["changed"] is True and down["restart_required"] is True
    assert down["versions"]["containerd"] == {"before": c21.version, "after": c17.version}
    assert down["components"]["containerd"]["files_removed"] == []
    assert c17.version in _version(bin_dir / "containerd")
    assert (bin_dir / "containerd-shim").exists()
    assert run_module(MODULE, **_args(tmp_path, containerd=c17.arg()))["changed"] is False


def _dpkg_version(package: str) -> str:
    return subprocess.run(
        ["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True, check=True
    ).stdout


def test_apt_packages_already_installed_are_no_change():
    packages = ["containerd", "runc", "containernetworking-plugins"]
    versions = {p: _dpkg_version(p) for p in packages}
    for check in (True, False):
        r = run_module(MODULE, check=check)
        assert r["changed"] is False and r["restart_required"] is False, r
        assert r["package_manager"] == "apt"
        assert r["versions"] == {p: {"before": v, "after": v} for p, v in versions.items()}
    # pinned to what is installed: still no change
    pinned = run_module(MODULE, check=True, package_versions={"containerd": versions["containerd"]})
    assert pinned["changed"] is False
    glob = run_module(MODULE, check=True, package_versions={"containerd": "1.6.*"})
    assert glob["changed"] is False, glob
    # a version apt does not have is refused before anything runs
    bad = run_module(MODULE, check=True, package_versions={"containerd": "9.9.9-1"})
    assert bad["failed"] is True
    assert "package_versions.containerd: version 9.9.9-1 is not available from apt" in bad["msg"]
    wrong = run_module(MODULE, check=True, package_versions={"runc-ng": "1"})
    assert wrong["failed"] is True and "package_versions: runc-ng not in packages" in wrong["msg"]
    assert {p: _dpkg_version(p) for p in packages} == versions
