"""containerd's gRPC services (and the CRI served on the same socket), one module per service
as its .proto file declares it: the message schemas, the methods and thin typed calls. Version
differences are noted where a field or service appears (``# 1.7+``). It knows the API, not
what images or containers mean to a user: that is in images/, containers/ and reconcile/."""
