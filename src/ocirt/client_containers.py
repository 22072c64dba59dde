"""``client.containers``: create, run, list, get, and what is done to a container.

Creating goes through the container reconciler (the image is pulled when missing, exactly
as the container module does it) and stores the canonical configuration that makes a later
module run recognise the container as unchanged. The verbs are the library's lifecycle:
restart policies are containerd's own restart monitor, exits are kept on the record.
A ``Container`` is what containerd had when it was fetched; ``reload()`` refreshes it.
"""

from __future__ import annotations

import secrets
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Sequence,
    Union,
    overload,
)

from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import AlreadyExists

if TYPE_CHECKING:
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.exec import (
        ExecResult,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.inspect import (
        ContainerInspection,
        ContainerRow,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.stats import (
        ContainerStats,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.top import (
        ContainerProcess,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
        Connection,
    )

    from .client import Client

#: statuses ``containers.list()`` shows without ``all=True`` (as ``docker ps``)
UP = ("running", "paused")


class Container:
    """One container: ``id`` (its name: containerd has no other), ``image``, ``status``
    (created, running, paused, stopped), ``pid`` (while it runs), ``exit_code`` (once it
    exited), ``labels``, and everything else in ``attrs``."""

    def __init__(self, client: Client, attrs: ContainerRow) -> None:
        self._client = client
        self.attrs = attrs

    @property
    def id(self) -> str:
        """The container's id, which is its name."""
        return self.attrs["id"]

    @property
    def name(self) -> str:
        return self.attrs["id"]

    @property
    def image(self) -> str:
        """The image name it was made from."""
        return self.attrs["image"]

    @property
    def status(self) -> str:
        """created, running, paused, stopped (or unknown)."""
        return self.attrs["status"]

    @property
    def pid(self) -> Optional[int]:
        """Its process id while it runs, else None."""
        return self.attrs["pid"]

    @property
    def exit_code(self) -> Optional[int]:
        """Its last exit code, None until it has exited."""
        return self.attrs["exit_code"]

    @property
    def labels(self) -> Dict[str, str]:
        return self.attrs["labels"]

    def reload(self) -> Container:
        """Fetch the container again (and in detail: ``attrs`` as ``inspect`` has it)."""
        self.attrs = self._client.containers.get(self.id).attrs
        return self

    def start(self) -> int:
        return self._client.containers.start(self.id)

    def stop(self, timeout: Optional[float] = None) -> Optional[int]:
        return self._client.containers.stop(self.id, timeout=timeout)

    def restart(self, timeout: Optional[float] = None) -> int:
        return self._client.containers.restart(self.id, timeout=timeout)

    def kill(self, signal: Union[str, int] = "SIGKILL") -> None:
        self._client.containers.kill(self.id, signal)

    def pause(self) -> bool:
        return self._client.containers.pause(self.id)

    def unpause(self) -> bool:
        return self._client.containers.unpause(self.id)

    def wait(self) -> int:
        return self._client.containers.wait(self.id)

    def remove(self, force: bool = False) -> bool:
        return self._client.containers.remove(self.id, force=force)

    def exec(self, command: Sequence[str], **settings: Any) -> ExecResult:
        return self._client.containers.exec(self.id, command, **settings)

    @overload
    def logs(self, tail: Optional[int] = ..., follow: Literal[False] = ...) -> bytes: ...
    @overload
    def logs(self, tail: Optional[int] = ..., *, follow: Literal[True]) -> Iterator[bytes]: ...
    def logs(self, tail: Optional[int] = None, follow: bool = False) -> Any:
        if follow:
            return self._client.containers.logs(self.id, tail=tail, follow=True)
        return self._client.containers.logs(self.id, tail=tail)

    def top(self) -> List[ContainerProcess]:
        return self._client.containers.top(self.id)

    def stats(self) -> Optional[ContainerStats]:
        return self._client.containers.stats([self.id]).get(self.id)

    def __repr__(self) -> str:
        return f"<ocirt.Container {self.id} {self.status}>"


class ContainerCollection:
    """The containers of the client's namespace. Verbs take the container's name."""

    def __init__(self, client: Client) -> None:
        self._client = client

    @property
    def _conn(self) -> Connection:
        return self._client.connection

    def create(
        self,
        image: str,
        command: Optional[Sequence[str]] = None,
        name: Optional[str] = None,
        pull: str = "missing",
        **options: Any,
    ) -> Container:
        """Create (not start) a container of ``image``, pulled if missing (``pull``:
        missing, always, never). ``options`` are the container module's (``env``,
        ``memory``, ``mounts``, ``restart_policy``, ``labels``, ...), validated by the same
        table: a wrong one is refused naming it. ``name`` defaults to the image's name
        and a random suffix; an existing one is refused (AlreadyExists)."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
            ContainerOptions,
        )
        from ansible_collections.ocirt.containerd.plugins.module_utils.images.pull import (
            RegistryAccess,
        )
        from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
            container,
        )
        from ansible_collections.ocirt.containerd.plugins.module_utils.registry.reference import (
            parse_reference,
        )

        image = str(parse_reference(image))
        name = name or f"{image.rsplit('/', 1)[-1].split(':')[0]}-{secrets.token_hex(3)}"
        wanted = ContainerOptions.from_dict(
            {"image": image, "command": list(command) if command else None, **options}
        )
        access = RegistryAccess(config_path=self._client.hosts_dir, timeout=self._conn.timeout)
        desired = container.DesiredContainer(
            name=name, options=wanted, state="present", pull=pull, access=access
        )
        plan = container.plan(self._conn, desired)
        if plan.before is not None:
            raise AlreadyExists(f"container {name} already exists: remove it or pick another name")
        container.apply(self._conn, plan)
        return self.get(name)

    def run(
        self,
        image: str,
        command: Optional[Sequence[str]] = None,
        name: Optional[str] = None,
        pull: str = "missing",
        **options: Any,
    ) -> Container:
        """``create`` then ``start`` (as ``docker run -d``); a container whose command
        cannot start is left created, to be inspected or removed."""
        created = self.create(image, command, name=name, pull=pull, **options)
        self.start(created.id)
        return created.reload()

    def list(self, all: bool = False, filters: Sequence[str] = ()) -> List[Container]:
        """Running (and paused) containers, or ``all``, sorted by id; ``filters`` as
        containerd's (``labels."app"==web``). Two calls whatever their number."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers.inspect import (
            list_containers,
        )

        rows = list_containers(self._conn, filters)
        return [Container(self._client, r) for r in rows if all or r["status"] in UP]

    def get(self, name: str) -> Container:
        """One container in detail (its stored configuration, spec summary, log path);
        NotFound if there is none."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers.inspect import (
            inspect_container,
        )

        found: ContainerInspection = inspect_container(self._conn, name)
        return Container(self._client, found)

    def start(self, name: str) -> int:
        """Start its task (a running one is left alone); the pid."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle

        return int(lifecycle.start(self._conn, name)["pid"])

    def stop(self, name: str, timeout: Optional[float] = None) -> Optional[int]:
        """Its stop signal, then SIGKILL after ``timeout`` s (default: its own); the exit
        code (None if it was not running)."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle

        return lifecycle.stop(self._conn, name, timeout=timeout)["exit_code"]

    def restart(self, name: str, timeout: Optional[float] = None) -> int:
        """Stop (as ``stop``) then start; the new pid."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle

        return int(lifecycle.restart(self._conn, name, timeout=timeout)["pid"])

    def kill(self, name: str, signal: Union[str, int] = "SIGKILL") -> None:
        """Send a signal (name or number) to its process, without waiting."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle

        lifecycle.kill(self._conn, name, signal)

    def pause(self, name: str) -> bool:
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle

        return bool(lifecycle.pause(self._conn, name))

    def unpause(self, name: str) -> bool:
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle

        return bool(lifecycle.unpause(self._conn, name))

    def wait(self, name: str) -> int:
        """Its exit code once it has exited (at once if it has)."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle

        return int(lifecycle.wait(self._conn, name))

    def remove(self, name: str, force: bool = False) -> bool:
        """Delete it with its snapshot and log (a running one only with ``force``); False
        if there was none."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle

        return bool(lifecycle.remove(self._conn, name, force=force)["changed"])

    def exec(
        self,
        name: str,
        command: Sequence[str],
        env: Optional[Mapping[str, str]] = None,
        user: Optional[str] = None,
        workdir: Optional[str] = None,
        timeout: Optional[float] = 60.0,
    ) -> ExecResult:
        """Run ``command`` in the running container: ``{'rc', 'stdout', 'stderr'}``
        (bytes); killed after ``timeout`` s (ExecTimeout, with the output so far)."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers.exec import (
            exec_command,
        )

        return exec_command(
            self._conn, name, command, env=env, user=user, workdir=workdir, timeout=timeout
        )

    @overload
    def logs(self, name: str, tail: Optional[int] = ..., follow: Literal[False] = ...) -> bytes: ...
    @overload
    def logs(
        self, name: str, tail: Optional[int] = ..., *, follow: Literal[True]
    ) -> Iterator[bytes]: ...
    def logs(self, name: str, tail: Optional[int] = None, follow: bool = False) -> Any:
        """Its output (stdout and stderr as written), or the last ``tail`` lines; with
        ``follow`` an iterator of new output that ends when the container stops."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import logs

        if follow:
            return logs.follow_log(self._conn, name, tail=tail)
        return logs.read_log(logs.log_path(self._conn, name), tail=tail)["data"]

    def top(self, name: str) -> List[ContainerProcess]:
        """Its processes: pid, ppid, user, state, command."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers.top import top

        return top(self._conn, name)

    def stats(self, names: Sequence[str] = (), interval: float = 1.0) -> Dict[str, ContainerStats]:
        """CPU (over ``interval`` s), memory, pids and block I/O of the running containers
        named (default all), by id."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers.stats import (
            sample,
        )

        ids = list(names) or [c.id for c in self.list() if c.status == "running"]
        return sample(self._conn, ids, interval=interval) if ids else {}

    def copy_in(self, name: str, source: str, path: str) -> str:
        """Copy a host file or directory into the container at ``path`` (resolved inside
        its root); the path written."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
            file_copy,
        )

        return file_copy.copy_in(self._conn, name, source, path)

    def copy_out(self, name: str, path: str, target: str) -> str:
        """Copy ``path`` of the container to ``target`` on the host; the path written."""
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
            file_copy,
        )

        return file_copy.copy_out(self._conn, name, path, target)

    def __repr__(self) -> str:
        return f"<ocirt containers of {self._client!r}>"
