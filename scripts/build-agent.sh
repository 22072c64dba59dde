#!/usr/bin/env bash
# Build the single-file node agent dist/ocirt.pyz: a stdlib zipapp holding the ocirt CLI
# (src/ocirt) and the runtime library (the collection's module_utils, under its
# ansible_collections... import path, without the Ansible glue in _ansible/), entry point
# the CLI's main. It runs on a node's own python3 (3.9+) with the distribution's grpcio
# (Debian: python3-grpcio; python3-tomlkit for configuration, python3-yaml for YAML
# documents): `python3 ocirt.pyz ps -a`. No venv, no pip.
#
# Each module's bytecode is packed beside its source (NAME.pyc, hash-based: PEP 552), compiled
# by the builder's python: zipimport never writes bytecode, so without it a node compiles
# every module it imports on every run (seconds on a small or emulated CPU). A node whose
# python3 has another version (magic number) ignores them and compiles from source.
#
# Reproducible: the same tree and builder python give the same bytes. Entries are sorted,
# every one has the same timestamp (1980-01-01, the zip epoch) and mode, bytecode is compiled
# with a fixed hash seed (frozenset constants keep their order) and validated by the source's
# hash, not its mtime; compression is deflate level 9 (zlib's output: a builder whose python
# uses zlib-ng may write other bytes). The version comes from pyproject.toml and the commit
# from git (marked "-dirty" when the packed files differ from it), both written into
# ocirt/_build.py.
#
# Usage: bash scripts/build-agent.sh [OUTPUT]   (default dist/ocirt.pyz)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/dist/ocirt.pyz}
mu=collections/ansible_collections/ocirt/containerd/plugins/module_utils

commit=""
if git -C "$top" rev-parse --verify -q HEAD >/dev/null 2>&1; then
  commit=$(git -C "$top" rev-parse HEAD)
  if [ -n "$(git -C "$top" status --porcelain -- src/ocirt "$mu")" ]; then
    commit="$commit-dirty"
  fi
fi

PYTHONHASHSEED=0 PYTHONDONTWRITEBYTECODE=1 exec "${PYTHON:-python3}" - "$top" "$out" "$mu" "$commit" <<'EOF'
import importlib.util
import os
import re
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

top, out, mu, commit = sys.argv[1:5]
STAMP = (1980, 1, 1, 0, 0, 0)
SHEBANG = b"#!/usr/bin/env python3\n"
MAIN = '''"""ocirt node agent: `python3 ocirt.pyz COMMAND ...` (see `python3 ocirt.pyz --help`)."""

import sys

from ocirt.cli.main import main

sys.exit(main())
'''
# the namespace levels above module_utils become regular (empty) packages inside the
# agent, so that no other ansible_collections on the node's path is merged into them
PACKAGE_LEVELS = [
    "ansible_collections",
    "ansible_collections/ocirt",
    "ansible_collections/ocirt/containerd",
    "ansible_collections/ocirt/containerd/plugins",
]


def sources(root, prefix, skip=()):
    """(name in the archive, path) of every .py file under root, sorted."""
    found = []
    for here, dirs, files in os.walk(os.path.join(top, root)):
        rel = os.path.relpath(here, os.path.join(top, root))
        dirs[:] = [
            d
            for d in dirs
            if d != "__pycache__" and os.path.normpath(os.path.join(rel, d)) not in skip
        ]
        for name in files:
            if name.endswith(".py"):
                inner = os.path.normpath(os.path.join(prefix, rel, name))
                found.append((inner, os.path.join(here, name)))
    return found


def version():
    with open(os.path.join(top, "pyproject.toml"), encoding="utf-8") as f:
        match = re.search(r'^version\s*=\s*"([^"]+)"', f.read(), re.MULTILINE)
    return match.group(1) if match else "unknown"


entries = {"__main__.py": MAIN.encode()}
entries["ocirt/_build.py"] = (
    '"""Written by scripts/build-agent.sh: what this node agent was built from."""\n\n'
    f"VERSION = {version()!r}\nCOMMIT = {commit!r}\n"
).encode()
for level in PACKAGE_LEVELS:
    entries[f"{level}/__init__.py"] = b""
packed = sources("src/ocirt", "ocirt", skip={"pyinfra"}) + sources(mu, mu.split("/", 1)[1], skip={"_ansible"})
for inner, path in packed:
    with open(path, "rb") as f:
        entries[inner] = f.read()


def bytecode(inner, source):
    """NAME.pyc for a packed NAME.py, as zipimport reads it: hash-based and checked."""
    code = compile(source, inner, "exec", dont_inherit=True)
    return bytes(_code_to_hash_pyc(code, importlib.util.source_hash(source), checked=True))


for inner in [name for name in entries if name.endswith(".py")]:
    entries[inner + "c"] = bytecode(inner, entries[inner])

os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
partial = out + ".partial"
with open(partial, "wb") as f:
    f.write(SHEBANG)
    with zipfile.ZipFile(f, "w") as z:
        for inner in sorted(entries):
            info = zipfile.ZipInfo(inner, STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, whatever machine builds it
            info.external_attr = 0o100644 << 16
            z.writestr(info, entries[inner], compresslevel=9)
os.chmod(partial, 0o755)
os.replace(partial, out)
print(f"{out}: {len(entries)} files, {os.path.getsize(out)} bytes, ocirt {version()} {commit}")
EOF
