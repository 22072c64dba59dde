"""What every layer of the library shares and nothing else: errors, default paths and names,
atomic file replacement, /proc helpers and OCI media types.

It imports nothing from the rest of the library, so any package may import it.
"""
