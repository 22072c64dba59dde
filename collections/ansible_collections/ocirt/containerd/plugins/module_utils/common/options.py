"""Option tables: every option of a domain declared once.

An ``Option`` carries what every front end needs to know about it: its type, default,
allowed values or validator, one documentation line, the CLI flag where there is one,
whether it is part of the stored canonical configuration (containers), where it lives in
config.toml per schema version, and the first containerd version that knows it. The
Ansible argument_spec (``_ansible/argspec.py``), the CLI flags (``ocirt.cli.flags``), the
validation below and the role pass-through are all derived from the tables, so they cannot
drift apart; ``tests/collection/test_option_tables.py`` checks the module docs against them.

Types are Ansible's names (``str``, ``int``, ``float``, ``bool``, ``list``, ``dict``,
``path``, ``raw``) because that is the strictest of the front ends.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, Mapping, Optional, Sequence, Tuple

from .errors import InvalidInput

Validator = Callable[[str, Any], None]  # (option name, value); raises InvalidInput

_PYTHON_TYPES: Dict[str, Tuple[type, ...]] = {
    "str": (str,),
    "path": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
}


@dataclass(frozen=True)
class Option:
    name: str
    type: str
    doc: str
    default: Any = None
    choices: Optional[Sequence[Any]] = None
    elements: Optional[str] = None  # element type of a list
    required: bool = False
    validator: Optional[Validator] = None
    cli: Optional[str] = None  # the CLI flag, e.g. "--memory"; None: not on the command line
    canonical: bool = False  # part of the stored canonical configuration (containers)
    paths: Mapping[int, Tuple[str, ...]] = field(default_factory=dict)  # schema -> TOML path
    min_version: Optional[str] = None  # first containerd version that knows the option
    no_log: bool = False
    aliases: Tuple[str, ...] = ()
    suboptions: Optional[OptionTable] = None

    def check(self, value: Any, where: str = "") -> None:
        """Raise ``InvalidInput`` naming the option and what it allows, unless ``value`` fits."""
        label = f"{where}{self.name}"
        if value is None:
            if self.required:
                raise InvalidInput(f"{label} is required")
            return
        allowed = _PYTHON_TYPES.get(self.type)
        wrong_bool = self.type in ("int", "float") and isinstance(value, bool)
        if allowed is not None and (not isinstance(value, allowed) or wrong_bool):
            raise InvalidInput(f"{label} must be of type {self.type}, got {value!r}")
        if self.choices is not None and value not in self.choices:
            listed = ", ".join(str(c) for c in self.choices)
            raise InvalidInput(f"{label} must be one of {listed}, got {value!r}")
        if self.elements and isinstance(value, (list, tuple)):
            element = Option(f"{self.name}[]", self.elements, "", suboptions=self.suboptions)
            for item in value:
                element.check(item, where)
        elif self.suboptions is not None and isinstance(value, dict):
            self.suboptions.check(value, f"{label}.")
        if self.validator is not None:
            self.validator(label, value)


class OptionTable:
    """The options of one domain (container, image, config, registry host, ...), in order."""

    def __init__(self, domain: str, options: Sequence[Option]) -> None:
        self.domain = domain
        self._options: Dict[str, Option] = {}
        for option in options:
            if option.name in self._options:
                raise ValueError(f"{domain}: option {option.name} declared twice")
            self._options[option.name] = option

    def __iter__(self) -> Iterator[Option]:
        return iter(self._options.values())

    def __getitem__(self, name: str) -> Option:
        return self._options[name]

    def __contains__(self, name: object) -> bool:
        return name in self._options

    def names(self) -> Tuple[str, ...]:
        return tuple(self._options)

    def defaults(self) -> Dict[str, Any]:
        return {o.name: o.default for o in self}

    def select(self, predicate: Callable[[Option], bool]) -> Tuple[Option, ...]:
        return tuple(o for o in self if predicate(o))

    def check(self, values: Mapping[str, Any], where: str = "") -> None:
        """Validate ``values`` (unknown keys are refused, naming the known ones)."""
        unknown = sorted(set(values) - set(self._options))
        if unknown:
            known = ", ".join(self._options)
            raise InvalidInput(
                f"{where}unknown option(s) {', '.join(unknown)} for {self.domain}; "
                f"known: {known}"
            )
        for name, value in values.items():
            self._options[name].check(value, where)
