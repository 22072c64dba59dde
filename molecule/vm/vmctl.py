#!/usr/bin/env python3
"""Start and stop the qemu VMs of a Molecule scenario (used by molecule/shared/*.yml).

    vmctl.py start --dir DIR [--forward NAME:PORT ...] NAME [NAME ...]
                                               boot VMs, wait for SSH, print JSON
    vmctl.py stop --dir DIR [NAME ...]         kill them and delete their overlays
    vmctl.py status --dir DIR                  what runs
    vmctl.py leaks [--glob PATTERN]            any qemu of the base image, or overlay, left?

Each VM lives in DIR/NAME/: a qcow2 overlay of the read-only base image built by
build-base-image.sh, qemu's pid file, the serial console log, the forwarded SSH port and
``forwards.json``: each ``--forward NAME:PORT`` (a TCP port of the VM, such as one a
container publishes) gets a free port on the host's 127.0.0.1 (``hostfwd``), recorded there
and in the instance's ``forwarded_ports`` ({"PORT": host port}) of the printed JSON, which
the create playbook writes to Molecule's instance config for testinfra.
All VMs of one call start at once (qemu -daemonize), then one loop waits for every SSH
banner: no per-VM polling processes competing with the emulated CPUs for the host's cores.
Only the standard library: this runs with whatever Python runs Ansible.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

CACHE = Path(os.environ.get("OCIRT_VM_CACHE", "/var/cache/ocirt-vm")) / "base"


def log(msg: str) -> None:
    print(f"{time.strftime('%H:%M:%S')} vmctl: {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def hostname_of(name: str) -> str:
    host = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:63]
    return host or "ocirt-vm"


def read_pid(vm: Path) -> int | None:
    try:
        return int((vm / "qemu.pid").read_text().strip())
    except (OSError, ValueError):
        return None


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def qemu_pid(vm: Path) -> int | None:
    """The pid of the qemu that runs this VM's overlay, if it is alive (never another one)."""
    pid = read_pid(vm)
    if pid and str(vm / "disk.qcow2") in cmdline(pid):
        return pid
    return None


def serial_tail(vm: Path, lines: int = 25) -> str:
    try:
        text = (vm / "serial.log").read_text(errors="replace")
    except OSError:
        return "(no serial log)"
    return "\n".join(text.splitlines()[-lines:])


def hostfwd(ssh_port: int, forwards: dict[int, int]) -> str:
    """qemu's user network with SSH and every other forwarded port on the host's loopback."""
    rules = [(ssh_port, 22), *((host, guest) for guest, host in sorted(forwards.items()))]
    return "user,id=n0," + ",".join(f"hostfwd=tcp:127.0.0.1:{h}-:{g}" for h, g in rules)


def launch(vm: Path, name: str, args: argparse.Namespace) -> tuple[int, dict[int, int]]:
    """Start one VM in the background; returns its SSH port and {VM port: host port}."""
    vm.mkdir(parents=True, exist_ok=True)
    disk = vm / "disk.qcow2"
    if not disk.exists():
        subprocess.run(
            [
                "qemu-img",
                "create",
                "-q",
                "-f",
                "qcow2",
                "-F",
                "raw",
                "-b",
                str(args.base / "base.raw"),
                str(disk),
            ],
            check=True,
        )
    append = (
        "root=/dev/vda rw console=ttyS0 net.ifnames=0 quiet "
        f"systemd.hostname={hostname_of(name)} systemd.machine_id={secrets.token_hex(16)}"
    )
    for _attempt in range(5):
        port = free_port()
        forwards = {guest: free_port() for guest in args.forward.get(name, [])}
        cmd = [
            "qemu-system-x86_64", "-name", name, "-machine", "pc", "-nodefaults",
            "-accel", args.accel, "-cpu", "max", "-smp", str(args.cpus), "-m", str(args.memory),
            "-kernel", str(args.base / "vmlinux"), "-initrd", str(args.base / "initrd.img"),
            "-append", append,
            "-drive", f"file={disk},if=virtio,cache=unsafe,discard=unmap",
            "-netdev", hostfwd(port, forwards),
            "-device", "virtio-net-pci,netdev=n0",
            "-device", "virtio-rng-pci",
            "-display", "none", "-serial", f"file:{vm / 'serial.log'}",
            "-daemonize", "-pidfile", str(vm / "qemu.pid"),
        ]  # fmt: skip
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode == 0:
            (vm / "port").write_text(f"{port}\n")
            (vm / "forwards.json").write_text(json.dumps(forwards) + "\n")
            return port, forwards
        if "forward" not in res.stderr:  # anything but a port taken meanwhile
            raise RuntimeError(f"qemu for {name} failed: {res.stderr.strip()}")
    raise RuntimeError(f"qemu for {name}: no free port after 5 attempts")


def ssh_banner(port: int) -> bool:
    # QEMU accepts on the forwarded port even before sshd listens, then closes: only the
    # banner proves sshd is up.
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
            s.settimeout(3)
            return s.recv(4).startswith(b"SSH-")
    except OSError:
        return False


BASE_FILES = ("base.raw", "vmlinux", "initrd.img", "id_ed25519")


def missing_base_file(base: Path) -> Path | None:
    """The first file of the base image that build-base-image.sh has not made yet, if any."""
    for f in BASE_FILES:
        if not (base / f).exists():
            return base / f
    return None


def recorded_forwards(vm: Path) -> dict[int, int]:
    """{VM port: host port} of a running VM, as launch recorded it."""
    try:
        return {int(g): h for g, h in json.loads((vm / "forwards.json").read_text()).items()}
    except (OSError, ValueError):
        return {}


def launch_all(args: argparse.Namespace) -> tuple[dict[str, int], dict[str, dict[int, int]]]:
    """Start every named VM that does not run yet (all at once); returns each one's SSH port
    and forwarded ports."""
    ports: dict[str, int] = {}
    forwards: dict[str, dict[int, int]] = {}
    for name in args.names:
        vm = args.dir / name
        if qemu_pid(vm):
            ports[name], forwards[name] = int((vm / "port").read_text()), recorded_forwards(vm)
            log(f"{name} already runs (port {ports[name]})")
        else:
            ports[name], forwards[name] = launch(vm, name, args)
            extra = "".join(f", {g} on 127.0.0.1:{h}" for g, h in forwards[name].items())
            log(f"{name}: started, ssh on 127.0.0.1:{ports[name]}{extra}")
    return ports, forwards


def poll_banners(vmdir: Path, ports: dict[str, int], ready: dict[str, float], t0: float) -> None:
    """One pass over the VMs not ready yet: record those whose sshd answers, fail on a dead qemu."""
    for name, port in ports.items():
        if name in ready:
            continue
        if not qemu_pid(vmdir / name):
            raise RuntimeError(f"{name}: qemu exited\n{serial_tail(vmdir / name)}")
        if ssh_banner(port):
            ready[name] = round(time.monotonic() - t0, 1)
            log(f"{name}: sshd answers after {ready[name]} s")


def wait_for_ssh(args: argparse.Namespace, ports: dict[str, int], t0: float) -> dict[str, float]:
    """One loop for all VMs until every sshd answers; returns seconds from t0 to each banner."""
    ready: dict[str, float] = {}
    deadline = t0 + args.timeout
    while True:
        poll_banners(args.dir, ports, ready, t0)
        if len(ready) >= len(ports):
            return ready
        if time.monotonic() > deadline:
            late = [n for n in ports if n not in ready]
            tails = "\n".join(f"--- {n}\n{serial_tail(args.dir / n)}" for n in late)
            raise RuntimeError(f"no SSH after {args.timeout} s: {late}\n{tails}")
        time.sleep(1)


def instances(
    ports: dict[str, int], forwards: dict[str, dict[int, int]], identity_file: Path
) -> list[dict[str, object]]:
    """What Molecule's create playbook reads for each instance (Molecule itself ignores
    ``forwarded_ports``; testinfra reads it from the instance config)."""
    return [
        {
            "instance": name,
            "address": "127.0.0.1",
            "user": "root",
            "port": port,
            "identity_file": str(identity_file),
            "forwarded_ports": {str(g): h for g, h in sorted(forwards.get(name, {}).items())},
        }
        for name, port in ports.items()
    ]


def cmd_start(args: argparse.Namespace) -> int:
    missing = missing_base_file(args.base)
    if missing:
        log(f"{missing} is missing: run molecule/vm/build-base-image.sh")
        return 1
    t0 = time.monotonic()
    try:
        ports, forwards = launch_all(args)
        ready = wait_for_ssh(args, ports, t0)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        log(str(e))
        stop(args.dir, args.names)
        return 1
    identity = args.base / "id_ed25519"
    print(json.dumps({"instances": instances(ports, forwards, identity), "boot_seconds": ready}))
    return 0


def qemu_pids(vms: list[Path]) -> dict[Path, int | None]:
    """Each VM's qemu pid, by its pid file or else by the overlay path on a qemu command line."""
    pids = {vm: qemu_pid(vm) for vm in vms}
    # A qemu whose pid file was lost is still found by the overlay path on its command line.
    for proc in Path("/proc").glob("[0-9]*"):
        line = cmdline(int(proc.name))
        for vm in vms:
            if not pids[vm] and line.startswith("qemu-system") and str(vm / "disk.qcow2") in line:
                pids[vm] = int(proc.name)
    return pids


def send_sigterm(pids: list[int]) -> None:
    """Ask every qemu to quit at once, so that they shut down in parallel."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass


def wait_or_kill(vm: Path, pid: int) -> None:
    """Give this VM's qemu 10 s to exit after SIGTERM, then SIGKILL it."""
    for _ in range(100):
        if not Path(f"/proc/{pid}").exists() or str(vm) not in cmdline(pid):
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def delete_overlay(vm: Path) -> None:
    """Remove the VM's directory: overlay, pid file, serial log, ports."""
    if vm.exists():
        for f in vm.iterdir():
            f.unlink()
        vm.rmdir()
        log(f"{vm.name}: overlay deleted")


def stop(vmdir: Path, names: list[str]) -> list[str]:
    vms = [vmdir / n for n in names] if names else sorted(p for p in vmdir.glob("*") if p.is_dir())
    stopped = []
    pids = qemu_pids(vms)
    send_sigterm([pid for pid in pids.values() if pid])
    for vm, pid in pids.items():
        if pid:
            wait_or_kill(vm, pid)
            stopped.append(vm.name)
            log(f"{vm.name}: qemu {pid} stopped")
        delete_overlay(vm)
    return stopped


def cmd_stop(args: argparse.Namespace) -> int:
    stop(args.dir, args.names)
    if args.dir.exists() and not any(args.dir.iterdir()):
        args.dir.rmdir()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    out = {}
    for vm in sorted(p for p in args.dir.glob("*") if p.is_dir()):
        pid = qemu_pid(vm)
        port = (vm / "port").read_text().strip() if (vm / "port").exists() else None
        out[vm.name] = {"pid": pid, "port": port, "forwarded_ports": recorded_forwards(vm)}
    print(json.dumps(out, indent=2))
    return 0


def cmd_leaks(args: argparse.Namespace) -> int:
    """Report qemu processes booted from the base image and overlays left on disk."""
    kernel = str(args.base / "vmlinux")
    leaks = []
    for proc in Path("/proc").glob("[0-9]*"):
        line = cmdline(int(proc.name))
        if line.startswith("qemu-system") and kernel in line:
            leaks.append(f"qemu process {proc.name}: {line[:200]}")
    for pattern in args.glob:
        leaks += [f"overlay {p}" for p in sorted(Path("/").glob(pattern.lstrip("/")))]
    for leak in leaks:
        log(f"leaked: {leak}")
    if not leaks:
        log("no qemu process of the base image runs, no overlay is left")
    return 1 if leaks else 0


def forward_spec(text: str) -> tuple[str, int]:
    name, sep, port = text.rpartition(":")
    if not sep or not name or not port.isdigit() or not 0 < int(port) < 65536 or port == "22":
        raise argparse.ArgumentTypeError(
            f"{text!r}: want NAME:PORT, a VM's name and a TCP port 1-65535 other than 22"
        )
    return name, int(port)


def forwards_by_vm(
    specs: list[tuple[str, int]], names: list[str], parser: argparse.ArgumentParser
) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for name, port in specs:
        if name not in names:
            parser.error(f"--forward {name}:{port}: {name} is not one of the VMs {names}")
        if port not in out.setdefault(name, []):
            out[name].append(port)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    sub = p.add_subparsers(dest="command", required=True)
    leaks = sub.add_parser("leaks")
    leaks.set_defaults(fn=cmd_leaks, dir=Path("."))
    leaks.add_argument("--base", type=Path, default=CACHE, help="base image directory")
    leaks.add_argument("--glob", action="append", default=[], help="where overlays must not be")
    for name, fn in (("start", cmd_start), ("stop", cmd_stop), ("status", cmd_status)):
        s = sub.add_parser(name)
        s.set_defaults(fn=fn)
        s.add_argument("--dir", type=Path, required=True, help="where the VMs' files live")
        if name != "status":
            s.add_argument("names", nargs="*" if name == "stop" else "+")
        if name == "start":
            s.add_argument("--base", type=Path, default=CACHE, help="base image directory")
            s.add_argument("--memory", type=int, default=1024, help="MiB per VM")
            s.add_argument("--cpus", type=int, default=2)
            s.add_argument("--accel", default="tcg,thread=multi")
            s.add_argument("--timeout", type=int, default=600, help="seconds to wait for SSH")
            s.add_argument(
                "--forward",
                action="append",
                default=[],
                type=forward_spec,
                metavar="NAME:PORT",
                help="also forward this TCP port of VM NAME from a free port of 127.0.0.1",
            )
    args = p.parse_args(argv)
    if args.fn is cmd_start:
        args.forward = forwards_by_vm(args.forward, args.names, p)
    args.dir = args.dir.resolve()
    return args.fn(args)


if __name__ == "__main__":
    sys.exit(main())
