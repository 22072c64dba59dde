"""The library's own protobuf codec: wire primitives (codec), declarative message schemas
(schema) and Google's well-known types (wellknown). No protoc output, so no coupling to the
protobuf runtime a managed node happens to carry (DESIGN.md)."""
