"""Validation before a configuration file is replaced.

Three gates: the typed options have values containerd accepts (the error names the option
and what is allowed); the candidate parses and declares the schema the installed containerd
reads; and the installed binary loads it (`containerd --config CANDIDATE config dump`, the
same loader the daemon runs), else containerd's own message is returned.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any, Dict, Mapping, Optional, Tuple

from ..common.errors import ConfigRejected, InvalidInput
from ..common.options import Option
from .binary import Containerd, message_of
from .document import load
from .options import CONFIG_OPTIONS
from .schema import Version, version_text


def _version_tuple(text: str) -> Tuple[int, ...]:
    return tuple(int(n) for n in text.split("."))


def _check_known_by(option: Option, version: Optional[Version]) -> None:
    """An option older containerds do not know would be silently ignored: refuse it."""
    if option.min_version is None or version is None:
        return
    if version < _version_tuple(option.min_version):
        raise InvalidInput(
            f"{option.name}: containerd {version_text(version)} does not know this option "
            f"(it needs containerd {option.min_version} or later) and would ignore it"
        )


def validate_options(
    options: Mapping[str, Any], version: Optional[Version] = None
) -> Dict[str, Any]:
    """Typed options checked against the table; every name present, None = "not managed"."""
    unknown = sorted(set(options) - set(CONFIG_OPTIONS.names()))
    if unknown:
        raise InvalidInput(
            f"unknown option(s) {', '.join(unknown)}; "
            f"allowed: {', '.join(CONFIG_OPTIONS.names())}"
        )
    out: Dict[str, Any] = {}
    for option in CONFIG_OPTIONS:
        value = options.get(option.name)
        if value is not None:
            if option.validator is not None:
                option.validator(option.name, value)
            _check_known_by(option, version)
        out[option.name] = value
    return out


def validate_candidate(
    binary: Containerd, text: str, near: Optional[str] = None
) -> Tuple[bool, str]:
    """Load ``text`` in the installed containerd; (True, dump) or raise ConfigRejected.

    The candidate is written next to the target (``near``) when that directory exists, so
    relative ``imports`` resolve as they will for the real file; it is removed at once.
    """
    load(text, "the candidate configuration")
    directory = os.path.dirname(near) if near else ""
    if not directory or not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        directory = tempfile.gettempdir()
    fd, tmp = tempfile.mkstemp(prefix=".ocirt-validate-", suffix=".toml", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        result = binary.dump(tmp)
    finally:
        os.unlink(tmp)
    if result.returncode != 0:
        message = message_of(result).replace(tmp, "<candidate>")
        raise ConfigRejected(
            f"containerd {binary.version_string} ({binary.path}) would not load the new "
            f"configuration, so it was not installed: {message}"
        )
    # 1.x lists the loaded file among imports: name the real target, not the temp file
    return True, result.stdout.replace(tmp, near or "<candidate>")
