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
import threading
import time
from typing import (
    Any,
    Callable,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Protocol,
    Tuple,
    Union,
)

from ..common import errors
from ..common.defaults import DEFAULT_ADDRESS
from ..wire.codec import DecodeError
from ..wire.schema import Message

try:
    import grpc

    GRPC_IMPORT_ERROR: Optional[str] = None
except ImportError as exc:  # reported by front ends as a missing requirement
    grpc = None
    GRPC_IMPORT_ERROR = str(exc)

#: grpc_connectivity_state's READY, as grpc's C core reports it (cygrpc.ConnectivityState)
_READY = 2

DEFAULT_TIMEOUT = 30.0
MAX_MESSAGE_SIZE = 16 * 1024 * 1024  # containerd's default, both ways
PROBE_EVERY = 1.0  # seconds between looks at the socket while a call waits for containerd

NAMESPACE_HEADER = "containerd-namespace"
LEASE_HEADER = "containerd-lease"

UNARY = "unary"
SERVER_STREAM = "server_stream"
BIDI_STREAM = "bidi_stream"


class RenewedLease(Protocol):
    """A lease that changes id while an operation runs (see api/leases.OperationLease)."""

    def current(self) -> str: ...


LeaseRef = Union[str, RenewedLease]
Request = Optional[Mapping[str, Any]]
Reply = Dict[str, Any]
Metadata = List[Tuple[str, str]]


def lease_id(lease: Optional[LeaseRef]) -> Optional[str]:
    """The id a request carries now: a renewed lease is asked at each request."""
    return lease if lease is None or isinstance(lease, str) else lease.current()


class Method:
    """One RPC: its full path, request and response schemas, and streaming shape."""

    def __init__(self, path: str, request: Message, response: Message, kind: str = UNARY):
        self.path = path
        self.request = request
        self.response = response
        self.kind = kind

    def __repr__(self) -> str:
        return f"Method({self.path})"


class Service:
    """One gRPC service; its methods are called by the path /<package>.<Service>/<Method>."""

    def __init__(self, full_name: str) -> None:
        self.full_name = full_name

    def method(self, name: str, request: Message, response: Message, kind: str = UNARY) -> Method:
        return Method(f"/{self.full_name}/{name}", request, response, kind)


def rpc_name(method: Method) -> str:
    """The method's name without its service, as error messages name the call."""
    return method.path.rsplit("/", 1)[-1]


def decode_reply(method: Method, raw: bytes, call: Any = None) -> Reply:
    """The single place replies are decoded (unary, streamed, bidi, pending).

    A reply the codec refuses (a containerd whose API differs from the schema, or a corrupt
    message) becomes a library error naming the call; ``call``, a stream, is cancelled, as
    the replies after a bad one cannot be trusted either.
    """
    try:
        return method.response.decode(raw)
    except DecodeError as exc:
        if call is not None:
            call.cancel()
        raise errors.InvalidReply(
            f"containerd sent a reply to {rpc_name(method)} that is not a valid "
            f"{method.response.full_name} ({exc}): is this containerd version supported?"
        ) from None


def _is_lock(exc: Any) -> bool:
    """containerd answers UNAVAILABLE, with 'locked' in the text, for a busy ingest ref."""
    return " locked" in ((exc.details() if hasattr(exc, "details") else "") or "")


def _failed_precondition(rpc: str, details: str) -> errors.OcirtError:
    if "namespace is required" in details:
        return errors.NamespaceRequired(
            f"{rpc} needs a namespace: pass one (e.g. namespace=default)"
        )
    return errors.FailedPrecondition(details)


#: The library's error for each gRPC status that needs nothing but the call and its details;
#: UNAVAILABLE, DEADLINE_EXCEEDED and UNIMPLEMENTED also look at the socket or its address.
_STATUS_ERRORS: Dict[str, Callable[[str, str], errors.OcirtError]] = {
    "NOT_FOUND": lambda rpc, details: errors.NotFound(details),
    "ALREADY_EXISTS": lambda rpc, details: errors.AlreadyExists(details),
    "INVALID_ARGUMENT": lambda rpc, details: errors.InvalidArgument(details),
    "PERMISSION_DENIED": lambda rpc, details: errors.PermissionDenied(
        f"{rpc}: permission denied: {details}"
    ),
    "FAILED_PRECONDITION": _failed_precondition,
}


def _other_failure(name: str, rpc: str, details: str) -> errors.OcirtError:
    if "no space left on device" in details:  # ENOSPC as Go words it, on any status
        return errors.NoSpace(
            f"containerd has no space left on its disk ({rpc}: {details}): free space "
            "there (unused images, containers, snapshots) and run it again"
        )
    return errors.RemoteError(f"{rpc} failed ({name}): {details}", name)


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
        self._probe_lock = threading.Lock()
        self._alive_at = -PROBE_EVERY  # when the socket last accepted a probe

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

    def _metadata(
        self, method: Method, kind: str, namespace: Any, lease: Optional[LeaseRef]
    ) -> Metadata:
        """The headers of a call of ``kind``; ``namespace=...`` is the connection's namespace."""
        if method.kind != kind:
            raise TypeError(f"{method} is not a {kind} call")
        if namespace is ...:
            namespace = self.namespace
        md = []
        if namespace:
            md.append((NAMESPACE_HEADER, namespace))
        current = lease_id(lease)
        if current:
            md.append((LEASE_HEADER, current))
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
        request: Request = None,
        *,
        namespace: Any = ...,
        lease: Optional[LeaseRef] = None,
        timeout: Optional[float] = None,
    ) -> Reply:
        """A unary call; returns the decoded response."""
        md = self._metadata(method, UNARY, namespace, lease)
        payload = method.request.encode(request or {})
        stub = self._stub(method)
        deadline = timeout or self.timeout
        try:
            if self._connected():
                raw = stub(payload, timeout=deadline, metadata=md)
            else:
                raw = self._answer(stub.future(payload, timeout=deadline, metadata=md))
        except grpc.RpcError as exc:
            if not self._reachable_again(exc):
                raise self._translate(exc, method) from None
            # the channel failed while the daemon was away and is still backing off, but the
            # socket accepts connections again (a restart): wait for the channel once
            retry = stub.future(payload, timeout=deadline, metadata=md, wait_for_ready=True)
            try:
                raw = self._answer(retry)
            except grpc.RpcError as exc2:
                raise self._translate(exc2, method) from None
        return decode_reply(method, raw)

    def _connected(self) -> bool:
        """True while the channel has a working connection to containerd (READY).

        A call on such a connection is sent in the calling thread (grpc's blocking call,
        about 40% cheaper than a future, which starts grpc's channel thread for each
        sequential call): if containerd dies, the kernel closes the connection and grpc
        fails the call at once. Any other state means a connection is being (re)made, where
        a dying daemon's socket can accept without answering; those calls wait through
        ``_answer``, which looks at the socket meanwhile. A grpc without the (long-standing)
        cygrpc channel attribute always takes that path.
        """
        core = getattr(self._channel, "_channel", None)
        check = getattr(core, "check_connectivity_state", None)
        return check is not None and check(False) == _READY

    def _answer(self, future: Any) -> bytes:
        """Wait for a unary call's answer, its deadline, or the daemon's death.

        grpc fails the calls in flight when the socket closes, but a call sent while a killed
        daemon's socket was being torn down may wait for its whole deadline; looking at the
        socket every few seconds ends such a wait at once.
        """
        try:
            while True:
                try:
                    return future.result(timeout=PROBE_EVERY)
                except grpc.FutureTimeoutError:
                    if self.daemon_gone():
                        raise self._unreachable() from None
        except BaseException:
            future.cancel()
            raise

    def daemon_gone(self) -> bool:
        """True when nothing accepts connections on the socket any more (containerd died).

        The single test of a dead daemon that every wait uses. A live socket is probed at
        most once per PROBE_EVERY, however many threads ask; a dead one every time (a refused
        connect costs nothing), so a restarted daemon is never taken for a dead one.
        """
        with self._probe_lock:
            now = time.monotonic()
            if now - self._alive_at < PROBE_EVERY:
                return False
            if self._socket_accepts():
                self._alive_at = now
                return False
            return True

    def _socket_accepts(self) -> bool:
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(self.address)
            return True
        except OSError:
            return False
        finally:
            probe.close()

    def call_future(
        self,
        method: Method,
        request: Request = None,
        *,
        namespace: Any = ...,
        timeout: Optional[float] = None,
    ) -> PendingCall:
        """Start a unary call without waiting for it (``timeout=None``: no deadline).

        For long calls such as Tasks.Wait: the caller polls, waits with its own timeout or
        cancels, and the daemon sees the call as already registered.
        """
        md = self._metadata(method, UNARY, namespace, None)
        payload = method.request.encode(request or {})
        future = self._stub(method).future(payload, timeout=timeout, metadata=md)
        return PendingCall(self, method, future)

    def stream(
        self,
        method: Method,
        request: Request = None,
        *,
        namespace: Any = ...,
        lease: Optional[LeaseRef] = None,
        timeout: Optional[float] = None,
    ) -> Iterator[Reply]:
        """A server-streaming call; yields decoded responses as they arrive."""
        md = self._metadata(method, SERVER_STREAM, namespace, lease)
        payload = method.request.encode(request or {})
        call = self._stub(method)(payload, timeout=timeout, metadata=md)
        try:
            for raw in call:
                yield decode_reply(method, raw, call)
        except grpc.RpcError as exc:
            raise self._translate(exc, method) from None

    def open_stream(
        self, method: Method, request: Request = None, *, namespace: Any = ...
    ) -> BidiStream:
        """A server-streaming call that lasts until the caller ends it (Events.Subscribe),
        as an object that can be cancelled and watched for a daemon that died (BidiStream)."""
        md = self._metadata(method, SERVER_STREAM, namespace, None)
        call = self._stub(method)(method.request.encode(request or {}), metadata=md)
        return BidiStream(self, method, call)

    def bidi(
        self,
        method: Method,
        requests: Iterable[Mapping[str, Any]],
        *,
        namespace: Any = ...,
        lease: Optional[LeaseRef] = None,
        timeout: Optional[float] = None,
    ) -> BidiStream:
        """A bidirectional stream: requests are sent as the iterable yields them."""
        md = self._metadata(method, BIDI_STREAM, namespace, lease)
        encoded = (method.request.encode(r) for r in requests)
        call = self._stub(method)(encoded, timeout=timeout, metadata=md)
        return BidiStream(self, method, call)

    # -- errors ------------------------------------------------------------------------

    def _reachable_again(self, exc: Any) -> bool:
        """True when a call failed as UNAVAILABLE although the socket now accepts."""
        if exc.code() != grpc.StatusCode.UNAVAILABLE or _is_lock(exc):
            return False
        return self._socket_accepts()

    def _translate(self, exc: Any, method: Method) -> errors.OcirtError:
        """The library's error for a failed call, worded for the person running it."""
        code = exc.code() if hasattr(exc, "code") else None
        name = code.name if code is not None else "UNKNOWN"
        details = (exc.details() if hasattr(exc, "details") else None) or str(exc)
        rpc = rpc_name(method)
        if name in _STATUS_ERRORS:
            return _STATUS_ERRORS[name](rpc, details)
        if name == "UNAVAILABLE":
            return errors.Locked(details) if _is_lock(exc) else self._unreachable()
        if name == "DEADLINE_EXCEEDED":
            if not self._socket_accepts():
                return self._unreachable()
            return errors.Timeout(
                f"containerd on {self.address} did not answer {rpc} in time: "
                "is it overloaded or hung?"
            )
        if name == "UNIMPLEMENTED":
            return errors.Unimplemented(
                f"containerd on {self.address} does not serve {method.path}: "
                "its version or configuration lacks that service"
            )
        return _other_failure(name, rpc, details)

    def _unreachable(self) -> errors.OcirtError:
        return errors.describe_unreachable(self.address)


class BidiStream:
    """A streaming call in flight (bidirectional, or a server stream from ``open_stream``);
    iterating it yields the decoded replies.

    A wait on it ends when containerd dies: grpc ends a call when its socket closes, and
    ``ended()`` also looks at the socket (``Connection.daemon_gone``) in case grpc has not
    noticed; the next reply then raises what any call raises for a daemon that is gone.
    A daemon that hangs is caught by ``next_within``, which gives up after the timeout.
    """

    def __init__(self, conn: Connection, method: Method, call: Any) -> None:
        self._conn = conn
        self._method = method
        self._call = call
        self._expired: Optional[float] = None
        self._gone = False

    def __iter__(self) -> BidiStream:
        return self

    def __next__(self) -> Reply:
        try:
            raw = next(self._call)
        except grpc.RpcError as exc:
            if exc.code() == grpc.StatusCode.CANCELLED and self._gone:
                raise self._conn._unreachable() from None
            if exc.code() == grpc.StatusCode.CANCELLED and self._expired is not None:
                rpc = rpc_name(self._method)
                raise errors.Timeout(
                    f"containerd on {self._conn.address} did not answer {rpc} within "
                    f"{self._expired:g} s: is it overloaded or hung?"
                ) from None
            raise self._conn._translate(exc, self._method) from None
        return decode_reply(self._method, raw, self._call)

    def next_within(self, timeout: Optional[float] = None) -> Reply:
        """The next reply; ``errors.Timeout`` (and the call cancelled) if none comes within
        ``timeout`` (default: the connection's)."""
        limit = timeout or self._conn.timeout
        deadline = time.monotonic() + limit
        answered = threading.Event()

        def watch() -> None:
            while not answered.wait(min(PROBE_EVERY, max(0.0, deadline - time.monotonic()))):
                if self.ended():
                    return
                if time.monotonic() >= deadline:
                    self._expired = limit
                    self._call.cancel()
                    return

        threading.Thread(target=watch, daemon=True, name="ocirt-reply-watch").start()
        try:
            return next(self)
        finally:
            answered.set()

    def ended(self) -> bool:
        """Whether the call is over; one to a daemon that died is cancelled here."""
        if not self._call.done() and self._conn.daemon_gone():
            self._gone = True
            self._call.cancel()
        return self._call.done()

    def cancel(self) -> None:
        self._call.cancel()


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

    def result(self, timeout: Optional[float] = None) -> Reply:
        """The decoded response; ``errors.Timeout`` if it has not come within ``timeout``."""
        try:
            raw = self._future.result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise errors.Timeout(
                f"{rpc_name(self._method)} did not finish within {timeout} s"
            ) from None
        except grpc.FutureCancelledError:
            raise errors.OcirtError(f"{self._method.path} was cancelled") from None
        except grpc.RpcError as exc:
            raise self._conn._translate(exc, self._method) from None
        return decode_reply(self._method, raw)
