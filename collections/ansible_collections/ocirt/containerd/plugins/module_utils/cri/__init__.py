"""The Kubernetes CRI (runtime.v1) RuntimeService on containerd's own socket.

Messages mirror kubernetes/cri-api ``pkg/apis/runtime/v1/api.proto`` (field numbers checked
against the cri-api that containerd 1.6.20, 1.7.0 and 2.1.0 vendor); calls go through the
library's transport with no namespace header (the CRI plugin always works in k8s.io). Only
v1 is spoken: 1.6 and 1.7 serve it beside the deprecated v1alpha2, which 2.0 removed.
Fields newer than 1.6's cri-api are marked with the version that added them; an older
daemon skips them when sent and leaves them at their defaults when answering.
"""
