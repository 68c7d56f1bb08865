"""A tiny token issuer for the distribution registry's ``auth: token`` mode, as Docker Hub's auth service.

It signs RS256 JWTs with a key whose self-signed certificate is the registry's ``rootcertbundle``; the
JWT header's ``kid`` is the libtrust key id the registry indexes that certificate's key under.
Policy: ``public/*`` can be pulled anonymously, ``private/*`` needs alice (Basic ``alice:wonderland`` on
GET, or her identity token in an OAuth2 refresh_token POST), and pushing anything needs alice.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

USERS = {"alice": "wonderland"}
REFRESH_TOKENS = {"alice-identity-token": "alice"}  # what `docker login` stores as identitytoken
SERVICE = "multiarch-test-registry"
ISSUER = "multiarch-test-issuer"


def libtrust_key_id(public_key: rsa.RSAPublicKey) -> str:
    """The key id libtrust (and so distribution 2.x) gives a key: base32 of a truncated SPKI SHA-256."""
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    encoded = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


@dataclass
class TokenRequest:
    """One request the issuer answered: who asked (None = anonymous), what for, and the outcome."""

    user: str | None
    scopes: list[str]
    status: int


@dataclass
class TokenIssuer:
    key: rsa.RSAPrivateKey
    cert_path: Path
    server: ThreadingHTTPServer
    requests: list[TokenRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def realm(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/token"

    def token(self, user: str | None, access: list[dict[str, object]]) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": user or "",
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        return jwt.encode(
            claims, self.key, algorithm="RS256", headers={"kid": libtrust_key_id(self.key.public_key())}
        )

    def push_token(self, repository: str) -> str:
        """A pull+push token for seeding ``repository`` (what the issuer would give alice)."""
        return self.token("alice", [{"type": "repository", "name": repository, "actions": ["pull", "push"]}])

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_token_issuer(state_dir: Path) -> TokenIssuer:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    state_dir.mkdir(parents=True, exist_ok=True)
    cert_path = state_dir / "token-signer.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    issuer = TokenIssuer(key, cert_path, ThreadingHTTPServer(("127.0.0.1", 0), _Handler))
    issuer.server.issuer = issuer  # type: ignore[attr-defined]
    threading.Thread(
        target=issuer.server.serve_forever, args=(0.05,), daemon=True, name="token-issuer"
    ).start()
    return issuer


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        """The docker token flow: scopes in the query, optional Basic credentials."""
        self._issue(parse_qs(urlsplit(self.path).query), self._basic_user())

    def do_POST(self) -> None:
        """The OAuth2 flow docker uses with an identity token: a refresh_token grant in a form body."""
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        refresh = form.get("refresh_token", [""])[0] if form.get("grant_type") == ["refresh_token"] else ""
        self._issue(form, REFRESH_TOKENS.get(refresh, ""))

    def _issue(self, query: dict[str, list[str]], user: str | None) -> None:
        issuer: TokenIssuer = self.server.issuer  # type: ignore[attr-defined]
        scopes = [s for value in query.get("scope", []) for s in value.split(" ") if s]
        if user == "":  # credentials sent but wrong
            return self._answer(issuer, 401, None, scopes, {"details": "incorrect username or password"})
        access: list[dict[str, object]] = []
        for scope in scopes:
            kind, _, rest = scope.partition(":")
            repository, _, actions = rest.rpartition(":")
            wanted = actions.split(",")
            private = repository.startswith("private/")
            if (private or "push" in wanted) and user is None:
                return self._answer(issuer, 401, None, scopes, {"details": "authentication required"})
            access.append({"type": kind, "name": repository, "actions": wanted})
        token = issuer.token(user, access)
        return self._answer(
            issuer, 200, user, scopes, {"token": token, "access_token": token, "expires_in": 300}
        )

    def _basic_user(self) -> str | None:
        """The Basic user if the password is right, "" if wrong, None for anonymous."""
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        return user if USERS.get(user) == password else ""

    def _answer(
        self, issuer: TokenIssuer, status: int, user: str | None, scopes: list[str], body: dict[str, object]
    ) -> None:
        with issuer.lock:
            issuer.requests.append(TokenRequest(user, scopes, status))
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output clean; requests are recorded in issuer.requests
