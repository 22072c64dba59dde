"""A connection to containerd's gRPC API on its unix socket.

grpcio is used with raw bytes on generic unary and streaming calls; the message schemas of
``wire`` do the (de)serialisation. The connection adds the namespace and lease metadata
containerd expects and turns gRPC failures into the library's exceptions. It knows nothing
about images or containers.
"""

from __future__ import annotations

import copy
import os
import socket
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Tuple

from ..wire.schema import Message
from . import errors

try:
    import grpc

    GRPC_IMPORT_ERROR: Optional[str] = None
except ImportError as exc:  # reported by front ends as a missing requirement
    grpc = None
    GRPC_IMPORT_ERROR = str(exc)

DEFAULT_ADDRESS = "/run/containerd/containerd.sock"
DEFAULT_TIMEOUT = 30.0
MAX_MESSAGE_SIZE = 16 * 1024 * 1024  # containerd's default, both ways

NAMESPACE_HEADER = "containerd-namespace"
LEASE_HEADER = "containerd-lease"

UNARY = "unary"
SERVER_STREAM = "server_stream"
BIDI_STREAM = "bidi_stream"


class Method:
    """One RPC: its full path, request and response schemas, and streaming shape."""

    def __init__(self, path: str, request: Message, response: Message, kind: str = UNARY):
        self.path = path
        self.request = request
        self.response = response
        self.kind = kind

    def __repr__(self) -> str:
        return f"Method({self.path})"


def _is_lock(exc: Any) -> bool:
    """containerd answers UNAVAILABLE, with 'locked' in the text, for a busy ingest ref."""
    return " locked" in ((exc.details() if hasattr(exc, "details") else "") or "")


def _socket_path(address: str) -> str:
    for prefix in ("unix://", "unix:"):
        if address.startswith(prefix):
            return address[len(prefix) :]
    return address


class Connection:
    """A gRPC channel to one containerd socket, with a default namespace.

    Use as a context manager or call ``close()``. ``namespace=None`` sends no namespace
    header (the non-namespaced services ignore it anyway).
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        namespace: Optional[str] = "default",
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if grpc is None:
            raise errors.OcirtError(
                f"the Python package grpcio is required to talk to containerd ({GRPC_IMPORT_ERROR})"
            )
        self.address = _socket_path(address or DEFAULT_ADDRESS)
        self.namespace = namespace
        self.timeout = timeout
        self._channel = grpc.insecure_channel(
            "unix://" + os.path.abspath(self.address),
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_SIZE),
                ("grpc.max_send_message_length", MAX_MESSAGE_SIZE),
                # containerd's socket is local: no HTTP proxy, whatever the environment says
                ("grpc.enable_http_proxy", 0),
                # authority as containerd's Go client sends it; grpc-go rejects odd ones
                ("grpc.default_authority", "localhost"),
                # a restarted daemon is back within a second; don't back off for minutes
                ("grpc.initial_reconnect_backoff_ms", 100),
                ("grpc.min_reconnect_backoff_ms", 100),
                ("grpc.max_reconnect_backoff_ms", 1000),
            ],
        )
        self._stubs: Dict[str, Any] = {}

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def with_namespace(self, namespace: Optional[str]) -> Connection:
        """The same channel, calling in another namespace (closing either closes both)."""
        view = copy.copy(self)
        view.namespace = namespace
        return view

    # -- calls -------------------------------------------------------------------------

    def _metadata(self, namespace: Optional[str], lease: Optional[str]) -> List[Tuple[str, str]]:
        md = []
        if namespace:
            md.append((NAMESPACE_HEADER, namespace))
        if lease:
            md.append((LEASE_HEADER, lease))
        return md

    def _stub(self, method: Method) -> Any:
        stub = self._stubs.get(method.path)
        if stub is None:
            factory = {
                UNARY: self._channel.unary_unary,
                SERVER_STREAM: self._channel.unary_stream,
                BIDI_STREAM: self._channel.stream_stream,
            }[method.kind]
            stub = factory(method.path)  # no (de)serializers: raw bytes both ways
            self._stubs[method.path] = stub
        return stub

    def call(
        self,
        method: Method,
        request: Optional[Mapping[str, Any]] = None,
        *,
        namespace: Any = ...,
        lease: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Dict[str, Any]:
        """A unary call; returns the decoded response."""
        if method.kind != UNARY:
            raise TypeError(f"{method} is not a unary call")
        payload = method.request.encode(request or {})
        md = self._metadata(self.namespace if namespace is ... else namespace, lease)
        stub = self._stub(method)
        deadline = timeout or self.timeout
        try:
            raw = stub(payload, timeout=deadline, metadata=md)
        except grpc.RpcError as exc:
            if not self._reachable_again(exc):
                raise self._translate(exc, method) from None
            # the channel failed while the daemon was away and is still backing off, but the
            # socket accepts connections again (a restart): wait for the channel once
            try:
                raw = stub(payload, timeout=deadline, metadata=md, wait_for_ready=True)
            except grpc.RpcError as exc2:
                raise self._translate(exc2, method) from None
        return method.response.decode(raw)

    def call_future(
        self,
        method: Method,
        request: Optional[Mapping[str, Any]] = None,
        *,
        namespace: Any = ...,
        timeout: Optional[float] = None,
    ) -> PendingCall:
        """Start a unary call without waiting for it (``timeout=None``: no deadline).

        For long calls such as Tasks.Wait: the caller polls, waits with its own timeout or
        cancels, and the daemon sees the call as already registered.
        """
        if method.kind != UNARY:
            raise TypeError(f"{method} is not a unary call")
        payload = method.request.encode(request or {})
        md = self._metadata(self.namespace if namespace is ... else namespace, None)
        future = self._stub(method).future(payload, timeout=timeout, metadata=md)
        return PendingCall(self, method, future)

    def stream(
        self,
        method: Method,
        request: Optional[Mapping[str, Any]] = None,
        *,
        namespace: Any = ...,
        lease: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[Dict[str, Any]]:
        """A server-streaming call; yields decoded responses as they arrive."""
        if method.kind != SERVER_STREAM:
            raise TypeError(f"{method} is not a server_stream call")
        payload = method.request.encode(request or {})
        md = self._metadata(self.namespace if namespace is ... else namespace, lease)
        try:
            for raw in self._stub(method)(payload, timeout=timeout, metadata=md):
                yield method.response.decode(raw)
        except grpc.RpcError as exc:
            raise self._translate(exc, method) from None

    def bidi(
        self,
        method: Method,
        requests: Iterable[Mapping[str, Any]],
        *,
        namespace: Any = ...,
        lease: Optional[str] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[Dict[str, Any]]:
        """A bidirectional stream: requests are sent as the iterable yields them."""
        if method.kind != BIDI_STREAM:
            raise TypeError(f"{method} is not a bidi_stream call")
        md = self._metadata(self.namespace if namespace is ... else namespace, lease)
        encoded = (method.request.encode(r) for r in requests)
        try:
            for raw in self._stub(method)(encoded, timeout=timeout, metadata=md):
                yield method.response.decode(raw)
        except grpc.RpcError as exc:
            raise self._translate(exc, method) from None

    # -- errors ------------------------------------------------------------------------

    def _reachable_again(self, exc: Any) -> bool:
        """True when a call failed as UNAVAILABLE although the socket now accepts."""
        if exc.code() != grpc.StatusCode.UNAVAILABLE or _is_lock(exc):
            return False
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(self.address)
            return True
        except OSError:
            return False
        finally:
            probe.close()

    def _translate(self, exc: Any, method: Method) -> errors.OcirtError:
        code = exc.code() if hasattr(exc, "code") else None
        details = (exc.details() if hasattr(exc, "details") else None) or str(exc)
        rpc = method.path.rsplit("/", 1)[-1]
        name = code.name if code is not None else "UNKNOWN"
        if code == grpc.StatusCode.UNAVAILABLE:
            if _is_lock(exc):
                return errors.Locked(details)
            return errors.describe_unreachable(self.address)
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            return errors.Timeout(
                f"containerd on {self.address} did not answer {rpc} in time: "
                "is it overloaded or hung?"
            )
        if code == grpc.StatusCode.PERMISSION_DENIED:
            return errors.PermissionDenied(f"{rpc}: permission denied: {details}")
        if code == grpc.StatusCode.NOT_FOUND:
            return errors.NotFound(details)
        if code == grpc.StatusCode.ALREADY_EXISTS:
            return errors.AlreadyExists(details)
        if code == grpc.StatusCode.FAILED_PRECONDITION:
            if "namespace is required" in details:
                return errors.NamespaceRequired(
                    f"{rpc} needs a namespace: pass one (e.g. namespace=default)"
                )
            return errors.FailedPrecondition(details)
        if code == grpc.StatusCode.INVALID_ARGUMENT:
            return errors.InvalidArgument(details)
        if code == grpc.StatusCode.UNIMPLEMENTED:
            return errors.Unimplemented(
                f"containerd on {self.address} does not serve {method.path}: "
                "its version or configuration lacks that service"
            )
        if "no space left on device" in details:  # ENOSPC as Go words it, on any status
            return errors.NoSpace(
                f"containerd has no space left on its disk ({rpc}: {details}): free space "
                "there (unused images, containers, snapshots) and run it again"
            )
        return errors.RemoteError(f"{rpc} failed ({name}): {details}", name)


class PendingCall:
    """A unary call in flight (see ``Connection.call_future``)."""

    def __init__(self, conn: Connection, method: Method, future: Any) -> None:
        self._conn = conn
        self._method = method
        self._future = future

    def done(self) -> bool:
        return self._future.done()

    def cancel(self) -> None:
        self._future.cancel()

    def result(self, timeout: Optional[float] = None) -> Dict[str, Any]:
        """The decoded response; ``errors.Timeout`` if it has not come within ``timeout``."""
        try:
            raw = self._future.result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise errors.Timeout(
                f"{self._method.path.rsplit('/', 1)[-1]} did not finish within {timeout} s"
            ) from None
        except grpc.FutureCancelledError:
            raise errors.OcirtError(f"{self._method.path} was cancelled") from None
        except grpc.RpcError as exc:
            raise self._conn._translate(exc, self._method) from None
        return self._method.response.decode(raw)
