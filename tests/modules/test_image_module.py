"""ocirt.containerd.image through Ansible: pulls, exact check mode, tags, removal, errors."""

from harness.ansible_runner import run_module, run_playbook
from harness.images import push, unique_image


def ctr_images(containerd, ns):
    return {
        line.split()[0]: line.split()[2]
        for line in containerd.ctr("images", "ls", namespace=ns).stdout.splitlines()[1:]
    }


def args(containerd, ns, name, **extra):
    return {
        "address": containerd.address,
        "namespace": ns,
        "name": name,
        "registry_config_path": "/nonexistent",
        **extra,
    }


def test_pull_always_check_mode_is_exact(containerd, containerd_namespace, registry_http):
    ns = containerd_namespace
    repo = f"ocirt/always-{ns}"
    first = push(registry_http, repo, "1", unique_image("always-1"))
    name = f"{registry_http.host}/{repo}:1"
    a = args(containerd, ns, name, pull="always")

    predicted = run_module("ocirt.containerd.image", check=True, diff=True, **a)
    assert predicted["changed"] is True
    assert predicted["diff"]["after"]["digest"] == first
    assert ctr_images(containerd, ns) == {}

    pulled = run_module("ocirt.containerd.image", diff=True, **a)
    assert pulled["changed"] is True and pulled["pulled"]["digest"] == first
    assert ctr_images(containerd, ns)[name] == first

    # same digest in the registry: no change, in check mode and for real
    assert run_module("ocirt.containerd.image", check=True, **a)["changed"] is False
    assert run_module("ocirt.containerd.image", **a)["changed"] is False

    # a new digest behind the same tag: check mode says so, and only says so
    second = push(registry_http, repo, "1", unique_image("always-2"))
    predicted = run_module("ocirt.containerd.image", check=True, diff=True, **a)
    assert predicted["changed"] is True
    assert predicted["diff"] == {
        "before": {
            "name": name,
            "digest": first,
            "media_type": predicted["diff"]["before"]["media_type"],
        },
        "after": {
            "name": name,
            "digest": second,
            "media_type": predicted["diff"]["after"]["media_type"],
        },
    }
    assert "the registry serves " + second in predicted["actions"][0]["reason"]
    assert ctr_images(containerd, ns)[name] == first
    assert run_module("ocirt.containerd.image", **a)["changed"] is True
    assert ctr_images(containerd, ns)[name] == second
    # pull=missing does not look at the registry once the image is complete
    assert run_module("ocirt.containerd.image", **{**a, "pull": "missing"})["changed"] is False


def test_tags_and_removal(containerd, containerd_namespace, registry_http):
    ns = containerd_namespace
    digest = push(registry_http, "ocirt/tagme", "1", unique_image("tagme"))
    name = f"{registry_http.host}/ocirt/tagme:1"
    a = args(containerd, ns, name, tags=["example.test/app:current", "app:stable"])
    done = run_module("ocirt.containerd.image", **a)
    assert done["changed"] is True
    assert [x["action"] for x in done["actions"]] == ["pull", "tag", "tag"]
    listed = ctr_images(containerd, ns)
    assert listed["example.test/app:current"] == digest
    assert listed["docker.io/library/app:stable"] == digest
    assert run_module("ocirt.containerd.image", **a)["changed"] is False

    gone = args(containerd, ns, "example.test/app:current", state="absent")
    assert run_module("ocirt.containerd.image", check=True, **gone)["changed"] is True
    assert "example.test/app:current" in ctr_images(containerd, ns)
    assert run_module("ocirt.containerd.image", wait_for_gc=True, **gone)["changed"] is True
    assert "example.test/app:current" not in ctr_images(containerd, ns)
    assert run_module("ocirt.containerd.image", **gone)["changed"] is False


def test_credentials_stay_secret(containerd, containerd_namespace, registry_auth, tmp_path):
    ns = containerd_namespace
    push(registry_auth, "ocirt/secret", "1", unique_image("secret"))
    hosts = tmp_path / "certs.d"
    registry_auth.write_hosts_toml(hosts)
    name = f"{registry_auth.host}/ocirt/secret:1"
    wrong = run_module(
        "ocirt.containerd.image",
        **{
            **args(containerd, ns, name),
            "registry_config_path": str(hosts),
            "username": registry_auth.username,
            "password": "wrong-secret-value",
        },
    )
    assert wrong["failed"] is True
    assert "refused the credentials of user" in wrong["msg"]
    assert "wrong-secret-value" not in str(wrong)
    right = run_module(
        "ocirt.containerd.image",
        **{
            **args(containerd, ns, name),
            "registry_config_path": str(hosts),
            "username": registry_auth.username,
            "password": registry_auth.password,
        },
    )
    assert right["changed"] is True
    assert registry_auth.password not in str(right)


def test_clear_errors(containerd, containerd_namespace, registry_http):
    ns = containerd_namespace
    bad = run_module("ocirt.containerd.image", **args(containerd, ns, "Not A Reference"))
    assert bad["failed"] is True and "must be lowercase" in bad["msg"]
    never = run_module(
        "ocirt.containerd.image",
        **args(containerd, ns, f"{registry_http.host}/ocirt/nothing:1", pull="never"),
    )
    assert never["failed"] is True and "pull=never forbids pulling it" in never["msg"]
    missing = run_module(
        "ocirt.containerd.image", **args(containerd, ns, f"{registry_http.host}/ocirt/nothing:1")
    )
    assert missing["failed"] is True and "not found" in missing["msg"]
    no_path = run_module(
        "ocirt.containerd.image", **args(containerd, ns, "busybox", source="archive")
    )
    assert no_path["failed"] is True and "archive_path" in no_path["msg"]
    assert ctr_images(containerd, ns) == {}


def test_archive_source_is_idempotent_and_follows_the_archive(
    containerd, containerd_namespace, tmp_path
):
    from harness.images import write_oci_archive

    ns = containerd_namespace
    name = "example.test/airgap/app:1"
    first_image = unique_image("airgap-1")
    archive = write_oci_archive(first_image, tmp_path / "app.tar", ref_name=name)
    a = args(containerd, ns, name, source="archive", archive_path=str(archive))

    predicted = run_module("ocirt.containerd.image", check=True, diff=True, **a)
    assert predicted["changed"] is True
    assert predicted["diff"]["after"]["digest"] == first_image.digest
    assert ctr_images(containerd, ns) == {}
    done = run_module("ocirt.containerd.image", **a)
    assert done["changed"] is True and done["imported"][0]["digest"] == first_image.digest
    assert ctr_images(containerd, ns)[name] == first_image.digest
    assert run_module("ocirt.containerd.image", **a)["changed"] is False
    out = containerd.ctr("run", "--rm", name, "airgap", "ls", "/data", namespace=ns).stdout
    assert out.split() == ["airgap-1.bin"]

    # the same path now holds a new build: the module notices by digest
    second_image = unique_image("airgap-2")
    write_oci_archive(second_image, archive, ref_name=name)
    predicted = run_module("ocirt.containerd.image", check=True, **a)
    assert predicted["changed"] is True and "the archive holds" in predicted["actions"][0]["reason"]
    assert run_module("ocirt.containerd.image", **a)["changed"] is True
    assert ctr_images(containerd, ns)[name] == second_image.digest


def test_archive_with_another_name_is_imported_under_the_asked_name(
    containerd, containerd_namespace, tmp_path
):
    from harness.images import write_docker_archive

    ns = containerd_namespace
    archive = write_docker_archive(
        unique_image("renamed"), tmp_path / "saved.tar", repo_tags=["builder/output:latest"]
    )
    a = args(
        containerd, ns, "example.test/deploy/app:2", source="archive", archive_path=str(archive)
    )
    assert run_module("ocirt.containerd.image", **a)["changed"] is True
    assert "example.test/deploy/app:2" in ctr_images(containerd, ns)
    assert run_module("ocirt.containerd.image", **a)["changed"] is False


def _tasks(*steps):
    """Module tasks for one play; each may fail without stopping the others."""
    return [
        {"name": f"step {i}", "ocirt.containerd.image": a, "ignore_errors": True}
        for i, a in enumerate(steps)
    ]


def test_archive_path_alone_means_source_archive(containerd, containerd_namespace, tmp_path):
    """Issue 16, defect 5: archive_path without source used to be ignored (then a misleading
    'cannot reach registry docker.io'); now it implies source=archive, and a contradictory
    source=registry is refused naming both options."""
    from harness.images import write_oci_archive

    ns = containerd_namespace
    name = "example.test/inferred/app:1"
    image = unique_image("inferred")
    archive = str(write_oci_archive(image, tmp_path / "app.tar", ref_name=name))
    contradictory, inferred, again = run_playbook(
        _tasks(
            args(containerd, ns, name, source="registry", archive_path=archive),
            args(containerd, ns, name, archive_path=archive),
            args(containerd, ns, name, archive_path=archive),
        )
    )
    assert contradictory["failed"] is True
    for word in ("source=registry", "archive_path", "registry, archive"):
        assert word in contradictory["msg"]
    assert "cannot reach" not in contradictory["msg"]
    assert inferred["changed"] is True and inferred["imported"][0]["digest"] == image.digest
    assert again["changed"] is False
    assert ctr_images(containerd, ns) == {name: image.digest}


def test_image_used_by_a_container_is_not_removed_unless_forced(
    containerd, containerd_namespace, tmp_path
):
    """Issue 16, defect 7: state=absent removed an image containers use, silently."""
    from harness.images import write_oci_archive

    ns = containerd_namespace
    name = "example.test/inuse/app:1"
    image = unique_image("inuse")
    archive = write_oci_archive(image, tmp_path / "app.tar", ref_name=name)
    containerd.ctr("images", "import", str(archive), namespace=ns)
    for cid in ("user-b", "user-a"):
        containerd.ctr("containers", "create", name, cid, "true", namespace=ns)
    gone = args(containerd, ns, name, state="absent")
    tasks = _tasks(gone, gone, {**gone, "force": True})
    tasks[0]["check_mode"] = True
    predicted, refused, forced = run_playbook(tasks)
    for result in (predicted, refused):
        assert result["failed"] is True
        assert f"image {name} is used by containers user-a, user-b" in result["msg"]
        assert "force" in result["msg"]
    assert forced["changed"] is True
    assert name not in ctr_images(containerd, ns)
    listed = containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.split()
    assert sorted(listed) == ["user-a", "user-b"]  # forcing never touches the containers
