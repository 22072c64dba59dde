"""Errors of service management; all are ``OcirtError`` so front ends print them plainly."""

from __future__ import annotations

from ..transport.errors import InvalidInput, OcirtError


class ServiceError(OcirtError):
    """Starting, stopping or restarting containerd failed."""


class NotServing(ServiceError):
    """containerd did not answer Version in time; the message carries its last log lines."""


class InvalidServiceOption(InvalidInput):
    """An option of the service module has a value outside what is allowed."""
