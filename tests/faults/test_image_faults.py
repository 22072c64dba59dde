"""containerd SIGKILLed in the middle of a pull, an unpack and an archive import.

Each test kills its own daemon at a chosen point and checks that the operation ends (a
bounded wait, never a hang) with an error that says what happened, then restarts containerd,
runs the same operation again and checks that it converged: `ctr images check` complete,
no ocirt lease, no active ingest, no ingest file, no half-unpacked snapshot left.

The kill points are deterministic: inside the library's progress callback (the layer is
being written at that moment), through a registry front that serves blobs slowly and counts
what it served (tests/harness/slow_proxy.py), or while `ctr` shows the unpack's snapshot.
The library tests run on 1.6 and 2.1 (the two metadata/GC generations); the CLI, module and
lease-takeover tests start subprocesses and are slower, so they run on one series each.
"""

from __future__ import annotations

import datetime
import http.client
import os
import subprocess
import threading
import time
import traceback
from typing import Any, Callable, Dict, List

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import content, leases
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    DaemonUnavailable,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.archive_import import (
    import_archive,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
    RegistryAccess,
    pull_image,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from cli.test_ocirt_cli import OCIRT
from harness.ansible_runner import run_playbook
from harness.images import File, busybox_image, push, unique_image, write_oci_archive
from harness.slow_proxy import SlowProxy
from harness.util import proc_cmdlines, wait_for

from faults.support import (
    BOUND,
    assert_converged,
    ended,
    extract_snapshots,
    ocirt_leases,
    sigkill,
    start_again,
)

PLAIN = RegistryAccess(config_path=None)  # no hosts.toml: loopback over plain HTTP
BIG = 8 * 1024 * 1024  # random bytes: the gzipped layer is as big
KILL_AT = 2 * 1024 * 1024  # bytes of the big layer written when containerd is killed


def big_image(tag: str):
    image = unique_image(tag, size=BIG)
    built = image.build()
    layer = max(built.layers, key=lambda b: b.size)
    return image, layer.digest


def bounded(fn: Callable[[], Any], timeout: float = BOUND) -> Dict[str, Any]:
    """Run ``fn`` in a thread; its result or exception, failing the test if it hangs."""
    outcome: Dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["result"] = fn()
        except BaseException as exc:  # handed to the test
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s: the operation hangs"
    return outcome


def succeeded(outcome: Dict[str, Any]) -> Any:
    if "result" not in outcome:
        trace = "".join(traceback.format_exception(outcome["error"]))
        raise AssertionError(f"the run after the restart failed:\n{trace}")
    return outcome["result"]


def kill_when_written(daemon, digest: str, at: int = KILL_AT) -> Callable:
    """A progress callback that SIGKILLs containerd once ``at`` bytes of ``digest`` went in."""
    done = {"n": 0, "killed": False}

    def progress(blob: str, n: int, total: int) -> None:
        if blob != digest:
            return
        done["n"] += n
        if done["n"] >= at and not done["killed"]:
            done["killed"] = True
            sigkill(daemon)

    progress.state = done  # type: ignore[attr-defined]
    return progress


def resumed_from(digest: str) -> Callable:
    """A progress callback recording the first report for ``digest`` (the resume offset)."""
    seen: List[int] = []

    def progress(blob: str, n: int, total: int) -> None:
        if blob == digest and not seen:
            seen.append(n)

    progress.seen = seen  # type: ignore[attr-defined]
    return progress


@pytest.mark.containerd_series("1.6", "2.1")
def test_sigkill_during_layer_write(killable_containerd, fault_namespace, registry_http):
    daemon, ns = killable_containerd, fault_namespace
    image, layer = big_image("fault-write")
    push(registry_http, "ocirt/fault-write", "1", image)
    ref = f"{registry_http.host}/ocirt/fault-write:1"
    with Connection(daemon.address, namespace=ns, timeout=10) as conn:
        killer = kill_when_written(daemon, layer)
        outcome = bounded(lambda: pull_image(conn, ref, PLAIN, progress=killer))
        assert killer.state["killed"]
        error = outcome.get("error")
        assert isinstance(error, DaemonUnavailable), outcome
        assert f"containerd stopped answering during the pull of {ref}" in str(error)
        assert "run it again to resume" in str(error)

        start_again(daemon)
        resume = resumed_from(layer)
        result = succeeded(bounded(lambda: pull_image(conn, ref, PLAIN, progress=resume)))
    assert result["digest"] == image.digest
    assert resume.seen and resume.seen[0] >= KILL_AT // 2  # it went on from the ingest
    assert_converged(daemon, ns, ref)


@pytest.mark.containerd_series("1.6", "2.1")
def test_sigkill_during_archive_import(killable_containerd, fault_namespace, tmp_path):
    daemon, ns = killable_containerd, fault_namespace
    image, layer = big_image("fault-import")
    ref = "example.test/ocirt/fault-import:1"
    archive = write_oci_archive(image, tmp_path / "image.tar", ref)
    with Connection(daemon.address, namespace=ns, timeout=10) as conn:
        killer = kill_when_written(daemon, layer)
        outcome = bounded(lambda: import_archive(conn, str(archive), progress=killer))
        error = outcome.get("error")
        assert isinstance(error, DaemonUnavailable), outcome
        assert f"containerd stopped answering during the import of {archive}" in str(error)

        start_again(daemon)
        rows = succeeded(bounded(lambda: import_archive(conn, str(archive))))
    assert [r["name"] for r in rows] == [ref]
    assert_converged(daemon, ns, ref)


@pytest.mark.containerd_series("2.1")  # one series: a slow layer (20000 files) to unpack
def test_sigkill_during_unpack(killable_containerd, fault_namespace, registry_http):
    daemon, ns = killable_containerd, fault_namespace
    many = {f"data/d{i // 500}/f{i}": File(b"x" * 64) for i in range(20000)}
    image = busybox_image(extra_layer={**many, f"data/{os.urandom(4).hex()}": File(b"1")})
    push(registry_http, "ocirt/fault-unpack", "1", image)
    ref = f"{registry_http.host}/ocirt/fault-unpack:1"
    with Connection(daemon.address, namespace=ns, timeout=10) as conn:
        pull_image(conn, ref, PLAIN, snapshotter=None)  # every blob in, nothing unpacked
        outcome: Dict[str, Any] = {}
        pulling = threading.Thread(
            target=lambda: outcome.update(bounded(lambda: pull_image(conn, ref, PLAIN))),
            daemon=True,
        )
        pulling.start()
        wait_for(lambda: extract_snapshots(daemon, ns), timeout=BOUND, interval=0.02)
        sigkill(daemon)
        pulling.join(BOUND)
        error = outcome.get("error")
        assert isinstance(error, DaemonUnavailable), outcome
        assert f"containerd stopped answering during the pull of {ref}" in str(error)

        start_again(daemon)
        succeeded(bounded(lambda: pull_image(conn, ref, PLAIN)))
    assert_converged(daemon, ns, ref)


def _ocirt_argv(daemon, ns: str, *args: str) -> List[str]:
    return [OCIRT, "--address", daemon.address, "-n", ns, "--timeout", "10", *args]


def _env() -> Dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}


@pytest.mark.containerd_series("1.6")  # one series: CLI subprocesses through a slow registry
def test_cli_pull_ends_when_containerd_dies(killable_containerd, fault_namespace, registry_http):
    daemon, ns = killable_containerd, fault_namespace
    image, _ = big_image("fault-cli")
    push(registry_http, "ocirt/fault-cli", "1", image)
    with SlowProxy(registry_http.host, rate=2 * 1024 * 1024) as proxy:
        ref = f"{proxy.host}/ocirt/fault-cli:1"
        argv = _ocirt_argv(daemon, ns, "pull", "--hosts-dir", "/nonexistent", ref)
        pull = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
        )
        proxy.wait_served(KILL_AT)
        sigkill(daemon)
        _, err = ended(pull)
        assert pull.returncode == 1, err
        assert f"ocirt: containerd stopped answering during the pull of {ref}" in err
        assert "run it again to resume" in err and "Traceback" not in err

        start_again(daemon)
        served = proxy.served
        again = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=BOUND)
        assert again.returncode == 0, again.stderr
        assert proxy.served - served < BIG  # resumed: the layer was not fetched whole again
    assert_converged(daemon, ns, ref)


@pytest.mark.containerd_series("2.1")  # one series: a whole ansible-playbook run
def test_module_honours_timeout_when_containerd_dies(
    killable_containerd, fault_namespace, registry_http
):
    daemon, ns = killable_containerd, fault_namespace
    image, _ = big_image("fault-module")
    push(registry_http, "ocirt/fault-module", "1", image)
    with SlowProxy(registry_http.host, rate=2 * 1024 * 1024) as proxy:
        ref = f"{proxy.host}/ocirt/fault-module:1"
        task = {
            "ocirt.containerd.image": {
                "name": ref,
                "address": daemon.address,
                "namespace": ns,
                "timeout": 10,
                "registry_config_path": "/nonexistent",
            },
            "ignore_errors": True,
        }
        killer = threading.Thread(
            target=lambda: (proxy.wait_served(KILL_AT), sigkill(daemon)), daemon=True
        )
        killer.start()
        failed = run_playbook([task])[0]  # run_playbook itself is bounded (300 s)
        killer.join(BOUND)
        assert failed.get("failed"), failed
        assert f"containerd stopped answering during the pull of {ref}" in failed["msg"]
        left = [argv for _, argv in proc_cmdlines() if any("AnsiballZ_image" in a for a in argv)]
        assert left == []

        start_again(daemon)
        converged = run_playbook([task])[0]
        assert converged.get("changed") and not converged.get("failed"), converged
    assert_converged(daemon, ns, ref)


@pytest.mark.containerd_series("1.6")  # one series: a killed CLI process
def test_killed_pull_leaves_a_short_lease_that_the_next_run_takes_over(
    killable_containerd, fault_namespace, registry_http
):
    daemon, ns = killable_containerd, fault_namespace
    image, _ = big_image("fault-lease")
    push(registry_http, "ocirt/fault-lease", "1", image)
    with SlowProxy(registry_http.host, rate=2 * 1024 * 1024) as proxy:
        ref = f"{proxy.host}/ocirt/fault-lease:1"
        argv = _ocirt_argv(daemon, ns, "pull", "--hosts-dir", "/nonexistent", ref)
        pull = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env()
        )
        proxy.wait_served(KILL_AT)
        pull.kill()
        ended(pull)
        (left,) = ocirt_leases(daemon, ns)
        expiry = left.split("containerd.io/gc.expire=")[1].split(",")[0]
        expires = datetime.datetime.strptime(expiry, "%Y-%m-%dT%H:%M:%SZ")
        now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
        assert expires - now <= leases.LEASE_TTL
        assert "ocirt.owner=" in left and f"ocirt.purpose=pull {ref}" in left

        again = subprocess.run(argv, capture_output=True, text=True, env=_env(), timeout=BOUND)
        assert again.returncode == 0, again.stderr
    assert_converged(daemon, ns, ref)
    env = {**_env(), "CONTAINERD_ADDRESS": daemon.address}
    for args in (["rmi", ref], ["namespace", "rm", ns]):
        done = subprocess.run([OCIRT, "-n", ns, *args], capture_output=True, text=True, env=env)
        assert done.returncode == 0, done.stderr


@pytest.mark.containerd_series("1.6", "2.1")
def test_operation_lease_is_renewed_and_keeps_what_it_holds(containerd, containerd_namespace):
    with Connection(containerd.address, namespace=containerd_namespace) as conn:
        lease = leases.OperationLease(
            conn,
            "renewal test",
            expires_in=datetime.timedelta(seconds=3),
            renew_every=datetime.timedelta(seconds=0.5),
        )
        first = lease.current()
        digest = content.write_blob(conn, os.urandom(1000), "renewal-test", lease=lease)
        wait_for(lambda: first not in _lease_ids(conn), timeout=BOUND, what="a renewal")
        time.sleep(4)  # longer than one lease lives: only renewal keeps the blob
        leases.delete_lease(conn, leases.create_lease(conn), sync=True)  # run the GC now
        assert content.content_info(conn, digest) is not None
        current = lease.current()
        assert current != first and current in _lease_ids(conn)
        lease.release(sync=True)
        assert [i for i in _lease_ids(conn) if i in lease.ids] == []
        assert content.content_info(conn, digest) is None  # nothing else referenced it


def _lease_ids(conn: Connection) -> List[str]:
    return [x["id"] for x in leases.list_leases(conn)]


def test_slow_proxy_counts_what_it_served(registry_http):
    """The harness part the kill points rely on: bodies pass whole, and are counted."""
    image = unique_image("slow-proxy", size=300_000)
    push(registry_http, "ocirt/slow-proxy", "1", image)
    layer = max(image.build().layers, key=lambda b: b.size)
    with SlowProxy(registry_http.host, rate=10 * 1024 * 1024) as proxy:
        conn = http.client.HTTPConnection(proxy.host, timeout=30)
        conn.request("GET", f"/v2/ocirt/slow-proxy/blobs/{layer.digest}")
        body = conn.getresponse().read()
        conn.close()
    assert body == layer.data and proxy.served == len(layer.data)
