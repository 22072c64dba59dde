"""The operations and facts of ocirt.pyinfra on data: each file of operations/<op>/ gives
an operation's arguments and the facts the host answers (the agent's ``ocirt.state/v1``
plan) and the commands it must yield, or none and its noop reason; each file of
facts/<Fact>/ gives a fact's arguments, its command and what it makes of an output. Run by
pyinfra-testing, pyinfra's own harness: no host, no daemon."""

from pathlib import Path

import pytest
from pyinfra_testing.facts import make_fact_tests
from pyinfra_testing.operations import make_operation_tests

HERE = Path(__file__).parent

for folder in sorted((HERE / "operations").iterdir()):
    globals()[f"TestOperation_{folder.name}"] = make_operation_tests(
        "ocirt.pyinfra", f"operations.{folder.name}", folder
    )
for folder in sorted((HERE / "facts").iterdir()):
    globals()[f"TestFact_{folder.name}"] = make_fact_tests(
        "ocirt.pyinfra", f"facts.{folder.name}", folder
    )


@pytest.fixture(autouse=True)
def _in_this_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The agent operation's ``src`` is relative to the current directory, as in a deploy:
    the cases name data/agent.pyz."""
    monkeypatch.chdir(HERE)
