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

from harness.images import busybox_image, write_oci_archive

DEFAULT_NAME = "ocirt.test/molecule/busybox:1"


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    name = argv[1] if len(argv) == 2 else DEFAULT_NAME
    tmp = path.with_name(path.name + ".tmp")
    write_oci_archive(busybox_image(), tmp, ref_name=name)
    if path.exists() and path.read_bytes() == tmp.read_bytes():
        tmp.unlink()
        print("unchanged")
    else:
        tmp.replace(path)
        print("written")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
