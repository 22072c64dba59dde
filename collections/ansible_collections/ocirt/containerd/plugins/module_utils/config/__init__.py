"""containerd's config.toml (schema 2 and 3).

Each module holds one concept: ``document`` (comment-keeping TOML edits), ``placement``
(where a typed option lives for a schema), ``binary`` (asking the installed containerd) and
``validate``. Registry hosts.toml files are in ``hosts_toml``; atomic replacement in ``common``.
"""
