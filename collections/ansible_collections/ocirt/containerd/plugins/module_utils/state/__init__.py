"""The state document: the namespaces, images and containers of a node, declared in one file.

A document (YAML or JSON) has an optional default ``namespace``, then lists of
``namespaces``, ``images`` and ``containers`` (``pods`` and ``networks`` are reserved for
later), whose entries take exactly the options of the namespace, image and container
modules, from the same option tables (``entries.py``), plus ``group`` and ``prune``.
``load.py`` reads the text, ``document.py`` validates the whole document (every error at
once, each with its path) into desired states, ``schema.py`` derives its JSON Schema from
the tables, ``reconcile.py`` plans and applies it through the namespace, image and container
reconcilers, ``outcome.py`` gives the one JSON shape every front end reports, and ``run.py``
is the sequence the front ends call (check, plan, apply, report).

Nothing here imports ansible or PyYAML at import time: the node agent carries this package.
"""
