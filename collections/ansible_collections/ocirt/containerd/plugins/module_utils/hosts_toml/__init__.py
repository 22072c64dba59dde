"""containerd's registry host configuration, ``<config_path>/<host>/hosts.toml``, read (for
pulls, the way the CRI resolves them) and written (by the registry module) in one package, so
both sides agree on the format; ``options`` declares the settings of one host once.
"""
