"""A bearer-token server for the distribution registry's token authentication, for tests.

It speaks both flows registries' clients use: GET with basic auth (docker's) and POST with an
OAuth2 password grant (containerd's first try). Tokens are RS256 JWTs carrying an x5c
certificate that the registry trusts through its rootcertbundle. Every request is recorded so
tests can see which flow was used and whether tokens were reused.
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

SERVICE = "ocirt-test-registry"
ISSUER = "ocirt-test-token-issuer"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenServer:
    def __init__(self, workdir: Path, username: str = "ocirt", password: Optional[str] = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.username = username
        self.password = password or secrets.token_hex(12)
        self.requests: List[Dict[str, Any]] = []
        self.post_enabled = True  # False: answer the OAuth POST with 404, as GET-only servers do
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ocirt token signer")])
        now = datetime.datetime.now(datetime.timezone.utc)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(self.key, hashes.SHA256())
        )
        self.bundle_path = self.workdir / "token-signer.pem"
        self.bundle_path.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))
        self._server: Optional[ThreadingHTTPServer] = None
        self.realm = ""

    def registry_auth_block(self) -> str:
        """The `auth:` section of the registry's config.yml."""
        return (
            "auth:\n  token:\n"
            f"    realm: {self.realm}\n    service: {SERVICE}\n    issuer: {ISSUER}\n"
            f"    rootcertbundle: {self.bundle_path}\n"
        )

    def _token(self, scope: str) -> str:
        access = []
        for item in scope.split(" "):
            parts = item.split(":")
            if len(parts) == 3 and parts[0] == "repository":
                access.append(
                    {"type": "repository", "name": parts[1], "actions": parts[2].split(",")}
                )
        der = self.cert.public_bytes(serialization.Encoding.DER)
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": self.username,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        signing_input = (
            f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        )
        signature = self.key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def start(self) -> TokenServer:
        server_ref = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, params: Dict[str, str], authorized: bool, method: str) -> None:
                server_ref.requests.append(
                    {"method": method, "params": params, "authorized": authorized}
                )
                if not authorized:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                token = server_ref._token(params.get("scope", ""))
                body = json.dumps(
                    {"token": token, "access_token": token, "expires_in": 300}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                params = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                expected = base64.b64encode(
                    f"{server_ref.username}:{server_ref.password}".encode()
                ).decode()
                ok = self.headers.get("Authorization") == f"Basic {expected}"
                self._answer(params, ok, "GET")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                if not server_ref.post_enabled:
                    server_ref.requests.append(
                        {"method": "POST", "params": form, "authorized": False}
                    )
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                ok = (
                    form.get("grant_type") == "password"
                    and form.get("username") == server_ref.username
                    and form.get("password") == server_ref.password
                )
                self._answer(form, ok, "POST")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.realm = f"http://127.0.0.1:{self._server.server_address[1]}/token"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
