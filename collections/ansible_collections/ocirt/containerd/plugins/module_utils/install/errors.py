"""Errors of the installer; all are ``OcirtError`` so front ends print them plainly."""

from __future__ import annotations

from ..transport.errors import InvalidInput, OcirtError


class InstallError(OcirtError):
    """Installing failed; what was already replaced is named in the message."""


class SourceError(InstallError):
    """An archive could not be read from its URL or path."""


class ChecksumMismatch(InstallError):
    """A downloaded or local archive is not the one the sha256 names; nothing was replaced."""


class PackageManagerError(InstallError):
    """apt-get / dnf / dpkg-query / rpm failed or is missing."""


class InvalidInstallOption(InvalidInput):
    """An option of the installer has a value outside what is allowed."""
