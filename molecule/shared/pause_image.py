#!/usr/bin/env python3
"""Write the CRI's sandbox ("pause") image for the scenarios' Kubernetes nodes, an OCI
archive built on the controller from busybox-static.

    pause_image.py PATH NAME

The image is tests/harness/cri.py's pause stand-in (busybox-static sleeping as PID 1 of the
sandbox), named NAME (the node's configured sandbox image, such as registry.k8s.io/pause:3.10),
the same bytes on every run, so copying it again changes nothing. The containerd role imports
it into namespace k8s.io (containerd_sandbox_image_archive): the CRI then never pulls it, and
nothing comes from the internet. Prints "written" or "unchanged".
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from demo_image import write_archive  # this script's directory is on sys.path
from harness.cri import pause_image


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    print(write_archive(pause_image(), Path(argv[0]), argv[1]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
