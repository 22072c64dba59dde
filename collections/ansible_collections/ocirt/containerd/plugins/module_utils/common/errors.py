"""Every error the library raises on purpose, in one place: the gRPC status codes the
transport maps first, then the errors of each domain.

Every error the library raises is an ``OcirtError``; front ends print ``str(error)`` and
never a traceback.
"""

from __future__ import annotations

import os
import stat
from typing import Optional


class OcirtError(Exception):
    """Base of every error the runtime library raises on purpose."""


class InvalidInput(OcirtError):
    """The caller asked for something malformed; nothing was sent to containerd."""


class DaemonUnavailable(OcirtError):
    """No containerd answered: socket missing, refused, not permitted, or timed out."""


class PermissionDenied(DaemonUnavailable):
    """The socket exists but this user may not connect to it."""


class NotFound(OcirtError):
    pass


class AlreadyExists(OcirtError):
    pass


class FailedPrecondition(OcirtError):
    pass


class NamespaceRequired(FailedPrecondition):
    pass


class InvalidArgument(OcirtError):
    pass


class Timeout(OcirtError):
    pass


class Unimplemented(OcirtError):
    pass


class Locked(OcirtError):
    """Another client holds the resource (an ingest ref) right now; retry shortly."""


class NoSpace(OcirtError):
    """containerd could not write to its root (content, snapshots, metadata): disk full."""


class RemoteError(OcirtError):
    """Any other status containerd returned, with its code kept for callers."""

    def __init__(self, message: str, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.code = code


class InvalidReply(RemoteError):
    """containerd answered with bytes that do not decode as the reply the call expects."""


def describe_unreachable(address: str) -> DaemonUnavailable:
    """Explain why nothing answers on ``address``, looking at the socket file itself."""
    try:
        st = os.stat(address)
    except FileNotFoundError:
        return DaemonUnavailable(
            f"there is no containerd socket at {address}: is containerd installed and "
            "running? (set the address option or CONTAINERD_ADDRESS if it listens elsewhere)"
        )
    except PermissionError:
        return PermissionDenied(
            f"permission denied reaching {address}: run as root or as a member of the "
            "socket's group"
        )
    if not stat.S_ISSOCK(st.st_mode):
        return DaemonUnavailable(f"{address} exists but is not a socket")
    if not os.access(address, os.R_OK | os.W_OK):
        return PermissionDenied(
            f"permission denied on {address}: run as root or as a member of the socket's group"
        )
    return DaemonUnavailable(
        f"containerd is not answering on {address}: is the service running? "
        "(the socket file exists, but nothing accepts connections on it)"
    )


# configuration
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


# installing
class InstallError(OcirtError):
    """Installing failed; what was already replaced is named in the message."""


class SourceError(InstallError):
    """An archive could not be read from its URL or path."""


class ChecksumMismatch(InstallError):
    """A downloaded or local archive is not the one the sha256 names; nothing was replaced."""


class PackageManagerError(InstallError):
    """apt-get / dnf / dpkg-query / rpm failed or is missing."""


# the service
class ServiceError(OcirtError):
    """Starting, stopping or restarting containerd failed."""


class NotServing(ServiceError):
    """containerd did not answer Version in time; the message carries its last log lines."""


# networks
class CniError(OcirtError):
    """A CNI plugin failed, could not be run or did not answer in time; the message names
    the network, the plugin and what the plugin said."""


class NetworkInUse(FailedPrecondition):
    """A network cannot be removed or changed while containers are attached to it."""


def describe_os_error(exc: OSError) -> str:
    """An operating system error as one sentence naming the file and what to do."""
    import errno

    where = f" ({exc.filename})" if exc.filename else ""
    hints = {
        errno.EACCES: "permission denied{w}: run as root or fix the file's permissions",
        errno.EPERM: "operation not permitted{w}: run as root",
        errno.ENOSPC: "no space left on the device{w}: free some space and run it again",
        errno.EROFS: "the file system is read-only{w}",
        errno.ENOENT: "no such file or directory{w}",
    }
    hint = hints.get(exc.errno or 0)
    if hint:
        return hint.format(w=where)
    return f"{exc.strerror or exc}{where}"
