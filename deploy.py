"""The reference deployment for pyinfra: what site.yml does, as far as ocirt's pyinfra
operations go (README, "pyinfra").

    bash scripts/build-agent.sh                                # dist/ocirt.pyz, the node agent
    .venv/bin/pyinfra @local deploy.py                         # this machine: shows, asks, runs
    .venv/bin/pyinfra -y inventory/fleet_example.py deploy.py  # a fleet over SSH
    .venv/bin/pyinfra --dry --diff @local deploy.py            # what would change, exactly

On every host: the node agent and what it needs (Debian's python3-grpcio, python3-tomlkit,
python3-yaml); the demo image, built on the controller from busybox-static (offline, as
site.yml builds it), uploaded and imported; the demo container, running and kept running by
containerd's restart monitor. A second run says "No changes" for every operation.

containerd itself must be installed and running (the Ansible role does that; ocirt's
pyinfra operations do not cover installation, configuration and the service yet).

Host data (inventory, or ``--data key=value``): ``ocirt_address`` and ``ocirt_namespace``
(containerd's socket and namespace), ``ocirt_agent`` (the agent's path on the host),
``ocirt_archive_dir`` (where image archives go on the host), ``demo_image_archive`` (the
archive on the controller), ``demo_memory`` (the demo container's memory limit).
"""

import os
import subprocess
import sys

from pyinfra import host
from pyinfra.operations import files

from ocirt.pyinfra import operations as ocirt

HERE = os.path.dirname(os.path.abspath(__file__))
DEMO_IMAGE = "demo.ocirt.local/busybox:1"
archive = host.data.get("demo_image_archive") or os.path.join(HERE, ".cache", "demo-image.tar")
on_host = os.path.join(host.data.get("ocirt_archive_dir") or "/var/lib/ocirt/images", "demo.tar")

# On the controller, once: the demo image archive (reproducible, so its digest is stable).
if not os.path.exists(archive):
    script = os.path.join(HERE, "scripts", "build-demo-image.py")
    subprocess.run(
        [sys.executable, script, archive, DEMO_IMAGE],
        check=True,
        timeout=120,
        stdout=subprocess.DEVNULL,
    )

ocirt.agent(name="ocirt node agent, python3-grpcio, python3-tomlkit, python3-yaml")

files.put(name="Demo image archive", src=archive, dest=on_host, mode="640")

ocirt.state(
    name="Demo image and container",
    document={
        "group": "demo",
        "prune": True,  # containers of group demo the document no longer lists are removed
        "images": [{"name": DEMO_IMAGE, "archive_path": on_host}],
        "containers": [
            {
                "name": "ocirt-demo",
                "image": DEMO_IMAGE,
                "pull": "never",
                "restart_policy": "always",
                "memory": host.data.get("demo_memory") or "64m",
            }
        ],
    },
)
