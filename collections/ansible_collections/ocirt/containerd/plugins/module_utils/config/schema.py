"""config.toml schema versions: which one each containerd reads, and where its sections are.

Schema 2 is what containerd 1.6 and 1.7 read; schema 3 is containerd 2.0-2.2's, which split
the CRI plugin into ``io.containerd.cri.v1.images`` (image service) and
``io.containerd.cri.v1.runtime`` (runtimes, CNI); ``io.containerd.grpc.v1.cri`` keeps only
the streaming server there. containerd 2.3 writes schema 4, which ocirt does not write.
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

from ..common.errors import UnsupportedSchema
from .document import get_path

Version = Tuple[int, int, int]
KeyPath = Tuple[str, ...]

SCHEMAS = (2, 3)

V2_CRI: KeyPath = ("plugins", "io.containerd.grpc.v1.cri")
V3_IMAGES: KeyPath = ("plugins", "io.containerd.cri.v1.images")
V3_RUNTIME: KeyPath = ("plugins", "io.containerd.cri.v1.runtime")
V3_TRANSFER: KeyPath = ("plugins", "io.containerd.transfer.v1.local")


def version_text(version: Version) -> str:
    return ".".join(str(n) for n in version)


def schema_for_version(version: Version) -> int:
    """The config schema containerd ``version`` reads and writes natively."""
    major, minor = version[0], version[1]
    if major < 2:
        return 2
    if (major, minor) <= (2, 2):
        return 3
    raise UnsupportedSchema(
        f"containerd {version_text(version)} writes config version 4 (containerd 2.3 "
        f"and later), which ocirt does not write yet. Set config_version: 3 to write a "
        f"version 3 file (containerd migrates it when it starts; validation still runs)."
    )


def max_schema_read(version: Version) -> int:
    """The newest schema this containerd loads (1.x silently misreads newer ones)."""
    if version[0] < 2:
        return 2
    return 3 if (version[0], version[1]) <= (2, 2) else 4


def cri_runtime_base(schema: int) -> KeyPath:
    return V2_CRI if schema == 2 else V3_RUNTIME


def cri_images_base(schema: int) -> KeyPath:
    return V2_CRI if schema == 2 else V3_IMAGES


def runtimes_path(schema: int) -> KeyPath:
    return (*cri_runtime_base(schema), "containerd", "runtimes")


def cni_bin_key(schema: int, version: Optional[Version]) -> str:
    """2.1 replaced cni bin_dir by the list bin_dirs (bin_dir is deprecated there)."""
    if schema == 3 and version is not None and version[:2] >= (2, 1):
        return "bin_dirs"
    return "bin_dir"


def document_schema(doc: Any) -> int:
    """The schema a file declares; a file without `version` is read as version 1."""
    value = get_path(doc, ("version",), 1)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnsupportedSchema(f"config.toml: version must be an integer, got {value!r}")
    return value


def check_schema_for(doc: Any, schema: int, version: Optional[Version]) -> None:
    """Refuse a candidate that does not declare ``schema``, or one containerd would misread."""
    declared = document_schema(doc)
    if declared != schema:
        raise UnsupportedSchema(f"the candidate declares version {declared}, expected {schema}")
    if version is not None and declared > max_schema_read(version):
        raise UnsupportedSchema(
            f"containerd {version_text(version)} reads config versions up to "
            f"{max_schema_read(version)}; version {declared} would be misread"
        )
