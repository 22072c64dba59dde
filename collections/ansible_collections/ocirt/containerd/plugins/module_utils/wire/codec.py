"""Protocol buffers wire format primitives: varints, zigzag, tags and field iteration.

This is the bottom of the library's own protobuf codec (see DESIGN.md: generated protoc code
couples to the protobuf runtime version, and managed nodes carry very different ones).
It knows bytes and wire types only; message shapes live in ``schema.py``.
"""

from __future__ import annotations

from typing import Iterator, Tuple, Union

# Wire types (https://protobuf.dev/programming-guides/encoding/)
VARINT = 0
I64 = 1
LEN = 2
I32 = 5

_MASK64 = (1 << 64) - 1

#: A field's value as it sits on the wire: an int for VARINT, bytes for the others.
RawValue = Union[int, bytes]


class DecodeError(ValueError):
    """The bytes are not a valid protobuf encoding."""


def encode_varint(value: int) -> bytes:
    """Encode an unsigned varint; negative numbers become their 64-bit two's complement."""
    value &= _MASK64
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def decode_varint(data: bytes, pos: int) -> Tuple[int, int]:
    """Return (unsigned value, next position)."""
    if pos < len(data) and data[pos] < 0x80:  # one byte: most tags and lengths
        return data[pos], pos + 1
    result = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise DecodeError("truncated varint")
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result & _MASK64, pos
        shift += 7
        if shift >= 70:
            raise DecodeError("varint longer than 10 bytes")


def to_signed(value: int, bits: int) -> int:
    """Reinterpret an unsigned integer of the given width as two's complement."""
    value &= (1 << bits) - 1
    if value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def zigzag_encode(value: int) -> int:
    return (value << 1) ^ (value >> 63) if value < 0 else value << 1


def zigzag_decode(value: int) -> int:
    return (value >> 1) ^ -(value & 1)


def encode_tag(number: int, wire_type: int) -> bytes:
    return encode_varint((number << 3) | wire_type)


def encode_len(number: int, payload: bytes) -> bytes:
    """A length-delimited field: tag, length, payload."""
    return encode_tag(number, LEN) + encode_varint(len(payload)) + payload


def iter_fields(data: bytes) -> Iterator[Tuple[int, int, RawValue]]:
    """Yield (field number, wire type, raw value) for each field in a message.

    The raw value is an int for VARINT, bytes (4 or 8 long) for I32/I64 and a bytes slice
    for LEN. Groups (wire types 3 and 4) are long deprecated and rejected.
    """
    pos = 0
    end = len(data)
    while pos < end:
        key, pos = decode_varint(data, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise DecodeError("field number 0")
        if wire_type == VARINT:
            value, pos = decode_varint(data, pos)
            yield number, wire_type, value
        elif wire_type == I64:
            if pos + 8 > end:
                raise DecodeError("truncated 64-bit field")
            yield number, wire_type, data[pos : pos + 8]
            pos += 8
        elif wire_type == LEN:
            length, pos = decode_varint(data, pos)
            if pos + length > end:
                raise DecodeError(f"field {number} claims {length} bytes, {end - pos} left")
            yield number, wire_type, data[pos : pos + length]
            pos += length
        elif wire_type == I32:
            if pos + 4 > end:
                raise DecodeError("truncated 32-bit field")
            yield number, wire_type, data[pos : pos + 4]
            pos += 4
        else:
            raise DecodeError(f"unsupported wire type {wire_type} in field {number}")
