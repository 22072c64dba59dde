"""Wire primitives against the encodings in the protobuf documentation."""

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.wire import codec
from hypothesis import given
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "value, encoded",
    [
        (0, b"\x00"),
        (1, b"\x01"),
        (150, b"\x96\x01"),
        (300, b"\xac\x02"),
        (2**64 - 1, b"\xff" * 9 + b"\x01"),
    ],
)
def test_varint_known_vectors(value, encoded):
    assert codec.encode_varint(value) == encoded
    assert codec.decode_varint(encoded, 0) == (value, len(encoded))


def test_negative_numbers_are_ten_byte_twos_complement():
    encoded = codec.encode_varint(-1)
    assert encoded == b"\xff" * 9 + b"\x01"
    raw, _ = codec.decode_varint(encoded, 0)
    assert codec.to_signed(raw, 64) == -1
    assert codec.to_signed(raw, 32) == -1


@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_varint_round_trip(value):
    encoded = codec.encode_varint(value)
    assert codec.decode_varint(encoded, 0) == (value, len(encoded))


@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_zigzag_round_trip(value):
    assert codec.zigzag_decode(codec.zigzag_encode(value)) == value
    assert codec.zigzag_encode(value) >= 0


@pytest.mark.parametrize("value, zz", [(0, 0), (-1, 1), (1, 2), (-2, 3), (2147483647, 4294967294)])
def test_zigzag_known_vectors(value, zz):
    assert codec.zigzag_encode(value) == zz


def test_iter_fields_reads_each_wire_type():
    data = (
        codec.encode_tag(1, codec.VARINT)
        + codec.encode_varint(150)
        + codec.encode_len(2, b"testing")
        + codec.encode_tag(3, codec.I32)
        + b"\x01\x00\x00\x00"
        + codec.encode_tag(4, codec.I64)
        + b"\x02"
        + b"\x00" * 7
    )
    assert list(codec.iter_fields(data)) == [
        (1, codec.VARINT, 150),
        (2, codec.LEN, b"testing"),
        (3, codec.I32, b"\x01\x00\x00\x00"),
        (4, codec.I64, b"\x02" + b"\x00" * 7),
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"\x08", "truncated varint"),
        (b"\x12\x05abc", "claims 5 bytes"),
        (b"\x0d\x01", "truncated 32-bit"),
        (b"\x09\x01", "truncated 64-bit"),
        (b"\x0b", "unsupported wire type 3"),
        (b"\x00\x01", "field number 0"),
        (b"\xff" * 11, "longer than 10 bytes"),
    ],
)
def test_malformed_input_is_a_decode_error(data, message):
    with pytest.raises(codec.DecodeError, match=message):
        list(codec.iter_fields(data))
