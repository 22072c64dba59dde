"""What each release artefact holds and where its files go (the upstream layouts).

- containerd-X.Y.Z-linux-ARCH.tar.gz: ``bin/*`` -> PREFIX/bin
- runc.ARCH: one executable -> PREFIX/sbin/runc
- cni-plugins-linux-ARCH-vX.Y.Z.tgz: ``./*`` -> the CNI bin dir (/opt/cni/bin)
- crictl-vX.Y.Z-linux-ARCH.tar.gz: ``crictl`` -> PREFIX/bin

Only regular files are taken from archives, by their base name; links, devices and paths
that climb out (``..``) are ignored, so an archive cannot write outside the target dirs.
"""

from __future__ import annotations

import os
import re
import shutil
import tarfile
from dataclasses import dataclass
from typing import Dict, Optional

from ..common.errors import SourceError

#: the order in which components are planned, installed and reported
NAMES = ("containerd", "runc", "cni_plugins", "crictl")


@dataclass
class Layout:
    prefix: str = "/usr/local"
    cni_bin_dir: str = "/opt/cni/bin"

    def target_dir(self, component: str) -> str:
        if component == "runc":
            return os.path.join(self.prefix, "sbin")
        if component == "cni_plugins":
            return self.cni_bin_dir
        return os.path.join(self.prefix, "bin")

    def main_binary(self, component: str) -> Optional[str]:
        """The file whose ``--version`` tells the component's version (None for CNI)."""
        name = {"containerd": "containerd", "runc": "runc", "crictl": "crictl"}.get(component)
        return os.path.join(self.target_dir(component), name) if name else None


def _member_wanted(component: str, member: tarfile.TarInfo) -> Optional[str]:
    """The installed file name of an archive member, or None to skip it."""
    if not member.isfile():
        return None
    parts = [p for p in member.name.replace("\\", "/").split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    if component == "containerd":
        return parts[1] if len(parts) == 2 and parts[0] == "bin" else None
    if component == "cni_plugins":
        return parts[0] if len(parts) == 1 else None
    if component == "crictl":
        return "crictl" if parts == ["crictl"] else None
    return None


def unpack(component: str, archive: str, dest: str) -> Dict[str, str]:
    """Extract the component's files from the verified ``archive`` into ``dest``.

    Returns {installed file name: path of the extracted copy}. runc is not an archive: the
    file itself is the binary.
    """
    os.makedirs(dest, exist_ok=True)
    if component == "runc":
        out = os.path.join(dest, "runc")
        shutil.copyfile(archive, out)
        os.chmod(out, 0o755)
        return {"runc": out}
    files: Dict[str, str] = {}
    try:
        with tarfile.open(archive, "r:*") as tar:
            for member in tar:
                name = _member_wanted(component, member)
                if name is None:
                    continue
                src = tar.extractfile(member)
                if src is None:
                    continue
                out = os.path.join(dest, name)
                with src, open(out, "wb") as f:
                    shutil.copyfileobj(src, f, 1024 * 1024)
                os.chmod(out, 0o755)
                files[name] = out
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise SourceError(f"{component}: the archive cannot be read as a tar file: {exc}") from None
    if not files:
        expected = {
            "containerd": "bin/containerd, bin/ctr, ... (containerd-X.Y.Z-linux-ARCH.tar.gz)",
            "cni_plugins": "bridge, loopback, ... at the top (cni-plugins-linux-ARCH-vX.tgz)",
            "crictl": "crictl at the top (crictl-vX-linux-ARCH.tar.gz)",
        }[component]
        raise SourceError(f"{component}: the archive holds none of the expected files: {expected}")
    if component == "containerd" and "containerd" not in files:
        raise SourceError("containerd: the archive has no bin/containerd")
    return files


_VERSION_IN_NAME = re.compile(r"v?(\d+\.\d+\.\d+(?:[-+~][0-9A-Za-z.]+)?)")


def version_from_name(source: str) -> Optional[str]:
    """'1.5.1' from '.../cni-plugins-linux-amd64-v1.5.1.tgz' (None if the name has none)."""
    base = os.path.basename(source.split("?", 1)[0])
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
    m = _VERSION_IN_NAME.search(base)
    return m.group(1) if m else None
