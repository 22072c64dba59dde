"""The node document: containerd itself on a host, as ``ocirt node diff|apply`` takes it.

    {"install": {...}, "config": {...}, "registries": [{...}, ...], "service": {...}}

Every section is optional and takes exactly the options of the module of its name
(``install``: INSTALL_OPTIONS; ``config``: the file options and CONFIG_OPTIONS; each
``registries`` item: HOST_OPTIONS and ``config_path``; ``service``: SERVICE_OPTIONS), with
the modules' defaults. The sections are planned and applied by the modules' own
reconcilers (``reconcile/install``, ``config``, ``registry``, ``service``) in that order:
containerd installed, its config.toml, its registry hosts, then the service. ``apply``
plans each section just before applying it, so a later section sees what an earlier one did
(config.toml is made by the containerd the install section put there); ``diff`` plans every
section as the host is now (a config section then needs containerd already installed).

The restart, as the role's handler does it: when the install or the config section of the
same document changes something that needs containerd restarted (their
``restart_required``), a ``service`` section that wants containerd ``started`` is planned as
``restarted``, so the plan says so before anything is written and the apply does it once.

The result is the ``ocirt.state/v1`` shape of ``state/outcome.py`` (kinds ``install``,
``config``, ``registry``, ``service``), so front ends that read ``ocirt diff --json`` read
this too. config.toml and hosts.toml are shown with their secrets masked, line by line.

``document.py`` checks a document into its sections, ``sections.py`` plans one section
with its reconciler, ``run.py`` plans (and applies) them in order, and ``report.py`` gives
the result's shape. The CLI (``ocirt node``), the node agent that runs it and pyinfra's
``node`` operation all call these. Nothing here imports ansible or PyYAML: the node agent
carries this package.
"""
