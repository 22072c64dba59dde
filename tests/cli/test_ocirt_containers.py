"""The docker-like container commands of `ocirt`, against the private daemon."""

import json

from cli.test_ocirt_cli import ocirt
from harness.images import write_oci_archive

IMAGE = "example.test/cli/busybox:1"


def env_for(containerd, ns):
    return {"CONTAINERD_ADDRESS": containerd.address, "CONTAINERD_NAMESPACE": ns}


def test_run_ps_exec_logs_stop_rm(containerd, containerd_namespace, busybox, tmp_path):
    ns = containerd_namespace
    containerd.ctr(
        "images",
        "import",
        str(write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)),
        namespace=ns,
    )
    env = env_for(containerd, ns)

    fg = ocirt("run", "--rm", IMAGE, "sh", "-c", "echo hello $OCIRT_IMAGE; exit 4", env=env)
    assert fg.returncode == 4 and fg.stdout == "hello busybox\n"
    assert ocirt("ps", "-a", "-q", env=env).stdout == ""

    started = ocirt(
        "run",
        "-d",
        "--name",
        "web",
        "-e",
        "GREETING=hi",
        "--memory",
        "64m",
        IMAGE,
        "sh",
        "-c",
        "echo up; exec sleep 1000",
        env=env,
    )
    assert started.returncode == 0 and started.stdout.strip() == "web"
    ps = ocirt("ps", env=env).stdout.splitlines()
    assert (
        ps[0].split()[:2] == ["CONTAINER", "ID"]
        and ps[1].split()[0] == "web"
        and "running" in ps[1]
    )
    assert "web" in containerd.ctr("task", "ls", namespace=ns).stdout

    ran = ocirt("exec", "web", "sh", "-c", "echo $GREETING; echo oops >&2; exit 2", env=env)
    assert (ran.returncode, ran.stdout, ran.stderr) == (2, "hi\n", "oops\n")
    assert ocirt("logs", "web", env=env).stdout == "up\n"

    stats = ocirt("stats", "--no-stream", env=env).stdout.splitlines()
    assert stats[1].split()[0] == "web" and "/ 64.0 MiB" in stats[1]

    details = json.loads(ocirt("inspect", "web", env=env).stdout)[0]
    assert details["status"] == "running" and details["config"]["env"] == {"GREETING": "hi"}
    assert details["spec"]["memory_limit"] == 64 * 1024 * 1024

    assert ocirt("stop", "-t", "2", "web", env=env).stdout.strip() == "web"
    assert "stopped" in ocirt("ps", "-a", env=env).stdout
    clash = ocirt("run", "-d", "--name", "web", IMAGE, "true", env=env)
    assert clash.returncode == 1 and "already exists" in clash.stderr
    assert ocirt("rm", "web", env=env).returncode == 0
    assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""
    missing = ocirt("inspect", "web", env=env)
    assert missing.returncode == 1 and missing.stderr.startswith("ocirt: ")


def test_run_whose_start_fails_cleans_up_only_with_rm(
    containerd, containerd_namespace, busybox, tmp_path
):
    """As docker: `run --rm` leaves nothing when the command cannot start, a plain `run`
    leaves the container created (to be inspected, or removed)."""
    ns = containerd_namespace
    containerd.ctr(
        "images",
        "import",
        str(write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)),
        namespace=ns,
    )
    env = env_for(containerd, ns)
    gone = ocirt("run", "--rm", "--name", "gone", IMAGE, "/no/such/command", env=env)
    assert gone.returncode == 1 and "/no/such/command" in gone.stderr, gone.stderr
    assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""
    assert "gone" not in containerd.ctr("snapshots", "ls", namespace=ns).stdout

    kept = ocirt("run", "--name", "kept", IMAGE, "/no/such/command", env=env)
    assert kept.returncode == 1 and "/no/such/command" in kept.stderr, kept.stderr
    rows = json.loads(ocirt("--json", "ps", "-a", env=env).stdout)
    assert [(r["id"], r["status"]) for r in rows] == [("kept", "created")]
    assert ocirt("rm", "kept", env=env).returncode == 0
