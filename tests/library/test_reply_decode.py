"""Replies the codec refuses become the library's InvalidReply naming the call, on each kind
of call (unary, pending unary, server stream, bidi stream), with real replies of the private
containerd: each test calls a real method with a response schema that declares a field with
another wire type than containerd sends, so the real reply cannot decode."""

from __future__ import annotations

import time

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import content, leases, version
from ansible_collections.ocirt.containerd.plugins.module_utils.common import errors
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    BIDI_STREAM,
    SERVER_STREAM,
    Connection,
    Method,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.wire.schema import (
    INT64,
    Field,
    Message,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.wire.wellknown import EMPTY


def _mismatched(name: str, number: int) -> Message:
    """A reply schema whose field ``number`` is a varint, where containerd sends bytes."""
    return Message(f"test.Mismatched{name}", "tests/library/test_reply_decode.py", [
        Field(number, "wrong", INT64)
    ])  # fmt: skip


VERSION = Method(version.VERSION.path, EMPTY, _mismatched("Version", 1))  # version: string
READ = Method(content.READ.path, content.READ_REQUEST, _mismatched("Read", 2), SERVER_STREAM)
WRITE = Method(  # WriteContentResponse.started_at (2) is a Timestamp message
    content.WRITE_METHOD.path, content.WRITE_REQUEST, _mismatched("Write", 2), BIDI_STREAM
)


@pytest.fixture
def view(containerd, containerd_namespace):
    with Connection(containerd.address, namespace=containerd_namespace) as c:
        yield c


def _refused(excinfo: pytest.ExceptionInfo, rpc: str, message: str) -> None:
    assert isinstance(excinfo.value, errors.OcirtError)
    assert str(excinfo.value).startswith(
        f"containerd sent a reply to {rpc} that is not a valid test.Mismatched{message} ("
    )


def _abort(view, ref: str) -> None:
    """Abort an ingest; the server side of a cancelled Write may still hold it a moment
    ("directory not empty", "locked"), so retry within a bound."""
    deadline = time.monotonic() + 15
    while True:
        try:
            view.call(content.ABORT, {"ref": ref})
            return
        except errors.NotFound:
            return
        except (errors.RemoteError, errors.Locked):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_unary_and_pending_replies(view):
    with pytest.raises(errors.InvalidReply) as unary:
        view.call(VERSION, namespace=None)
    _refused(unary, "Version", "Version")
    with pytest.raises(errors.InvalidReply) as pending:
        view.call_future(VERSION, namespace=None, timeout=30).result(timeout=30)
    _refused(pending, "Version", "Version")
    assert version.get_version(view)["version"]  # the connection still serves calls


def test_server_stream_reply(view):
    lease = leases.create_lease(view)
    try:
        digest = content.write_blob(view, b"a blob to read back\n", "ocirt-decode", lease=lease)
        with pytest.raises(errors.InvalidReply) as streamed:
            list(view.stream(READ, {"digest": digest}))
        _refused(streamed, "Read", "Read")
        assert content.read_blob(view, digest) == b"a blob to read back\n"
    finally:
        leases.delete_lease(view, lease, sync=True)


def test_bidi_reply(view):
    lease = leases.create_lease(view)
    try:
        stream = view.bidi(WRITE, iter([{"action": content.STAT, "ref": "ocirt-decode"}]),
                           lease=lease)  # fmt: skip
        with pytest.raises(errors.InvalidReply) as replied:
            stream.next_within(30)
        _refused(replied, "Write", "Write")
        assert stream.ended()  # the stream was cancelled with the bad reply
    finally:
        _abort(view, "ocirt-decode")  # the ingest the Stat opened
        leases.delete_lease(view, lease, sync=True)
