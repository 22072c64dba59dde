"""containerd killed between its overlayfs rename and the metadata commit of a Prepare.

The directory ``snapshots/<ID>`` stays behind while the ID is not recorded, so containerd
hands the same ID to the next Prepare, which fails with "file exists" (and removes the
leftover as it cleans up). The leftovers are made here the way the crash leaves them:
directories under the next IDs of a fresh snapshotter. A pull over them must converge in one
run, as the run after a real SIGKILL must (test_image_faults.test_sigkill_during_layer_write
failed now and then on exactly this).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import snapshots
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import RemoteError
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
    RegistryAccess,
    pull_image,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.images import push, unique_image

from faults.support import assert_converged

PLAIN = RegistryAccess(config_path=None)


def _leave_orphans(daemon, ids) -> Path:
    root = Path(daemon.root) / "io.containerd.snapshotter.v1.overlayfs" / "snapshots"
    for n in ids:
        (root / str(n) / "fs").mkdir(parents=True)
        (root / str(n) / "fs" / "half-written").write_text("left by a killed containerd\n")
    return root


@pytest.mark.containerd_series("1.6", "2.1")
def test_pull_converges_over_snapshot_leftovers(
    killable_containerd, fault_namespace, registry_http
):
    daemon, ns = killable_containerd, fault_namespace
    image = unique_image("orphans")
    push(registry_http, "ocirt/orphans", "1", image)
    ref = f"{registry_http.host}/ocirt/orphans:1"
    root = _leave_orphans(daemon, (1, 2))
    with Connection(daemon.address, namespace=ns, timeout=10) as conn:
        # what containerd answers a Prepare over a leftover, and what it leaves after that
        with pytest.raises(RemoteError, match="snapshots/1: file exists"):
            snapshots.prepare(conn, "overlayfs", "probe", "")
        assert not (root / "1").exists() and (root / "2").exists()
        _leave_orphans(daemon, (1, 3))
        result = pull_image(conn, ref, PLAIN)  # its layers are prepared under IDs 1, 2, ...
    assert result["chain_id"]  # unpacked
    assert result["digest"] == image.build().digest
    assert_converged(daemon, ns, ref)
    run = daemon.ctr("run", "--rm", ref, "orphans-probe", "true", namespace=ns, check=False)
    assert run.returncode == 0, run.stderr
