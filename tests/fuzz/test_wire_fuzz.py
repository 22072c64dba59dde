"""The wire decoder on hostile bytes: every message schema the library declares decodes
random and structurally plausible bytes into a dict, or raises its own DecodeError; nothing
else comes out and nothing hangs (a daemon's reply is input like any other)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Dict, List, Tuple

from ansible_collections.ocirt.containerd.plugins.module_utils import api
from ansible_collections.ocirt.containerd.plugins.module_utils.wire import codec, schema, wellknown
from hypothesis import example, given
from hypothesis import strategies as st

from .budget import BOUNDED, FUZZ


def _all_messages() -> Dict[str, schema.Message]:
    found: Dict[str, schema.Message] = {}
    modules = [wellknown] + [
        importlib.import_module(f"{api.__name__}.{m.name}")
        for m in pkgutil.iter_modules(api.__path__)
    ]
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, schema.Message):
                found[value.full_name] = value
    return found


MESSAGES = _all_messages()
NAMES = sorted(MESSAGES)


def _field(number: int, wire_type: int, payload: object) -> bytes:
    """One field as a peer could send it, whatever the schema says the field is."""
    tag = codec.encode_varint((number << 3) | wire_type)
    if wire_type == codec.VARINT:
        return tag + codec.encode_varint(int(payload))  # type: ignore[arg-type]
    if wire_type in (codec.I32, codec.I64):
        width = 4 if wire_type == codec.I32 else 8
        return tag + int(payload).to_bytes(16, "little", signed=False)[:width]  # type: ignore[arg-type]
    data = payload if isinstance(payload, bytes) else b""
    return tag + codec.encode_varint(len(data)) + data


_NUMBERS = st.integers(min_value=1, max_value=20)  # where most declared fields are
_WIRE_TYPES = st.sampled_from([codec.VARINT, codec.I64, codec.LEN, codec.I32])
_VARINTS = st.one_of(st.integers(min_value=0, max_value=2**64 - 1), st.sampled_from([0, 1, 2**63]))


def _message_bytes(
    children: st.SearchStrategy[bytes], numbers: st.SearchStrategy[int] = _NUMBERS
) -> st.SearchStrategy[bytes]:
    field = st.tuples(numbers, _WIRE_TYPES, st.one_of(_VARINTS, children))
    return st.lists(field, max_size=6).map(
        lambda fields: b"".join(
            _field(n, w, p if w == codec.LEN or not isinstance(p, bytes) else len(p))
            for n, w, p in fields
        )
    )


#: Well-formed field sequences nested a few levels deep, with payloads that are themselves
#: messages, invalid UTF-8, packed numbers or junk: the shapes that reach every decoder.
PLAUSIBLE = st.recursive(
    st.one_of(st.binary(max_size=24), st.sampled_from([b"\xff\xfe", b"\xc3", b"\x80" * 11])),
    _message_bytes,
    max_leaves=16,
)


def _for_message(name: str) -> st.SearchStrategy[Tuple[str, bytes]]:
    """Fields with the numbers the message declares (any wire type), nested payloads."""
    declared = st.sampled_from(sorted(f.number for f in MESSAGES[name].fields) or [1])
    numbers = st.one_of(declared, declared, _NUMBERS)
    return st.tuples(st.just(name), _message_bytes(PLAUSIBLE, numbers))


TARGETED = st.sampled_from(NAMES).flatmap(_for_message)


def _decode(name: str, data: bytes) -> None:
    try:
        result = MESSAGES[name].decode(data)
    except codec.DecodeError:
        return
    if MESSAGES[name] is not wellknown.TIMESTAMP or result is not None:
        assert isinstance(result, (dict, wellknown.datetime.datetime)), (name, result)


@BOUNDED
@FUZZ
@given(name=st.sampled_from(NAMES), data=st.binary(max_size=256))
def test_random_bytes_give_a_message_or_a_decode_error(name: str, data: bytes) -> None:
    _decode(name, data)


@BOUNDED
@FUZZ
@given(case=TARGETED)
@example(case=("containerd.services.leases.v1.CreateRequest", b"\x18\x00"))  # map as varint
@example(case=("containerd.services.containers.v1.Container", b"\n\x01\x80"))  # bad UTF-8
@example(case=("google.protobuf.Timestamp", b"\x08" + codec.encode_varint(2**62)))  # year 1e11
def test_declared_fields_of_any_type_give_a_message_or_a_decode_error(
    case: Tuple[str, bytes],
) -> None:
    _decode(*case)


@BOUNDED
@FUZZ
@given(data=st.binary(max_size=64), cut=st.integers(min_value=0, max_value=64))
def test_truncated_fields_are_decode_errors(data: bytes, cut: int) -> None:
    """A varint or length running past the end never reads beyond it or loops."""
    fields: List[Tuple[int, int, object]] = []
    try:
        fields = list(codec.iter_fields(data[:cut]))
    except codec.DecodeError:
        return
    assert all(number > 0 for number, _, _ in fields)


def test_the_schemas_cover_every_api_module() -> None:
    """The fuzzing reaches the replies of every service the library calls."""
    services = {name.split(".services.")[1].split(".")[0] for name in NAMES if ".services." in name}
    assert {
        "containers",
        "content",
        "images",
        "leases",
        "namespaces",
        "snapshots",
        "tasks",
    } <= services
    assert "google.protobuf.Timestamp" in MESSAGES and len(MESSAGES) > 80
