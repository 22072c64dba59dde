"""atomic_write (mode, owner, backup, failure leaves the target) and hosts.toml rendering."""

from __future__ import annotations

import os
import re

import pytest
import tomlkit
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    hosts_diff,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common import atomic_file
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.writer import (
    MASK,
    Endpoint,
    HostsConfig,
    Mirror,
    mask_secrets,
    render,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    registry as registry_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.registry import (
    DesiredHosts,
)
from harness.tls import CertificateAuthority


class Pki:
    """Real certificates: hosts.toml input is parsed as PEM before anything is written."""

    def __init__(self, directory):
        ca = CertificateAuthority(directory)
        pair = ca.issue("client", client=True)
        self.ca_path = str(ca.cert_path)
        self.ca = ca.cert_path.read_text()
        self.cert = pair.cert_path.read_text()
        self.key = pair.key_path.read_text()
        self.other_key = ca.issue("other", client=True).key_path.read_text()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


def test_atomic_write_mode_owner_and_backup(tmp_path):
    target = tmp_path / "etc" / "config.toml"
    assert atomic_file.atomic_write(str(target), b"one\n", make_backup=True) is None
    st = os.stat(target)
    assert (st.st_mode & 0o777, st.st_uid, st.st_gid) == (0o644, 0, 0)
    os.chmod(target, 0o600)
    saved = atomic_file.atomic_write(str(target), b"two\n", make_backup=True)
    assert re.fullmatch(r".*/config\.toml\.\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d~", saved)
    assert open(saved, "rb").read() == b"one\n"
    assert target.read_bytes() == b"two\n" and os.stat(target).st_mode & 0o777 == 0o644
    again = atomic_file.atomic_write(str(target), b"three\n", make_backup=True)
    assert again != saved and open(again, "rb").read() == b"two\n"  # same second: unique


def test_atomic_write_failure_leaves_target_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "config.toml"
    target.write_bytes(b"old\n")

    def boom(*a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "rename", boom)
    with pytest.raises(OSError, match="disk full"):
        atomic_file.atomic_write(str(target), b"new\n")
    assert target.read_bytes() == b"old\n"
    assert os.listdir(tmp_path) == ["config.toml"]


def full_config(pki: Pki) -> HostsConfig:
    return HostsConfig(
        host="registry.test:5000",
        server="https://registry.test:5000",
        endpoint=Endpoint(capabilities=["pull", "resolve", "push"], ca=pki.ca,
                          header={"Authorization": "Bearer s3cret"}),
        mirrors=[
            Mirror(url="https://mirror-a.test", capabilities=["pull", "resolve"],
                   ca=pki.ca_path, client_cert=pki.cert, client_key=pki.key, skip_verify=False),
            Mirror(url="http://mirror-b.test:8080/v2/proxy", capabilities=["pull"],
                   override_path=True, header={"X-Token": ["t1", "t2"]}),
        ],
    )


def test_render_matches_containerd_format(tmp_path, pki):
    files = {f.name: f for f in render(full_config(pki), str(tmp_path))}
    assert list(files)[-1] == "hosts.toml"
    hosts = files["hosts.toml"]
    assert hosts.mode == 0o600  # it carries headers
    data = tomlkit.loads(hosts.data.decode()).unwrap()
    d = str(tmp_path / "registry.test:5000")
    assert data == {
        "server": "https://registry.test:5000",
        "capabilities": ["pull", "resolve", "push"],
        "ca": f"{d}/ca.crt",
        "header": {"Authorization": "Bearer s3cret"},
        "host": {
            "https://mirror-a.test": {
                "capabilities": ["pull", "resolve"],
                "ca": pki.ca_path,
                "client": [[f"{d}/mirror1-client.cert", f"{d}/mirror1-client.key"]],
                "skip_verify": False,
            },
            "http://mirror-b.test:8080/v2/proxy": {
                "capabilities": ["pull"],
                "override_path": True,
                "header": {"X-Token": ["t1", "t2"]},
            },
        },
    }
    # mirrors stay in the declared order in the file (containerd tries them in file order)
    text = hosts.data.decode()
    assert text.index("mirror-a.test") < text.index("mirror-b.test")
    assert files["ca.crt"].data.decode() == pki.ca and files["ca.crt"].mode == 0o644
    assert files["mirror1-client.key"].mode == 0o600


def test_secrets_are_masked(tmp_path, pki):
    text = render(full_config(pki), str(tmp_path))[-1].data.decode()
    masked = mask_secrets(text)
    assert "s3cret" not in masked and "t1" not in masked
    data = tomlkit.loads(masked).unwrap()
    assert data["header"]["Authorization"] == MASK
    assert data["host"]["http://mirror-b.test:8080/v2/proxy"]["header"]["X-Token"] == [MASK,
                                                                                      MASK]


@pytest.mark.parametrize("bad,message", [
    (HostsConfig(host="a/b"), r"host: 'a/b' is not allowed"),
    (HostsConfig(host="r.test", server="ftp://x"), r"server: 'ftp://x' is not allowed"),
    (HostsConfig(host="r.test", mirrors=[Mirror(url="https://m", capabilities=["pul"])]),
     r"mirrors\[1\].capabilities: \['pul'\] not allowed; allowed: pull, resolve, push"),
    (HostsConfig(host="r.test", endpoint=Endpoint(ca="relative.pem")),
     r"ca: allowed: an absolute path or PEM content"),
])
def test_invalid_hosts_input(tmp_path, bad, message):
    with pytest.raises(InvalidInput, match=message):
        render(bad, str(tmp_path))


def test_plan_apply_idempotent_then_absent(tmp_path, pki):
    desired = DesiredHosts(full_config(pki), str(tmp_path))
    plan = registry_reconciler.plan(desired)
    assert plan.changed
    registry_reconciler.apply(plan)
    d = tmp_path / "registry.test:5000"
    assert sorted(os.listdir(d)) == ["ca.crt", "hosts.toml", "mirror1-client.cert",
                                     "mirror1-client.key"]
    snapshot = {n: (d / n).read_bytes() for n in os.listdir(d)}
    again = registry_reconciler.plan(desired)
    assert not again.changed and again.actions == []
    # switching the CA to a path removes the file written for the PEM content
    desired.config.endpoint.ca = pki.ca_path
    registry_reconciler.apply(registry_reconciler.plan(desired))
    assert "ca.crt" not in os.listdir(d)
    gone = registry_reconciler.plan(DesiredHosts(full_config(pki), str(tmp_path), "absent"))
    assert gone.changed and "s3cret" not in str(hosts_diff(gone))
    registry_reconciler.apply(gone)
    assert not d.exists()
    absent = DesiredHosts(full_config(pki), str(tmp_path), "absent")
    assert not registry_reconciler.plan(absent).changed
    assert snapshot  # (the files existed before)


def test_a_secret_made_readable_by_hand_is_made_0600_again(tmp_path, pki):
    """Mode and owner are part of the plan: hosts.toml (it carries headers) and the client
    key chmod/chown-ed by hand are rewritten 0600 root:root, and the reason says why."""
    desired = DesiredHosts(full_config(pki), str(tmp_path))
    registry_reconciler.apply(registry_reconciler.plan(desired))
    d = tmp_path / "registry.test:5000"
    os.chmod(d / "mirror1-client.key", 0o644)
    os.chown(d / "hosts.toml", 65534, 65534)
    plan = registry_reconciler.plan(desired)
    assert [a.summary() for a in plan.actions] == [{
        "action": "write",
        "target": str(d / "hosts.toml"),
        "reason": "mirror1-client.key: mode 0644, not 0600; "
                  "hosts.toml: owner 65534:65534, not 0:0",
    }]  # fmt: skip
    registry_reconciler.apply(plan)
    for name in ("mirror1-client.key", "hosts.toml"):
        st = os.stat(d / name)
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == (0o600, 0, 0), name
    assert not registry_reconciler.plan(desired).changed


NOT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n"
ENCRYPTED = (
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIBvTBXBgkq\n-----END ENCRYPTED PRIVATE KEY-----\n"
)


@pytest.mark.parametrize("endpoint,message", [
    (lambda p, d: Endpoint(ca="/nonexistent/ca.pem"), r"^ca: /nonexistent/ca\.pem does not exist"),
    (lambda p, d: Endpoint(ca=str(d)), r"^ca: .* is not a file"),
    (lambda p, d: Endpoint(ca=NOT_PEM), r"^ca: the content given is not a PEM certificate"),
    (lambda p, d: Endpoint(ca=p.key), r"^ca: the content given is not a PEM certificate"),
    (lambda p, d: Endpoint(client_cert=NOT_PEM, client_key=p.key),
     r"^client_cert: the content given is not a PEM certificate"),
    (lambda p, d: Endpoint(client_cert=p.cert, client_key=p.cert),
     r"^client_key: the content given is not a PEM private key"),
    (lambda p, d: Endpoint(client_cert=p.cert, client_key=ENCRYPTED),
     r"^client_key: the content given is an encrypted key, which containerd cannot read"),
    (lambda p, d: Endpoint(client_cert=p.cert, client_key=p.other_key),
     r"^client_key: does not belong to client_cert"),
    (lambda p, d: Mirror(url="https://m.test", ca="/nonexistent/m.pem"),
     r"^mirrors\[1\]\.ca: /nonexistent/m\.pem does not exist"),
])
def test_certificates_are_checked_before_writing(tmp_path, pki, endpoint, message):
    """Issue 16, defect 6: a CA path that does not exist or content that is not PEM was
    written, to fail only at pull time. Now the plan refuses it and nothing is written."""
    ep = endpoint(pki, tmp_path)
    config = (HostsConfig(host="r.test", mirrors=[ep]) if isinstance(ep, Mirror)
              else HostsConfig(host="r.test", endpoint=ep))
    target = tmp_path / "certs.d"
    with pytest.raises(InvalidInput, match=message) as caught:
        registry_reconciler.plan(DesiredHosts(config, str(target)))
    assert pki.key not in str(caught.value)
    assert not target.exists()


def test_valid_certificates_by_path_are_accepted(tmp_path, pki):
    key = tmp_path / "client.key"
    key.write_text(pki.key)
    cert = tmp_path / "client.pem"
    cert.write_text(pki.cert)
    config = HostsConfig(host="r.test", endpoint=Endpoint(
        ca=pki.ca_path, client_cert=str(cert), client_key=str(key)))
    plan = registry_reconciler.plan(DesiredHosts(config, str(tmp_path / "certs.d")))
    registry_reconciler.apply(plan)
    assert os.listdir(tmp_path / "certs.d" / "r.test") == ["hosts.toml"]
