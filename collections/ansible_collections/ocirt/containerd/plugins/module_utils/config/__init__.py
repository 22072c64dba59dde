"""containerd's config.toml (schema 2 and 3).

Each module holds one concept: ``options`` (the typed options, declared once), ``values``
(what each kind of value accepts), ``schema`` (which schema a containerd reads, where its
sections are), ``placement`` (where a typed option is written and read back), ``document``
(comment-keeping TOML edits), ``binary`` (asking the installed containerd), ``validate``
and ``masking`` (secrets out of diffs). Registry hosts.toml files are in ``hosts_toml``;
atomic replacement in ``common``.
"""
