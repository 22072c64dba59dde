"""A containerd with its CRI plugin ready for pods, offline.

The CRI needs its sandbox ("pause") image in namespace k8s.io under exactly the configured
name, and pulls it otherwise (not possible here). ``pause_image()`` is a stand-in built from
busybox-static whose entrypoint sleeps until killed; ``import_sandbox_image`` imports it with
the daemon's own ctr (independent of the library under test) into k8s.io and pins nothing
else. ``cri_daemon`` is a private containerd whose config names that image
(``sandbox_image`` on 1.x, ``pinned_images.sandbox`` on 2.x; written by daemon.py) with the
harness's CNI directories (conf dir empty: host-network pods need no CNI).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Iterator, Tuple

from .daemon import ContainerdDaemon, ensure_containerd, running
from .images import DEFAULT_PATH, Image, ImageConfig, busybox_image, write_oci_archive
from .netns import TestNetns

#: The sandbox image the CRI daemons of the tests are configured with.
TEST_SANDBOX_IMAGE = "localhost/ocirt-test/pause:1"
#: Each series' built-in default, for daemons whose config leaves it unset.
DEFAULT_SANDBOX_IMAGES = {
    "1.6": "registry.k8s.io/pause:3.6",
    "1.7": "registry.k8s.io/pause:3.8",
    "2.1": "registry.k8s.io/pause:3.10",
}
CRI_NAMESPACE = "k8s.io"


def pause_image() -> Image:
    """busybox-static sleeping for ever as PID 1 of the sandbox (a SIGKILL ends it)."""
    return busybox_image(config=ImageConfig(entrypoint=["sleep", "2147483647"], env=[DEFAULT_PATH]))


def import_image(daemon: ContainerdDaemon, image: Image, name: str) -> None:
    """``ctr -n k8s.io images import`` of ``image`` as ``name`` (unpacked for overlayfs)."""
    with tempfile.TemporaryDirectory(prefix="ocirt-cri-") as tmp:
        archive = write_oci_archive(image, Path(tmp) / "image.tar", ref_name=name)
        daemon.ctr("images", "import", str(archive), namespace=CRI_NAMESPACE, timeout=120)


def import_sandbox_image(daemon: ContainerdDaemon, name: str = "") -> str:
    """The pause stand-in imported under the daemon's sandbox image name; that name."""
    name = name or daemon.sandbox_image or DEFAULT_SANDBOX_IMAGES[daemon.series]
    import_image(daemon, pause_image(), name)
    return name


def cri_daemon(series: str) -> Iterator[ContainerdDaemon]:
    """A started private containerd for pods: sandbox image configured and imported."""
    ensure_containerd(series)
    with running(ContainerdDaemon(series, sandbox_image=TEST_SANDBOX_IMAGE)) as daemon:
        import_sandbox_image(daemon)
        yield daemon


#: The pod network of ``cri_netns_daemon``: a bridge with host-local addresses and portmap.
POD_SUBNET = "10.88.0.0/24"
POD_GATEWAY = "10.88.0.1"


def pod_conflist(ipam_dir: Path) -> dict:
    return {
        "cniVersion": "1.0.0",
        "name": "ocirt-test-pods",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "ocirtpods0",
                "isGateway": True,
                "ipMasq": False,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": POD_SUBNET, "gateway": POD_GATEWAY}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    "dataDir": str(ipam_dir),
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }


def cri_netns_daemon(series: str) -> Iterator[Tuple[ContainerdDaemon, TestNetns]]:
    """A CRI daemon running inside a network namespace made for it (harness/netns.py), with
    a CNI conflist of its own: the pods' bridge, addresses and iptables rules live in that
    namespace, never in the machine's. Yields (daemon, the namespace)."""
    ensure_containerd(series)
    netns = TestNetns()
    try:
        daemon = ContainerdDaemon(series, sandbox_image=TEST_SANDBOX_IMAGE, netns=netns.path)
        conflist = pod_conflist(daemon.tmpdir / "cni" / "ipam")
        (daemon.cni_conf_dir / "10-ocirt-test.conflist").write_text(json.dumps(conflist))
        with running(daemon):
            import_sandbox_image(daemon)
            yield daemon, netns
    finally:
        netns.close()
