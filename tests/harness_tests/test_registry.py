"""The local registries, push(), and `ctr images pull` from them."""

import json
import re

import pytest
from harness.images import (
    DOCKER_MANIFEST,
    OCI_INDEX,
    busybox_image,
    busybox_index,
    host_arch,
    other_arch,
    push,
    registry_client,
)
from harness.util import run


def test_registry_variants(registry_http, registry_tls, registry_auth):
    assert registry_http.url.startswith("http://127.0.0.1:") and registry_http.ca_path is None
    assert registry_tls.url.startswith("https://127.0.0.1:") and registry_tls.ca_path.exists()
    assert registry_auth.username and registry_auth.password
    assert registry_http.get("/v2/")[0] == 200
    assert registry_tls.get("/v2/")[0] == 200
    status, headers, _ = registry_auth.get("/v2/", auth=False)
    assert status == 401 and headers["www-authenticate"].startswith("Basic ")
    assert registry_auth.get("/v2/")[0] == 200
    # the TLS certificate verifies with the CA for 127.0.0.1 and localhost (openssl CLI)
    r = run(
        [
            "openssl",
            "s_client",
            "-connect",
            registry_tls.host,
            "-CAfile",
            str(registry_tls.ca_path),
            "-verify_return_error",
            "-verify_ip",
            "127.0.0.1",
        ],
        input="",
    )
    assert "Verify return code: 0 (ok)" in r.stdout


def test_push_image_and_index(registry_tls, busybox):
    digest = push(registry_tls, "harness/busybox", "v1", busybox)
    assert digest == busybox.digest
    status, headers, body = registry_tls.get(
        "/v2/harness/busybox/manifests/v1", headers={"Accept": busybox.build().manifest.media_type}
    )
    assert status == 200 and headers["docker-content-digest"] == digest
    assert push(registry_tls, "harness/busybox", "v1", busybox) == digest  # idempotent

    idx = busybox_index()
    d2 = push(registry_tls, "harness/multi", "v1", idx)
    status, headers, body = registry_tls.get(
        "/v2/harness/multi/manifests/v1", headers={"Accept": OCI_INDEX}
    )
    assert status == 200 and headers["docker-content-digest"] == d2
    archs = [m["platform"]["architecture"] for m in json.loads(body)["manifests"]]
    assert archs == [host_arch(), other_arch()]

    docker = busybox_image(media="docker")
    push(registry_tls, "harness/docker", "v1", docker)
    status, headers, _ = registry_tls.get(
        "/v2/harness/docker/manifests/v1", headers={"Accept": DOCKER_MANIFEST}
    )
    assert headers["content-type"] == DOCKER_MANIFEST


def test_push_needs_credentials(registry_auth, busybox):
    anonymous = registry_client(registry_auth, username=None, password=None)
    with pytest.raises(Exception, match="401"):
        anonymous.push_image("harness/anon", busybox.build(), "v1")
    assert push(registry_auth, "harness/authed", "v1", busybox) == busybox.digest


def _pull_and_run(containerd, ns, ref, *pull_flags):
    containerd.ctr("images", "pull", *pull_flags, ref, namespace=ns, timeout=120)
    out = containerd.ctr(
        "run",
        "--rm",
        ref,
        "pulled",
        "sh",
        "-c",
        "cat /etc/ocirt/release; echo $OCIRT_IMAGE",
        namespace=ns,
    ).stdout
    assert out == "ocirt-test-image layer2\nbusybox\n"


def test_pull_plain_http(containerd, containerd_namespace, registry_http, busybox):
    ref = f"{registry_http.host}/harness/busybox:http"
    push(registry_http, "harness/busybox", "http", busybox)
    _pull_and_run(containerd, containerd_namespace, ref, "--plain-http")
    assert busybox.digest in containerd.ctr("images", "ls", namespace=containerd_namespace).stdout


def test_pull_tls_hosts_dir(containerd, containerd_namespace, registry_tls, busybox, tmp_path):
    """A hosts.toml with an https server and the CA: every series verifies the certificate."""
    ns = containerd_namespace
    ref = f"{registry_tls.host}/harness/busybox:hosts"
    push(registry_tls, "harness/busybox", "hosts", busybox)
    registry_tls.write_hosts_toml(tmp_path / "no-ca", ca=False)
    r = containerd.ctr(
        "images", "pull", "--hosts-dir", str(tmp_path / "no-ca"), ref, namespace=ns, check=False
    )
    assert r.returncode != 0
    assert "certificate signed by unknown authority" in r.stderr
    registry_tls.write_hosts_toml(tmp_path / "certs.d")
    _pull_and_run(containerd, ns, ref, "--hosts-dir", str(tmp_path / "certs.d"))


def test_pull_tls_cacert_flag(containerd, containerd_namespace, registry_tls, busybox):
    """`ctr images pull --tlscacert` without a hosts.toml (2.x: only with --local)."""
    if containerd.series == "1.6":
        pytest.skip("ctr 1.6 speaks plain HTTP to loopback registries without a hosts.toml")
    ref = f"{registry_tls.host}/harness/busybox:tls"
    push(registry_tls, "harness/busybox", "tls", busybox)
    local = ["--local"] if containerd.major >= 2 else []
    _pull_and_run(
        containerd, containerd_namespace, ref, *local, "--tlscacert", str(registry_tls.ca_path)
    )


def test_pull_with_auth(containerd, containerd_namespace, registry_auth, busybox, tmp_path):
    ns = containerd_namespace
    ref = f"{registry_auth.host}/harness/busybox:auth"
    push(registry_auth, "harness/busybox", "auth", busybox)
    hosts = str(tmp_path / "certs.d")
    registry_auth.write_hosts_toml(hosts)
    r = containerd.ctr("images", "pull", "--hosts-dir", hosts, ref, namespace=ns, check=False)
    assert r.returncode != 0
    assert re.search(r"401|unauthorized|authoriz", r.stderr + r.stdout, re.I)
    _pull_and_run(containerd, ns, ref, "--hosts-dir", hosts, "--user", registry_auth.credentials)


def test_pull_multi_platform(containerd, containerd_namespace, registry_http):
    idx = busybox_index()
    digest = push(registry_http, "harness/multi", "v1", idx)
    ref = f"{registry_http.host}/harness/multi:v1"
    _pull_and_run(
        containerd, containerd_namespace, ref, "--plain-http", "--platform", f"linux/{host_arch()}"
    )
    listing = containerd.ctr("images", "ls", namespace=containerd_namespace).stdout
    line = next(x for x in listing.splitlines() if x.startswith(ref))
    assert digest in line and OCI_INDEX in line
