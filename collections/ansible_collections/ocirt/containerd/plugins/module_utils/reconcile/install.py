"""containerd, runc, the CNI plugins and crictl installed at the declared versions, from the
OS package manager or from checksummed release archives.

plan_install() decides everything (check mode shows it); apply_install() carries it out.
For archives the plan downloads (or copies) each archive whose checksum is not the one the
manifest records, verifies its sha256 and unpacks it into a private temporary directory:
a wrong checksum fails before anything is replaced, and check mode predicts file by file.
Binaries are replaced atomically (temporary file + rename), so a running containerd keeps
running on the old inode until it is restarted; ``restart_required`` says when it should be.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from ..common.atomic_file import atomic_write, remove
from ..common.errors import InstallError, InvalidInput
from ..install import manifest as manifest_file
from ..install.components import NAMES, Layout, unpack, version_from_name
from ..install.digest import file_sha256, normalize_sha256
from ..install.fetch import DEFAULT_TIMEOUT, describe, fetch_verified, remove_tree, validate_source
from ..install.packages import DEFAULT_PACKAGES, PackageManager, detect
from ..install.versions import binary_version
from .plan import Action, Plan

METHODS = ("package", "archive")


@dataclass
class DesiredInstall:
    method: str = "package"
    # package method
    packages: Optional[List[str]] = None
    package_versions: Dict[str, str] = field(default_factory=dict)
    package_manager: str = "auto"
    update_cache: bool = False
    # archive method: component -> {"url" or "path": ..., "sha256": ..., "version": ...}
    archives: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    prefix: str = "/usr/local"
    cni_bin_dir: str = "/opt/cni/bin"
    manifest_path: str = manifest_file.DEFAULT_PATH
    download_timeout: float = DEFAULT_TIMEOUT

    def validate(self) -> None:
        if self.method not in METHODS:
            raise InvalidInput(
                f"method: {self.method!r} is not allowed; allowed: {', '.join(METHODS)}"
            )
        for option in ("prefix", "cni_bin_dir", "manifest_path"):
            value = getattr(self, option)
            if not value or not os.path.isabs(value):
                raise InvalidInput(
                    f"{option}: {value!r} is not allowed; allowed: an absolute path"
                )
        if self.method == "archive":
            unknown = sorted(set(self.archives) - set(NAMES))
            if unknown:
                raise InvalidInput(
                    f"archives: unknown component {', '.join(unknown)}; allowed: {', '.join(NAMES)}"
                )
            if not any(self.archives.get(n) for n in NAMES):
                raise InvalidInput(
                    "method=archive needs at least one of containerd, runc, cni_plugins, crictl"
                )


@dataclass
class ComponentPlan:
    """One archive component: what the archive holds and which installed files differ."""

    name: str
    source: str
    sha256: str
    version_before: Optional[str]
    version_after: Optional[str]
    files: Dict[str, str] = field(default_factory=dict)  # target path -> sha256
    extracted: Dict[str, str] = field(default_factory=dict)  # target path -> temp copy
    to_write: List[str] = field(default_factory=list)
    to_remove: List[str] = field(default_factory=list)
    record: bool = False  # the manifest entry changes

    @property
    def changed(self) -> bool:
        return bool(self.to_write or self.to_remove or self.record)

    @property
    def binaries_changed(self) -> bool:
        return bool(self.to_write or self.to_remove)

    @property
    def daemon_changed(self) -> bool:
        """The daemon or its shims changed (a new ctr alone needs no restart)."""
        return any(
            os.path.basename(p).startswith("containerd") for p in self.to_write + self.to_remove
        )

    def report(self) -> Dict[str, Any]:
        return {
            "changed": self.changed,
            "version_before": self.version_before,
            "version_after": self.version_after,
            "source": describe(self.source),
            "sha256": self.sha256,
            "files_changed": sorted(self.to_write),
            "files_removed": sorted(self.to_remove),
        }


@dataclass
class PackagePlan:
    name: str
    installed: Optional[str]
    wanted: Optional[str]  # None: keep what is installed

    @property
    def changed(self) -> bool:
        return self.wanted is not None and self.wanted != self.installed

    def report(self) -> Dict[str, Any]:
        return {
            "changed": self.changed,
            "version_before": self.installed,
            "version_after": self.wanted if self.changed else self.installed,
        }


@dataclass
class InstallPlan:
    plan: Plan
    method: str
    manifest_path: str
    components: Dict[str, ComponentPlan] = field(default_factory=dict)
    packages: Dict[str, PackagePlan] = field(default_factory=dict)
    manager: Optional[PackageManager] = None
    workdir: Optional[str] = None
    cache_updated: bool = False
    restart_required: bool = False

    @property
    def changed(self) -> bool:
        return self.plan.changed

    def versions(self) -> Dict[str, Dict[str, Optional[str]]]:
        items = self.components if self.method == "archive" else self.packages
        return {
            name: {"before": r["version_before"], "after": r["version_after"]}
            for name, r in ((n, p.report()) for n, p in items.items())
        }

    def result(self) -> Dict[str, Any]:
        items = self.components if self.method == "archive" else self.packages
        return {
            "changed": self.changed,
            "method": self.method,
            "package_manager": self.manager.name if self.manager else None,
            "restart_required": self.restart_required,
            "components": {name: p.report() for name, p in items.items()},
            "versions": self.versions(),
            "actions": self.plan.summaries(),
            "manifest_path": self.manifest_path if self.method == "archive" else None,
            "cache_updated": self.cache_updated,
        }

    def cleanup(self) -> None:
        remove_tree(self.workdir)
        self.workdir = None


def _is_containerd_package(name: str) -> bool:
    return name.startswith("containerd") and "networking" not in name


# --------------------------------------------------------------------------- packages


def _plan_packages(desired: DesiredInstall, check_mode: bool) -> InstallPlan:
    manager = detect(desired.package_manager)
    names = list(desired.packages) if desired.packages else list(DEFAULT_PACKAGES[manager.name])
    unknown = sorted(set(desired.package_versions) - set(names))
    if unknown:
        raise InvalidInput(
            f"package_versions: {', '.join(unknown)} not in packages ({', '.join(names)})"
        )
    cache_updated = False
    if desired.update_cache and not check_mode:
        manager.update_cache()
        cache_updated = True
    actions: List[Action] = []
    packages: Dict[str, PackagePlan] = {}
    for name in names:
        installed = manager.installed(name)
        pin = desired.package_versions.get(name)
        if pin:
            wanted: Optional[str] = manager.resolve(name, str(pin))
            if wanted not in manager.available(name) and wanted != installed:
                raise InvalidInput(
                    f"package_versions.{name}: version {wanted} is not available from "
                    f"{manager.name} (update_cache may help)"
                )
        elif installed is None:
            wanted = manager.candidate(name)
            if wanted is None:
                raise InstallError(
                    f"package {name} is not installed and {manager.name} has no candidate "
                    f"for it (is the name right? does update_cache help?)"
                )
        else:
            wanted = None
        pp = PackagePlan(name, installed, wanted)
        packages[name] = pp
        if pp.changed:
            if installed is None:
                verb, reason = "install", "not installed"
            else:
                verb = "upgrade" if manager.is_newer(str(wanted), installed) else "downgrade"
                reason = f"installed {installed}, wanted {wanted}"
            actions.append(Action(verb, name, reason, {"version": wanted}))
    restart = any(p.changed and _is_containerd_package(n) for n, p in packages.items())
    before = {n: p.installed for n, p in packages.items()}
    after = {n: p.report()["version_after"] for n, p in packages.items()}
    return InstallPlan(
        plan=Plan(actions, before=before, after=after),
        method="package",
        manifest_path=desired.manifest_path,
        packages=packages,
        manager=manager,
        cache_updated=cache_updated,
        restart_required=restart,
    )


# --------------------------------------------------------------------------- archives


def _entry_intact(entry: Dict[str, Any]) -> bool:
    files = entry.get("files") or {}
    return bool(files) and all(file_sha256(path) == digest for path, digest in files.items())


def _plan_component(
    name: str,
    spec: Dict[str, Any],
    layout: Layout,
    recorded: Optional[Dict[str, Any]],
    workdir: str,
    timeout: float,
) -> ComponentPlan:
    option = f"archives.{name}"
    source = validate_source(spec.get("url") or spec.get("path"), f"{option}.url")
    sha256 = normalize_sha256(spec.get("sha256"), f"{option}.sha256")
    if recorded and recorded.get("sha256") == sha256 and _entry_intact(recorded):
        version = recorded.get("version")
        return ComponentPlan(name, source, sha256, version, version, files=dict(recorded["files"]))

    main = layout.main_binary(name)
    before = binary_version(name, main) if main else None
    if before is None and recorded:
        before = recorded.get("version")
    archive = fetch_verified(source, os.path.join(workdir, f"{name}.archive"), sha256, timeout)
    extracted = unpack(name, archive, os.path.join(workdir, name))
    target_dir = layout.target_dir(name)
    cp = ComponentPlan(name, source, sha256, before, None)
    for fname, tmp in sorted(extracted.items()):
        target = os.path.join(target_dir, fname)
        digest = file_sha256(tmp) or ""
        cp.files[target] = digest
        cp.extracted[target] = tmp
        if file_sha256(target) != digest:
            cp.to_write.append(target)
    for old in sorted((recorded or {}).get("files") or {}):
        if old not in cp.files and os.path.lexists(old):
            cp.to_remove.append(old)
    after = spec.get("version")
    if not after and main:
        after = binary_version(name, cp.extracted.get(main))
    if not after:
        after = version_from_name(source) or ("unknown" if name == "cni_plugins" else None)
    cp.version_after = str(after) if after else None
    if name == "cni_plugins" and before is None and not cp.to_write and recorded is None:
        before = cp.version_after
    cp.version_before = before
    new_entry = _entry(cp)
    cp.record = recorded != new_entry
    return cp


def _entry(cp: ComponentPlan) -> Dict[str, Any]:
    return {
        "source": describe(cp.source),
        "sha256": cp.sha256,
        "version": cp.version_after,
        "files": dict(cp.files),
    }


def _plan_archives(desired: DesiredInstall) -> InstallPlan:
    layout = Layout(desired.prefix, desired.cni_bin_dir)
    recorded = manifest_file.load(desired.manifest_path)["components"]
    workdir = tempfile.mkdtemp(prefix="ocirt-install-")
    ip = InstallPlan(
        plan=Plan([]), method="archive", manifest_path=desired.manifest_path, workdir=workdir
    )
    try:
        for name in NAMES:
            spec = desired.archives.get(name)
            if not spec:
                continue
            cp = _plan_component(
                name, spec, layout, recorded.get(name), workdir, desired.download_timeout
            )
            ip.components[name] = cp
            versions = f"{cp.version_before or 'none'} -> {cp.version_after or 'unknown'}"
            for path in cp.to_write:
                reason = "missing" if not os.path.lexists(path) else "content differs"
                ip.plan.actions.append(
                    Action("install", path, f"{name} {versions}: {reason}", {"component": name})
                )
            for path in cp.to_remove:
                ip.plan.actions.append(
                    Action(
                        "remove",
                        path,
                        f"{name} {versions}: not in the new archive",
                        {"component": name},
                    )
                )
            if cp.record and not cp.binaries_changed:
                ip.plan.actions.append(
                    Action(
                        "record", desired.manifest_path, f"{name}: files already match the archive"
                    )
                )
    except BaseException:
        ip.cleanup()
        raise
    containerd = ip.components.get("containerd")
    ip.restart_required = bool(containerd and containerd.daemon_changed)
    ip.plan.before = {n: c.version_before for n, c in ip.components.items()}
    ip.plan.after = {n: c.version_after for n, c in ip.components.items()}
    return ip


def plan_install(desired: DesiredInstall, check_mode: bool = False) -> InstallPlan:
    """The plan; for archives call ``cleanup()`` on it when done (it holds a temp dir)."""
    desired.validate()
    if desired.method == "package":
        return _plan_packages(desired, check_mode)
    return _plan_archives(desired)


def apply_install(ip: InstallPlan) -> None:
    """Carry out the plan. Package installs are one apt-get/dnf transaction; archive files
    are replaced one by one atomically and the manifest is saved after each component."""
    if not ip.changed:
        return
    if ip.method == "package":
        wanted = {n: p.wanted for n, p in ip.packages.items() if p.changed and p.wanted}
        installed = {n: p.installed for n, p in ip.packages.items()}
        if ip.manager is None:
            raise InstallError("internal: a package plan without a package manager")
        ip.manager.install(wanted, installed)
        for name, p in ip.packages.items():
            now = ip.manager.installed(name)
            if p.changed and now != p.wanted:
                raise InstallError(
                    f"{ip.manager.name} finished but {name} is {now}, not {p.wanted}"
                )
        return
    data = manifest_file.load(ip.manifest_path)
    done: List[str] = []
    try:
        for name, cp in ip.components.items():
            if not cp.changed:
                continue
            for target in cp.to_write:
                with open(cp.extracted[target], "rb") as f:
                    atomic_write(target, f.read(), mode=0o755)
                done.append(target)
            for old in cp.to_remove:
                remove(old)
                done.append(old)
            data["components"][name] = _entry(cp)
            manifest_file.save(ip.manifest_path, data)
    except OSError as exc:
        raise InstallError(
            f"installing failed at {getattr(exc, 'filename', None) or ''}: {exc.strerror or exc}; "
            f"already replaced: {', '.join(done) or 'nothing'}"
        ) from None
