"""Operations: containerd itself, and the namespaces, images and containers of a host, as
the modules declare them.

``namespace``, ``network``, ``image``, ``container``, ``containers``, ``pod`` and ``state``
are one mechanism:
each builds a state document (README, "Declared state") whose entries take exactly the
options of the module of the same name (``image=`` and ``container=`` where a module says
``name``: pyinfra reserves ``name``), asks the host for its plan (the
:class:`~ocirt.pyinfra.facts.ContainerdPlan` fact, the agent's ``diff --json``) and yields
the agent's ``apply`` only when the plan changes something. So "No changes" is the
reconcilers' own verdict, ``--dry`` shows what a real run does, and a second run does
nothing. With ``--diff`` each changed entry's before/after is printed.

The body of a pyinfra operation runs on the controller, during change detection and again
at execution (pyinfra does not cache facts): the plan is made again just before ``apply``,
which plans once more itself, so a host that changed in between is not trampled.

``install``, ``config``, ``registry``, ``service`` (and ``node``, all four at once) are the
same mechanism over a node document (``ocirt node diff|apply``, module_utils/node),
whose sections take exactly the options of the modules of those names.
A config.toml change restarts containerd as the role's handler does: give the operations
whose change needs a restart to ``service(restart_if=[...])`` (an operation counts when it
changed something: its ``did_change`` once it ran, its ``will_change`` in ``--dry``), or
declare them in one ``node`` operation, which restarts when its install or config section
says ``restart_required``.

``agent`` puts the node agent and what it needs (Debian's python3-grpcio, python3-tomlkit,
python3-yaml, with pyinfra's apt operations) on the host; run it first.

Every operation takes ``address`` (containerd's socket; default: host data
``ocirt_address``, else the agent's ``CONTAINERD_ADDRESS`` or
/run/containerd/containerd.sock) and ``namespace`` (default: host data
``ocirt_namespace``, else ``default``).
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Generator, List, Mapping, Optional, Sequence

from ansible_collections.ocirt.containerd.plugins.module_utils.node.report import diff_lines
from ansible_collections.ocirt.containerd.plugins.module_utils.state import outcome
from pyinfra import host, logger
from pyinfra.api import HiddenValue, OperationValueError, StringCommand, operation
from pyinfra.api.operation import OperationMeta
from pyinfra.operations import apt, files

from .agent import AGENT_PATH, PACKAGES, PYTHON, Document, command, local_agent
from .facts import ContainerdNodePlan, ContainerdPlan

Entry = Dict[str, Any]


def _settings(address: Optional[str], namespace: Optional[str]) -> Dict[str, Any]:
    """How the agent is run on this host: the fact arguments of every plan."""
    data = host.data
    return {
        "address": address or data.get("ocirt_address"),
        "namespace": namespace or data.get("ocirt_namespace"),
        "agent": data.get("ocirt_agent") or AGENT_PATH,
        "python": data.get("ocirt_python") or PYTHON,
    }


def _entry(value: str, options: Mapping[str, Any]) -> Entry:
    """An entry of the document: ``name`` and the options that were given."""
    return {"name": value, **{k: v for k, v in options.items() if v is not None}}


def _reveal(value: Any) -> Any:
    """The document with pyinfra's ``HiddenValue`` (a password given as
    ``HiddenValue("...")``, which pyinfra shows as ``*MASKED*`` in operation names and
    output) replaced by what it hides: the agent reads it on standard input."""
    if isinstance(value, HiddenValue):
        return value.unmask()
    if isinstance(value, Mapping):
        return {k: _reveal(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_reveal(v) for v in value]
    return value


Differ = Callable[[outcome.EntryOutcome, str], List[str]]


def _show(plan: outcome.StateReport, namespace: str, differ: Differ = outcome.diff_lines) -> None:
    """Log what will change, and with ``--diff`` each changed entry's before/after."""
    prefix = host.print_prefix
    for line in outcome.summary_lines(plan, namespace):
        logger.info(f"{prefix}{line}")
    if not host.state.config.DIFF:
        return
    for entry in plan["entries"]:
        if entry["changed"]:
            for text in differ(entry, namespace):
                logger.info(f"{prefix}    {text}")


def _converge(
    document: Optional[Mapping[str, Any]],
    address: Optional[str],
    namespace: Optional[str],
    src: str = "-",
    prune: bool = False,
) -> Generator[Any, None, None]:
    """Plan ``document`` (or the file ``src`` on the host) and yield its ``apply`` if the
    plan changes anything. The document goes on standard input, never in a command line."""
    settings = _settings(address, namespace)
    stdin = Document(_reveal(document)) if document is not None else None
    needs = tuple(
        i["archive_path"] for i in (document or {}).get("images", []) if i.get("archive_path")
    )
    plan = host.get_fact(
        ContainerdPlan, **settings, src=src, prune=prune, needs=needs, _stdin=stdin
    )
    if plan is not None and not plan["changed"]:
        host.noop(outcome.summary_lines(plan, settings["namespace"] or "default")[0])
        return
    if plan is None:
        logger.info(f"{host.print_prefix}no node agent yet: the plan is made once it is there")
    else:
        _show(plan, settings["namespace"] or "default")
    args = ["apply", "-f", src] + (["--prune"] if prune else [])
    apply = command(
        settings["python"], settings["agent"], args, settings["address"], settings["namespace"]
    )
    yield apply if stdin is None else StringCommand(apply, _stdin=stdin)


@operation()
def agent(
    src: Optional[str] = None,
    dest: Optional[str] = None,
    packages: bool = True,
    update: bool = False,
) -> Generator[Any, None, None]:
    """Put the node agent on the host, and what it needs.

    + src: the local agent file, relative to the current directory (default: host data
      ``ocirt_agent_src``, else the repository's ``dist/ocirt.pyz``, built by
      ``bash scripts/build-agent.sh``)
    + dest: where it goes (default: host data ``ocirt_agent``, else
      ``/usr/local/lib/ocirt/ocirt.pyz``); uploaded only when its checksum differs
    + packages: install python3, python3-grpcio, python3-tomlkit and python3-yaml with apt
    + update: run ``apt-get update`` first (as ``apt.packages``)
    """
    upload = local_agent(src, host.data)  # a missing build fails before anything is done
    if packages:
        yield from apt.packages._inner(packages=list(PACKAGES), update=update)
    target = dest or host.data.get("ocirt_agent") or AGENT_PATH
    yield from files.put._inner(src=upload, dest=target, mode="755")


@operation()
def state(
    document: Optional[Mapping[str, Any]] = None,
    src: Optional[str] = None,
    prune: bool = False,
    namespace: Optional[str] = None,
    address: Optional[str] = None,
) -> Generator[Any, None, None]:
    """A whole state document, as ``ocirt apply`` and the state module take it.

    + document: the document (namespaces, images, containers, group, prune)
    + src: or a document file already on the host
    + prune: remove containers of the document's group that it no longer lists
    + namespace: the namespace of entries that name none
    + address: containerd's socket
    """
    if (document is None) == (src is None):
        raise OperationValueError("state: give exactly one of document and src")
    yield from _converge(document, address, namespace, src or "-", prune)


@operation()
def namespace(
    namespace: str,
    address: Optional[str] = None,
    **options: Any,
) -> Generator[Any, None, None]:
    """A containerd namespace, as ``ocirt.containerd.namespace`` (``namespace`` is its
    ``name``; ``state``, ``labels``, ``purge_labels``)."""
    yield from _converge({"namespaces": [_entry(namespace, options)]}, address, None)


@operation()
def image(
    image: str,
    namespace: Optional[str] = None,
    address: Optional[str] = None,
    **options: Any,
) -> Generator[Any, None, None]:
    """An image, as ``ocirt.containerd.image`` (``image`` is its ``name``; ``state``,
    ``source``, ``pull``, ``archive_path``, ``platform``, ``tags``, ``force``, ``unpack``,
    ``snapshotter``, ``wait_for_gc``, ``username``, ``password``, ``docker_config``)."""
    yield from _converge({"images": [_entry(image, options)]}, address, namespace)


@operation()
def container(
    container: str,
    namespace: Optional[str] = None,
    address: Optional[str] = None,
    **options: Any,
) -> Generator[Any, None, None]:
    """A container, as ``ocirt.containerd.container`` (``container`` is its ``name``;
    ``image``, ``state``, ``command``, ``env``, ``mounts``, ``restart_policy``, ``memory``,
    ... every option of the module, and ``pull`` and the registry credentials)."""
    entry = _entry(container, options)
    yield from _converge({"containers": [entry]}, address, namespace)


@operation()
def containers(
    containers: List[Mapping[str, Any]],
    group: str = "default",
    purge: bool = False,
    pull: str = "missing",
    namespace: Optional[str] = None,
    address: Optional[str] = None,
) -> Generator[Any, None, None]:
    """A set of containers, as ``ocirt.containerd.containers``.

    + containers: each takes ``name`` and the options of ``container``
    + group: every container gets the label ``io.ocirt/group=<group>``
    + purge: remove containers of ``group`` that ocirt created and that are not listed
    + pull: when to pull images (missing, always, never), for items that do not say
    """
    items = [
        {**item, "pull": item.get("pull", pull)} if pull != "missing" else dict(item)
        for item in containers
    ]
    document = {"group": group, "prune": purge, "containers": items}
    yield from _converge(document, address, namespace)


@operation()
def network(
    network: str,
    address: Optional[str] = None,
    **options: Any,
) -> Generator[Any, None, None]:
    """A CNI bridge network, as ``ocirt.containerd.network`` (``network`` is its ``name``;
    ``state``, ``subnet``, ``gateway``, ``bridge``, ... every option of the module)."""
    yield from _converge({"networks": [_entry(network, options)]}, address, None)


@operation()
def pod(
    pod: str,
    address: Optional[str] = None,
    **options: Any,
) -> Generator[Any, None, None]:
    """A CRI pod, as ``ocirt.containerd.pod`` (``pod`` is its ``name``; ``state``,
    ``containers``, ``networks``, ... every option of the module, and the registry
    credentials)."""
    yield from _converge({"pods": [_entry(pod, options)]}, address, None)


# -- containerd itself: the node document -------------------------------------------------


def _given(options: Mapping[str, Any]) -> Dict[str, Any]:
    return {k: v for k, v in options.items() if v is not None}


def _guards(document: Mapping[str, Any]) -> Dict[str, Any]:
    """What must be on the host before a config or service section can be planned: the
    containerd binary it names, else a ``containerd`` on PATH (an earlier install operation
    puts it there); until then the plan is unknown and the apply plans it."""
    needs: List[str] = []
    commands: List[str] = []
    for key, binary in (("config", "containerd_binary"), ("service", "binary")):
        if key in document:
            if document[key].get(binary):
                needs.append(document[key][binary])
            else:
                commands.append("containerd")
    return {"needs": tuple(dict.fromkeys(needs)), "commands": tuple(dict.fromkeys(commands))}


def _converge_node(
    document: Mapping[str, Any], address: Optional[str]
) -> Generator[Any, None, None]:
    """Plan the node document and yield its ``node apply`` if the plan changes anything.
    The document goes on standard input, never in a command line."""
    settings = _settings(address, None)
    del settings["namespace"]
    stdin = Document(_reveal(document))
    plan = host.get_fact(ContainerdNodePlan, **settings, **_guards(document), _stdin=stdin)
    if plan is not None and not plan["changed"]:
        host.noop(outcome.summary_lines(plan, "")[0])
        return
    if plan is None:
        logger.info(f"{host.print_prefix}no agent or no containerd yet: the apply plans")
    else:
        _show(plan, "", diff_lines)
    words = ["node", "apply", "-f", "-"]
    apply = command(settings["python"], settings["agent"], words, settings["address"])
    yield StringCommand(apply, _stdin=stdin)


@operation()
def install(address: Optional[str] = None, **options: Any) -> Generator[Any, None, None]:
    """containerd, runc and the CNI plugins (and crictl), as ``ocirt.containerd.install``
    (``method``, ``packages``, ``package_versions``, ``update_cache``, ``containerd``,
    ``runc``, ``cni_plugins``, ``crictl``, ``prefix``, ... every option of the module)."""
    yield from _converge_node({"install": _given(options)}, address)


@operation()
def config(address: Optional[str] = None, **options: Any) -> Generator[Any, None, None]:
    """containerd's config.toml, as ``ocirt.containerd.config`` (``path``, ``settings``,
    ``config_version``, ``containerd_binary``, ``systemd_cgroup``, ``disabled_plugins``, ...
    every option of the module). While containerd is not installed the plan is unknown
    (``--dry`` shows a change)."""
    yield from _converge_node({"config": _given(options)}, address)


@operation()
def registry(
    host: str, address: Optional[str] = None, **options: Any
) -> Generator[Any, None, None]:
    """One registry host's hosts.toml, as ``ocirt.containerd.registry`` (``host``,
    ``config_path``, ``state``, ``server``, ``mirrors``, ``ca``, ``header``, ... every option
    of the module). containerd reads it on every pull: no restart."""
    yield from _converge_node({"registries": [{"host": host, **_given(options)}]}, address)


def _restart_wanted(restart_if: Sequence[Any]) -> Dict[str, bool]:
    """(``restart_if`` as booleans, whether an operation of it is still to run and will
    change). An operation counts when it changed something: ``did_change`` once it ran; in
    pyinfra's prepare phase (``--dry``, change detection) it has not, and ``will_change``
    says whether it would."""
    values = []
    pending = False
    for value in restart_if:
        if isinstance(value, OperationMeta):
            if value.is_complete():
                values.append(value.did_change())
            else:
                pending = pending or value.will_change
                values.append(False)
        else:
            values.append(bool(value))
    return {"any": any(values), "pending": pending}


@operation()
def service(
    restart_if: Sequence[Any] = (),
    address: Optional[str] = None,
    **options: Any,
) -> Generator[Any, None, None]:
    """containerd running (or stopped), as ``ocirt.containerd.service`` (``state``,
    ``manager``, ``enabled``, ``binary``, ``config_path``, ``unit_path``, ``proxy``, ...
    every option of the module).

    + restart_if: restart a running containerd when any value is true; a value may be an
      earlier operation of the deploy (``config = ocirt.config(...)``), true when it
      changed something, as the role's handler restarts on ``restart_required``. The
      module's guard holds: no restart when containerd started after the configuration and
      the binary last changed. In ``--dry`` a restart_if operation that would change makes
      the plan show the restart (its file is not written yet).
    """
    wanted = _restart_wanted(restart_if)
    section = _given(options)
    if wanted["pending"] and section.get("state", "started") == "started":
        section["state"] = "restarted"
    elif wanted["any"]:
        section["restart_if"] = [True]
    yield from _converge_node({"service": section}, address)


@operation()
def node(
    install: Optional[Mapping[str, Any]] = None,
    config: Optional[Mapping[str, Any]] = None,
    registries: Optional[List[Mapping[str, Any]]] = None,
    service: Optional[Mapping[str, Any]] = None,
    address: Optional[str] = None,
) -> Generator[Any, None, None]:
    """A whole node document: each section (the options of the module of its name) planned
    and applied in the order install, config, registries, service; the service restarted
    when the install or config section needs it (``restart_required``), as the role does.

    + install, config, service: mappings of the modules' options
    + registries: a list of ``registry`` options, one per host
    """
    document: Dict[str, Any] = {
        k: v
        for k, v in (("install", install), ("config", config), ("service", service))
        if v is not None
    }
    if registries:
        document["registries"] = list(registries)
    if not document:
        raise OperationValueError("node: give at least one of install, config, registries, service")
    yield from _converge_node(document, address)
