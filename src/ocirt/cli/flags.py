"""Flag groups shared by the `ocirt` commands, as containerd's ``ctr`` shares them.

Two kinds: the connection flags every command takes (``--address``, ``--namespace``,
``--timeout``), and flags derived from one of the library's option tables
(``common/options.py``), so that a flag and the option it sets are declared once. An
option's ``cli`` is its spellings, then an optional metavar: ``"-v --volume SRC:DST[:ro]"``.
A flag's help is the option's doc line without Ansible's markup; its value is read as the
option's type says: a ``bool`` is a switch, a ``list`` takes one element per use, a ``dict``
one ``KEY=VALUE`` per use (``labels.parse_labels``).
"""

from __future__ import annotations

import argparse
import os
import re
from typing import Any, Dict, FrozenSet, List, Mapping, Optional, Tuple

from ansible_collections.ocirt.containerd.plugins.module_utils.common.defaults import (
    DEFAULT_ADDRESS,
    DEFAULT_NAMESPACE,
    DEFAULT_TIMEOUT,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.options import (
    Option,
    OptionTable,
)

from .labels import parse_labels

#: the connection flags, all of which take a value (``main`` skips them to find the command)
CONNECTION_FLAGS: FrozenSet[str] = frozenset({"--address", "-a", "--namespace", "-n", "--timeout"})
_MARKUP = re.compile(r"\b[A-Z]\(([^)]*)\)")
_VALUE_TYPES = {"int": int, "float": float}


def add_connection_flags(parser: argparse.ArgumentParser) -> None:
    """Where containerd is and how long to wait for it (CONTAINERD_* as ``ctr`` reads them)."""
    parser.add_argument(
        "--address",
        "-a",
        default=os.environ.get("CONTAINERD_ADDRESS", DEFAULT_ADDRESS),
        help="containerd socket (env CONTAINERD_ADDRESS, default %(default)s)",
    )
    parser.add_argument(
        "--namespace",
        "-n",
        default=os.environ.get("CONTAINERD_NAMESPACE", DEFAULT_NAMESPACE),
        help="namespace to work in (env CONTAINERD_NAMESPACE, default %(default)s)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for each answer (default %(default)s)",
    )


def plain(doc: str) -> str:
    """An option's doc line as argparse help: C(x), V(x), O(x) ... become x."""
    return _MARKUP.sub(r"\1", doc).replace("%", "%%")


def _spellings(option: Option) -> Tuple[List[str], Optional[str]]:
    words = (option.cli or "").split()
    flags = [w for w in words if w.startswith("-")]
    metavars = [w for w in words if not w.startswith("-")]
    return flags, (metavars[0] if metavars else None)


def _argparse_kwargs(option: Option, metavar: Optional[str], long_flag: str) -> Dict[str, Any]:
    kwargs: Dict[str, Any] = {"dest": option.name, "default": None, "help": plain(option.doc)}
    if option.type == "bool":
        kwargs["action"] = "store_true"
        return kwargs
    if option.type in ("list", "dict"):
        kwargs["action"] = "append"
    if option.type in _VALUE_TYPES:
        kwargs["type"] = _VALUE_TYPES[option.type]
    if option.choices is not None:
        kwargs["choices"] = list(option.choices)
    else:
        kwargs["metavar"] = metavar or long_flag.lstrip("-").upper().replace("-", "_")
    return kwargs


def add_table_flags(
    parser: argparse.ArgumentParser,
    table: OptionTable,
    details: Optional[Mapping[str, Mapping[str, Any]]] = None,
) -> None:
    """A flag for every option of ``table`` that has one; ``details`` adjusts a flag's
    argparse settings by option name (``{"entrypoint": {"action": "store"}}``)."""
    for option in table:
        if not option.cli:
            continue
        flags, metavar = _spellings(option)
        kwargs = _argparse_kwargs(option, metavar, flags[-1])
        kwargs.update((details or {}).get(option.name, {}))
        parser.add_argument(*flags, **kwargs)


def table_values(args: argparse.Namespace, table: OptionTable) -> Dict[str, Any]:
    """The options given on the command line, as the table's front ends take them."""
    values: Dict[str, Any] = {}
    for option in table:
        value = getattr(args, option.name, None) if option.cli else None
        if value is None:
            continue
        if option.type == "dict":
            value = parse_labels(value, _spellings(option)[0][-1])
        elif option.type == "list" and isinstance(value, str):
            value = [value]
        values[option.name] = value
    return values
