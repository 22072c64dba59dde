"""The collection's own Python files (modules, doc fragments) importable as Ansible names them.

The editable install maps only ``module_utils`` (what the library and the CLI import); the
tests here also import the modules and doc fragments, from this checkout's collections/.
Only this process: subprocesses (ansible-playbook, ansible-doc) find the collection their
own way.
"""

from __future__ import annotations

import sys
from pathlib import Path

_collections = str(Path(__file__).resolve().parents[2] / "collections")
if _collections not in sys.path:
    sys.path.append(_collections)
