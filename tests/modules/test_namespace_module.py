"""ocirt.containerd.namespace through Ansible: idempotency, check mode, diff, refusals."""

from harness.ansible_runner import run_module
from harness.images import write_oci_archive


def ctr_namespaces(containerd):
    out = containerd.ctr("namespaces", "ls", namespace=None).stdout.splitlines()[1:]
    return {line.split()[0]: (line.split()[1] if len(line.split()) > 1 else "") for line in out}


def test_create_is_predicted_by_check_mode_then_idempotent(containerd, containerd_namespace):
    ns = containerd_namespace
    args = {"address": containerd.address, "name": ns, "labels": {"team": "infra"}}

    predicted = run_module("ocirt.containerd.namespace", check=True, diff=True, **args)
    assert predicted["changed"] is True
    assert predicted["diff"] == {"before": {}, "after": {"name": ns, "labels": {"team": "infra"}}}
    assert ns not in ctr_namespaces(containerd)  # check mode changed nothing

    done = run_module("ocirt.containerd.namespace", diff=True, **args)
    assert done["changed"] is True
    assert done["namespace"] == predicted["namespace"]
    assert done["actions"] == predicted["actions"]
    assert ctr_namespaces(containerd)[ns] == "team=infra"

    again = run_module("ocirt.containerd.namespace", **args)
    assert again["changed"] is False and again["actions"] == []
    again_check = run_module("ocirt.containerd.namespace", check=True, **args)
    assert again_check["changed"] is False


def test_labels_are_merged_unless_purged(containerd, containerd_namespace):
    ns = containerd_namespace
    containerd.ctr("namespaces", "create", ns, "keep=1", "old=x", namespace=None)
    base = {"address": containerd.address, "name": ns}

    merged = run_module("ocirt.containerd.namespace", diff=True, labels={"new": "2"}, **base)
    assert merged["changed"] is True
    assert merged["namespace"]["labels"] == {"keep": "1", "old": "x", "new": "2"}
    assert merged["diff"]["before"]["labels"] == {"keep": "1", "old": "x"}

    purge = {"labels": {"keep": "1"}, "purge_labels": True}
    predicted = run_module("ocirt.containerd.namespace", check=True, **purge, **base)
    assert predicted["namespace"]["labels"] == {"keep": "1"}
    assert ctr_namespaces(containerd)[ns] != "keep=1"  # not yet
    purged = run_module("ocirt.containerd.namespace", **purge, **base)
    assert purged["changed"] is True
    assert ctr_namespaces(containerd)[ns] == "keep=1"
    assert run_module("ocirt.containerd.namespace", **purge, **base)["changed"] is False


def test_absent_refuses_a_namespace_with_an_image(
    containerd, containerd_namespace, busybox, tmp_path
):
    ns = containerd_namespace
    archive = write_oci_archive(busybox, tmp_path / "bb.tar", ref_name="example.test/keep-me:1")
    containerd.ctr("images", "import", str(archive), namespace=ns)
    for check in (True, False):
        result = run_module(
            "ocirt.containerd.namespace",
            check=check,
            address=containerd.address,
            name=ns,
            state="absent",
        )
        assert result["failed"] is True
        assert "is not empty" in result["msg"]
        assert "example.test/keep-me:1" in result["msg"]
        assert ns in ctr_namespaces(containerd)


def test_absent_removes_an_empty_namespace(containerd, containerd_namespace):
    ns = containerd_namespace
    containerd.ctr("namespaces", "create", ns, namespace=None)
    args = {"address": containerd.address, "name": ns, "state": "absent"}
    predicted = run_module("ocirt.containerd.namespace", check=True, diff=True, **args)
    assert predicted["changed"] is True and predicted["diff"]["after"] == {}
    assert ns in ctr_namespaces(containerd)
    assert run_module("ocirt.containerd.namespace", **args)["changed"] is True
    assert ns not in ctr_namespaces(containerd)
    assert run_module("ocirt.containerd.namespace", **args)["changed"] is False


def test_invalid_name_is_a_clear_error(containerd):
    result = run_module("ocirt.containerd.namespace", address=containerd.address, name="Bad Name!")
    assert result["failed"] is True
    assert "namespace name 'Bad Name!' is not a valid containerd identifier" in result["msg"]
    assert "Bad" not in " ".join(ctr_namespaces(containerd))


def test_bad_state_names_the_allowed_values(containerd):
    result = run_module(
        "ocirt.containerd.namespace", address=containerd.address, name="x", state="gone"
    )
    assert result["failed"] is True
    assert "state" in result["msg"] and "present, absent" in result["msg"]
