"""Helpers shared by the image tests: what ctr sees, and a check of the busybox test image."""

from __future__ import annotations

from typing import Dict, List, Set

#: A shell check of the busybox test image: whiteout applied, layers 2 and 3 there, env set.
CHECK = (
    "test ! -e /etc/ocirt/deleted-by-whiteout && echo whiteout-ok; "
    "cat /etc/ocirt/layer3; cat /etc/ocirt/release; echo env=$OCIRT_IMAGE"
)
EXPECTED = "whiteout-ok\nlayer 3\nocirt-test-image layer2\nenv=busybox\n"


def ctr_images(containerd, ns: str) -> Dict[str, str]:
    """name -> target digest, as `ctr images ls` shows them."""
    out = containerd.ctr("images", "ls", namespace=ns).stdout.splitlines()[1:]
    return {cols[0]: cols[2] for cols in (line.split() for line in out) if len(cols) > 2}


def ctr_content(containerd, ns: str) -> Set[str]:
    return set(containerd.ctr("content", "ls", "-q", namespace=ns).stdout.split())


def ctr_snapshots(containerd, ns: str) -> List[str]:
    out = containerd.ctr("snapshots", "ls", namespace=ns).stdout.splitlines()[1:]
    return [line.split()[0] for line in out if line.split()]


def ctr_run(containerd, ns: str, ref: str, name: str, *cmd: str) -> str:
    return containerd.ctr("run", "--rm", ref, name, *cmd, namespace=ns).stdout
