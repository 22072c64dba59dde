"""What is installed, as plain data: the facts reconcile/install.py decides from.

Observing runs dpkg-query / apt-cache (or rpm / dnf), reads the install manifest and the
installed files, and for archives whose checksum is not the recorded one downloads,
verifies and unpacks them into a private directory. Nothing here decides or replaces
anything, and every fact can as well be written in a test's data file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from . import manifest as manifest_file
from .components import Layout, unpack
from .digest import file_sha256, normalize_sha256
from .fetch import describe, fetch_verified, validate_source
from .manifest import ManifestEntry
from .packages import PackageManager
from .versions import binary_version


@dataclass
class PackageFacts:
    installed: Optional[str] = None  # None: not installed
    candidate: Optional[str] = None  # asked only for a package neither installed nor pinned
    available: List[str] = field(default_factory=list)  # asked only for a pinned package


@dataclass
class ObservedPackages:
    manager: str  # apt or dnf
    packages: Dict[str, PackageFacts] = field(default_factory=dict)
    cache_updated: bool = False


@dataclass
class TargetFile:
    """One file an archive would install, and the file now at its place."""

    extracted: str  # the verified, unpacked copy in the work directory
    sha256: str
    installed_sha256: Optional[str] = None  # None: no file there
    exists: bool = False


@dataclass
class ArchiveFacts:
    """One component's archive and what is installed of it."""

    source: str  # as it may be shown (no credentials)
    sha256: str
    recorded: Optional[ManifestEntry] = None
    intact: bool = False  # the recorded archive is this one and its files are unchanged
    installed_version: Optional[str] = None  # the installed main binary's --version
    files: Dict[str, TargetFile] = field(default_factory=dict)  # target path -> file
    leftovers: List[str] = field(default_factory=list)  # recorded files the archive lacks
    extracted_version: Optional[str] = None  # the extracted main binary's --version


@dataclass
class Site:
    """Where archives are fetched to (a private work directory, with a download timeout)
    and where their files are installed (the layout)."""

    layout: Layout
    workdir: str
    timeout: float


def observe_packages(
    manager: PackageManager, names: List[str], pins: Mapping[str, str], refresh: bool
) -> ObservedPackages:
    """Installed versions; the candidate or the available versions where the plan needs them.
    ``refresh`` updates the package lists first (never in check mode)."""
    observed = ObservedPackages(manager.name)
    if refresh:
        manager.update_cache()
        observed.cache_updated = True
    for name in names:
        facts = PackageFacts(installed=manager.installed(name))
        if pins.get(name):
            facts.available = manager.available(name)
        elif facts.installed is None:
            facts.candidate = manager.candidate(name)
        observed.packages[name] = facts
    return observed


def _intact(entry: ManifestEntry) -> bool:
    files = entry.get("files") or {}
    return bool(files) and all(file_sha256(path) == digest for path, digest in files.items())


def _unpacked(name: str, source: str, sha256: str, site: Site) -> Dict[str, TargetFile]:
    into = os.path.join(site.workdir, f"{name}.archive")
    archive = fetch_verified(source, into, sha256, site.timeout)
    target_dir = site.layout.target_dir(name)
    files: Dict[str, TargetFile] = {}
    for fname, tmp in sorted(unpack(name, archive, os.path.join(site.workdir, name)).items()):
        target = os.path.join(target_dir, fname)
        installed = file_sha256(target)
        files[target] = TargetFile(tmp, file_sha256(tmp) or "", installed, os.path.lexists(target))
    return files


def observe_archive(
    name: str, spec: Mapping[str, Any], recorded: Optional[ManifestEntry], site: Site
) -> ArchiveFacts:
    """The facts of one component; its archive is fetched only when the manifest does not
    already record it with intact files (so a no-op run downloads nothing)."""
    option = f"archives.{name}"
    source = validate_source(spec.get("url") or spec.get("path"), f"{option}.url")
    facts = ArchiveFacts(describe(source), normalize_sha256(spec.get("sha256"), f"{option}.sha256"))
    facts.recorded = recorded
    if recorded and recorded.get("sha256") == facts.sha256 and _intact(recorded):
        facts.intact = True
        return facts
    main = site.layout.main_binary(name)
    facts.installed_version = binary_version(name, main) if main else None
    facts.files = _unpacked(name, source, facts.sha256, site)
    old_files = recorded.get("files") or {} if recorded else {}
    facts.leftovers = [
        old for old in sorted(old_files) if old not in facts.files and os.path.lexists(old)
    ]
    if main and not spec.get("version") and main in facts.files:
        facts.extracted_version = binary_version(name, facts.files[main].extracted)
    return facts


def observe_archives(
    archives: Mapping[str, Mapping[str, Any]], manifest_path: str, site: Site
) -> Dict[str, ArchiveFacts]:
    """The facts of every declared component, in the order of ``archives``."""
    recorded = manifest_file.load(manifest_path)["components"]
    return {
        name: observe_archive(name, spec, recorded.get(name), site)
        for name, spec in archives.items()
        if spec
    }
