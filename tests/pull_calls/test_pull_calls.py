"""What a pull leaves behind now that it makes fewer calls: layer blobs labelled with their
diff IDs as they are written (no Content.Update per layer), no active extract-* snapshot
left after a commit (no Remove per layer), and a loopback registry found speaking plain
HTTP by the plan's resolve is pulled from over HTTP at once."""

from ansible_collections.ocirt.containerd.plugins.module_utils.api import content, snapshots
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
    RegistryAccess,
    pull_image,
    resolve_remote,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.images import File, busybox_image, push

PLAIN = RegistryAccess(config_path=None)  # loopback without hosts.toml: https, then http


def test_pull_labels_layers_and_leaves_no_active_snapshot(
    containerd, containerd_namespace, registry_http
):
    base = busybox_image()
    image = base.replace(layers=[*base.layers, {"data/a": File(b"a" * 4096)}, {"b": File(b"b")}])
    push(registry_http, "ocirt/calls", "1", image)
    ref = f"{registry_http.host}/ocirt/calls:1"
    built = image.build()
    with Connection(containerd.address, namespace=containerd_namespace) as conn:
        resolved = resolve_remote(ref, PLAIN)
        assert resolved["endpoint"] is not None and resolved["endpoint"].scheme == "http"
        result = pull_image(conn, ref, PLAIN, resolved=resolved)
        assert result["source"] == f"http://{registry_http.host}"
        assert len(built.diff_ids) == len(built.layers) == len(base.layers) + 2
        for layer, diff_id in zip(built.layers, built.diff_ids):
            info = content.content_info(conn, layer.digest)
            assert info is not None
            assert info["labels"]["containerd.io/uncompressed"] == diff_id
        keys = [s["name"] for s in snapshots.iter_snapshots(conn, "overlayfs")]
        assert result["chain_id"] in keys
        assert not [k for k in keys if k.startswith("extract-")], keys
    check = containerd.ctr("images", "check", namespace=containerd_namespace).stdout
    line = next(x for x in check.splitlines() if x.startswith(ref))
    assert "complete" in line and line.split()[-1] == "true"
    ns = containerd_namespace
    assert containerd.ctr("run", "--rm", ref, "calls-run", "cat", "/b", namespace=ns).stdout == "b"
