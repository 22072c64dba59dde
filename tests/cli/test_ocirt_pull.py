"""`ocirt pull` as a person runs it."""

import json

from cli.test_ocirt_cli import ocirt
from harness.images import push, unique_image


def test_pull_then_up_to_date(containerd, containerd_namespace, registry_http):
    digest = push(registry_http, "ocirt/clipull", "1", unique_image("clipull", size=300_000))
    ref = f"{registry_http.host}/ocirt/clipull:1"
    env = {"CONTAINERD_ADDRESS": containerd.address, "CONTAINERD_NAMESPACE": containerd_namespace}
    first = ocirt("pull", "--hosts-dir", "/nonexistent", ref, env=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().startswith(
        f"{ref}: pulled {digest} from http://{registry_http.host}"
    )
    # not a terminal: one progress line per blob as it completes (manifest, config, 4 layers)
    assert len([x for x in first.stderr.splitlines() if "done" in x]) == 6
    second = ocirt("pull", "--hosts-dir", "/nonexistent", ref, env=env)
    assert second.stdout.strip() == f"{ref}: up to date ({digest})"
    as_json = json.loads(
        ocirt("--json", "pull", "--hosts-dir", "/nonexistent", ref, env=env).stdout
    )
    assert as_json["changed"] is False and as_json["image"]["digest"] == digest
    assert ref in containerd.ctr("images", "ls", "-q", namespace=containerd_namespace).stdout


def test_pull_errors_are_one_line(containerd, registry_http):
    env = {"CONTAINERD_ADDRESS": containerd.address}
    missing = ocirt(
        "pull", "--hosts-dir", "/nonexistent", f"{registry_http.host}/ocirt/none:1", env=env
    )
    assert missing.returncode == 1
    assert missing.stderr.startswith("ocirt: ") and "not found" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_a_password_in_argv_is_refused(containerd):
    """`--user USER:PASSWORD` would show the password to every local user (/proc/PID/cmdline):
    refused before any registry is asked, without echoing the password."""
    env = {"CONTAINERD_ADDRESS": containerd.address}
    ref = "127.0.0.1:9/ocirt/none:1"  # nothing listens there: asking it would fail otherwise
    in_argv = ocirt("pull", "--user", "someone:s3cret-in-argv", ref, env=env)
    assert in_argv.returncode == 1
    assert in_argv.stderr.startswith("ocirt: --user takes only a user name: ")
    assert "--password-stdin" in in_argv.stderr and "s3cret" not in in_argv.stderr
    no_password = ocirt("pull", "--user", "someone", ref, env=env)
    assert no_password.returncode == 1
    assert no_password.stderr.strip() == (
        "ocirt: --user someone needs its password on stdin: add --password-stdin"
    )
