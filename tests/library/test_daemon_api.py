"""The runtime library against a real private containerd, checked with containerd's own ctr."""

import socket
import threading

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import (
    content,
    images,
    introspection,
    leases,
    namespaces,
    version,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common import errors
from ansible_collections.ocirt.containerd.plugins.module_utils.report.daemon_info import (
    gather_info,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.images import write_oci_archive


@pytest.fixture
def conn(containerd):
    with Connection(containerd.address) as c:
        yield c


def test_version_is_the_daemons(conn, containerd):
    reported = version.get_version(conn)
    server = containerd.ctr("version").stdout.split("Server:", 1)[1]
    assert f"Version:  {reported['version']}" in server
    assert f"Revision: {reported['revision']}" in server
    assert version.parse_series(reported["version"]) == tuple(
        int(x) for x in containerd.series.split(".")
    )


def test_plugins_agree_with_ctr_plugins_ls(conn, containerd):
    ours = {
        (p["type"], p["id"]): introspection.plugin_status(p)
        for p in introspection.list_plugins(conn)
    }
    lines = containerd.ctr("plugins", "ls").stdout.splitlines()[1:]
    theirs = {}
    for line in lines:
        cols = line.split()
        theirs[(cols[0], cols[1])] = cols[-1]
    assert ours == theirs
    assert ours[("io.containerd.snapshotter.v1", "overlayfs")] == "ok"


def test_server_uuid_matches_ctr(conn, containerd):
    server = introspection.server_info(conn)
    assert server["uuid"]
    assert f"UUID: {server['uuid']}" in containerd.ctr("version").stdout


def test_info_report(conn, containerd, containerd_namespace, busybox, tmp_path):
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/bb:1")
    containerd.ctr("images", "import", str(archive), namespace=containerd_namespace)
    info = gather_info(conn)
    assert info["version"] == version.get_version(conn)["version"]
    assert info["cri"]["served"] is True
    assert "v1" in info["cri"]["api_versions"]
    mine = next(n for n in info["namespaces"] if n["name"] == containerd_namespace)
    assert mine["images"] == 1
    assert mine["containers"] == 0
    overlay = next(s for s in info["snapshotters"] if s["id"] == "overlayfs")
    assert overlay["status"] == "ok" and overlay["root"].startswith(str(containerd.root))
    assert all(p["error"] for p in info["failed_plugins"])


def test_namespace_lifecycle_seen_by_ctr(conn, containerd, containerd_namespace):
    ns = containerd_namespace
    namespaces.create_namespace(conn, ns, {"team": "a"})
    assert ns in containerd.ctr("namespaces", "ls", "-q", namespace=None).stdout.split()
    updated = namespaces.update_labels(conn, ns, {"team": None, "owner": "ocirt"})
    assert updated["labels"] == {"owner": "ocirt"}
    listing = containerd.ctr("namespaces", "ls", namespace=None).stdout
    assert any(line.split()[0] == ns and "owner=ocirt" in line for line in listing.splitlines())
    namespaces.delete_namespace(conn, ns)
    assert ns not in containerd.ctr("namespaces", "ls", "-q", namespace=None).stdout.split()
    with pytest.raises(errors.NotFound):
        namespaces.get_namespace(conn, ns)


def test_namespace_made_by_ctr_is_seen(conn, containerd, containerd_namespace):
    containerd.ctr("namespaces", "create", containerd_namespace, "color=blue", namespace=None)
    assert namespaces.get_namespace(conn, containerd_namespace)["labels"] == {"color": "blue"}


def test_bidi_write_then_ctr_reads_it(conn, containerd, containerd_namespace):
    view = conn.with_namespace(containerd_namespace)
    data = b"".join(b"line %d of a blob that spans several chunks\n" % i for i in range(60000))
    # unreferenced content is garbage: keep it under a lease while we look at it
    lease = leases.create_lease(view)
    digest = content.write_blob(
        view, data, "ocirt-test-blob", labels={"purpose": "test"}, lease=lease
    )
    got = containerd.ctr("content", "get", digest, namespace=containerd_namespace)
    assert got.stdout == data.decode()
    info = content.content_info(view, digest)
    assert info["size"] == len(data) and info["labels"] == {"purpose": "test"}
    assert content.read_blob(view, digest) == data
    assert digest in containerd.ctr("content", "ls", "-q", namespace=containerd_namespace).stdout
    # writing it again is not an error: the blob is already there
    assert content.write_blob(view, data, "ocirt-test-blob-2", lease=lease) == digest
    leases.delete_lease(view, lease, sync=True)
    assert content.content_info(view, digest) is None  # collected once the lease is gone


def test_server_stream_lists_imported_images(
    conn, containerd, containerd_namespace, busybox, tmp_path
):
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/bb:2")
    containerd.ctr("images", "import", str(archive), namespace=containerd_namespace)
    view = conn.with_namespace(containerd_namespace)
    names = [i["name"] for i in images.list_images(view)]
    assert names == ["example.test/bb:2"]
    digests = {i["digest"] for i in content.iter_content(view)}
    assert busybox.digest in digests


def test_missing_socket_is_one_clear_message(tmp_path):
    with Connection(str(tmp_path / "nothing.sock")) as c:
        with pytest.raises(errors.DaemonUnavailable) as exc:
            version.get_version(c)
    assert str(exc.value).startswith(f"there is no containerd socket at {tmp_path}/nothing.sock")


def test_invalid_namespace_name_is_refused_before_sending(conn):
    with pytest.raises(errors.InvalidInput, match="not a valid containerd identifier"):
        namespaces.create_namespace(conn, "no spaces allowed")
    with pytest.raises(errors.InvalidInput, match="longer than 76"):
        namespaces.create_namespace(conn, "a" * 77)


def test_namespaced_call_without_namespace(conn):
    with pytest.raises(errors.NamespaceRequired, match="needs a namespace"):
        images.list_images(conn.with_namespace(None))


def test_a_socket_that_never_answers_times_out(tmp_path):
    path = str(tmp_path / "silent.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(5)
    accepted = []
    stop = threading.Event()

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    try:
        with Connection(path, timeout=1.5) as c:
            with pytest.raises(errors.Timeout, match="did not answer Version in time"):
                version.get_version(c)
    finally:
        stop.set()
        t.join()
        for s in accepted:
            s.close()
        listener.close()


def test_daemon_stopped_mid_session(conn, containerd):
    assert version.get_version(conn)["version"]
    containerd.stop_process()
    try:
        with pytest.raises(errors.DaemonUnavailable) as exc:
            version.get_version(conn)
        message = str(exc.value)
        assert containerd.address in message
        assert (
            "is containerd installed and running" in message or "is the service running" in message
        )
    finally:
        containerd.start()
    # the same connection recovers once the daemon is back
    assert version.get_version(conn)["version"]
