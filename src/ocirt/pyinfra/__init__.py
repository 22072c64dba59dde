"""pyinfra front end of ocirt: facts and operations over the node agent.

pyinfra runs operations and facts on the controller; only shell commands and file
transfers reach a host. So nothing here talks to containerd: the node agent
(``dist/ocirt.pyz``, uploaded once by :func:`ocirt.pyinfra.operations.agent`) runs on the
host's own python3, a fact asks it for the plan of a state document (``diff --json``, the
``ocirt.state/v1`` shape) and an operation yields the agent's ``apply`` only when that
plan changes something. The decision is the reconcilers', as for Ansible and the CLI.

Needs pyinfra (Python >= 3.10 on the controller); the rest of ocirt does not import it.
"""
