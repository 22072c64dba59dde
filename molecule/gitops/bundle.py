#!/usr/bin/env python3
"""Build, on the controller, what a pull-mode node needs besides git: one tar file.

    bundle.py OUT WORKDIR

OUT holds:
  wheels/          ansible-core and its dependencies as wheels, plus pip itself: the versions
                   installed in the python running this script (the controller's .venv, so
                   the node runs the ansible-core the collection is tested with; Debian 12's
                   2.14 is older than the collection's minimum 2.19), for CPython 3.11 on
                   manylinux x86_64 (Debian 12's python3). Downloaded once into WORKDIR.
  collections/     the collection ocirt.containerd as it is in this tree (no __pycache__)
  ocirt.pyz        the node agent (scripts/build-agent.sh), for `ocirt diff` on the node
  images/busybox.tar  the demo image (molecule/shared/demo_image.py), which the state
                   document imports

The tar is byte-identical when its inputs are (sorted entries, fixed owner, mode and time),
so copying it to the node again changes nothing. Prints `written` or `unchanged`.
"""

from __future__ import annotations

import importlib.metadata
import io
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Iterator, Tuple

TOP = Path(__file__).resolve().parents[2]
COLLECTION = TOP / "collections" / "ansible_collections" / "ocirt" / "containerd"
sys.path.insert(0, str(TOP / "tests"))

from harness.images import busybox_image, write_oci_archive  # noqa: E402

IMAGE_NAME = "ocirt.test/molecule/busybox:1"
# Debian 12: CPython 3.11, glibc 2.36
PLATFORM = ["--python-version", "3.11", "--implementation", "cp"] + [
    arg
    for tag in (
        "manylinux_2_34_x86_64",
        "manylinux_2_28_x86_64",
        "manylinux_2_17_x86_64",
        "manylinux2014_x86_64",
    )
    for arg in ("--platform", tag)
]


def wheels(workdir: Path) -> Path:
    """ansible-core and pip, pinned to this python's installed versions (downloaded once)."""
    pins = {d.metadata["Name"].lower(): d.version for d in importlib.metadata.distributions()}
    wanted = f"ansible-core=={pins['ansible-core']} pip=={pins['pip']}"
    out = workdir / "wheels"
    stamp = out / ".complete"
    if stamp.exists() and stamp.read_text() == wanted:
        return out
    out.mkdir(parents=True, exist_ok=True)
    constraints = workdir / "constraints.txt"
    constraints.write_text("".join(f"{n}=={v}\n" for n, v in sorted(pins.items())))
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
         "--only-binary=:all:", *PLATFORM, "-c", str(constraints), "-d", str(out),
         *wanted.split()],
        check=True,
    )  # fmt: skip
    stamp.write_text(wanted)
    return out


def agent(workdir: Path) -> Path:
    out = workdir / "ocirt.pyz"
    subprocess.run(["bash", str(TOP / "scripts" / "build-agent.sh"), str(out)], check=True)
    return out


def image(workdir: Path) -> Path:
    out = workdir / "busybox.tar"
    write_oci_archive(busybox_image(), out, ref_name=IMAGE_NAME)
    return out


def _tree(root: Path, prefix: str) -> Iterator[Tuple[str, Path]]:
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and "__pycache__" not in rel.parts and path.suffix != ".pyc":
            yield f"{prefix}/{rel.as_posix()}", path


def members(workdir: Path) -> Iterator[Tuple[str, Path]]:
    for whl in sorted(wheels(workdir).glob("*.whl")):
        yield f"wheels/{whl.name}", whl
    yield from _tree(COLLECTION, "collections/ansible_collections/ocirt/containerd")
    yield "ocirt.pyz", agent(workdir)
    yield "images/busybox.tar", image(workdir)


def pack(workdir: Path) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, path in members(workdir):
            data = path.read_bytes()
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.uid, info.gid = len(data), 0, 0, 0
            info.mode = 0o755 if path.stat().st_mode & 0o111 else 0o644
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out, workdir = Path(argv[0]), Path(argv[1])
    workdir.mkdir(parents=True, exist_ok=True)
    data = pack(workdir)
    if out.exists() and out.read_bytes() == data:
        print("unchanged")
        return 0
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(out)
    print("written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
