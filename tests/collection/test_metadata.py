"""The collection's metadata says what the code and the tests say: requires_ansible admits
the oldest ansible-core the tests run (the dev pin) and no older minor, the action group
lists exactly the modules, the roles document every default and claim the same Ansible."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from ansible.module_utils.compat.version import LooseVersion
from harness.ansible_runner import REPO

COLLECTION = REPO / "collections" / "ansible_collections" / "ocirt" / "containerd"


def _tested_ansible_core() -> str:
    pyproject = (REPO / "pyproject.toml").read_text()
    (version,) = re.findall(r'"ansible-core==([0-9.]+)"', pyproject)
    return version


def _minor(version: str) -> tuple:
    return tuple(int(p) for p in version.split(".")[:2])


def test_requires_ansible_is_the_oldest_ansible_core_tested():
    runtime = yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())
    m = re.fullmatch(r">=\s*([0-9.]+)", runtime["requires_ansible"])
    assert m, f"requires_ansible {runtime['requires_ansible']!r}: expected a single >= bound"
    tested = _tested_ansible_core()
    assert LooseVersion(tested) >= LooseVersion(m.group(1))
    assert _minor(m.group(1)) == _minor(tested), (
        f"requires_ansible claims {m.group(1)}, the tests run {tested}: claim only what runs"
    )


def test_roles_claim_the_same_oldest_ansible():
    tested = _minor(_tested_ansible_core())
    for meta in COLLECTION.glob("roles/*/meta/main.yml"):
        claimed = yaml.safe_load(meta.read_text())["galaxy_info"]["min_ansible_version"]
        assert _minor(str(claimed)) == tested, meta


def test_action_group_is_every_module():
    runtime = yaml.safe_load((COLLECTION / "meta" / "runtime.yml").read_text())
    modules = {
        p.stem for p in (COLLECTION / "plugins" / "modules").glob("*.py") if p.stem != "__init__"
    }
    assert sorted(runtime["action_groups"]["containerd"]) == sorted(modules)


def _spec_options(role: Path) -> dict:
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())
    return specs["argument_specs"]["main"]["options"]


def test_role_argument_specs_document_every_default():
    """Each variable of defaults/main.yml is in the spec; a literal default is the spec's
    default, a computed one (Jinja) is described in words since a spec default is literal."""
    for role in sorted(COLLECTION.glob("roles/*")):
        defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
        options = _spec_options(role)
        assert sorted(defaults) == sorted(options), role.name
        for name, value in defaults.items():
            spec = options[name]
            assert spec.get("description"), f"{role.name}: {name} has no description"
            if isinstance(value, str) and "{{" in value:
                assert "default" not in spec, f"{role.name}: {name}'s default is computed"
                assert "default" in str(spec["description"]).lower(), (
                    f"{role.name}: {name}'s computed default is not described"
                )
            else:
                assert spec.get("default") == value, f"{role.name}: {name}"
