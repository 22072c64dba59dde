"""A registry password reaches the agent on standard input and nowhere else: not in a
command line, not in pyinfra's log of the fact's arguments (``-v``), not in the operation's
name (pyinfra's ``HiddenValue`` shows ``*MASKED*``)."""

from pyinfra.api import HiddenValue
from pyinfra.context import ctx_host, ctx_state
from pyinfra_testing.util import FakeState, create_host

from ocirt.pyinfra import operations
from ocirt.pyinfra.agent import Document

KEY = (
    "address=None, agent=/usr/local/lib/ocirt/ocirt.pyz, namespace=None, needs=(), "
    "prune=False, python=python3, src=-"
)


def test_the_password_goes_on_stdin_only():
    state = FakeState()
    host = create_host(state, facts={"facts.ContainerdPlan": {KEY: None}})
    secret = HiddenValue("s3cret")
    with ctx_state.use(state), ctx_host.use(host):
        (apply,) = operations.image._inner(image="r.example/app:1", username="u", password=secret)
    stdin = apply.connector_arguments["_stdin"]
    assert isinstance(stdin, Document)
    assert '"password": "s3cret"' in stdin + ""  # what the connector writes
    assert "s3cret" not in f"{stdin} {stdin!r} {stdin:>10}" and "s3cret" not in str(apply)
    assert "s3cret" not in str({"password": secret})  # what an operation's name shows
