"""The gRPC connection to containerd's unix socket: raw-bytes calls of the four shapes, the
namespace and lease headers, and gRPC failures turned into the library's errors. It knows
nothing about images or containers."""
