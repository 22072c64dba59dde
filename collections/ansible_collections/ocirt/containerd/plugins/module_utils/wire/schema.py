"""Declarative protobuf message schemas and the codec that drives them.

A schema mirrors one message of a .proto file: field numbers, names and types. Encoding takes
a plain mapping, decoding returns a plain dict in which every declared field is present with
its proto3 default, so callers never guess whether a key exists. Unknown fields in replies
are skipped, which is what keeps one schema working across containerd 1.6, 1.7 and 2.x.
"""

from __future__ import annotations

import struct
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import codec


class Scalar:
    """A protobuf scalar type: how it sits on the wire and how it maps to Python."""

    def __init__(
        self,
        name: str,
        wire_type: int,
        default: Any,
        encode: Callable[[Any], bytes],
        decode: Callable[[Any], Any],
    ) -> None:
        self.name = name
        self.wire_type = wire_type
        self.default = default
        self.encode = encode
        self.decode = decode
        # proto3 packs repeated numeric fields; strings and bytes can never be packed.
        self.packable = wire_type != codec.LEN

    def __repr__(self) -> str:
        return f"Scalar({self.name})"


def _unpack(fmt: str) -> Callable[[bytes], Any]:
    return lambda raw: struct.unpack(fmt, raw)[0]


def _encode_string(value: str) -> bytes:
    if not isinstance(value, str):
        raise TypeError(f"expected str, got {type(value).__name__}")
    return value.encode("utf-8")


def _encode_bytes(value: Union[bytes, bytearray, memoryview]) -> bytes:
    if isinstance(value, str):
        raise TypeError("expected bytes, got str")
    return bytes(value)


def _encode_int(value: int) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected int, got {type(value).__name__}")
    return codec.encode_varint(value)


def _encode_bool(value: bool) -> bytes:
    return codec.encode_varint(1 if value else 0)


def _decode_string(raw: bytes) -> str:
    """proto3 strings are UTF-8; Go's protobuf refuses anything else, and so does this."""
    try:
        return bytes(raw).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise codec.DecodeError(f"string is not UTF-8 ({exc.reason} at {exc.start})") from None


STRING = Scalar("string", codec.LEN, "", _encode_string, _decode_string)
BYTES = Scalar("bytes", codec.LEN, b"", _encode_bytes, bytes)
BOOL = Scalar("bool", codec.VARINT, False, _encode_bool, bool)
INT32 = Scalar("int32", codec.VARINT, 0, _encode_int, lambda v: codec.to_signed(v, 32))
INT64 = Scalar("int64", codec.VARINT, 0, _encode_int, lambda v: codec.to_signed(v, 64))
UINT32 = Scalar("uint32", codec.VARINT, 0, _encode_int, lambda v: v & 0xFFFFFFFF)
UINT64 = Scalar("uint64", codec.VARINT, 0, _encode_int, lambda v: v)
ENUM = Scalar("enum", codec.VARINT, 0, _encode_int, lambda v: codec.to_signed(v, 32))
SINT32 = Scalar(
    "sint32",
    codec.VARINT,
    0,
    lambda v: codec.encode_varint(codec.zigzag_encode(v)),
    lambda v: codec.to_signed(codec.zigzag_decode(v), 32),
)
SINT64 = Scalar(
    "sint64",
    codec.VARINT,
    0,
    lambda v: codec.encode_varint(codec.zigzag_encode(v)),
    codec.zigzag_decode,
)
FIXED32 = Scalar("fixed32", codec.I32, 0, lambda v: struct.pack("<I", v), _unpack("<I"))
SFIXED32 = Scalar("sfixed32", codec.I32, 0, lambda v: struct.pack("<i", v), _unpack("<i"))
FLOAT = Scalar("float", codec.I32, 0.0, lambda v: struct.pack("<f", v), _unpack("<f"))
FIXED64 = Scalar("fixed64", codec.I64, 0, lambda v: struct.pack("<Q", v), _unpack("<Q"))
SFIXED64 = Scalar("sfixed64", codec.I64, 0, lambda v: struct.pack("<q", v), _unpack("<q"))
DOUBLE = Scalar("double", codec.I64, 0.0, lambda v: struct.pack("<d", v), _unpack("<d"))


class MapOf:
    """A ``map<key, value>`` field: on the wire a repeated entry message {key=1, value=2}."""

    def __init__(self, key: Scalar, value: Union[Scalar, Message]) -> None:
        self.key = key
        self.value = value
        self.entry = Message("MapEntry", "", [Field(1, "key", key), Field(2, "value", value)])

    def decode_entry(self, raw: bytes) -> Tuple[Any, Any]:
        entry = self.entry.decode(raw)
        value = entry["value"]
        if value is None and isinstance(self.value, Message):
            value = self.value.decode(b"")  # an absent message value is the empty message
        return entry["key"], value


FieldType = Union[Scalar, "Message", MapOf]


class Field:
    """One field of a message: number, Python name, type, and whether it repeats."""

    def __init__(self, number: int, name: str, type_: FieldType, repeated: bool = False):
        if isinstance(type_, MapOf) and repeated:
            raise ValueError(f"{name}: a map field is implicitly repeated")
        self.number = number
        self.name = name
        self.type = type_
        self.repeated = repeated

    def default(self) -> Any:
        if isinstance(self.type, MapOf):
            return {}
        if self.repeated:
            return []
        if isinstance(self.type, Scalar):
            return self.type.default
        return None


def _encode_one(number: int, type_: Union[Scalar, Message], value: Any) -> bytes:
    if isinstance(type_, Scalar):
        payload = type_.encode(value)
        if type_.wire_type == codec.LEN:
            return codec.encode_len(number, payload)
        return codec.encode_tag(number, type_.wire_type) + payload
    return codec.encode_len(number, type_.encode(value))


class WrongWireType(codec.DecodeError):
    """A field sent with another wire type than its schema's; Message.decode names it."""

    def __init__(self, wire_type: int, expected: int) -> None:
        super().__init__(f"wire type {wire_type}, expected {expected}")


def _decode_one(type_: Union[Scalar, Message], wire_type: int, raw: codec.RawValue) -> Any:
    if isinstance(type_, Scalar):
        if wire_type != type_.wire_type:
            raise WrongWireType(wire_type, type_.wire_type)
        return type_.decode(raw)
    return type_.decode(_length_delimited(wire_type, raw))


def _length_delimited(wire_type: int, raw: codec.RawValue) -> bytes:
    """The bytes of a LEN field (a message, a map entry, a packed run); else a DecodeError."""
    if wire_type != codec.LEN or isinstance(raw, int):
        raise WrongWireType(wire_type, codec.LEN)
    return raw


def _iter_packed(scalar: Scalar, raw: bytes) -> Iterable[Any]:
    if scalar.wire_type == codec.VARINT:
        pos = 0
        while pos < len(raw):
            value, pos = codec.decode_varint(raw, pos)
            yield scalar.decode(value)
    else:
        width = 4 if scalar.wire_type == codec.I32 else 8
        if len(raw) % width:
            raise codec.DecodeError("packed field length is not a multiple of its width")
        for i in range(0, len(raw), width):
            yield scalar.decode(raw[i : i + width])


class Message:
    """The schema of one protobuf message.

    ``full_name`` is the protobuf full name (used in Any type URLs), ``proto`` the file it
    mirrors, relative to the repository that defines it.
    """

    def __init__(self, full_name: str, proto: str, fields: Sequence[Field] = ()) -> None:
        self.full_name = full_name
        self.proto = proto
        self.fields: List[Field] = []
        self._by_number: Dict[int, Field] = {}
        self._by_name: Dict[str, Field] = {}
        # the empty form, made once: immutable defaults copied, lists and maps made anew
        self._scalars: Dict[str, Any] = {}
        self._lists: List[str] = []
        self._maps: List[str] = []
        self.extend(fields)

    def extend(self, fields: Sequence[Field]) -> None:
        """Add fields; lets a message refer to itself or to one declared after it."""
        for f in fields:
            if f.number in self._by_number or f.name in self._by_name:
                raise ValueError(f"{self.full_name}: duplicate field {f.number} {f.name}")
            self.fields.append(f)
            self._by_number[f.number] = f
            self._by_name[f.name] = f
            if isinstance(f.type, MapOf):
                self._maps.append(f.name)
            elif f.repeated:
                self._lists.append(f.name)
            else:
                self._scalars[f.name] = f.default()  # a scalar's default, or None

    def __repr__(self) -> str:
        return f"Message({self.full_name})"

    def empty(self) -> Dict[str, Any]:
        """The decoded form of an empty message: every field at its default."""
        result = dict(self._scalars)
        for name in self._lists:
            result[name] = []
        for name in self._maps:
            result[name] = {}
        return result

    def encode(self, value: Optional[Mapping[str, Any]]) -> bytes:
        if value is None:
            return b""
        unknown = set(value) - set(self._by_name)
        if unknown:
            raise KeyError(f"{self.full_name} has no field {', '.join(sorted(unknown))}")
        # the parts are joined once: a Content.Write of 1 MiB copies its data once, not thrice
        parts: List[bytes] = []
        for f in self.fields:
            v = value.get(f.name)
            if v is None:
                continue
            try:
                if isinstance(f.type, Scalar) and f.type.wire_type == codec.LEN and not f.repeated:
                    if v != f.type.default:  # proto3: default values are not sent
                        payload = f.type.encode(v)
                        parts += (
                            codec.encode_tag(f.number, codec.LEN),
                            codec.encode_varint(len(payload)),
                            payload,
                        )
                else:
                    parts.append(self._encode_field(f, v))
            except (TypeError, ValueError, struct.error) as exc:
                raise type(exc)(f"{self.full_name}.{f.name}: {exc}") from None
        return b"".join(parts)

    @staticmethod
    def _encode_field(f: Field, v: Any) -> bytes:
        t = f.type
        if isinstance(t, MapOf):
            out = bytearray()
            for key in sorted(v):  # sorted: the same mapping always gives the same bytes
                entry = _encode_one(1, t.key, key)
                if v[key] is not None:
                    entry += _encode_one(2, t.value, v[key])
                out += codec.encode_len(f.number, entry)
            return bytes(out)
        if f.repeated:
            if isinstance(v, (str, bytes, Mapping)):
                raise TypeError("expected a list")
            if isinstance(t, Scalar) and t.packable:
                if not v:
                    return b""
                payload = b"".join(t.encode(item) for item in v)
                return codec.encode_len(f.number, payload)
            return b"".join(_encode_one(f.number, t, item) for item in v)
        if isinstance(t, Scalar) and v == t.default:
            return b""  # proto3: default values are not sent
        return _encode_one(f.number, t, v)

    def decode(self, data: bytes) -> Dict[str, Any]:
        result = self.empty()
        f: Optional[Field] = None
        try:
            for number, wire_type, raw in codec.iter_fields(data):
                f = self._by_number.get(number)
                if f is not None:  # else a newer peer's field: ignore, as protobuf does
                    self._decode_field(result, f, wire_type, raw)
        except WrongWireType as exc:  # the field's own, not one of a message inside it
            name = f.name if f is not None else "?"
            raise codec.DecodeError(f"{self.full_name}.{name}: {exc}") from None
        except codec.DecodeError as exc:
            raise codec.DecodeError(f"{self.full_name}: {exc}") from None
        return result

    def _decode_field(
        self, result: Dict[str, Any], f: Field, wire_type: int, raw: codec.RawValue
    ) -> None:
        t = f.type
        if isinstance(t, MapOf):
            key, value = t.decode_entry(_length_delimited(wire_type, raw))
            result[f.name][key] = value
        elif not f.repeated:
            result[f.name] = _decode_one(t, wire_type, raw)
        elif isinstance(t, Scalar) and t.packable and wire_type == codec.LEN:
            result[f.name].extend(_iter_packed(t, _length_delimited(wire_type, raw)))
        else:
            result[f.name].append(_decode_one(t, wire_type, raw))


class Proto:
    """One .proto file: the messages it declares share its path and its package."""

    def __init__(self, path: str, package: str) -> None:
        self.path = path
        self.package = package

    def message(self, name: str, *fields: Field) -> Message:
        """The message ``name`` (``Outer.Inner`` for a nested one) with these fields."""
        return Message(f"{self.package}.{name}", self.path, fields)
