"""Pulls through the ocirt registry client into a private containerd, checked with ctr."""

import json
import os
import subprocess
import sys
import threading

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import content, images
from ansible_collections.ocirt.containerd.plugins.module_utils.images.local_state import (
    local_state,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.platforms import (
    host_platform,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
    RegistryAccess,
    pull_image,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.registry.client import (
    AuthenticationFailed,
    RegistryError,
)
from harness.images import busybox_index, push, unique_image

PLAIN = RegistryAccess(config_path=None)  # no hosts.toml: loopback is tried as containerd does


def ctr_run(containerd, ns, image, *argv):
    name = f"run-{os.urandom(3).hex()}"
    return containerd.ctr("run", "--rm", image, name, *argv, namespace=ns).stdout


def test_plain_http_pull_runs_with_ctr(containerd, containerd_namespace, conn, pushed):
    ref = f"{pushed['registry'].host}/ocirt/busybox:1"
    result = pull_image(conn, ref, PLAIN)
    assert result["digest"] == pushed["busybox"]
    assert result["source"] == f"http://{pushed['registry'].host}"
    out = ctr_run(containerd, containerd_namespace, ref, "sh", "-c", "echo pulled $OCIRT_IMAGE")
    assert out.strip() == "pulled busybox"
    check = containerd.ctr("images", "check", namespace=containerd_namespace).stdout
    line = next(x for x in check.splitlines() if x.startswith(ref))
    assert "complete" in line and line.split()[-1] == "true"  # unpacked
    labels = containerd.ctr("content", "ls", namespace=containerd_namespace).stdout
    assert f"containerd.io/distribution.source.{pushed['registry'].host}=ocirt/busybox" in labels
    assert images.get_image(conn, ref)["target"]["digest"] == pushed["busybox"]


def test_multi_platform_pull_fetches_only_this_platform(
    containerd, containerd_namespace, conn, pushed
):
    ref = f"{pushed['registry'].host}/ocirt/multi:1"
    result = pull_image(conn, ref, PLAIN)
    assert result["platforms"] == ["linux/" + host_platform()["architecture"]]
    index = busybox_index().build()
    present = {
        b.manifest.digest: content.content_info(conn, b.manifest.digest) is not None
        for b in index.images
    }
    assert sorted(present.values()) == [False, True]
    assert ctr_run(containerd, containerd_namespace, ref, "echo", "multi").strip() == "multi"
    state = local_state(conn, images.get_image(conn, ref)["target"], host_platform())
    assert state["complete"] and state["unpacked"]


def test_pull_of_another_platform(conn, pushed):
    other = "arm64" if host_platform()["architecture"] == "amd64" else "amd64"
    ref = f"{pushed['registry'].host}/ocirt/multi:1"
    result = pull_image(conn, ref, PLAIN, platform=f"linux/{other}", snapshotter=None)
    assert result["platforms"] == [f"linux/{other}"]


def test_mirror_from_hosts_toml(containerd, containerd_namespace, conn, pushed, tmp_path):
    # a registry name that resolves nowhere: only the mirror in hosts.toml can serve it
    hosts = tmp_path / "certs.d" / "unreachable.invalid"
    hosts.mkdir(parents=True)
    (hosts / "hosts.toml").write_text(
        'server = "https://unreachable.invalid"\n\n'
        f'[host."http://{pushed["registry"].host}"]\n  capabilities = ["pull", "resolve"]\n'
    )
    access = RegistryAccess(config_path=str(tmp_path / "certs.d"))
    result = pull_image(conn, "unreachable.invalid/ocirt/busybox:1", access)
    assert result["digest"] == pushed["busybox"]
    assert "mirror of unreachable.invalid" in result["source"]
    out = ctr_run(
        containerd, containerd_namespace, "unreachable.invalid/ocirt/busybox:1", "echo", "m"
    )
    assert out.strip() == "m"
    with pytest.raises(RegistryError, match=r"cannot reach registry https://unreachable\.invalid"):
        pull_image(conn, "unreachable.invalid/ocirt/busybox:1", RegistryAccess(config_path=None))


def test_tls_needs_the_ca(conn, registry_tls, tmp_path):
    digest = push(registry_tls, "ocirt/tls", "1", unique_image("tls"))
    ref = f"{registry_tls.host}/ocirt/tls:1"
    with_ca = tmp_path / "with-ca"
    registry_tls.write_hosts_toml(with_ca)
    assert pull_image(conn, ref, RegistryAccess(config_path=str(with_ca)))["digest"] == digest
    without_ca = tmp_path / "without-ca"
    registry_tls.write_hosts_toml(without_ca, ca=False)
    with pytest.raises(RegistryError, match="is not trusted"):
        pull_image(conn, ref, RegistryAccess(config_path=str(without_ca)))


def test_basic_auth(conn, registry_auth, tmp_path):
    digest = push(registry_auth, "ocirt/private", "1", unique_image("private"))
    ref = f"{registry_auth.host}/ocirt/private:1"
    hosts = tmp_path / "certs.d"
    registry_auth.write_hosts_toml(hosts)
    anonymous = RegistryAccess(config_path=str(hosts), docker_config=str(tmp_path / "none.json"))
    with pytest.raises(AuthenticationFailed, match="requires authentication"):
        pull_image(conn, ref, anonymous)
    wrong = RegistryAccess(config_path=str(hosts), username=registry_auth.username, password="nope")
    with pytest.raises(
        AuthenticationFailed, match=f"refused the credentials of user '{registry_auth.username}'"
    ) as exc:
        pull_image(conn, ref, wrong)
    assert "nope" not in str(exc.value)
    assert images.get_image(conn, ref) is None
    right = RegistryAccess(
        config_path=str(hosts), username=registry_auth.username, password=registry_auth.password
    )
    assert pull_image(conn, ref, right)["digest"] == digest


def test_credentials_from_docker_config(conn, registry_auth, tmp_path):
    push(registry_auth, "ocirt/private", "2", unique_image("private2"))
    hosts = tmp_path / "certs.d"
    registry_auth.write_hosts_toml(hosts)
    config = tmp_path / "config.json"
    import base64

    token = base64.b64encode(registry_auth.credentials.encode()).decode()
    config.write_text(json.dumps({"auths": {registry_auth.host: {"auth": token}}}))
    access = RegistryAccess(config_path=str(hosts), docker_config=str(config))
    assert pull_image(conn, f"{registry_auth.host}/ocirt/private:2", access)["name"]


def test_bearer_token_auth(conn, pushed, token_registry):
    registry, tokens = token_registry
    ref = f"{registry.host}/ocirt/busybox:1"
    tokens.requests.clear()
    with pytest.raises(AuthenticationFailed, match="refused anonymous access"):
        pull_image(conn, ref, PLAIN)
    tokens.requests.clear()
    access = RegistryAccess(config_path=None, username=tokens.username, password=tokens.password)
    assert pull_image(conn, ref, access)["digest"] == pushed["busybox"]
    # one token for the whole pull (HEAD, manifest, config, layers), fetched by the OAuth POST
    assert [(r["method"], r["params"]["scope"]) for r in tokens.requests] == [
        ("POST", "repository:ocirt/busybox:pull")
    ]
    assert tokens.requests[0]["params"]["service"] == "ocirt-test-registry"


def test_bearer_token_get_flow_when_post_is_not_offered(conn, pushed, token_registry):
    registry, tokens = token_registry
    tokens.post_enabled = False
    try:
        tokens.requests.clear()
        access = RegistryAccess(
            config_path=None, username=tokens.username, password=tokens.password
        )
        assert (
            pull_image(conn, f"{registry.host}/ocirt/multi:1", access)["digest"] == pushed["multi"]
        )
        assert [r["method"] for r in tokens.requests] == ["POST", "GET"]
        assert tokens.requests[1]["authorized"] is True
    finally:
        tokens.post_enabled = True


def _blob_path(registry, digest):
    hexdigest = digest.split(":", 1)[1]
    return (
        registry.storage_dir
        / "docker/registry/v2/blobs/sha256"
        / hexdigest[:2]
        / hexdigest
        / "data"
    )


def test_tampered_blob_is_refused_and_nothing_is_left(
    containerd, containerd_namespace, conn, registry_http
):
    image = unique_image("tamper", size=4096)
    push(registry_http, "ocirt/tamper", "1", image)
    layer = image.build().layers[-1]
    path = _blob_path(registry_http, layer.digest)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(Exception, match=layer.digest):
        pull_image(conn, f"{registry_http.host}/ocirt/tamper:1", PLAIN)
    assert images.list_images(conn) == []
    assert (
        containerd.ctr("content", "ls", "-q", namespace=containerd_namespace).stdout.strip() == ""
    )
    assert containerd.ctr("leases", "ls", "-q", namespace=containerd_namespace).stdout.strip() == ""


INTERRUPT = """
import os, sys
from ansible_collections.ocirt.containerd.plugins.module_utils.transport import connection
from ansible_collections.ocirt.containerd.plugins.module_utils.images import pull
address, ns, ref, big = sys.argv[1:5]
seen = {}
def progress(digest, n, total):
    seen[digest] = seen.get(digest, 0) + n
    if digest == big and seen[digest] > total // 3:
        os._exit(3)  # the transfer is killed mid-layer
conn = connection.Connection(address, namespace=ns)
access = pull.RegistryAccess(config_path=None)
pull.pull_image(conn, ref, access, progress=progress, parallel=1)
"""


def test_interrupted_pull_resumes(containerd, containerd_namespace, conn, registry_http):
    image = unique_image("resume", size=24 * 1024 * 1024)
    push(registry_http, "ocirt/resume", "1", image)
    big = image.build().layers[-1]
    ref = f"{registry_http.host}/ocirt/resume:1"
    killed = subprocess.run(
        [
            sys.executable,
            "-c",
            INTERRUPT,
            containerd.address,
            containerd_namespace,
            ref,
            big.digest,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert killed.returncode == 3, killed.stderr
    active = containerd.ctr("content", "active", namespace=containerd_namespace).stdout
    assert f"layer-{big.digest}" in active
    assert images.get_image(conn, ref) is None

    first_report = {}

    def progress(digest, n, total):
        first_report.setdefault(digest, n)

    result = pull_image(conn, ref, PLAIN, progress=progress, parallel=1)
    # the first thing reported for the big layer is the offset the daemon already had
    # (what reached containerd before the kill: at least one 1 MiB chunk)
    assert 1024 * 1024 <= first_report[big.digest] < big.size
    assert result["digest"] == image.build().digest
    assert ctr_run(
        containerd, containerd_namespace, ref, "sh", "-c", "wc -c < /data/resume.bin"
    ).strip() == str(24 * 1024 * 1024)


def test_two_pulls_of_one_image_at_once(containerd, containerd_namespace, conn, registry_http):
    image = unique_image("concurrent", size=8 * 1024 * 1024)
    push(registry_http, "ocirt/concurrent", "1", image)
    ref = f"{registry_http.host}/ocirt/concurrent:1"
    results, failures = [], []

    def pull():
        try:
            results.append(pull_image(conn, ref, PLAIN))
        except Exception as exc:  # collected and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=pull) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert failures == []
    assert [r["digest"] for r in results] == [image.build().digest] * 2
    assert ctr_run(containerd, containerd_namespace, ref, "echo", "both").strip() == "both"


def test_ocirt_sees_what_ctr_pulled(containerd, containerd_namespace, conn, pushed):
    ref = f"{pushed['registry'].host}/ocirt/multi:1"
    containerd.ctr("images", "pull", "--plain-http", ref, namespace=containerd_namespace)
    record = images.get_image(conn, ref)
    assert record["target"]["digest"] == pushed["multi"]
    state = local_state(conn, record["target"], host_platform())
    assert state == {**state, "complete": True, "unpacked": True, "missing": []}
