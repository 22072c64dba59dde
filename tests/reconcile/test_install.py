"""The install planner from data files, no daemon and no package manager run: desired +
observed (package versions, archive facts) -> actions with reasons or the no-op reason,
restart_required and the versions before and after (data/install/*.json). One archive is
also planned and applied for real, into a temporary prefix."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.install.fetch import WorkDir
from ansible_collections.ocirt.containerd.plugins.module_utils.install.observed import (
    ArchiveFacts,
    ObservedPackages,
    PackageFacts,
    TargetFile,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import install
from reconcile.cases import checked_plan

CASES = sorted((Path(__file__).parent / "data" / "install").glob("*.json"))


def _archive_facts(data: dict) -> ArchiveFacts:
    files = {path: TargetFile(**f) for path, f in data.pop("files", {}).items()}
    return ArchiveFacts(files=files, **data)


def _plan(case: dict) -> install.InstallPlan:
    desired = install.DesiredInstall(**case["desired"])
    desired.validate()
    observed = case["observed"]
    if desired.method == "archive":
        facts = {n: _archive_facts(f) for n, f in observed["archives"].items()}
        return install.decide_archives(desired, facts)
    packages = {n: PackageFacts(**f) for n, f in observed["packages"].items()}
    return install.decide_packages(desired, ObservedPackages(observed["manager"], packages))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text())
    plan = checked_plan(case, _plan)
    if plan is None:
        return
    assert all(c.noop_reason for c in plan.children if not c.changed)
    outcome = install.outcome(plan)
    assert outcome["restart_required"] is case["restart_required"]
    if "versions" in case:
        assert outcome["versions"] == case["versions"]


def _release(tmp_path: Path) -> tuple:
    """A containerd release archive in the upstream layout (bin/containerd, bin/ctr)."""
    archive = tmp_path / "containerd-9.8.7-linux-amd64.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name in ("containerd", "ctr"):
            body = f"#!/bin/sh\necho {name}\n".encode()
            info = tarfile.TarInfo(f"bin/{name}")
            info.size, info.mode = len(body), 0o755
            tar.addfile(info, io.BytesIO(body))
    return archive, hashlib.sha256(archive.read_bytes()).hexdigest()


def test_archive_planned_applied_then_nothing_to_do(tmp_path: Path) -> None:
    archive, sha256 = _release(tmp_path)
    desired = install.DesiredInstall(
        method="archive",
        archives={"containerd": {"path": str(archive), "sha256": sha256, "version": "9.8.7"}},
        prefix=str(tmp_path / "prefix"),
        manifest_path=str(tmp_path / "state" / "install.json"),
    )
    with WorkDir() as workdir:
        plan = install.plan(desired, workdir)
        assert [a["action"] for a in plan.summaries()] == ["install", "install"]
        applied = install.apply(plan)
    assert applied.details["restart_required"] is True
    assert applied.details["versions"] == {"containerd": {"before": None, "after": "9.8.7"}}
    assert (tmp_path / "prefix" / "bin" / "ctr").read_text() == "#!/bin/sh\necho ctr\n"
    with WorkDir() as workdir:
        again = install.plan(desired, workdir)
    assert not again.changed
    assert (
        again.noop_reason == f"containerd 9.8.7 is installed as {desired.manifest_path} records it"
    )


def test_a_manifest_that_is_a_directory_is_an_os_error_not_a_plan(tmp_path: Path) -> None:
    """The runner turns it into one fail_json (tests/install covers the module)."""
    archive, sha256 = _release(tmp_path)
    desired = install.DesiredInstall(
        method="archive",
        archives={"containerd": {"path": str(archive), "sha256": sha256}},
        manifest_path=str(tmp_path),
    )
    with WorkDir() as workdir, pytest.raises(IsADirectoryError):
        install.plan(desired, workdir)
