"""Every module's EXAMPLES block, executed through ansible-playbook against the private
containerd, so the examples users copy never rot.

The examples are taken as written; only placeholders are substituted in their text:
registry hosts become the harness registry on 127.0.0.1 (the images they name are pushed
there first), host paths become paths under tmp, the namespaces become the test's own, a
fixed port a free one. Connection options come from module_defaults for the action group,
as a user would set them. Examples that only make sense on a real host run in check mode
(see CHECK_MODE). Each example task must come back ok: not failed, not skipped.

One containerd series (2.1): the examples are about the modules' interface, which the
other suites already cover on every series; running them three times would only cost time.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml
from harness.ansible_runner import BIN, MARKER, REPO, ansible_env
from harness.cri import DEFAULT_SANDBOX_IMAGES, pause_image
from harness.images import File, busybox_image, push, write_docker_archive
from harness.util import free_port
from install.conftest import release_server, releases  # noqa: F401 (fixtures)

MODULES_DIR = REPO / "collections/ansible_collections/ocirt/containerd/plugins/modules"
MODULES = sorted(p.stem for p in MODULES_DIR.glob("*.py") if p.stem != "__init__")

# install and service change the machine itself (apt, /usr/local, a daemon under systemd or
# detached): they plan against the private containerd in check mode, writing nothing.
# network writes /etc/ocirt/networks and removes bridges of the machine's network
# (tests/networks runs it for real, inside a network namespace of its own).
CHECK_MODE = {"install", "service", "network"}

#: Images the examples name, pushed to the harness registry (repository:tag).
PUSHED = [
    "team/web:1.4",
    "team/worker:1.4",
    "team/app:stable",
    "team/db:1",
    "pause:3.9",
    "library/busybox:1.36",
]

#: How many example tasks ran, per module, for the closing summary (conftest.py).
EXECUTED: Dict[str, int] = {}


def examples_text(module: str) -> str:
    tree = ast.parse((MODULES_DIR / f"{module}.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "EXAMPLES":
            return node.value.value  # type: ignore[attr-defined]
    raise AssertionError(f"{module} has no EXAMPLES")


def substitute(text: str, places: Dict[str, str]) -> str:
    """Replace each placeholder of ``places`` (longest first, so hosts with ports win)."""
    for old in sorted(places, key=len, reverse=True):
        text = text.replace(old, places[old])
    return text


def example_task_names(tasks: List[Dict[str, Any]]) -> List[str]:
    names = []
    for task in tasks:
        assert task.get("name"), f"an example without a name: {task}"
        names += example_task_names(task["block"]) if "block" in task else [task["name"]]
    return names


@pytest.fixture(scope="module")
def example_images(registry_http) -> str:
    """The images the examples pull, in the harness registry; the db image also has the
    pg_isready the container_exec example asks (a stand-in answering like PostgreSQL's)."""
    image = busybox_image()
    db = busybox_image(
        extra_layer={
            "usr/bin/pg_isready": File(
                b'#!/bin/sh\necho "/var/run/postgresql:5432 - accepting connections"\n', 0o755
            )
        }
    )
    for ref in PUSHED:
        repo, tag = ref.rsplit(":", 1)
        push(registry_http, repo, tag, db if repo == "team/db" else image)
    return registry_http.host


def placeholders(reg: str, tmp: Path, ns: str, containerd: Any, ca_path: str) -> Dict[str, str]:
    return {
        "registry.example:5000": reg,
        "registry.example.internal": reg,
        "mirror.example.internal:5000": reg,
        "private.example.internal:5000": reg,
        "registry.k8s.io": reg,
        "docker.io/library/busybox": f"{reg}/library/busybox",
        "/srv/www": f"{tmp}/www",
        "/srv/images": f"{tmp}/images",
        "/etc/ocirt/state.json": f"{tmp}/state.json",
        "/etc/ssl/certs/internal-ca.pem": ca_path,
        "/etc/containerd/certs.d": f"{tmp}/certs.d",
        "/run/k3s/containerd/containerd.sock": containerd.address,
        "namespace: k8s.io": f"namespace: {ns}",
        "name: builds": f"name: {ns}-builds",
        '"8080"': f'"{free_port()}"',
    }


def use_release_archives(examples: List[Dict[str, Any]], built: Dict[str, Any]) -> None:
    """The archive example's URLs, path and checksums become the harness's release archives
    (same kinds: a URL for containerd and runc, a local path for the CNI plugins)."""
    for task in examples:
        args = task.get("ocirt.containerd.install") or {}
        for component, key in (
            ("containerd", "containerd_2.1"),
            ("runc", "runc"),
            ("cni_plugins", "cni_plugins"),
        ):
            if component in args:
                art = built[key]
                source = "url" if "url" in args[component] else "path"
                prefix = "sha256:" if args[component]["sha256"].startswith("sha256:") else ""
                args[component] = {
                    source: art.url if source == "url" else str(art.path),
                    "sha256": prefix + art.sha256,
                }


def module_defaults(containerd: Any, tmp: Path, ns: str) -> Dict[str, Any]:
    """What a user sets once per play; paths that default to /etc or /var go under tmp."""
    return {
        "group/ocirt.containerd.containerd": {
            "address": containerd.address,
            "namespace": ns,
            "registry_config_path": f"{tmp}/certs.d",
        },
        "ocirt.containerd.config": {
            "path": f"{tmp}/config.toml",
            "containerd_binary": str(containerd.containerd_bin),
        },
        "ocirt.containerd.install": {
            "prefix": f"{tmp}/prefix",
            "manifest_path": f"{tmp}/install.json",
            "cni_bin_dir": f"{tmp}/cni",
        },
        "ocirt.containerd.service": {
            "binary": str(containerd.containerd_bin),
            "config_path": str(containerd.config_path),
            "unit_path": f"{tmp}/containerd.service",
            "pid_file": f"{tmp}/containerd.pid",
            "log_file": f"{tmp}/containerd.log",
        },
    }


def setup_tasks(module: str, reg: str, tmp: Path) -> List[Dict[str, Any]]:
    """What an example takes as already there (not counted as examples)."""
    if module in ("pod", "pod_info"):
        return [
            {
                "name": "setup: the CRI's sandbox image, offline",
                "ocirt.containerd.image": {
                    "name": DEFAULT_SANDBOX_IMAGES["2.1"],
                    "archive_path": f"{tmp}/images/pause.tar",
                    "namespace": "k8s.io",
                },
            }
        ]
    if module == "container_exec":
        return [
            {
                "name": "setup: a db container",
                "ocirt.containerd.container": {
                    "name": "db",
                    "image": f"{reg}/team/db:1",
                    "command": ["sleep", "300"],
                },
            }
        ]
    if module == "container_info":
        return [
            {
                "name": "setup: a web container",
                "ocirt.containerd.container": {
                    "name": "web",
                    "image": f"{reg}/team/web:1.4",
                    "command": ["sleep", "300"],
                },
            }
        ]
    if module == "image_info":
        return [
            {
                "name": "setup: busybox pulled",
                "ocirt.containerd.image": {"name": f"{reg}/library/busybox:1.36"},
            }
        ]
    return []


PLAY_VARS = {
    "registry_password": "not-asked-by-this-registry",
    "registry_token": "not-asked-by-this-registry",
    "containerd_install": {"restart_required": False},
    "containerd_config": {"restart_required": False},
}


def run_play(
    tasks: List[Dict[str, Any]], defaults: Dict[str, Any], check: bool, address: str
) -> List[Dict[str, Any]]:
    play = [
        {
            "hosts": "localhost",
            "gather_facts": False,
            "vars": PLAY_VARS,
            "module_defaults": defaults,
            "tasks": tasks,
            "handlers": [
                {
                    "name": "Restart containerd",
                    "ansible.builtin.debug": {"msg": "the handler was notified"},
                }
            ],
        }
    ]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        json.dump(play, f)
    argv = [str(BIN / "ansible-playbook"), f.name] + (["--check"] if check else [])
    try:
        # CONTAINERD_ADDRESS too: nothing may reach the machine's own daemon
        proc = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=400,
            env=ansible_env({"CONTAINERD_ADDRESS": address}),
            stdin=subprocess.DEVNULL,
        )
    finally:
        os.unlink(f.name)
    results = [
        json.loads(x[len(MARKER) :]) for x in proc.stdout.splitlines() if x.startswith(MARKER)
    ]
    assert results, f"no task result:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return results


def prepare_paths(tmp: Path, reg: str) -> None:
    (tmp / "www").mkdir()
    (tmp / "www" / "index.html").write_text("hello\n")
    (tmp / "images").mkdir()
    write_docker_archive(
        busybox_image(), tmp / "images" / "app-1.4.tar", repo_tags=[f"{reg}/team/app:1.4"]
    )
    # the CRI's sandbox image of containerd 2.1, for the pod examples (no registry.k8s.io)
    sandbox = DEFAULT_SANDBOX_IMAGES["2.1"]
    write_docker_archive(pause_image(), tmp / "images" / "pause.tar", repo_tags=[sandbox])


@pytest.mark.containerd_series("2.1")
@pytest.mark.parametrize("module", MODULES)
def test_examples_run(module, containerd, containerd_namespace, example_images, test_ca, request):
    tmp = Path(tempfile.mkdtemp(prefix="ocirt-ex-", dir="/tmp"))
    reg, ns = example_images, containerd_namespace
    try:
        run_examples(module, containerd, ns, reg, tmp, str(test_ca.cert_path), request)
    finally:
        containerd.cleanup_namespace(f"{ns}-builds")
        # the container modules keep logs and named volumes under fixed roots, by namespace
        for own in (Path("/var/log/ocirt") / ns, Path("/var/lib/ocirt/volumes") / ns, tmp):
            shutil.rmtree(own, ignore_errors=True)


def run_examples(
    module: str,
    containerd: Any,
    ns: str,
    reg: str,
    tmp: Path,
    ca_path: str,
    request: pytest.FixtureRequest,
) -> None:
    prepare_paths(tmp, reg)
    text = substitute(examples_text(module), placeholders(reg, tmp, ns, containerd, ca_path))
    examples = yaml.safe_load(text)
    if module == "install":
        use_release_archives(examples, request.getfixturevalue("releases"))
    names = example_task_names(examples)
    results = run_play(
        setup_tasks(module, reg, tmp) + examples,
        module_defaults(containerd, tmp, ns),
        module in CHECK_MODE,
        containerd.address,
    )
    by_name = {r["task"]: r["result"] for r in results}
    for r in results:
        assert r["result"]["_status"] == "ok", f"{r['task']}: {r['result']}"
    missing = [n for n in names if n not in by_name]
    assert missing == [], f"examples that did not run: {missing}"
    EXECUTED[module] = len(names)
