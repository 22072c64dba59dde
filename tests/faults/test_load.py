"""200 containers converged and re-converged by one containers task.

The first converge creates and starts all of them while 20 `ocirt ps -a` run at once
against the same namespace (all must succeed and list only containers of the set); the
second converge must report no change and leave every pid as it was. The peak resident
memory (VmHWM) of the module's own process is read from /proc while it runs, and must stay
under a generous bound; the figures are recorded as test properties (and printed).

One series only (2.1), as the heaviest test of the suite on a 2-core machine: what is
measured is ocirt's module, which does the same work on every series.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path
from typing import Dict, List

import pytest
from cli.test_ocirt_cli import OCIRT
from harness.ansible_runner import run_playbook
from harness.images import busybox_image, push

from faults.test_concurrency import (
    assert_converged,
    containers_task,
    finish_playbook,
    start_playbook,
)

pytestmark = [pytest.mark.containerd_series("2.1"), pytest.mark.timeout(600)]

COUNT = 200
READERS = 20
RSS_BOUND_MIB = 300


@pytest.fixture(scope="module")
def image(registry_http) -> str:
    push(registry_http, "ocirt/load", "1", busybox_image())
    return f"{registry_http.host}/ocirt/load:1"


class PeakMemory:
    """The largest VmHWM of the processes whose argv holds ``part`` and whose environment
    holds ``marker`` (this run's module, not another test's), sampled until stopped."""

    def __init__(self, marker: str, part: bytes) -> None:
        self.marker = marker.encode()
        self.part = part
        self.peak_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(0.05):
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    if self.part not in Path(f"/proc/{pid}/cmdline").read_bytes():
                        continue
                    if self.marker not in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0"):
                        continue
                    status = Path(f"/proc/{pid}/status").read_text()
                except OSError:
                    continue
                hwm = next(int(x.split()[1]) for x in status.splitlines() if x.startswith("VmHWM"))
                self.peak_kib = max(self.peak_kib, hwm)
                self.samples += 1


def _ps_readers(containerd, ns: str) -> List[subprocess.Popen]:
    argv = [OCIRT, "--address", containerd.address, "--namespace", ns, "ps", "-a"]
    return [
        subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(READERS)
    ]


def _wait_for_containers(containerd, ns: str, proc: subprocess.Popen, at_least: int) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        out = containerd.ctr("containers", "ls", "-q", namespace=ns, check=False).stdout
        if len(out.split()) >= at_least:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {at_least} containers while the converge ran")


def _check_readers(readers: List[subprocess.Popen], names: List[str]) -> None:
    for reader in readers:
        out, err = reader.communicate(timeout=120)
        assert reader.returncode == 0, err
        rows = out.splitlines()
        assert rows and rows[0].split()[0] == "CONTAINER", out[:200]
        assert {row.split()[0] for row in rows[1:]} <= set(names), out[:400]


def _converge_while_reading(containerd, ns, image, names, marker) -> Dict[str, float]:
    task = containers_task(containerd, ns, image, names, "load")
    started = time.monotonic()
    proc, path = start_playbook([task], dict([marker.split("=")]))
    with PeakMemory(marker, b"AnsiballZ_containers") as memory:
        _wait_for_containers(containerd, ns, proc, at_least=COUNT // 4)
        readers = _ps_readers(containerd, ns)
        assert proc.poll() is None, "the converge ended before the readers started"
        result = finish_playbook(proc, path, timeout=540)[0]
    seconds = time.monotonic() - started
    assert result["failed"] is False, result.get("msg")
    assert result["changed"] is True
    assert [c["status"] for c in result["containers"]] == ["running"] * COUNT
    _check_readers(readers, names)
    assert memory.samples > 0, "the module's process was never seen"
    return {"seconds": seconds, "peak_mib": memory.peak_kib / 1024}


def test_200_containers_converge_and_reconverge(
    containerd,
    containerd_namespace,
    image,
    record_property,
):
    ns = containerd_namespace
    names = [f"l{i:03d}" for i in range(COUNT)]
    first = _converge_while_reading(
        containerd, ns, image, names, f"OCIRT_LOAD_RUN={os.urandom(6).hex()}"
    )
    pids = assert_converged(containerd, ns, names, image)

    marker = f"OCIRT_LOAD_RUN={os.urandom(6).hex()}"
    started = time.monotonic()
    with PeakMemory(marker, b"AnsiballZ_containers") as memory:
        again = run_playbook(
            [containers_task(containerd, ns, image, names, "load")],
            environ=dict([marker.split("=")]),
        )[0]
    second = {"seconds": time.monotonic() - started, "peak_mib": memory.peak_kib / 1024}
    assert again["failed"] is False and again["changed"] is False, again.get("msg")
    assert assert_converged(containerd, ns, names, image) == pids

    for name, figures in (("first", first), ("again", second)):
        for key, value in figures.items():
            record_property(f"{name}_{key}", round(value, 1))
    print(f"\nload: {COUNT} containers, first converge {first}, no-op converge {second}")
    assert max(first["peak_mib"], second["peak_mib"]) < RSS_BOUND_MIB, (first, second)
