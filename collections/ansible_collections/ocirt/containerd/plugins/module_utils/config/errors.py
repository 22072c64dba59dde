"""Errors of the configuration library; all are ``OcirtError`` so front ends print them."""

from __future__ import annotations

from ..transport.errors import InvalidInput, OcirtError


class ConfigError(OcirtError):
    """Base of configuration errors: the file on disk is left as it was."""


class ConfigParseError(ConfigError):
    """A file is not valid TOML; it is reported and never rewritten."""


class ConfigRejected(ConfigError):
    """The installed containerd would not load the candidate; carries containerd's message."""


class UnsupportedSchema(ConfigError):
    """A config schema version ocirt does not write (1, or 4 of containerd 2.3+)."""


class ContainerdBinaryError(ConfigError):
    """The containerd binary used for detection and validation is missing or failed."""


class InvalidOption(InvalidInput):
    """A typed option has a value of the wrong type or outside what is allowed."""
