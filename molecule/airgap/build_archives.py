#!/usr/bin/env python3
"""Release archives in the upstream layout, built on the controller from this machine's
Debian binaries (as tests/install/conftest.py does), for the airgap scenario.

    build_archives.py DIR [REMOTE_DIR]

Writes DIR/containerd-<version>-linux-<arch>.tar.gz (bin/containerd, bin/ctr, the shims),
DIR/runc.<arch> and DIR/cni-plugins-linux-<arch>-v<version>.tgz (./bridge, ./loopback, ...)
from /usr/bin, /usr/sbin/runc and /usr/lib/cni, byte-for-byte the same on every run
(gzip without a time stamp), and prints JSON: {"changed": bool, "archives": {containerd,
runc, cni_plugins: {"file", "sha256", "version"}}, "role": the same with "path" =
REMOTE_DIR/file instead of "file", ready for the role's containerd_archives}. Nothing is
downloaded.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
from pathlib import Path

CONTAINERD_BINS = [
    "containerd",
    "ctr",
    "containerd-shim",
    "containerd-shim-runc-v1",
    "containerd-shim-runc-v2",
]
RUNC = Path("/usr/sbin/runc")
CNI_DIR = Path("/usr/lib/cni")
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}


def _version(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    m = re.search(r"\sv?(\d+\.\d+\.\d+)", " " + out)
    if not m:
        raise SystemExit(f"no version in {out!r}")
    return m.group(1)


def _tar_gz(files: dict[str, Path]) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=1, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for d in sorted({n.rsplit("/", 1)[0] for n in files if "/" in n} - {"."}):
                info = tarfile.TarInfo(d)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            for name, src in files.items():
                info = tarfile.TarInfo(name)
                data = src.read_bytes()
                info.size, info.mode, info.mtime = len(data), 0o755, int(src.stat().st_mtime)
                info.uname = info.gname = "root"
                tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        print(__doc__, file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    arch = ARCH.get(
        subprocess.run(["uname", "-m"], capture_output=True, text=True, check=True).stdout.strip(),
        "amd64",
    )
    ctd = _version(["/usr/bin/containerd", "--version"])
    cni = _version(["dpkg-query", "-W", "-f", " ${Version}", "containernetworking-plugins"])
    wanted = {
        "containerd": (
            f"containerd-{ctd}-linux-{arch}.tar.gz",
            ctd,
            _tar_gz(
                {
                    f"bin/{b}": Path("/usr/bin") / b
                    for b in CONTAINERD_BINS
                    if (Path("/usr/bin") / b).exists()
                }
            ),
        ),
        "runc": (f"runc.{arch}", None, RUNC.read_bytes()),
        "cni_plugins": (
            f"cni-plugins-linux-{arch}-v{cni}.tgz",
            cni,
            _tar_gz({f"./{p.name}": p for p in sorted(CNI_DIR.iterdir()) if p.is_file()}),
        ),
    }
    changed = False
    result = {}
    for key, (name, version, data) in wanted.items():
        path = out / name
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
            changed = True
        result[key] = {"file": name, "sha256": hashlib.sha256(data).hexdigest()}
        if version:
            result[key]["version"] = version
    remote = argv[1] if len(argv) == 2 else str(out)
    role = {
        k: {"path": f"{remote}/{v['file']}", **{x: y for x, y in v.items() if x != "file"}}
        for k, v in result.items()
    }
    print(json.dumps({"changed": changed, "archives": result, "role": role}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
