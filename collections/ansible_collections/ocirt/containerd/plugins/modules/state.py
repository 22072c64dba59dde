#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ansible module: a whole state document (namespaces, images, containers) in one task."""

from __future__ import annotations

DOCUMENTATION = r"""
module: state
short_description: Bring a node's namespaces, images and containers to a state document
version_added: 0.2.0
description:
  - Does in one task what C(ocirt apply -f FILE) does on the node. It plans the whole state
    document (its namespaces, then its images, each resolved and pulled once however many
    containers use it, then its containers in order) and carries the plan out.
  - The document's entries take exactly the options of M(ocirt.containerd.namespace),
    M(ocirt.containerd.image) and M(ocirt.containerd.container); the JSON Schema of the
    document is C(docs/state-document.schema.json) in the collection (C(ocirt schema)).
  - The whole document is validated before anything is touched; every error is reported at
    once, each with its path in the document (C(containers[3].memory)).
  - With O(prune=true) (or C(prune) in the document), containers that ocirt created in the
    document's C(group) and that it no longer lists are removed, and nothing else.
extends_documentation_fragment:
  - ocirt.containerd.module_kind.state
options:
  state:
    description:
      - The state document, inline, with C(namespace), C(namespaces), C(networks), C(images),
        C(containers), C(pods), C(group), C(prune).
      - Registry passwords in its C(images) and C(containers) entries are hidden from the
        task's output and logs.
      - Exactly one of O(state) and O(src) is required.
    type: dict
  src:
    description:
      - A state document on the managed node, YAML (needs PyYAML there) or JSON.
    type: path
  prune:
    description:
      - Remove containers of the document's group that ocirt created and that it does not
        list, as the document's own C(prune) does.
    type: bool
    default: false
notes:
  - O(namespace) is the namespace of entries that name none, unless the document sets
    C(namespace).
"""

EXAMPLES = r"""
- name: Everything this node runs, from one document
  ocirt.containerd.state:
    state:
      group: app
      prune: true
      images:
        - name: registry.example:5000/team/web:1.4
      containers:
        - name: web
          image: registry.example:5000/team/web:1.4
          command: [sleep, "3600"]
          restart_policy: always
        - name: worker
          image: registry.example:5000/team/web:1.4
          command: [sleep, "3600"]
          memory: 64m

- name: A document kept as a file on the node (JSON needs no PyYAML there)
  ansible.builtin.copy:
    dest: /etc/ocirt/state.json
    mode: "0600"
    content: |
      {"group": "app", "containers": [
        {"name": "web", "image": "registry.example:5000/team/web:1.4",
         "command": ["sleep", "3600"], "restart_policy": "always"}]}

- name: Only what the file lists, worker is removed (prune)
  ocirt.containerd.state:
    src: /etc/ocirt/state.json
    prune: true
"""

RETURN = r"""
entries:
  description:
    - Every entry of the document in the order it is applied (namespaces, images,
      containers, then the pruned ones), with what changes and why; the shape of
      C(ocirt apply --json) (README, "The JSON shape").
  returned: success
  type: list
  elements: dict
  contains:
    kind:
      description: V(namespace), V(image) or V(container).
      type: str
    name:
      description: The entry's name.
      type: str
    namespace:
      description: Its containerd namespace (empty for a namespace entry).
      type: str
    path:
      description: Where it is in the document, such as C(containers[3]); empty for an image only containers name and for a pruned container.
      type: str
    changed:
      description: Whether anything was (or, in check mode, would be) done to it.
      type: bool
    change:
      description: What, such as V(create), V(recreate), V(remove), V(start), V(pull); empty for none.
      type: str
    reason:
      description: Why, or why nothing was to be done.
      type: str
    actions:
      description: Its actions, each with C(action), C(target) and C(reason).
      type: list
      elements: dict
counts:
  description: How many entries changed and how many were as declared.
  returned: success
  type: dict
  sample: {"changed": 1, "unchanged": 19}
actions:
  description: Every action, in order; an image shared by several containers is listed once.
  returned: success
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.module_support import (
    argument_spec,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.registry_params import (
    registry_access,
)
from ansible_collections.ocirt.containerd.plugins.module_utils._ansible.runner import (
    run_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.state import document, outcome
from ansible_collections.ocirt.containerd.plugins.module_utils.state import (
    reconcile as state_reconcile,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.state.load import read_document


def hide_secrets(module, raw) -> None:
    """Passwords in the document's entries never appear in the task's output."""
    if not isinstance(raw, dict):
        return
    for key in ("images", "containers"):
        for entry in raw.get(key) or []:
            if isinstance(entry, dict) and entry.get("password"):
                module.no_log_values.add(str(entry["password"]))


ARGUMENT_SPEC = argument_spec(
    state={"type": "dict"},
    src={"type": "path"},
    prune={"type": "bool", "default": False},
)


class StateModule(AnsibleModule):
    """The module whose invocation line (syslog, journal) hides the document's passwords.

    AnsibleModule logs its parameters as soon as they are validated, hiding only options
    declared no_log; a password inside the ``state`` document is known to be one only once
    the document is read, so it is added to the hidden values before that line is written.
    """

    def _log_invocation(self):
        hide_secrets(self, self.params.get("state"))
        super()._log_invocation()


def entry_diffs(report, namespace):
    """One diff per changed entry, headed by the entry (``container web``)."""
    return [
        {
            "before_header": f"{outcome.label(e, namespace)} (before)",
            "after_header": f"{outcome.label(e, namespace)} (after)",
            "before": e["before"] or {},
            "after": e["after"] or {},
        }
        for e in report["entries"]
        if e["changed"]
    ]


def main() -> None:
    module = StateModule(
        argument_spec=ARGUMENT_SPEC,
        mutually_exclusive=[("state", "src")],
        required_one_of=[("state", "src")],
        supports_check_mode=True,
    )
    p = module.params
    parsed = {}

    def plan(conn):
        raw = p["state"] if p["state"] is not None else read_document(p["src"])
        hide_secrets(module, raw)
        parsed["doc"] = document.parse(raw, p["namespace"], registry_access(p))
        if p["prune"]:
            parsed["doc"].prune = True
        return state_reconcile.plan(conn, parsed["doc"])

    def report(planned, applied):
        mode = "apply" if applied is not None else "check"
        shaped = outcome.report(planned, parsed["doc"], mode)
        result = {"entries": shaped["entries"], "counts": shaped["counts"]}
        if module._diff:
            result["diff"] = entry_diffs(shaped, parsed["doc"].namespace)
        return result

    run_reconciler(
        module,
        plan,
        lambda conn, planned: state_reconcile.apply(conn, parsed["doc"], planned),
        report,
    )


if __name__ == "__main__":
    main()
