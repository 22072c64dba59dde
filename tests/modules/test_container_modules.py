"""The container, container_info and container_exec modules through Ansible."""

import pytest
from harness.ansible_runner import run_module, run_playbook
from harness.images import busybox_image, push


@pytest.fixture
def image(registry_http):
    """busybox in the plain-HTTP registry: the container module pulls it itself."""
    push(registry_http, "ocirt/busybox", "1", busybox_image())
    return f"{registry_http.host}/ocirt/busybox:1"


def base(containerd, ns, name, image, **extra):
    return {
        "address": containerd.address,
        "namespace": ns,
        "name": name,
        "image": image,
        "registry_config_path": "/nonexistent",
        **extra,
    }


def task_pids(containerd, ns):
    rows = containerd.ctr("task", "ls", namespace=ns).stdout.splitlines()[1:]
    return {r.split()[0]: (r.split()[1], r.split()[2]) for r in rows}


def test_lifecycle_check_mode_idempotency_and_recreate(containerd, containerd_namespace, image):
    ns = containerd_namespace
    a = base(containerd, ns, "app", image, command=["sleep", "3600"], env={"MODE": "one"})

    predicted = run_module("ocirt.containerd.container", check=True, diff=True, **a)
    assert predicted["changed"] is True
    assert [x["action"] for x in predicted["actions"]] == ["pull", "create", "start"]
    assert predicted["diff"]["after"]["config"]["env"] == {"MODE": "one"}
    assert task_pids(containerd, ns) == {}
    assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""

    done = run_module("ocirt.containerd.container", **a)
    assert done["changed"] is True and done["container"]["status"] == "running"
    pid = task_pids(containerd, ns)["app"]
    assert pid[1] == "RUNNING"

    again = run_module("ocirt.containerd.container", check=True, **a)
    assert again["changed"] is False
    again = run_module("ocirt.containerd.container", diff=True, **a)
    assert again["changed"] is False and again["actions"] == []
    assert task_pids(containerd, ns)["app"] == pid  # not restarted

    changed = {**a, "env": {"MODE": "two"}}
    predicted = run_module("ocirt.containerd.container", check=True, **changed)
    assert predicted["actions"][0] == {
        "action": "remove",
        "target": "app",
        "reason": "configuration differs: env",
    }
    assert task_pids(containerd, ns)["app"] == pid
    recreated = run_module("ocirt.containerd.container", **changed)
    assert recreated["changed"] is True
    new_pid = task_pids(containerd, ns)["app"]
    assert new_pid != pid and new_pid[1] == "RUNNING"
    out = containerd.ctr(
        "task", "exec", "--exec-id", "e1", "app", "sh", "-c", "echo $MODE", namespace=ns
    )
    assert out.stdout.strip() == "two"

    stopped = run_module("ocirt.containerd.container", **{**changed, "state": "stopped"})
    assert stopped["changed"] is True and stopped["container"]["status"] == "stopped"
    assert (
        "app" not in task_pids(containerd, ns) or task_pids(containerd, ns)["app"][1] == "STOPPED"
    )
    assert (
        run_module("ocirt.containerd.container", **{**changed, "state": "stopped"})["changed"]
        is False
    )
    assert run_module("ocirt.containerd.container", **changed)["changed"] is True
    assert task_pids(containerd, ns)["app"][1] == "RUNNING"

    gone = {"address": containerd.address, "namespace": ns, "name": "app", "state": "absent"}
    assert run_module("ocirt.containerd.container", check=True, **gone)["changed"] is True
    assert run_module("ocirt.containerd.container", **gone)["changed"] is True
    assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""
    assert run_module("ocirt.containerd.container", **gone)["changed"] is False


def test_second_play_run_restarts_nothing(containerd, containerd_namespace, image):
    ns = containerd_namespace
    tasks = [
        {
            "ocirt.containerd.container": base(
                containerd,
                ns,
                f"svc{i}",
                image,
                command=["sleep", "3600"],
                memory="64m",
                restart_policy="always",
            )
        }
        for i in range(3)
    ]
    first = run_playbook(tasks)
    assert [r["changed"] for r in first] == [True, True, True]
    pids = task_pids(containerd, ns)
    second = run_playbook(tasks)
    assert [r["changed"] for r in second] == [False, False, False]
    assert task_pids(containerd, ns) == pids


def test_containers_made_by_ctr_are_left_alone_unless_adopted(
    containerd, containerd_namespace, image
):
    ns = containerd_namespace
    containerd.ctr("images", "pull", "--plain-http", image, namespace=ns)
    containerd.ctr("run", "-d", image, "foreign", "sleep", "3600", namespace=ns)
    a = base(containerd, ns, "foreign", image, command=["sleep", "3600"])
    refused = run_module("ocirt.containerd.container", **a)
    assert refused["failed"] is True
    assert "ocirt did not create it" in refused["msg"] and "adopt=true" in refused["msg"]
    assert task_pids(containerd, ns)["foreign"][1] == "RUNNING"

    info = run_module(
        "ocirt.containerd.container_info",
        address=containerd.address,
        namespace=ns,
        name=["foreign"],
    )
    assert info["containers"][0]["managed"] is False
    assert info["containers"][0]["status"] == "running"

    adopted = run_module("ocirt.containerd.container", adopt=True, **a)
    assert adopted["changed"] is True
    assert adopted["actions"][0]["reason"] == "adopting a container ocirt did not create"
    assert adopted["container"]["managed"] is True
    assert run_module("ocirt.containerd.container", **a)["changed"] is False


def test_exec_and_info(containerd, containerd_namespace, image):
    ns = containerd_namespace
    a = base(
        containerd, ns, "busy", image, command=["sh", "-c", "echo started; while true; do :; done"]
    )
    assert run_module("ocirt.containerd.container", **a)["changed"] is True

    ran = run_module(
        "ocirt.containerd.container_exec",
        address=containerd.address,
        namespace=ns,
        name="busy",
        command=["sh", "-c", "echo out; echo err >&2; exit 3"],
        env={"X": "1"},
    )
    assert ran["rc"] == 3 and ran["stdout"] == "out" and ran["stderr"] == "err"
    assert ran["changed"] is True

    info = run_module(
        "ocirt.containerd.container_info",
        address=containerd.address,
        namespace=ns,
        name=["busy", "missing"],
        stats=True,
        log_lines=5,
    )
    assert [c["id"] for c in info["containers"]] == ["busy"]
    busy = info["containers"][0]
    assert busy["status"] == "running" and busy["log_tail"] == ["started"]
    assert busy["stats"]["cpu_usage_ns"] > 0 and busy["stats"]["memory_usage"] > 0
    listed = run_module("ocirt.containerd.container_info", address=containerd.address, namespace=ns)
    assert [c["id"] for c in listed["containers"]] == ["busy"]


def test_bad_options_are_named(containerd, containerd_namespace, image):
    ns = containerd_namespace
    bad = run_module(
        "ocirt.containerd.container", **base(containerd, ns, "bad", image, memory="lots")
    )
    assert bad["failed"] is True and bad["msg"].startswith("memory:")
    bad = run_module(
        "ocirt.containerd.container",
        **base(containerd, ns, "bad", image, restart_policy="sometimes"),
    )
    assert bad["failed"] is True and "restart_policy" in bad["msg"]
    assert containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.strip() == ""


def test_a_set_in_one_call_with_purge(containerd, containerd_namespace, image):
    ns = containerd_namespace
    common = {
        "address": containerd.address,
        "namespace": ns,
        "group": "web",
        "registry_config_path": "/nonexistent",
    }
    items = [{"name": f"w{i}", "image": image, "command": ["sleep", "3600"]} for i in range(3)]

    predicted = run_module("ocirt.containerd.containers", check=True, containers=items, **common)
    assert predicted["changed"] is True
    assert [c["status"] for c in predicted["containers"]] == ["running"] * 3
    assert task_pids(containerd, ns) == {}
    done = run_module("ocirt.containerd.containers", containers=items, **common)
    assert [c["changed"] for c in done["containers"]] == [True] * 3
    pids = task_pids(containerd, ns)
    assert sorted(pids) == ["w0", "w1", "w2"]
    again = run_module("ocirt.containerd.containers", containers=items, **common)
    assert again["changed"] is False and task_pids(containerd, ns) == pids

    # a container of another group is never purged; w2, no longer listed, is
    run_module(
        "ocirt.containerd.container",
        **base(containerd, ns, "other", image, command=["sleep", "3600"]),
    )
    purged = run_module("ocirt.containerd.containers", containers=items[:2], purge=True, **common)
    assert purged["containers"][-1] == {
        "name": "w2",
        "changed": True,
        "status": "absent",
        "actions": [{"action": "remove", "target": "w2", "reason": "not listed in group web"}],
    }
    assert sorted(task_pids(containerd, ns)) == ["other", "w0", "w1"]

    bad = run_module(
        "ocirt.containerd.containers",
        containers=[{"name": "x", "image": image, "colour": "red"}],
        **common,
    )
    assert bad["failed"] is True and "colour" in bad["msg"]
