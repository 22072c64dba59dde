"""``service(restart_if=[op, ...])``: an earlier operation counts when it changed something.
Once it ran (pyinfra's execute phase) the agent gets the module's ``restart_if: [true]``,
whose guard skips a restart containerd does not need; before it ran (``--dry``, change
detection) and when it would change, the plan asks for ``state: restarted``, since the file
that would make the guard restart is not written yet."""

import json

from pyinfra.api.operation import OperationMeta
from pyinfra.context import ctx_host, ctx_state
from pyinfra_testing.util import FakeState, create_host

from ocirt.pyinfra import operations

KEY = (
    "address=None, agent=/usr/local/lib/ocirt/ocirt.pyz, commands=('containerd',), "
    "namespace=None, needs=(), python=python3"
)


def _sent(*restart_if):
    state = FakeState()
    host = create_host(state, facts={"facts.ContainerdNodePlan": {KEY: None}})
    with ctx_state.use(state), ctx_host.use(host):
        (apply,) = operations.service._inner(restart_if=list(restart_if))
    return json.loads(apply.connector_arguments["_stdin"] + "")["service"]


def _ran(changed: bool) -> OperationMeta:
    meta = OperationMeta("ran", is_change=None)
    meta.set_complete(True, ["a command"] if changed else [], None)
    return meta


def test_an_operation_that_ran_counts_when_it_changed():
    assert _sent(_ran(False), False) == {}
    assert _sent(_ran(True)) == {"restart_if": [True]}
    assert _sent(True) == {"restart_if": [True]}


def test_before_it_ran_a_change_to_come_plans_the_restart():
    assert _sent(OperationMeta("pending", is_change=True)) == {"state": "restarted"}
    assert _sent(OperationMeta("pending", is_change=False)) == {}
