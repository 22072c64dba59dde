"""Credentials of modules that pull (module_utils/registry_params.py); the hosts.toml
directory, registry_config_path, is a shared connection option (doc_fragments/connection.py)."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  username:
    description:
      - Registry user name for the pull.
    type: str
  password:
    description:
      - Registry password or token for the pull.
    type: str
  docker_config:
    description:
      - A docker C(config.json) with registry credentials.
    type: path
"""
