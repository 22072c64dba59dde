"""`ocirt completion bash`, sourced in a real bash: what COMPREPLY holds after a TAB."""

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from cli.test_ocirt_cli import OCIRT, ocirt
from harness.images import write_oci_archive

IMAGE = "example.test/cli/busybox:1"


@pytest.fixture(scope="module")
def script(tmp_path_factory) -> Path:
    made = ocirt("completion", "bash", env={"CONTAINERD_ADDRESS": "/nonexistent"})
    assert made.returncode == 0 and made.stderr == "", made.stderr
    path = tmp_path_factory.mktemp("completion") / "ocirt.bash"
    path.write_text(made.stdout)
    return path


def complete(script: Path, line: str, env=None) -> list:
    """COMPREPLY for ``line`` with the cursor at its end (a trailing space: a new word)."""
    words = line.split() + ([""] if line.endswith(" ") else [])
    program = (
        f"source {script}\n"
        f"COMP_WORDS=({' '.join(shlex.quote(w) for w in words)}); COMP_CWORD={len(words) - 1}\n"
        "_ocirt; printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
    full_env.update(env or {})
    full_env["PATH"] = f"{Path(OCIRT).parent}:{full_env.get('PATH', '')}"
    done = subprocess.run(
        ["bash", "--norc", "--noprofile", "-c", program],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return [w for w in done.stdout.splitlines() if w]


def test_commands_and_their_flags(script):
    assert complete(script, "ocirt r") == ["restart", "rm", "rmi", "run"]
    flags = complete(script, "ocirt run --")
    assert {"--detach", "--rm", "--name", "--memory", "--env"} <= set(flags)
    assert complete(script, "ocirt -n other image i") == ["import", "inspect"]
    assert {"--filter", "--format", "--no-trunc"} <= set(complete(script, "ocirt ps --"))
    assert complete(script, "ocirt completion ") == ["bash"]
    assert complete(script, "ocirt completion bash ") == []


def test_container_and_image_names(containerd, containerd_namespace, busybox, tmp_path, script):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "b.tar", ref_name=IMAGE)
    containerd.ctr("images", "import", str(archive), namespace=ns)
    containerd.ctr("containers", "create", IMAGE, "tab-me", namespace=ns)
    env = {"CONTAINERD_ADDRESS": containerd.address, "CONTAINERD_NAMESPACE": ns}
    assert complete(script, "ocirt inspect ta", env=env) == ["tab-me"]
    assert complete(script, "ocirt rm ", env=env) == ["tab-me"]
    assert complete(script, "ocirt image inspect example.test/", env=env) == [IMAGE]
    # the --address and --namespace typed before the command are the ones asked
    typed = f"ocirt --address {containerd.address} -n {ns} logs t"
    assert complete(script, typed) == ["tab-me"]
