"""Declared support for check mode, diff mode and idempotency, shared by the modules.

Pieces of the fragments in module_kind.py, which the modules name."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
"""

    ACTIONGROUP = r"""
options: {}
attributes:
  action_group:
    description: Use C(group/ocirt.containerd.containerd) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - ocirt.containerd.containerd
"""

    STATE_MODULE = r"""
options: {}
attributes:
  check_mode: {support: full}
  diff_mode: {support: full}
  idempotent: {support: full}
"""

    INFO_MODULE = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
    details:
      - This action does not modify state.
"""
