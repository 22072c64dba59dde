"""Registry secrets stay secret during real authenticated pulls.

Pulls of a 16 MiB image (long enough for many samples) from the TLS + htpasswd registry and
from a bearer-token registry, through the `ocirt` CLI (password on stdin, or a docker
config.json) and through the image module (username/password options) run by
ansible-playbook. During each pull a thread reads every process's argv and environment over
and over; afterwards module results, diffs, CLI output, containerd's log, every file under
the test's temporary directories and every file of /tmp written during the run are
searched. Neither the password, nor the Authorization header value, nor its base64 part,
nor any token the token server issued may appear anywhere. The registry module with a
header secret and a client key: masked in results and diffs, files 0600.

One series only (2.1): secrets travel through ocirt's own registry client, which does not
depend on containerd's series; containerd only receives blobs.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence

import pytest
from cli.test_ocirt_cli import OCIRT
from harness.ansible_runner import run_playbook
from harness.images import File, busybox_image, push
from harness.registry import Registry
from harness.token_server import TokenServer

pytestmark = [pytest.mark.containerd_series("2.1"), pytest.mark.timeout(300)]

REPO = "ocirt/secret-big"
BIG = 16 * 1024 * 1024
RUN_MARKER = "OCIRT_SECRETS_RUN"
_SCAN_LIMIT = 64 * 1024 * 1024  # files larger than this are not secrets' hiding places


class Secrets:
    """The byte strings that must never show, growing as the token server issues tokens."""

    def __init__(self, username: str, password: str) -> None:
        pair = base64.b64encode(f"{username}:{password}".encode())
        self.values: List[bytes] = [password.encode(), pair, b"Basic " + pair]

    def add_token(self, token: str) -> None:
        self.values += [token.encode(), b"Bearer " + token.encode()]

    def found_in(self, data: bytes) -> List[str]:
        return [v[:12].decode() + "..." for v in self.values if v in data]


class ArgvSampler:
    """Reads every process's argv (and environment) in a loop while a pull runs.

    The pull's own processes are recognised by ``RUN_MARKER`` in their environment (so
    other tests' processes on the machine do not count) and ``part`` in their argv.
    """

    def __init__(self, secrets: Secrets, part: bytes) -> None:
        self.secrets = secrets
        self.part = part
        self.run_id = f"{RUN_MARKER}={os.urandom(6).hex()}"
        self.sweeps = 0
        self.sightings = 0  # sweeps that saw the pulling process itself
        self.leaks: List[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def environ(self) -> Dict[str, str]:
        name, value = self.run_id.split("=")
        return {name: value}

    def __enter__(self) -> ArgvSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            seen = False
            for pid in os.listdir("/proc"):
                if pid.isdigit():
                    seen = self._sample(pid) or seen
            self.sweeps += 1
            self.sightings += seen

    def _sample(self, pid: str) -> bool:
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read()
            with open(f"/proc/{pid}/environ", "rb") as f:
                environ = f.read()
        except OSError:
            return False  # gone in between
        for what, data in (("argv", argv), ("environment", environ)):
            leaked = self.secrets.found_in(data)
            if leaked:
                self.leaks.append(f"pid {pid}: its {what} holds {leaked}: {argv!r}")
        return self.part in argv and self.run_id.encode() in environ


def _files_under(roots: Iterable[Path], since: float, skip: Sequence[Path]) -> Iterator[Path]:
    skipped = {str(p) for p in skip}
    for root in roots:
        for dirpath, _dirs, files in os.walk(root, onerror=lambda _e: None):
            for name in files:
                path = os.path.join(dirpath, name)
                try:
                    st = os.lstat(path)
                except OSError:
                    continue
                if path in skipped or not os.path.isfile(path) or os.path.islink(path):
                    continue
                if st.st_mtime >= since and st.st_size <= _SCAN_LIMIT:
                    yield Path(path)


def assert_no_secret_in_files(
    secrets: Secrets, since: float, roots: Sequence[Path], inputs: Sequence[Path] = ()
) -> int:
    """Search the files written since ``since`` under roots and /tmp; returns how many."""
    leaks, count = [], 0
    for path in _files_under([*roots, Path("/tmp")], since, inputs):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        count += 1
        found = secrets.found_in(data)
        if found:
            leaks.append(f"{path}: {found}")
    assert leaks == [], "secrets written to files:\n" + "\n".join(leaks)
    return count


@pytest.fixture(scope="module")
def big_image(registry_auth) -> str:
    """A busybox with a 16 MiB random layer, in the TLS + basic auth registry."""
    image = busybox_image()
    image = image.replace(layers=[*image.layers, {"data/big.bin": File(os.urandom(BIG))}])
    return push(registry_auth, REPO, "1", image)


@pytest.fixture(scope="module")
def token_registry(registry_auth, big_image, tmp_path_factory):
    """A bearer-token registry serving registry_auth's storage; records the tokens issued."""
    tokens = TokenServer(tmp_path_factory.mktemp("tokens")).start()
    issued: List[str] = []
    make_token = tokens._token

    def recording(scope: str) -> str:
        issued.append(make_token(scope))
        return issued[-1]

    tokens._token = recording  # type: ignore[method-assign]
    reg = Registry(token_server=tokens, storage_dir=registry_auth.storage_dir).start()
    yield reg, tokens, issued
    reg.stop()
    tokens.stop()


@pytest.fixture
def hosts_dir(registry_auth, tmp_path) -> Path:
    d = tmp_path / "certs.d"
    registry_auth.write_hosts_toml(d)
    return d


def _pull_cli(
    containerd, ns: str, ref: str, hosts: Path, sampler: ArgvSampler, user: str = "",
    password: Optional[str] = None, env: Optional[dict] = None,
) -> subprocess.CompletedProcess:  # fmt: skip
    argv = [OCIRT, "--address", containerd.address, "--namespace", ns, "pull"]
    argv += ["--hosts-dir", str(hosts), ref]
    if user:
        argv += ["--user", user, "--password-stdin"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CONTAINERD_", "DOCKER_"))}
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**clean, **(env or {}), **sampler.environ()},
    )
    out, err = proc.communicate(input=(password + "\n").encode() if user else None, timeout=240)
    return subprocess.CompletedProcess(argv, proc.returncode, out.decode(), err.decode())


def _check_cli_run(result, secrets: Secrets, sampler: ArgvSampler, digest: str) -> None:
    assert result.returncode == 0, result.stderr
    assert digest in result.stdout
    assert secrets.found_in((result.stdout + result.stderr).encode()) == []
    assert sampler.leaks == []
    assert sampler.sightings >= 3, (
        f"only {sampler.sightings} of {sampler.sweeps} sweeps saw the pull"
    )


def test_cli_basic_auth_password_on_stdin(containerd, containerd_namespace, registry_auth,
                                          big_image, hosts_dir, tmp_path):  # fmt: skip
    secrets = Secrets(registry_auth.username, registry_auth.password)
    start = time.time() - 1
    with ArgvSampler(secrets, b"pull") as sampler:
        result = _pull_cli(
            containerd, containerd_namespace, f"{registry_auth.host}/{REPO}:1", hosts_dir,
            sampler, registry_auth.username, registry_auth.password,
        )  # fmt: skip
    _check_cli_run(result, secrets, sampler, big_image)
    assert secrets.found_in(containerd.log_path.read_bytes()) == []
    assert assert_no_secret_in_files(secrets, start, [tmp_path, containerd.tmpdir]) > 0


def test_cli_refused_password_is_not_echoed(containerd, containerd_namespace, registry_auth,
                                            big_image, hosts_dir):  # fmt: skip
    """A wrong password fails the pull, naming the user, never the password tried."""
    wrong = "wrong-" + os.urandom(8).hex()
    secrets = Secrets(registry_auth.username, wrong)
    with ArgvSampler(secrets, b"pull") as sampler:
        result = _pull_cli(
            containerd, containerd_namespace, f"{registry_auth.host}/{REPO}:1", hosts_dir,
            sampler, registry_auth.username, wrong,
        )  # fmt: skip
    assert result.returncode == 1
    assert f"refused the credentials of user '{registry_auth.username}'" in result.stderr
    assert secrets.found_in((result.stdout + result.stderr).encode()) == []
    assert sampler.leaks == []


def test_cli_bearer_token_from_docker_config(containerd, containerd_namespace, token_registry,
                                             big_image, tmp_path):  # fmt: skip
    registry, tokens, issued = token_registry
    secrets = Secrets(tokens.username, tokens.password)
    config = tmp_path / "docker" / "config.json"
    config.parent.mkdir()
    pair = base64.b64encode(f"{tokens.username}:{tokens.password}".encode()).decode()
    config.write_text(json.dumps({"auths": {registry.host: {"auth": pair}}}))
    issued.clear()
    start = time.time() - 1
    with ArgvSampler(secrets, b"pull") as sampler:
        result = _pull_cli(
            containerd, containerd_namespace, f"{registry.host}/{REPO}:1",
            tmp_path / "no-hosts", sampler, env={"DOCKER_CONFIG": str(config.parent)},
        )  # fmt: skip
    assert issued, "the pull asked the token server for no token"
    for token in issued:
        secrets.add_token(token)
    _check_cli_run(result, secrets, sampler, big_image)
    assert secrets.found_in(containerd.log_path.read_bytes()) == []
    assert assert_no_secret_in_files(secrets, start, [tmp_path, containerd.tmpdir], [config]) > 0


def _image_tasks(containerd, ns: str, ref: str, hosts: Optional[Path], user: str, password: str):
    args = {
        "address": containerd.address,
        "namespace": ns,
        "name": ref,
        "registry_config_path": str(hosts) if hosts else "/nonexistent",
        "username": user,
        "password": password,
        "pull": "always",
    }
    return [
        {"name": "predict", "ocirt.containerd.image": args, "check_mode": True, "diff": True},
        {"name": "pull", "ocirt.containerd.image": args, "diff": True},
        {"name": "again", "ocirt.containerd.image": args, "diff": True},
    ]


def _run_module_pulls(tasks, secrets: Secrets) -> List[dict]:
    with ArgvSampler(secrets, b"AnsiballZ_image") as sampler:
        results = run_playbook(tasks, environ=sampler.environ())
    assert sampler.leaks == []
    assert sampler.sightings >= 3, f"only {sampler.sightings} of {sampler.sweeps} sweeps saw it"
    return results


def test_image_module_basic_auth(containerd, containerd_namespace, registry_auth, big_image,
                                 hosts_dir, tmp_path):  # fmt: skip
    secrets = Secrets(registry_auth.username, registry_auth.password)
    ref = f"{registry_auth.host}/{REPO}:1"
    start = time.time() - 1
    tasks = _image_tasks(containerd, containerd_namespace, ref, hosts_dir,
                         registry_auth.username, registry_auth.password)  # fmt: skip
    predicted, pulled, again = _run_module_pulls(tasks, secrets)
    assert [predicted["changed"], pulled["changed"], again["changed"]] == [True, True, False]
    assert pulled["image"]["digest"] == big_image, pulled
    assert secrets.found_in(json.dumps([predicted, pulled, again]).encode()) == []
    assert secrets.found_in(containerd.log_path.read_bytes()) == []
    assert assert_no_secret_in_files(secrets, start, [tmp_path, containerd.tmpdir]) > 0


def test_image_module_bearer_token(containerd, containerd_namespace, token_registry, big_image,
                                   tmp_path):  # fmt: skip
    registry, tokens, issued = token_registry
    secrets = Secrets(tokens.username, tokens.password)
    issued.clear()
    start = time.time() - 1
    tasks = _image_tasks(containerd, containerd_namespace, f"{registry.host}/{REPO}:1", None,
                         tokens.username, tokens.password)  # fmt: skip
    results = _run_module_pulls(tasks, secrets)
    assert [r["changed"] for r in results] == [True, True, False]
    assert issued, "the pulls asked the token server for no token"
    for token in issued:
        secrets.add_token(token)
    assert secrets.found_in(json.dumps(results).encode()) == []
    assert secrets.found_in(containerd.log_path.read_bytes()) == []
    assert assert_no_secret_in_files(secrets, start, [tmp_path, containerd.tmpdir]) > 0


def _registry_task(config_path: Path, client, header_secret: str) -> dict:
    return {
        "config_path": str(config_path),
        "host": "registry.test:5000",
        "server": "https://registry.test:5000",
        "header": {"Authorization": header_secret},
        "client_cert": client.cert_path.read_text(),
        "client_key": client.key_path.read_text(),
        "mirrors": [{"url": "https://mirror.test", "header": {"X-Token": [header_secret + "-m"]}}],
    }


def _key_body(client) -> bytes:
    """The base64 body of the client key: the secret part of the PEM."""
    return b"".join(client.key_path.read_bytes().splitlines()[1:-1])


def test_registry_module_header_and_client_key(test_ca, tmp_path):
    """Masked in the module's results and diffs, and in ocirt's own plan (the CLI and other
    front ends have no Ansible to scrub no_log values for them); files holding them 0600."""
    from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
        hosts_diff,
        hosts_report,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.hosts_toml.writer import (
        Endpoint,
        HostsConfig,
        Mirror,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
        registry as registry_reconciler,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.registry import (
        DesiredHosts,
    )

    header_secret = "Bearer " + os.urandom(12).hex()
    client = test_ca.issue("secrets-client", hosts=("ocirt-client",), client=True)
    task = _registry_task(tmp_path / "certs.d", client, header_secret)
    secrets = Secrets("unused", header_secret)
    secrets.values.append(_key_body(client))
    start = time.time() - 1
    results = run_playbook(
        [
            {
                "name": "predict",
                "ocirt.containerd.registry": task,
                "check_mode": True,
                "diff": True,
            },
            {"name": "write", "ocirt.containerd.registry": task, "diff": True},
            {"name": "again", "ocirt.containerd.registry": task, "diff": True},
        ]
    )
    assert [r["changed"] for r in results] == [True, True, False]
    assert "********" in results[1]["diff"]["after"]
    assert secrets.found_in(json.dumps(results).encode()) == []

    host = tmp_path / "certs.d" / "registry.test:5000"
    modes = {p.name: p.stat().st_mode & 0o777 for p in host.iterdir()}
    assert modes == {"hosts.toml": 0o600, "client.cert": 0o644, "client.key": 0o600}
    assert header_secret.encode() in (host / "hosts.toml").read_bytes()  # containerd needs it

    config = HostsConfig(
        host="registry.test:5000",
        server="https://registry.test:5000",
        endpoint=Endpoint(header={"Authorization": header_secret}),
        mirrors=[Mirror(url="https://mirror.test", header={"X-Token": [header_secret + "-m"]})],
    )
    changed = registry_reconciler.plan(DesiredHosts(config, str(tmp_path / "library")))
    for shown in ({**hosts_report(changed, None), "actions": changed.summaries()},
                  hosts_diff(changed)):
        assert secrets.found_in(json.dumps(shown).encode()) == [], shown
    inputs = [client.cert_path, client.key_path, host / "hosts.toml", host / "client.key"]
    assert_no_secret_in_files(secrets, start, [tmp_path], inputs)
