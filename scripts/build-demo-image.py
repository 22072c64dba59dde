#!/usr/bin/env python3
"""Build the reference deployment's demo image offline: an OCI image-layout tarball holding
Debian's statically linked busybox (package busybox-static), nothing from the internet.

    build-demo-image.py OUTPUT.tar [NAME]

The build is reproducible (fixed timestamps, sorted entries), so the same busybox gives the
same digest and importing it again changes nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import sys
import tarfile

BUSYBOX = "/bin/busybox"
APPLETS = ("sh", "echo", "cat", "ls", "sleep", "date", "env", "id", "hostname", "uname", "ps")
DEFAULT_NAME = "demo.ocirt.local/busybox:1"


def _canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(name, kind, mode, data=b"", link=""):
            info = tarfile.TarInfo(name)
            info.type, info.mode, info.mtime, info.size, info.linkname = (
                kind,
                mode,
                0,
                len(data),
                link,
            )
            tar.addfile(info, io.BytesIO(data) if data else None)

        for d in ("bin/", "etc/", "tmp/", "proc/", "sys/", "dev/", "run/", "root/"):
            add(d, tarfile.DIRTYPE, 0o1777 if d == "tmp/" else 0o755)
        with open(BUSYBOX, "rb") as f:
            add("bin/busybox", tarfile.REGTYPE, 0o755, f.read())
        for applet in sorted(APPLETS):
            add(f"bin/{applet}", tarfile.SYMTYPE, 0o777, link="busybox")
        add("etc/group", tarfile.REGTYPE, 0o644, b"root:x:0:\nnogroup:x:65534:\n")
        add(
            "etc/passwd",
            tarfile.REGTYPE,
            0o644,
            b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n",
        )
    return buf.getvalue()


def build(output: str, name: str) -> str:
    layer = _layer()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as f:
        f.write(layer)
    layer_gz = gz.getvalue()
    arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    config = _canonical(
        {
            "architecture": arch,
            "os": "linux",
            "config": {
                "Env": ["PATH=/bin"],
                "Cmd": [
                    "sh",
                    "-c",
                    "echo hello from the ocirt demo; while true; do sleep 3600; done",
                ],
                "Labels": {"org.opencontainers.image.title": "ocirt demo"},
            },
            "rootfs": {"type": "layers", "diff_ids": [_digest(layer)]},
        }
    )
    manifest = _canonical(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {
                "mediaType": "application/vnd.oci.image.config.v1+json",
                "digest": _digest(config),
                "size": len(config),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                    "digest": _digest(layer_gz),
                    "size": len(layer_gz),
                }
            ],
        }
    )
    index = _canonical(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [
                {
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": _digest(manifest),
                    "size": len(manifest),
                    "annotations": {
                        "io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1],
                    },
                }
            ],
        }
    )
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    tmp = output + ".tmp"
    with tarfile.open(tmp, "w", format=tarfile.PAX_FORMAT) as tar:
        files = [("oci-layout", _canonical({"imageLayoutVersion": "1.0.0"})), ("index.json", index)]
        files += [(f"blobs/sha256/{_digest(b)[7:]}", b) for b in (config, manifest, layer_gz)]
        for path, data in files:
            info = tarfile.TarInfo(path)
            info.size, info.mtime, info.mode = len(data), 0, 0o644
            tar.addfile(info, io.BytesIO(data))
    os.replace(tmp, output)
    return _digest(manifest)


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    print(build(sys.argv[1], sys.argv[2] if len(sys.argv) == 3 else DEFAULT_NAME))
