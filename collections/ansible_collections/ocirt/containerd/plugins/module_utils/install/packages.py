"""The OS package manager (apt on Debian/Ubuntu, dnf on Fedora/RHEL): installed and
available versions, and installing a set of packages at given versions in one transaction.

Only queries run while planning, so check mode predicts without touching the system.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from itertools import zip_longest
from typing import ClassVar, Dict, List, Optional, Sequence, Tuple

from ..common.command import run_command
from ..common.defaults import SYSTEM_PATH
from ..common.errors import InvalidInput, PackageManagerError

DEFAULT_PACKAGES = {
    "apt": ["containerd", "runc", "containernetworking-plugins"],
    "dnf": ["containerd", "runc", "containernetworking-plugins"],
}
SEARCH_PATH = SYSTEM_PATH
TIMEOUT = 1800


def _run(argv: Sequence[str], env: Optional[Dict[str, str]] = None) -> subprocess.CompletedProcess:
    return run_command(argv, PackageManagerError, TIMEOUT, env)


def _fail(argv: Sequence[str], r: subprocess.CompletedProcess) -> PackageManagerError:
    text = ((r.stderr or "") + "\n" + (r.stdout or "")).strip().splitlines()
    return PackageManagerError(
        f"{' '.join(argv)} failed ({r.returncode}): " + " | ".join(text[-5:])
    )


def _version_key(version: str) -> Tuple:
    """A rough ordering of version strings (numbers compared as numbers), as rpm's is."""
    return tuple(
        (0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"[^0-9A-Za-z]+", version)
    )


def _dpkg_order(c: str) -> int:
    """dpkg's weight of one non-digit character: '~' sorts before everything, even the end."""
    if c == "~":
        return -1
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _dpkg_part(a: str, b: str) -> int:
    """dpkg's verrevcmp: alternating runs of non-digits (by weight) and digits (by value)."""
    a_runs = re.findall(r"(\D*)(\d*)", a)
    b_runs = re.findall(r"(\D*)(\d*)", b)
    for (a_text, a_num), (b_text, b_num) in zip_longest(a_runs, b_runs, fillvalue=("", "")):
        for x, y in zip_longest(a_text, b_text, fillvalue=""):
            wx = _dpkg_order(x) if x else 0
            wy = _dpkg_order(y) if y else 0
            if wx != wy:
                return wx - wy
        if int(a_num or 0) != int(b_num or 0):
            return int(a_num or 0) - int(b_num or 0)
    return 0


def dpkg_compare(a: str, b: str) -> int:
    """<0, 0 or >0 as Debian version ``a`` sorts before, with or after ``b`` (as
    ``dpkg --compare-versions`` does: epoch, then upstream version, then revision)."""

    def split(v: str) -> Tuple[int, str, str]:
        epoch, _, rest = v.partition(":") if ":" in v else ("0", "", v)
        upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "")
        return int(epoch or 0), upstream, revision

    (ea, ua, ra), (eb, ub, rb) = split(a), split(b)
    if ea != eb:
        return ea - eb
    return _dpkg_part(ua, ub) or _dpkg_part(ra, rb)


def resolve_pin(package: str, pin: str, available: List[str]) -> str:
    """The exact version a pin means: itself, or the newest available match of a glob."""
    if not any(c in pin for c in "*?["):
        return pin
    matches = [v for v in available if fnmatch.fnmatchcase(v, pin)]
    if not matches:
        raise InvalidInput(f"package_versions.{package}: no available version matches {pin!r}")
    return max(matches, key=_version_key)


class PackageManager:
    name = ""

    def installed(self, package: str) -> Optional[str]:
        raise NotImplementedError

    def candidate(self, package: str) -> Optional[str]:
        raise NotImplementedError

    def available(self, package: str) -> List[str]:
        raise NotImplementedError

    def update_cache(self) -> None:
        raise NotImplementedError

    def install(self, wanted: Dict[str, str], installed: Dict[str, Optional[str]]) -> None:
        raise NotImplementedError

    @staticmethod
    def is_newer(a: str, b: str) -> bool:
        """Whether version a sorts after version b."""
        return _version_key(a) > _version_key(b)


class Apt(PackageManager):
    name = "apt"
    ENV: ClassVar[Dict[str, str]] = {"DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}

    def installed(self, package: str) -> Optional[str]:
        r = _run(["dpkg-query", "-W", "-f=${db:Status-Abbrev}\t${Version}", package], self.ENV)
        if r.returncode != 0:
            return None  # not known to dpkg at all
        status, _, version = r.stdout.partition("\t")
        return version.strip() if status.startswith("ii") and version.strip() else None

    def candidate(self, package: str) -> Optional[str]:
        r = _run(["apt-cache", "policy", package], self.ENV)
        m = re.search(r"^\s*Candidate:\s*(\S+)", r.stdout or "", re.M)
        if not m or m.group(1) == "(none)":
            return None
        return m.group(1)

    def available(self, package: str) -> List[str]:
        r = _run(["apt-cache", "madison", package], self.ENV)
        versions = []
        for line in (r.stdout or "").splitlines():
            parts = [p.strip() for p in line.split("|")]
            if len(parts) >= 2 and parts[0] == package:
                versions.append(parts[1])
        return list(dict.fromkeys(versions))

    @staticmethod
    def is_newer(a: str, b: str) -> bool:
        return dpkg_compare(a, b) > 0

    def update_cache(self) -> None:
        argv = ["apt-get", "update", "-q"]
        r = _run(argv, self.ENV)
        if r.returncode != 0:
            raise _fail(argv, r)

    def install(self, wanted: Dict[str, str], installed: Dict[str, Optional[str]]) -> None:
        argv = [
            "apt-get",
            "install",
            "-y",
            "-q",
            "--allow-downgrades",
            "-o",
            "Dpkg::Options::=--force-confdef",
            "-o",
            "Dpkg::Options::=--force-confold",
            *[f"{name}={version}" for name, version in wanted.items()],
        ]
        r = _run(argv, self.ENV)
        if r.returncode != 0:
            raise _fail(argv, r)


class Dnf(PackageManager):
    name = "dnf"

    def installed(self, package: str) -> Optional[str]:
        r = _run(["rpm", "-q", "--qf", "%{VERSION}-%{RELEASE}", package])
        return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None

    def _list(self, package: str, which: str) -> List[str]:
        r = _run(["dnf", "-q", "list", which, "--showduplicates", package])
        versions = []
        for line in (r.stdout or "").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0].split(".")[0] == package:
                versions.append(parts[1].split(":", 1)[-1])
        return versions

    def candidate(self, package: str) -> Optional[str]:
        versions = self._list(package, "--available") + self._list(package, "--installed")
        return max(versions, key=_version_key) if versions else None

    def available(self, package: str) -> List[str]:
        return self._list(package, "--available") + self._list(package, "--installed")

    def update_cache(self) -> None:
        argv = ["dnf", "-q", "makecache"]
        r = _run(argv)
        if r.returncode != 0:
            raise _fail(argv, r)

    def install(self, wanted: Dict[str, str], installed: Dict[str, Optional[str]]) -> None:
        down = {
            n: v
            for n, v in wanted.items()
            if installed.get(n) and _version_key(v) < _version_key(installed[n] or "")
        }
        up = {n: v for n, v in wanted.items() if n not in down}
        for verb, group in (("install", up), ("downgrade", down)):
            if not group:
                continue
            argv = ["dnf", "-y", "-q", verb, *[f"{n}-{v}" for n, v in group.items()]]
            r = _run(argv)
            if r.returncode != 0:
                raise _fail(argv, r)


MANAGERS = {"apt": Apt, "dnf": Dnf}


def detect(name: str = "auto") -> PackageManager:
    """The package manager by name, or the one this system has (apt first)."""
    search = os.environ.get("PATH", "") + os.pathsep + SEARCH_PATH
    if name not in ("auto", "apt", "dnf"):
        raise InvalidInput(f"package_manager: {name!r} is not allowed; allowed: auto, apt, dnf")
    if name in ("auto", "apt") and shutil.which("apt-get", path=search):
        return Apt()
    if name in ("auto", "dnf") and shutil.which("dnf", path=search):
        return Dnf()
    wanted = "apt-get or dnf" if name == "auto" else ("apt-get" if name == "apt" else "dnf")
    raise PackageManagerError(f"no package manager found: {wanted} is not on PATH")
