"""containerd, runc, the CNI plugins and crictl installed at the declared versions, from the
OS package manager or from checksummed release archives.

``plan`` observes (install/observed.py: package queries, the manifest, archives fetched,
verified and unpacked into a private work directory) and decides (pure, ``decide_packages``
/ ``decide_archives``); check mode shows the plan, ``apply`` carries it out. A wrong
checksum fails before anything is replaced, and check mode predicts file by file.
Binaries are replaced atomically (temporary file + rename), so a running containerd keeps
running on the old inode until it is restarted; ``restart_required`` says when it should be.

The plan has one child plan per package or archive component (subject: its name; before
and after: its versions), so "versions before and after" is read off the children.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, TypedDict

from ..common.atomic_file import atomic_write, remove
from ..common.errors import InstallError, InvalidInput
from ..common.options import Option, OptionTable
from ..install import manifest as manifest_file
from ..install.components import NAMES, Layout, version_from_name
from ..install.fetch import DEFAULT_TIMEOUT, WorkDir
from ..install.manifest import ManifestEntry
from ..install.observed import (
    ArchiveFacts,
    ObservedPackages,
    PackageFacts,
    Site,
    observe_archives,
    observe_packages,
)
from ..install.packages import DEFAULT_PACKAGES, MANAGERS, detect, resolve_pin
from .plan import Action, Applied, Plan, nothing_to_do

METHODS = ("package", "archive")


def _absolute_path(option: str, value: Any) -> None:
    if not value or not os.path.isabs(value):
        raise InvalidInput(f"{option}: {value!r} is not allowed; allowed: an absolute path")


def _path(name: str, doc: str, default: str) -> Option:
    return Option(name, "path", doc, default, validator=_absolute_path)


ARCHIVE_OPTIONS = OptionTable(
    "archive",
    [
        Option("url", "str", "http:// or https:// URL of the file."),
        Option("path", "path", "Absolute path of the file on the managed node."),
        Option("sha256", "str", "sha256 of the file.", required=True),
        Option("version", "str", "The version to report."),
    ],
)

INSTALL_OPTIONS = OptionTable(
    "install",
    [
        Option("method", "str", "Where containerd comes from.", "package", METHODS),
        Option("packages", "list", "Package names for method=package.", elements="str"),
        Option("package_versions", "dict", "Versions to pin, by package name.", {}),
        Option("package_manager", "str", "The package manager.", "auto", ("auto", "apt", "dnf")),
        Option("update_cache", "bool", "Refresh the package lists first.", False),
        *(Option(n, "dict", f"The {n} archive.", suboptions=ARCHIVE_OPTIONS) for n in NAMES),
        _path("prefix", "Install prefix of method=archive.", "/usr/local"),
        _path("cni_bin_dir", "Where the CNI plugins go.", "/opt/cni/bin"),
        _path("manifest_path", "ocirt's record of what it installed.", manifest_file.DEFAULT_PATH),
        Option("download_timeout", "float", "Seconds to wait for a server.", DEFAULT_TIMEOUT),
    ],
)
_PLAIN = tuple(n for n in INSTALL_OPTIONS.names() if n not in NAMES)


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

    @classmethod
    def from_options(cls, values: Mapping[str, Any]) -> DesiredInstall:
        """From the options of INSTALL_OPTIONS (a module's parameters)."""
        options = {name: values[name] for name in _PLAIN}
        options["package_versions"] = {
            k: str(v) for k, v in (options["package_versions"] or {}).items()
        }
        archives = {name: values[name] for name in NAMES if values.get(name)}
        return cls(archives=archives, **options)

    def validate(self) -> None:
        unknown = sorted(set(self.archives) - set(NAMES))
        if unknown:
            raise InvalidInput(
                f"archives: unknown component {', '.join(unknown)}; allowed: {', '.join(NAMES)}"
            )
        values = {name: getattr(self, name) for name in _PLAIN}
        for name, spec in self.archives.items():  # every key checked, as Ansible fills them
            values[name] = {**dict.fromkeys(ARCHIVE_OPTIONS.names()), **spec} if spec else spec
        INSTALL_OPTIONS.check(values)
        given = [n for n in NAMES if self.archives.get(n)]
        if self.method == "package" and given:
            raise InvalidInput(f"{', '.join(given)}: archives are only used with method=archive")
        if self.method == "archive" and not given:
            raise InvalidInput(
                "method=archive needs at least one of containerd, runc, cni_plugins, crictl"
            )


@dataclass
class ComponentPlan(Plan):
    """One archive component: before/after are its versions; ``entry`` is what the manifest
    records once it is installed."""

    source: str = ""
    sha256: str = ""
    entry: Optional[ManifestEntry] = None

    def targets(self, kind: str) -> List[str]:
        return sorted(a.target for a in self.actions if a.kind == kind)


@dataclass
class InstallPlan(Plan):
    """The plan with one child per package or component, and what the result reports."""

    method: str = "package"
    package_manager: Optional[str] = None  # apt or dnf with method=package
    manifest_path: Optional[str] = None  # with method=archive
    cache_updated: bool = False


class VersionChange(TypedDict):
    before: Optional[str]
    after: Optional[str]


class InstallOutcome(TypedDict):
    restart_required: bool
    versions: Dict[str, VersionChange]


def _is_containerd_package(name: str) -> bool:
    return name.startswith("containerd") and "networking" not in name


def _daemon_changed(child: Plan) -> bool:
    """The daemon or its shims change (a new ctr alone needs no restart)."""
    return any(
        os.path.basename(a.target).startswith("containerd")
        for a in child.actions
        if a.kind in ("install", "remove")
    )


def outcome(plan: InstallPlan) -> InstallOutcome:
    """Whether a running containerd should restart, and each version before and after."""
    if plan.method == "archive":
        restart = any(c.subject == "containerd" and _daemon_changed(c) for c in plan.children)
    else:
        restart = any(c.changed and _is_containerd_package(c.subject) for c in plan.children)
    versions = {c.subject: VersionChange(before=c.before, after=c.after) for c in plan.children}
    return {"restart_required": restart, "versions": versions}


def _parent(desired: DesiredInstall, children: List[Plan], **facts: Any) -> InstallPlan:
    plan = InstallPlan(
        [],
        before={c.subject: c.before for c in children},
        after={c.subject: c.after for c in children},
        children=children,
        subject="containerd and its tools",
        method=desired.method,
        **facts,
    )
    if not plan.changed:
        plan.noop_reason = "; ".join(c.noop_reason for c in children)
    return plan


# --------------------------------------------------------------------------- packages


def package_names(desired: DesiredInstall, manager: str) -> List[str]:
    names = list(desired.packages) if desired.packages else list(DEFAULT_PACKAGES[manager])
    unknown = sorted(set(desired.package_versions) - set(names))
    if unknown:
        raise InvalidInput(
            f"package_versions: {', '.join(unknown)} not in packages ({', '.join(names)})"
        )
    return names


def _wanted(name: str, pin: Optional[str], facts: PackageFacts, manager: str) -> Optional[str]:
    """The version to install: the pin, the candidate of a missing package, else None."""
    if pin:
        wanted = resolve_pin(name, str(pin), facts.available)
        if wanted not in facts.available and wanted != facts.installed:
            raise InvalidInput(
                f"package_versions.{name}: version {wanted} is not available from "
                f"{manager} (update_cache may help)"
            )
        return wanted
    if facts.installed is None:
        if facts.candidate is None:
            raise InstallError(
                f"package {name} is not installed and {manager} has no candidate "
                f"for it (is the name right? does update_cache help?)"
            )
        return facts.candidate
    return None


def _decide_package(name: str, pin: Optional[str], facts: PackageFacts, manager: str) -> Plan:
    installed = facts.installed
    wanted = _wanted(name, pin, facts, manager)
    if wanted is None or wanted == installed:
        reason = f"{name} {installed} is installed" + (" as pinned" if pin else "")
        return nothing_to_do(reason, installed, name)
    if installed is None:
        verb, reason = "install", "not installed"
    else:
        verb = "upgrade" if MANAGERS[manager].is_newer(wanted, installed) else "downgrade"
        reason = f"installed {installed}, wanted {wanted}"
    action = Action(verb, name, reason, {"version": wanted})
    return Plan([action], before=installed, after=wanted, subject=name)


def decide_packages(desired: DesiredInstall, observed: ObservedPackages) -> InstallPlan:
    """The package plan for ``desired`` given ``observed`` (pure)."""
    children = [
        _decide_package(name, desired.package_versions.get(name), facts, observed.manager)
        for name, facts in observed.packages.items()
    ]
    return _parent(
        desired,
        children,
        package_manager=observed.manager,
        cache_updated=observed.cache_updated,
    )


# --------------------------------------------------------------------------- archives


def _version_after(name: str, spec: Mapping[str, Any], facts: ArchiveFacts) -> Optional[str]:
    after = spec.get("version") or facts.extracted_version
    if not after:
        after = version_from_name(facts.source) or ("unknown" if name == "cni_plugins" else None)
    return str(after) if after else None


def _file_actions(name: str, facts: ArchiveFacts, versions: str) -> List[Action]:
    actions = []
    for path, f in sorted(facts.files.items()):
        if f.installed_sha256 != f.sha256:
            reason = "content differs" if f.exists else "missing"
            details = {"component": name, "from": f.extracted}
            actions.append(Action("install", path, f"{name} {versions}: {reason}", details))
    for path in facts.leftovers:
        reason = f"{name} {versions}: not in the new archive"
        actions.append(Action("remove", path, reason, {"component": name}))
    return actions


def _decide_component(
    name: str, spec: Mapping[str, Any], facts: ArchiveFacts, manifest_path: str
) -> ComponentPlan:
    recorded = facts.recorded
    cp = ComponentPlan([], subject=name, source=facts.source, sha256=facts.sha256)
    if facts.intact and recorded is not None:
        cp.before = cp.after = recorded.get("version")
        cp.entry = recorded
        cp.noop_reason = f"{name} {cp.after} is installed as {manifest_path} records it"
        return cp
    after = _version_after(name, spec, facts)
    before = facts.installed_version or (recorded.get("version") if recorded else None)
    cp.actions = _file_actions(name, facts, f"{before or 'none'} -> {after or 'unknown'}")
    if name == "cni_plugins" and before is None and not cp.actions and recorded is None:
        before = after
    cp.before, cp.after = before, after
    files = {path: f.sha256 for path, f in facts.files.items()}
    cp.entry = {"source": facts.source, "sha256": facts.sha256, "version": after, "files": files}
    if not cp.actions and recorded != cp.entry:
        reason = f"{name}: files already match the archive"
        cp.actions.append(Action("record", manifest_path, reason))
    if not cp.actions:
        cp.noop_reason = f"{name} {after} is installed: every file matches the archive"
    return cp


def decide_archives(desired: DesiredInstall, observed: Mapping[str, ArchiveFacts]) -> InstallPlan:
    """The archive plan for ``desired`` given the facts per component (pure)."""
    children: List[Plan] = [
        _decide_component(name, desired.archives[name], facts, desired.manifest_path)
        for name, facts in observed.items()
    ]
    return _parent(desired, children, manifest_path=desired.manifest_path)


# --------------------------------------------------------------------------- plan / apply


def plan(desired: DesiredInstall, workdir: WorkDir, check_mode: bool = False) -> InstallPlan:
    """Observe and decide. Archives are fetched into ``workdir``; the package lists are
    refreshed (update_cache) only when not in check mode."""
    desired.validate()
    if desired.method == "package":
        manager = detect(desired.package_manager)
        names = package_names(desired, manager.name)
        refresh = desired.update_cache and not check_mode
        observed = observe_packages(manager, names, desired.package_versions, refresh)
        return decide_packages(desired, observed)
    archives = {n: desired.archives[n] for n in NAMES if desired.archives.get(n)}
    layout = Layout(desired.prefix, desired.cni_bin_dir)
    site = Site(layout, workdir.path(), desired.download_timeout)
    facts = observe_archives(archives, desired.manifest_path, site)
    return decide_archives(desired, facts)


def _install_packages(plan: InstallPlan) -> None:
    """One apt-get / dnf transaction, then each package checked at its new version."""
    manager = MANAGERS[plan.package_manager or ""]()
    changed = [c for c in plan.children if c.changed]
    manager.install(
        {c.subject: c.after for c in changed}, {c.subject: c.before for c in plan.children}
    )
    for child in changed:
        now = manager.installed(child.subject)
        if now != child.after:
            raise InstallError(
                f"{manager.name} finished but {child.subject} is {now}, not {child.after}"
            )


def _install_component(cp: ComponentPlan, done: List[str]) -> None:
    for action in cp.actions:
        if action.kind == "install":
            with open(action.details["from"], "rb") as f:
                atomic_write(action.target, f.read(), mode=0o755)
            done.append(action.target)
        elif action.kind == "remove":
            remove(action.target)
            done.append(action.target)


def _install_archives(plan: InstallPlan) -> None:
    """Files replaced one by one, atomically; the manifest saved after each component."""
    path = plan.manifest_path or manifest_file.DEFAULT_PATH
    data = manifest_file.load(path)
    done: List[str] = []
    try:
        for cp in plan.children:
            if isinstance(cp, ComponentPlan) and cp.changed:
                _install_component(cp, done)
                data["components"][cp.subject] = cp.entry
                manifest_file.save(path, data)
    except OSError as exc:
        raise InstallError(
            f"installing failed at {getattr(exc, 'filename', None) or ''}: {exc.strerror or exc}; "
            f"already replaced: {', '.join(done) or 'nothing'}"
        ) from None


def apply(plan: InstallPlan) -> Applied:
    """Carry out the plan; ``details`` are its outcome (restart_required, versions)."""
    if plan.changed and plan.method == "package":
        _install_packages(plan)
    elif plan.changed:
        _install_archives(plan)
    return Applied(plan, after=plan.after, details=dict(outcome(plan)))
