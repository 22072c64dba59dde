#!/usr/bin/env python3
"""Write the scenarios' demo image, an OCI archive built from busybox-static on the controller.

    demo_image.py PATH [NAME]

The image is tests/harness/images.py's busybox image (deterministic: the same bytes on every
run, so copying it to the VMs again changes nothing). Nothing comes from the internet.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from harness.images import Image, busybox_image, write_oci_archive

DEFAULT_NAME = "ocirt.test/molecule/busybox:1"


def write_archive(image: Image, path: Path, name: str) -> str:
    """Write ``image`` as an OCI archive named ``name`` to ``path`` unless the same bytes are
    there already; "written" or "unchanged"."""
    tmp = path.with_name(path.name + ".tmp")
    write_oci_archive(image, tmp, ref_name=name)
    if path.exists() and path.read_bytes() == tmp.read_bytes():
        tmp.unlink()
        return "unchanged"
    tmp.replace(path)
    return "written"


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    name = argv[1] if len(argv) == 2 else DEFAULT_NAME
    print(write_archive(busybox_image(), Path(argv[0]), name))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
