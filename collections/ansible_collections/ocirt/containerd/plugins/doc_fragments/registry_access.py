"""How modules that pull reach registries (module_utils/images/pull.py RegistryAccess)."""


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
  registry_config_path:
    description:
      - The directory of C(<host>/hosts.toml) files, as containerd's C(config_path).
    type: path
    default: /etc/containerd/certs.d
"""
