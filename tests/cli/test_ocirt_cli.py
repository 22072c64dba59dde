"""The `ocirt` command as a person runs it, against the private daemon."""

import json
import os
import subprocess
import sys
from pathlib import Path

OCIRT = str(Path(sys.executable).parent / "ocirt")


def ocirt(*args, env=None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    full_env.update(env or {})
    return subprocess.run(
        [OCIRT, *args],
        capture_output=True,
        text=True,
        env=full_env,
        stdin=subprocess.DEVNULL,
        timeout=60,
    )


def test_info_table_and_json(containerd):
    table = ocirt("--address", containerd.address, "info")
    assert table.returncode == 0, table.stderr
    reported = json.loads(ocirt("--address", containerd.address, "info", "--json").stdout)
    assert f"Version:       {reported['version']}" in table.stdout
    assert "CRI:           served (v1" in table.stdout
    assert "overlayfs" in table.stdout.split("Snapshotters:", 1)[1].splitlines()[0]
    assert reported["address"] == containerd.address


def test_info_plugins_table_matches_ctr(containerd):
    out = ocirt("-a", containerd.address, "info", "--plugins").stdout
    rows = [line.split() for line in out.splitlines() if line.startswith("io.containerd.")]
    ours = {(cols[0], cols[1], cols[-1]) for cols in rows}
    theirs = {
        (c[0], c[1], c[-1])
        for c in (line.split() for line in containerd.ctr("plugins", "ls").stdout.splitlines()[1:])
    }
    assert ours == theirs


def test_namespace_commands_honour_containerd_address(containerd, containerd_namespace):
    env = {"CONTAINERD_ADDRESS": containerd.address}
    ns = containerd_namespace
    created = ocirt("namespace", "create", ns, "--label", "a=1", env=env)
    assert created.returncode == 0, created.stderr
    assert created.stdout.strip() == f"create: {ns} (namespace does not exist)"
    again = ocirt("ns", "create", ns, "-l", "a=1", env=env)
    assert again.stdout.strip() == f"{ns}: unchanged"
    assert ns in ocirt("ns", "ls", "-q", env=env).stdout.split()
    listed = json.loads(ocirt("--json", "ns", "ls", env=env).stdout)
    assert {"name": ns, "labels": {"a": "1"}} in listed
    assert ns in containerd.ctr("namespaces", "ls", "-q", namespace=None).stdout.split()
    removed = ocirt("ns", "rm", ns, env=env)
    assert removed.returncode == 0 and removed.stdout.strip() == ns
    gone = ocirt("ns", "rm", ns, env=env)
    assert gone.returncode == 1 and gone.stderr.strip() == f"ocirt: no such namespace: {ns}"


def test_errors_are_one_line_without_traceback(containerd, tmp_path):
    missing = ocirt("--address", str(tmp_path / "x.sock"), "info")
    assert missing.returncode == 1
    assert missing.stderr.startswith(f"ocirt: there is no containerd socket at {tmp_path}/x.sock")
    assert len(missing.stderr.strip().splitlines()) == 1
    bad = ocirt("-a", containerd.address, "ns", "create", "no/slashes")
    assert bad.returncode == 1 and "not a valid containerd identifier" in bad.stderr
    assert "Traceback" not in bad.stderr + missing.stderr
