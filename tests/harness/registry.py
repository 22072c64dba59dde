"""A local image registry: Debian's docker-registry (CNCF distribution v2) on 127.0.0.1.

Variants: plain HTTP, TLS with a CA made for the test, and TLS + htpasswd basic auth.
"""

from __future__ import annotations

import http.client
import os
import secrets
import shutil
import ssl
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Optional, Union

from .tls import CertificateAuthority
from .util import free_port, run, stop_process, tail_file

REGISTRY_BIN = os.environ.get("OCIRT_REGISTRY_BIN", "/usr/bin/docker-registry")
HTPASSWD_BIN = "htpasswd"


class RegistryError(RuntimeError):
    pass


class Registry:
    """One docker-registry process with its own config, storage and log in a tmp dir.

    Attributes: host ("127.0.0.1:PORT"), url (scheme://host), storage_dir, ca_path (None
    for plain HTTP), username/password (None unless auth), log_path, config_path.
    """

    def __init__(
        self,
        workdir: Optional[Union[str, Path]] = None,
        tls: bool = False,
        auth: bool = False,
        username: str = "ocirt",
        password: Optional[str] = None,
        ca: Optional[CertificateAuthority] = None,
        token_server: Any = None,
        storage_dir: Optional[Union[str, Path]] = None,
    ):
        """token_server: a harness TokenServer for bearer-token auth; storage_dir: serve the
        storage of another registry (push through one, pull through this one)."""
        if auth and not tls:
            raise ValueError("basic auth is only offered over TLS (the registry refuses it)")
        self._own_workdir = workdir is None
        self.workdir = Path(workdir or tempfile.mkdtemp(prefix="ocirt-reg-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.storage_dir = Path(storage_dir) if storage_dir else self.workdir / "storage"
        self.token_server = token_server
        self.config_path = self.workdir / "config.yml"
        self.log_path = self.workdir / "registry.log"
        self.tls = tls
        self.auth = auth
        self.ca_path: Optional[Path] = None
        self.username: Optional[str] = None
        self.password: Optional[str] = None
        self.htpasswd_path: Optional[Path] = None
        self._ca = ca
        if auth:
            self.username = username
            self.password = password or secrets.token_hex(12)
        self.port = 0
        self.host = ""
        self.url = ""
        self.proc: Optional[subprocess.Popen] = None

    # --------------------------------------------------------------------------- setup

    def _write_files(self) -> None:
        self.storage_dir.mkdir(exist_ok=True)
        tls_block = ""
        if self.tls:
            if self._ca is None:
                self._ca = CertificateAuthority(self.workdir / "pki")
            pair = self._ca.issue("registry", hosts=("127.0.0.1", "localhost"))
            self.ca_path = self._ca.cert_path
            tls_block = f"  tls:\n    certificate: {pair.cert_path}\n    key: {pair.key_path}\n"
        auth_block = self.token_server.registry_auth_block() if self.token_server else ""
        if self.auth:
            line = run([HTPASSWD_BIN, "-Bbn", self.username, self.password]).stdout.strip()
            self.htpasswd_path = self.workdir / "htpasswd"
            self.htpasswd_path.write_text(line + "\n")
            self.htpasswd_path.chmod(0o600)
            auth_block = (
                f"auth:\n  htpasswd:\n    realm: ocirt-test\n    path: {self.htpasswd_path}\n"
            )
        self.config_path.write_text(
            "version: 0.1\n"
            "log:\n"
            "  level: info\n"
            "  formatter: text\n"
            "  accesslog:\n"
            "    disabled: true\n"
            "storage:\n"
            "  filesystem:\n"
            f"    rootdirectory: {self.storage_dir}\n"
            "  delete:\n"
            "    enabled: true\n"
            "  maintenance:\n"
            "    uploadpurging:\n"
            "      enabled: false\n"
            "http:\n"
            f"  addr: 127.0.0.1:{self.port}\n"
            f"  secret: {secrets.token_hex(16)}\n"
            "  headers:\n"
            "    X-Content-Type-Options: [nosniff]\n"
            f"{tls_block}"
            f"{auth_block}"
            "health:\n"
            "  storagedriver:\n"
            "    enabled: false\n"
        )

    def start(self, timeout: float = 20) -> Registry:
        last_err = ""
        for _attempt in range(3):  # the free port may be taken in between: retry
            self.port = free_port()
            self.host = f"127.0.0.1:{self.port}"
            self.url = f"{'https' if self.tls else 'http'}://{self.host}"
            self._write_files()
            env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(self.workdir)}
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(
                    [REGISTRY_BIN, "serve", str(self.config_path)],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                status = self._probe()
                if status in (200, 401):
                    return self
                time.sleep(0.05)
            last_err = self.log_tail()
            stop_process(self.proc)
            if "address already in use" not in last_err:
                break
        raise RegistryError(f"docker-registry did not become ready on {self.url}:\n{last_err}")

    def _probe(self) -> Optional[int]:
        try:
            return self.get("/v2/", auth=False)[0]
        except (OSError, http.client.HTTPException):
            return None

    # --------------------------------------------------------------------------- use

    def ssl_context(self) -> Optional[ssl.SSLContext]:
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=str(self.ca_path))

    def get(
        self, path: str, auth: bool = True, headers: Optional[dict] = None, method: str = "GET"
    ) -> tuple[int, dict, bytes]:
        """A request to the registry; returns (status, lower-case headers, body)."""
        if self.tls:
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                self.host, timeout=5, context=self.ssl_context()
            )
        else:
            conn = http.client.HTTPConnection(self.host, timeout=5)
        h = dict(headers or {})
        if auth and self.username is not None:
            import base64

            cred = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            h["Authorization"] = f"Basic {cred}"
        try:
            conn.request(method, path, headers=h)
            resp = conn.getresponse()
            body = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, body
        finally:
            conn.close()

    def write_hosts_toml(self, hosts_dir: Union[str, Path], ca: bool = True) -> Path:
        """Write <hosts_dir>/<host:port>/hosts.toml pointing containerd at this registry
        with its scheme made explicit (and, for TLS, the CA unless ca=False).

        Needed for TLS on 127.0.0.1: without a hosts.toml, containerd treats loopback
        registries specially (1.6 speaks plain HTTP to them, 1.7/2.x try HTTPS without
        verifying the certificate), so only a hosts.toml with an https server makes every
        series verify the CA. Use with `ctr images pull --hosts-dir <hosts_dir>`, or pass a
        daemon's hosts_dir (its CRI/transfer registry config_path).
        """
        d = Path(hosts_dir) / self.host
        d.mkdir(parents=True, exist_ok=True)
        lines = [
            f'server = "{self.url}"',
            "",
            f'[host."{self.url}"]',
            '  capabilities = ["pull", "resolve", "push"]',
        ]
        if self.tls and ca and self.ca_path:
            lines.append(f'  ca = "{self.ca_path}"')
        path = d / "hosts.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    @property
    def credentials(self) -> Optional[str]:
        """ "user:password" for `ctr --user`, or None."""
        if self.username is None:
            return None
        return f"{self.username}:{self.password}"

    def log_tail(self, n: int = 40) -> str:
        return tail_file(self.log_path, n)

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc, timeout=5)
            self.proc = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Registry:
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        kind = "auth" if self.auth else ("tls" if self.tls else "http")
        return f"<Registry {kind} {self.url or '(not started)'}>"
