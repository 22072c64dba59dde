"""Release archives in the upstream layout, built from Debian's containerd 1.7 and 2.1
binaries, runc and the CNI plugins, served by an HTTP server on 127.0.0.1.

- containerd-<version>-linux-<arch>.tar.gz: bin/containerd, bin/containerd-shim-runc-v2,
  bin/ctr (+ the 1.7 shims v1 and containerd-shim, as the 1.7 release has them)
- runc.<arch>: /usr/sbin/runc
- cni-plugins-linux-<arch>-v1.1.1.tgz: ./bridge, ./loopback, ... from /usr/lib/cni
"""

from __future__ import annotations

import hashlib
import http.server
import os
import subprocess
import tarfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Dict, Iterator, List

import pytest
from harness.daemon import ensure_containerd, parse_version
from harness.images import host_arch

CNI_DIR = Path("/usr/lib/cni")
RUNC = Path("/usr/sbin/runc")


@dataclass
class Artifact:
    path: Path
    url: str
    sha256: str
    version: str

    def arg(self) -> Dict[str, str]:
        return {"url": self.url, "sha256": self.sha256}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tar_gz(out: Path, files: Dict[str, Path]) -> None:
    with tarfile.open(out, "w:gz", compresslevel=1) as tar:
        dirs = sorted({os.path.dirname(n) for n in files if os.path.dirname(n)})
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            tar.addfile(info)
        for name, src in files.items():
            info = tar.gettarinfo(str(src), arcname=name)
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            with open(src, "rb") as f:
                tar.addfile(info, f)


class Server:
    """python http.server in a thread, serving one directory on 127.0.0.1."""

    def __init__(self, root: Path):
        handler = lambda *a, **kw: _QuietHandler(*a, directory=str(root), **kw)  # noqa: E731
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    requests: ClassVar[List[str]] = []  # paths asked for, to prove a no-op downloads nothing

    def log_message(self, format: str, *args: object) -> None:
        _QuietHandler.requests.append(self.path)


@pytest.fixture(scope="session")
def release_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    root = tmp_path_factory.mktemp("releases")
    server = Server(root)
    server.root = root  # type: ignore[attr-defined]
    yield server
    server.stop()


def _artifact(server: Server, path: Path, version: str) -> Artifact:
    return Artifact(path, f"{server.url}/{path.name}", _sha256(path), version)


@pytest.fixture(scope="session")
def releases(release_server: Server) -> Dict[str, Artifact]:
    """containerd_1.7, containerd_2.1, runc, cni_plugins."""
    root: Path = release_server.root  # type: ignore[attr-defined]
    arch = host_arch()
    out: Dict[str, Artifact] = {}
    for series in ("1.7", "2.1"):
        bin_dir = ensure_containerd(series)
        said = subprocess.run(
            [str(bin_dir / "containerd"), "--version"], capture_output=True, text=True, check=True
        ).stdout
        archive = root / f"containerd-{parse_version(said)}-linux-{arch}.tar.gz"
        _tar_gz(archive, {f"bin/{p.name}": p for p in sorted(bin_dir.iterdir()) if p.is_file()})
        # the version as the binary reports it ("1.7.24~ds1", "2.1.9+unknown")
        out[f"containerd_{series}"] = _artifact(release_server, archive, said.split()[2])
    runc = root / f"runc.{arch}"
    runc.write_bytes(RUNC.read_bytes())
    out["runc"] = _artifact(release_server, runc, "1.1.5+ds1")
    cni = root / f"cni-plugins-linux-{arch}-v1.1.1.tgz"
    _tar_gz(cni, {f"./{p.name}": p for p in sorted(CNI_DIR.iterdir()) if p.is_file()})
    out["cni_plugins"] = _artifact(release_server, cni, "1.1.1")
    return out
