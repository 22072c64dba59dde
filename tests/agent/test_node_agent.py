"""The single-file node agent dist/ocirt.pyz: built reproducibly by scripts/build-agent.sh
and run the way a node runs it, by Debian's /usr/bin/python3 with Debian's python3-grpcio
(scripts/setup.sh installs it), outside the project's virtualenv, against the private
daemon."""

import hashlib
import json
import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from harness.agent import build_agent
from harness.images import push, unique_image

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PYTHON = "/usr/bin/python3"
DEBIAN_GRPC = "/usr/lib/python3/dist-packages/grpc/"


def _build(output: Path) -> str:
    return hashlib.sha256(build_agent(output).read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def agent(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """dist/ocirt.pyz built by the script's default path, and checked against a second
    build elsewhere: the same tree gives the same bytes."""
    default = build_agent()
    again = _build(tmp_path_factory.mktemp("agent") / "ocirt.pyz")
    assert hashlib.sha256(default.read_bytes()).hexdigest() == again
    return default


def _node_env(**extra: str) -> dict:
    """A node's environment: no virtualenv, no PYTHONPATH, no containerd settings."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    keep["PATH"] = ":".join(p for p in keep.get("PATH", "").split(":") if ".venv" not in p)
    keep.update(extra)
    return keep


def on_node(agent: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [SYSTEM_PYTHON, str(agent), *args],
        capture_output=True,
        text=True,
        env=_node_env(**env),
        stdin=subprocess.DEVNULL,
        timeout=120,
    )


def test_system_python_has_debians_grpcio():
    """The agent's tests mean something only with the distribution's grpcio (1.51 on
    Debian 12), not the virtualenv's (scripts/setup.sh installs python3-grpcio)."""
    probe = "import grpc, tomlkit, yaml; print(grpc.__version__, grpc.__file__)"
    found = subprocess.run(
        [SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, env=_node_env()
    )
    assert found.returncode == 0, (
        f"install python3-grpcio python3-tomlkit python3-yaml: {found.stderr}"
    )
    version, path = found.stdout.split()
    assert version.startswith("1.51.") and path.startswith(DEBIAN_GRPC), found.stdout


def test_the_archive_is_reproducible_and_holds_only_the_cli_and_library(agent):
    with zipfile.ZipFile(agent) as z:
        infos = z.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and "__main__.py" in names and "ocirt/cli/main.py" in names
    assert "ansible_collections/ocirt/containerd/plugins/module_utils/reconcile/plan.py" in names
    assert not [n for n in names if "/_ansible/" in n or "__pycache__" in n]
    sources = {n for n in names if n.endswith(".py")}
    assert {n for n in names if n.endswith(".pyc")} == {n + "c" for n in sources}
    assert not [n for n in names if "/plugins/modules/" in n]
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
    assert agent.read_bytes().startswith(b"#!/usr/bin/env python3\n")


def test_version_names_the_commit_and_imports_come_from_the_agent(agent):
    shown = on_node(agent, "--version")
    assert shown.returncode == 0, shown.stderr
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    if head:  # built from a git checkout: its commit, "-dirty" if the packed files differ
        assert re.fullmatch(rf"ocirt \S+ \(commit {head}(-dirty)?\)\n", shown.stdout), shown.stdout
    else:  # from a tree without git: the version alone
        assert re.fullmatch(r"ocirt \S+\n", shown.stdout), shown.stdout
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import grpc, ocirt.client, "
        "ansible_collections.ocirt.containerd.plugins.module_utils as mu; "
        "print(ocirt.client.__file__, mu.__file__, grpc.__file__)"
    )
    where = subprocess.run(
        [SYSTEM_PYTHON, "-c", probe, str(agent)], capture_output=True, text=True, env=_node_env()
    )
    assert where.returncode == 0, where.stderr
    client, library, grpc = where.stdout.split()
    assert client.startswith(f"{agent}/") and library.startswith(f"{agent}/")
    assert grpc.startswith(DEBIAN_GRPC)


def test_the_node_runs_the_packed_bytecode(agent):
    """Debian's python3 (the builder's version) loads the packed .pyc, not the source: a
    function compiled at build time names the file as it is inside the archive, one
    compiled by zipimport on the node names the archive's path."""
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import ocirt.cli.main as m; "
        "print(m.main.__code__.co_filename)"
    )
    where = subprocess.run(
        [SYSTEM_PYTHON, "-c", probe, str(agent)], capture_output=True, text=True, env=_node_env()
    )
    assert where.returncode == 0, where.stderr
    assert where.stdout.strip() == "ocirt/cli/main.py"


#: imports every module of the agent with only the standard library and grpc importable
IMPORT_ALL = """
import importlib.abc, sys, zipfile

class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in ("tomlkit", "yaml", "google", "ansible"):
            raise ImportError(f"{name} is not on this node")

sys.meta_path.insert(0, Absent())
sys.path.insert(0, sys.argv[1])
packed = zipfile.ZipFile(sys.argv[1]).namelist()
names = [n[:-3].replace("/", ".") for n in packed if n.endswith(".py")]
for name in sorted(n.removesuffix(".__init__") for n in names if n != "__main__"):
    importlib.import_module(name)
print(len(names))
"""


def test_every_module_imports_with_only_grpc(agent):
    """What Debian 12's python3 may lack (tomlkit, yaml, protobuf, ansible) is optional or
    absent: every module of the agent imports without it (tomlkit is asked for only by the
    configuration work that needs it)."""
    ran = subprocess.run(
        [SYSTEM_PYTHON, "-c", IMPORT_ALL, str(agent)],
        capture_output=True,
        text=True,
        env=_node_env(),
    )
    assert ran.returncode == 0, ran.stderr
    assert int(ran.stdout) > 100


def test_agent_pulls_runs_and_lists_on_the_private_daemon(
    agent, containerd, containerd_namespace, registry_http
):
    ns = containerd_namespace
    digest = push(registry_http, "ocirt/agent", "1", unique_image("agent"))
    ref = f"{registry_http.host}/ocirt/agent:1"
    env = {"CONTAINERD_ADDRESS": containerd.address, "CONTAINERD_NAMESPACE": ns}

    listed = on_node(agent, "ps", "-a", **env)
    assert listed.returncode == 0 and listed.stdout.split()[:2] == ["CONTAINER", "ID"], listed
    pulled = on_node(agent, "pull", "-q", "--hosts-dir", "/nonexistent", ref, **env)
    assert (pulled.returncode, pulled.stdout) == (0, f"{ref}\n"), pulled.stderr
    images = json.loads(on_node(agent, "--json", "images", **env).stdout)
    assert [(i["name"], i["digest"], i["unpacked"]) for i in images] == [(ref, digest, True)]

    ran = on_node(agent, "run", "-d", "--name", "agent-web", ref, "sleep", "1000", **env)
    assert (ran.returncode, ran.stdout) == (0, "agent-web\n"), ran.stderr
    rows = json.loads(on_node(agent, "--json", "ps", **env).stdout)
    assert [(r["id"], r["status"]) for r in rows] == [("agent-web", "running")]
    assert re.search(
        rf"^agent-web\s+{rows[0]['pid']}\s+RUNNING$",
        containerd.ctr("tasks", "ls", namespace=ns).stdout,
        re.MULTILINE,
    )
    assert on_node(agent, "rm", "-f", "agent-web", **env).returncode == 0
    assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""


def test_agent_applies_a_state_document(agent, containerd, containerd_namespace, registry_http):
    """The GitOps path on a bare node: the document on standard input (JSON: no PyYAML
    needed), applied, then diff finds nothing to do; ctr sees the container running."""
    ns = containerd_namespace
    push(registry_http, "ocirt/agent-state", "1", unique_image("agent-state"))
    ref = f"{registry_http.host}/ocirt/agent-state:1"
    document = json.dumps(
        {
            "namespace": ns,
            "images": [{"name": ref}],
            "containers": [{"name": "agent-db", "image": ref, "command": ["sleep", "1000"]}],
        }
    )
    env = _node_env(CONTAINERD_ADDRESS=containerd.address)

    def agent_run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [SYSTEM_PYTHON, str(agent), *args, "--hosts-dir", "/nonexistent", "-f", "-"],
            input=document,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    drift = agent_run("diff")
    assert drift.returncode == 2 and "container agent-db: create" in drift.stdout, drift
    applied = agent_run("apply", "--json")
    assert applied.returncode == 0, applied.stderr
    report = json.loads(applied.stdout)
    assert report["changed"] and report["counts"]["changed"] == 2  # the image, the container
    again = agent_run("diff")
    assert (again.returncode, again.stderr) == (0, ""), again
    assert re.search(
        r"^agent-db\s+\d+\s+RUNNING$",
        containerd.ctr("tasks", "ls", namespace=ns).stdout,
        re.MULTILINE,
    )
    assert (
        on_node(
            agent,
            "rm",
            "-f",
            "agent-db",
            CONTAINERD_ADDRESS=containerd.address,
            CONTAINERD_NAMESPACE=ns,
        ).returncode
        == 0
    )
