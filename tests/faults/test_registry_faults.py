"""Registry faults through a fault-injecting proxy (harness.fault_proxy) on 127.0.0.1.

Each fault is injected into a real pull (the library's pull_image, and `ocirt pull` for some)
from the session's docker-registry. The client must retry within a bound and then either
succeed with content containerd verified, or fail with an error that says what happened.
After a failure nothing may be left that looks like an image: no image record, no lease, no
active ingest, no blob whose bytes do not match its digest; and the same pull, run again
without the fault, succeeds (nothing left behind blocks it).

Two series only: the registry client is the same code on every series; 1.6 and 2.1 cover
both content-store generations on the daemon side.
"""

from __future__ import annotations

import hashlib
import subprocess
import threading
from typing import Any, Dict

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import images
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import OcirtError
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
    RegistryAccess,
    pull_image,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from cli.test_ocirt_cli import ocirt
from harness.fault_proxy import Fault, FaultProxy
from harness.images import push, unique_image

pytestmark = pytest.mark.containerd_series("1.6", "2.1")

REPO = "ocirt/faults"
LAYER_SIZE = 3 * 1024 * 1024  # random bytes: the gzip layer is as big, several 1 MiB reads
TIMEOUT = 3.0  # the pull's timeout: how long a stalled body is waited for
PULL_BOUND = 120.0  # a pull that is not over by then is hanging


@pytest.fixture(scope="module")
def built(registry_http):
    image = unique_image("faults", size=LAYER_SIZE)
    push(registry_http, REPO, "1", image)
    return image.build()


@pytest.fixture
def conn(containerd, containerd_namespace):
    with Connection(containerd.address, namespace=containerd_namespace) as c:
        yield c


@pytest.fixture
def proxy(registry_http, tmp_path):
    with FaultProxy(registry_http.host) as p:
        p.write_hosts_toml(str(tmp_path / "certs.d"))
        yield p


def ref_of(proxy: FaultProxy) -> str:
    return f"{proxy.host}/{REPO}:1"


def big_layer(built) -> str:
    return f"GET /v2/{REPO}/blobs/{built.layers[-1].digest}$"


def bounded_pull(conn, proxy: FaultProxy, timeout: float = TIMEOUT) -> Dict[str, Any]:
    """pull_image in a thread joined with a bound: a hang fails the test instead of it."""
    outcome: Dict[str, Any] = {}

    def run() -> None:
        try:
            access = RegistryAccess(config_path=proxy.hosts_dir, timeout=timeout)
            outcome["result"] = pull_image(conn, ref_of(proxy), access)
        except BaseException as exc:  # handed to the test below
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(PULL_BOUND)
    if thread.is_alive():
        proxy.released.set()
        pytest.fail(f"the pull was still running after {PULL_BOUND:.0f} s")
    return outcome


def pulled(conn, proxy: FaultProxy, **kw: Any) -> Dict[str, Any]:
    outcome = bounded_pull(conn, proxy, **kw)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


def failed(conn, proxy: FaultProxy, **kw: Any) -> OcirtError:
    outcome = bounded_pull(conn, proxy, **kw)
    assert "result" not in outcome, "the pull succeeded through the fault"
    error = outcome["error"]
    assert isinstance(error, OcirtError), f"not a library error: {error!r}"
    return error


def store_is_sound(containerd, ns: str) -> None:
    """No ocirt lease, and every blob the namespace holds hashes to its digest."""
    assert containerd.ctr("leases", "ls", "-q", namespace=ns).stdout.split() == []
    for digest in containerd.ctr("content", "ls", "-q", namespace=ns).stdout.split():
        data = subprocess.run(
            [str(containerd.ctr_bin), "-a", containerd.address, "-n", ns, "content", "get", digest],
            capture_output=True,
            check=True,
            timeout=60,
            env=containerd.env(),
        ).stdout
        assert "sha256:" + hashlib.sha256(data).hexdigest() == digest


def nothing_left(containerd, ns: str, conn, proxy: FaultProxy) -> None:
    """No image record, no partial ingest, a sound store."""
    assert images.get_image(conn, ref_of(proxy)) is None
    assert containerd.ctr("images", "check", namespace=ns).stdout.splitlines()[1:] == []
    assert containerd.ctr("content", "active", namespace=ns).stdout.splitlines()[1:] == []
    store_is_sound(containerd, ns)


def complete(containerd, ns: str, conn, proxy: FaultProxy, built) -> None:
    """The image is recorded at the pushed digest, complete and unpacked."""
    assert images.get_image(conn, ref_of(proxy))["target"]["digest"] == built.digest
    check = containerd.ctr("images", "check", namespace=ns).stdout.splitlines()
    line = next(x for x in check if x.startswith(ref_of(proxy)))
    assert "complete" in line and line.split()[-1] == "true", line
    store_is_sound(containerd, ns)


def cli_error(stderr: str) -> str:
    """The error line `ocirt` ends with (progress lines come before it), no traceback."""
    assert "Traceback" not in stderr, stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith("ocirt: "), stderr
    return last


def again_without_faults(containerd, ns, conn, proxy, built) -> None:
    """The same pull, the fault gone: nothing the failure left behind blocks it."""
    proxy.faults.clear()
    assert pulled(conn, proxy)["digest"] == built.digest
    complete(containerd, ns, conn, proxy, built)


# -- 5xx and 429 ------------------------------------------------------------------------------


def test_5xx_burst_is_retried(containerd, containerd_namespace, conn, proxy, built):
    head = proxy.add(Fault(f"HEAD /v2/{REPO}/manifests/1$", "status", times=2, status=503))
    layer = proxy.add(Fault(big_layer(built), "status", times=2, status=502))
    assert pulled(conn, proxy)["digest"] == built.digest
    assert (head.hits, layer.hits) == (2, 2)
    assert len(proxy.requests(big_layer(built))) == 3  # two 502, then the layer
    complete(containerd, containerd_namespace, conn, proxy, built)


def test_5xx_that_does_not_end_fails_after_bounded_retries(
    containerd, containerd_namespace, conn, proxy, built
):
    proxy.add(Fault(big_layer(built), "status", times=1000, status=503))
    error = failed(conn, proxy)
    assert "503" in str(error) and built.layers[-1].digest in str(error)
    assert len(proxy.requests(big_layer(built))) == 3
    nothing_left(containerd, containerd_namespace, conn, proxy)
    again_without_faults(containerd, containerd_namespace, conn, proxy, built)


def test_429_retry_after_is_waited_for(containerd, containerd_namespace, conn, proxy, built):
    proxy.add(Fault(big_layer(built), "status", 1, 429, {"Retry-After": "2"}))
    assert pulled(conn, proxy)["digest"] == built.digest
    first, second = proxy.requests(big_layer(built))
    # a lower bound only: the client waited what the registry asked (its own backoff is 0.5 s)
    assert second.at - first.at >= 1.9
    complete(containerd, containerd_namespace, conn, proxy, built)


def test_429_asking_for_an_hour_fails_at_once(containerd, containerd_namespace, conn, proxy, built):
    proxy.add(Fault(big_layer(built), "status", 1000, 429, {"Retry-After": "3600"}))
    error = failed(conn, proxy)
    assert "429" in str(error) and "3600" in str(error) and "later" in str(error)
    assert len(proxy.requests(big_layer(built))) == 1
    nothing_left(containerd, containerd_namespace, conn, proxy)


# -- bodies cut short: reset, stalled, truncated ----------------------------------------------


@pytest.mark.parametrize("kind", ["reset", "stall", "truncate"])
def test_body_cut_short_once_is_resumed(containerd, containerd_namespace, conn, proxy, built, kind):
    after = 1024 * 1024 + 4096
    proxy.add(Fault(big_layer(built), kind, after=after))
    assert pulled(conn, proxy)["digest"] == built.digest
    first, second = proxy.requests(big_layer(built))
    assert first.fault == kind and first.range == ""
    # taken up where it stopped: a Range from what the client had read, at most `after`
    # (a RST may come before the client read anything: the kernel drops what it held)
    resumed_at = int(second.range[len("bytes=") : -1]) if second.range else 0
    assert resumed_at <= after and second.range == (f"bytes={resumed_at}-" if resumed_at else "")
    if kind != "reset":
        assert resumed_at > 0
    complete(containerd, containerd_namespace, conn, proxy, built)


@pytest.mark.parametrize("kind", ["reset", "truncate"])
def test_body_cut_short_every_time_fails_clearly(
    containerd, containerd_namespace, conn, proxy, built, kind
):
    proxy.add(Fault(big_layer(built), kind, times=1000, after=100_000))
    error = failed(conn, proxy)
    assert built.layers[-1].digest in str(error) and "then run it again" in str(error)
    assert len(proxy.requests(big_layer(built))) == 3
    nothing_left(containerd, containerd_namespace, conn, proxy)
    again_without_faults(containerd, containerd_namespace, conn, proxy, built)


def test_stalled_body_every_time_ends_the_cli_clearly(
    containerd, containerd_namespace, conn, proxy, built
):
    proxy.add(Fault(big_layer(built), "stall", times=1000, after=100_000))
    env = {"CONTAINERD_ADDRESS": containerd.address, "CONTAINERD_NAMESPACE": containerd_namespace}
    # --timeout also bounds each containerd call: 4 s, not less, on a loaded machine
    run = ocirt("--timeout", "4", "pull", "--hosts-dir", proxy.hosts_dir, ref_of(proxy), env=env)
    assert run.returncode == 1, run.stderr
    message = cli_error(run.stderr)
    assert built.layers[-1].digest in message and "no data for 4 s" in message
    assert len(proxy.requests(big_layer(built))) == 3
    nothing_left(containerd, containerd_namespace, conn, proxy)


def test_truncated_manifest_is_fetched_again(containerd, containerd_namespace, conn, proxy, built):
    manifest = f"GET /v2/{REPO}/manifests/{built.digest}$"
    proxy.add(Fault(manifest, "truncate", after=100))
    assert pulled(conn, proxy)["digest"] == built.digest
    assert [s.fault for s in proxy.requests(manifest)] == ["truncate", None]
    complete(containerd, containerd_namespace, conn, proxy, built)


# -- wrong content and redirects ---------------------------------------------------------------


def test_layer_with_a_wrong_digest_is_refused(containerd, containerd_namespace, conn, proxy, built):
    proxy.add(Fault(big_layer(built), "corrupt", times=1000, after=LAYER_SIZE // 2))
    error = failed(conn, proxy)
    assert built.layers[-1].digest in str(error)
    nothing_left(containerd, containerd_namespace, conn, proxy)
    again_without_faults(containerd, containerd_namespace, conn, proxy, built)


def test_manifest_with_a_wrong_digest_is_refused(
    containerd, containerd_namespace, conn, proxy, built
):
    manifest = f"GET /v2/{REPO}/manifests/{built.digest}$"
    proxy.add(Fault(manifest, "corrupt", times=1000, after=10))
    error = failed(conn, proxy)
    assert built.digest in str(error) and "does not match" in str(error)
    nothing_left(containerd, containerd_namespace, conn, proxy)


def test_redirect_loop_fails_clearly(containerd, containerd_namespace, conn, proxy, built):
    proxy.add(Fault(big_layer(built), "redirect", times=1000))
    env = {"CONTAINERD_ADDRESS": containerd.address, "CONTAINERD_NAMESPACE": containerd_namespace}
    run = ocirt("pull", "--hosts-dir", proxy.hosts_dir, ref_of(proxy), env=env)
    assert run.returncode == 1, run.stderr
    message = cli_error(run.stderr)
    assert "redirected more than 5 times" in message
    assert built.layers[-1].digest in message
    assert len(proxy.requests(big_layer(built))) == 6  # the first GET and 5 redirects
    nothing_left(containerd, containerd_namespace, conn, proxy)
