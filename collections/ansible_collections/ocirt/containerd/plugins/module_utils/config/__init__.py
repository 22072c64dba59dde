"""containerd configuration files: config.toml (schema 2 and 3) and registry hosts.toml.

Each module holds one concept: ``document`` (comment-keeping TOML edits), ``placement``
(where a typed option lives for a schema), ``binary`` (asking the installed containerd),
``validate``, ``atomic_file`` (safe replacement) and ``registry_hosts`` (hosts.toml).
"""
