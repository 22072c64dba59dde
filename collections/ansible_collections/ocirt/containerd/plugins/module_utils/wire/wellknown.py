"""Google's well-known protobuf types used by containerd and the CRI.

Timestamp decodes to an aware ``datetime`` in UTC (``None`` when unset) and encodes from one,
so nothing above the wire layer handles seconds/nanos pairs.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Mapping, Optional, Union

from .codec import DecodeError
from .schema import BYTES, INT32, INT64, STRING, Field, Message, Proto


def _protobuf(file: str) -> Proto:
    return Proto(f"google/protobuf/{file}", "google.protobuf")


EMPTY = _protobuf("empty.proto").message("Empty")
ANY = _protobuf("any.proto").message("Any", Field(1, "type_url", STRING), Field(2, "value", BYTES))
FIELD_MASK = _protobuf("field_mask.proto").message(
    "FieldMask", Field(1, "paths", STRING, repeated=True)
)
# Duration and Timestamp are both seconds and nanoseconds on the wire.
_SECONDS_NANOS = (Field(1, "seconds", INT64), Field(2, "nanos", INT32))
DURATION = _protobuf("duration.proto").message("Duration", *_SECONDS_NANOS)
RPC_STATUS = Proto("google/rpc/status.proto", "google.rpc").message(
    "Status",
    Field(1, "code", INT32),
    Field(2, "message", STRING),
    Field(3, "details", ANY, repeated=True),
)

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


class _Timestamp(Message):
    """google.protobuf.Timestamp as a Python datetime."""

    def __init__(self) -> None:
        super().__init__(
            "google.protobuf.Timestamp", "google/protobuf/timestamp.proto", _SECONDS_NANOS
        )

    def encode(self, value: Union[datetime.datetime, Mapping[str, Any], None]) -> bytes:
        if isinstance(value, datetime.datetime):
            if value.tzinfo is None:
                raise ValueError("timestamps must be timezone-aware")
            delta = value - _EPOCH
            seconds = delta.days * 86400 + delta.seconds
            value = {"seconds": seconds, "nanos": delta.microseconds * 1000}
        return super().encode(value)

    def decode(self, data: bytes) -> Optional[datetime.datetime]:  # type: ignore[override]
        raw: Dict[str, Any] = super().decode(data)
        if raw["seconds"] == 0 and raw["nanos"] == 0:
            return None  # unset in practice: containerd never reports the epoch itself
        try:
            return _EPOCH + datetime.timedelta(
                seconds=raw["seconds"], microseconds=raw["nanos"] // 1000
            )
        except OverflowError:  # protobuf's valid range is years 1 to 9999, as datetime's
            raise DecodeError(
                f"{self.full_name}: {raw['seconds']} seconds is outside years 1 to 9999"
            ) from None


TIMESTAMP = _Timestamp()


def pack_any(message: Message, value: Mapping[str, Any]) -> Dict[str, Any]:
    """Wrap a protobuf message in an Any the way containerd's typeurl does (bare full name)."""
    return {"type_url": message.full_name, "value": message.encode(value)}


def unpack_any(any_value: Optional[Mapping[str, Any]], message: Message) -> Dict[str, Any]:
    """Decode an Any known to hold ``message``; an unset Any gives the empty message."""
    if not any_value or not any_value.get("type_url"):
        return message.decode(b"")
    url = any_value["type_url"]
    if url.rsplit("/", 1)[-1] != message.full_name:
        raise ValueError(f"Any holds {url}, not {message.full_name}")
    return message.decode(any_value["value"])
