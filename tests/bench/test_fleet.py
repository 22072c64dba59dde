"""bench/fleet.py kept working: a one-node fleet converged through the workloads role prints
its table row (the demo container running, the rerun changing nothing) and leaves nothing
behind; the state way's document is checked from data (a second fleet would double the
test's time). Figures are for the benchmark itself, never asserted here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from harness.ansible_runner import REPO
from harness.util import mounts_under, proc_cmdlines

sys.path.insert(0, str(REPO / "bench"))

import fleet

ROW = re.compile(r"^\s+1\s+(workloads role|state module, 1 task)\s+[\d. ]+\s+1/1\s+[1-9]\d*/0$")


def test_one_node_fleet_converges_and_leaves_nothing():
    argv = [str(REPO / "bench" / "fleet.py"), "--nodes", "1", "--rounds", "1", "--ways", "role"]
    proc = subprocess.run(
        [sys.executable, *argv],
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, f"{proc.stdout}\n{proc.stderr[-6000:]}"
    rows = [m.group(1) for m in map(ROW.match, proc.stdout.splitlines()) if m]
    assert rows == ["workloads role"], proc.stdout
    assert "torn down: no daemon" in proc.stdout, proc.stdout
    run_dir = re.search(r"^run directory (\S+)$", proc.stderr, re.M)
    assert run_dir, proc.stderr
    where = run_dir.group(1)
    assert not Path(where).exists()
    assert not mounts_under(where)
    assert not [argv for _, argv in proc_cmdlines() if any(where in a for a in argv)]


def test_state_way_declares_the_role_workloads_in_one_document():
    workloads = fleet.workloads_vars(Path("/srv/demo.tar"))
    document = fleet.state_document(workloads)
    assert document["group"] == workloads["workloads_group"]
    assert document["images"] == [
        {"name": "{{ demo_image_name }}", "archive_path": "{{ demo_image_archive }}"}
    ]
    assert workloads["demo_image_archive"] == "/srv/demo.tar"
    names = [c["name"] for c in workloads["workloads_containers"]]
    assert [c["name"] for c in document["containers"]] == names
    assert {c["pull"] for c in document["containers"]} == {workloads["workloads_pull"]}


def test_slope_is_seconds_per_extra_node():
    assert fleet.slope([(5, 10.0), (10, 20.0), (20, 40.0)]) == pytest.approx(2.0)
    assert fleet.slope([(5, 10.0)]) is None


@pytest.mark.parametrize("text", ["0", "a", "", "5,-1"])
def test_nodes_must_be_positive_counts(text):
    with pytest.raises(SystemExit):
        fleet.parse_args(["--nodes", text])
