"""Facts: what the node agent says about a host's containerd, as JSON.

Each runs ``python3 AGENT ... --json`` on the host. Until the agent is there (a fresh host
in pyinfra's prepare phase, before :func:`ocirt.pyinfra.operations.agent` uploaded it), the
``requires_command`` guard makes a fact return its default, ``None``: unknown. An agent
that fails (containerd not answering, a document it refuses) fails the host with the
agent's one-line error, which pyinfra prints.

pyinfra does not cache facts: every ``host.get_fact`` is a round trip, so a fact covers a
whole namespace (or a whole document), never one container.
"""

from __future__ import annotations

import json
from typing import Any, List, Optional, Tuple

from pyinfra.api import FactBase, QuoteString, StringCommand

from .agent import AGENT_PATH, PYTHON, command


class _AgentFact(FactBase):
    """A fact whose command is the agent with ``--json``; its stdout is one JSON value."""

    words: Tuple[str, ...] = ()

    def requires_command(self, *args: Any, **kwargs: Any) -> str:
        return kwargs.get("agent") or AGENT_PATH

    def command(
        self,
        address: Optional[str] = None,
        namespace: Optional[str] = None,
        agent: str = AGENT_PATH,
        python: str = PYTHON,
    ) -> StringCommand:
        return command(python, agent, [*self.words, "--json"], address, namespace)

    def process(self, output: List[str]) -> Any:
        return json.loads("\n".join(output))

    @staticmethod
    def default() -> Any:
        return None


class ContainerdInfo(_AgentFact):
    """``ocirt info --json``: the daemon's version, revision, CRI, snapshotters, namespaces."""

    words = ("info",)


class ContainerdImages(_AgentFact):
    """``ocirt images --json``: the images of one namespace."""

    words = ("images",)


class ContainerdContainers(_AgentFact):
    """``ocirt ps -a --json``: every container of one namespace, with its status."""

    words = ("ps", "-a")


def guarded(plan: StringCommand, needs: Tuple[str, ...], commands: Tuple[str, ...]) -> Any:
    """``plan``, or ``null`` (unknown) while a file of ``needs`` or a program of
    ``commands`` is not on the host yet (an earlier operation of the deploy puts it
    there, which pyinfra's prepare phase has not run)."""
    tests: List[Any] = []
    for path in needs:
        tests += ["&&"] if tests else []
        tests += ["[", "-e", QuoteString(path), "]"]
    for program in commands:
        tests += ["&&"] if tests else []
        tests += ["command", "-v", QuoteString(program), ">/dev/null"]
    if not tests:
        return plan
    return StringCommand("if", *tests, ";", "then", plan, ";", "else", "echo", "null", ";", "fi")


class ContainerdPlan(_AgentFact):
    """The plan of a state document on the host: ``ocirt diff -f SRC --json``, the
    ``ocirt.state/v1`` shape (README, "The JSON shape").

    ``src`` ``-`` (the default) reads the document from standard input: pass it with
    ``host.get_fact(ContainerdPlan, ..., _stdin=Document(doc))``, so that no secret of it
    is ever in a command line. ``diff`` exits 2 when anything would change; both 0 and 2
    are answers. ``needs``: files on the host the document reads (image archives); while
    one is missing (an earlier operation of the deploy uploads it, which pyinfra's prepare
    phase has not run yet), the plan is ``None``, unknown, as without the agent.
    """

    def command(
        self,
        address: Optional[str] = None,
        namespace: Optional[str] = None,
        agent: str = AGENT_PATH,
        python: str = PYTHON,
        src: str = "-",
        prune: bool = False,
        needs: Tuple[str, ...] = (),
    ) -> StringCommand:
        args = ["diff", "--json", "-f", src] + (["--prune"] if prune else [])
        # exit 2 (drift) is an answer, not a failure: only 2 becomes 0
        plan = StringCommand(command(python, agent, args, address, namespace), "|| [ $? -eq 2 ]")
        return guarded(plan, needs, ())


class ContainerdNodePlan(_AgentFact):
    """The plan of a node document (containerd installed, configured, its registries, its
    service) on the host: ``ocirt node diff -f - --json``, the ``ocirt.state/v1`` shape.
    The document goes on standard input (``_stdin=Document(doc)``). ``needs`` (files) and
    ``commands`` (programs, such as ``containerd`` for a config or service section): while
    one is not on the host, the plan is ``None``, unknown."""

    def command(
        self,
        address: Optional[str] = None,
        namespace: Optional[str] = None,  # not used: containerd itself has none
        agent: str = AGENT_PATH,
        python: str = PYTHON,
        needs: Tuple[str, ...] = (),
        commands: Tuple[str, ...] = (),
    ) -> StringCommand:
        args = ["node", "diff", "--json", "-f", "-"]
        plan = StringCommand(command(python, agent, args, address), "|| [ $? -eq 2 ]")
        return guarded(plan, needs, commands)
