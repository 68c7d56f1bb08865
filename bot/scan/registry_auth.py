"""Registry credentials (the user's docker ``config.json`` and credential helpers) and auth challenges.

Secrets handled here never reach a log line, an exception text or a repr: ``Credentials`` and
``CredentialStore`` redact themselves, and failures name the registry and helper, never the values.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Docker Hub is known under several names; docker stores its credentials under the legacy v1 URL.
DOCKER_HUB_NAMES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})
DOCKER_HUB_SERVER = "https://index.docker.io/v1/"
_HELPER_NAME = re.compile(r"^[A-Za-z0-9._-]+$")
_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"  # RFC 9110 "token", not a secret
# Unquoted values are read up to the next comma: registries in the wild send unquoted URLs.
_PARAM = re.compile(rf'\s*({_TCHARS})\s*=\s*("(?:[^"\\]|\\.)*"|[^\s,"]+)\s*')
_SCHEME = re.compile(rf"\s*({_TCHARS})")
_TOKEN68 = re.compile(r"\s*([A-Za-z0-9\-._~+/]+=*)\s*(?=,|$)")


@dataclass(frozen=True)
class Challenge:
    """One challenge of a ``WWW-Authenticate`` header: scheme lower-cased, parameter names lower-cased."""

    scheme: str
    params: Mapping[str, str] = field(default_factory=dict)


def parse_www_authenticate(header: str) -> tuple[Challenge, ...]:
    """Parse ``WWW-Authenticate`` (RFC 9110 §11.6.1), which may hold several comma-separated challenges.

    Lenient: what cannot be read ends the parse, and the challenges read so far are returned.
    """
    challenges: list[Challenge] = []
    pos = 0
    while pos < len(header):
        while pos < len(header) and header[pos] in " \t,":
            pos += 1
        scheme = _SCHEME.match(header, pos)
        if not scheme:
            break
        pos = scheme.end()
        params: dict[str, str] = {}
        token68 = _TOKEN68.match(header, pos)
        if token68:  # a lone token68 (``Negotiate abc==``) looks like a param with an empty value: test first
            params[""] = token68.group(1)
            pos = token68.end()
        while param := _PARAM.match(header, pos):
            value = param.group(2)
            if value.startswith('"'):
                value = re.sub(r"\\(.)", r"\1", value[1:-1])
            params[param.group(1).lower()] = value
            pos = param.end()
            if pos < len(header) and header[pos] == ",":
                pos += 1
        challenges.append(Challenge(scheme.group(1).lower(), params))
    return tuple(challenges)


@dataclass(frozen=True, repr=False)
class Credentials:
    """A user name and a secret: a password, or an OAuth2 refresh token when ``identity_token``."""

    username: str
    secret: str
    identity_token: bool = False

    def __repr__(self) -> str:
        return "Credentials(<redacted>)"


class CredentialStore:
    """Credentials per registry host, read the way the docker CLI reads them.

    Order: ``credHelpers[host]``, then ``credsStore``, then ``auths[host]`` (``auth``, ``username`` /
    ``password``, ``identitytoken``). Helper answers are cached, so each helper runs once per host.
    """

    def __init__(
        self, config: Mapping[str, Any] | None = None, *, source: str = "", helper_timeout: float = 10.0
    ) -> None:
        config = config or {}
        self._source = source
        self._helper_timeout = helper_timeout
        auths = config.get("auths")
        self._auths: dict[str, Mapping[str, Any]] = {}
        if isinstance(auths, Mapping):
            for key, entry in auths.items():
                if isinstance(key, str) and isinstance(entry, Mapping):
                    self._auths[_canonical_host(key)] = entry
        helpers = config.get("credHelpers")
        self._helpers: dict[str, str] = {}
        if isinstance(helpers, Mapping):
            self._helpers = {_canonical_host(k): v for k, v in helpers.items() if isinstance(v, str)}
        store = config.get("credsStore")
        self._default_helper = store if isinstance(store, str) and store else None
        self._lock = threading.Lock()
        self._resolved: dict[str, Credentials | None] = {}

    @classmethod
    def from_docker_config(cls, path: Path | None = None) -> CredentialStore:
        """Read ``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json``; no file, no credentials."""
        if path is None:
            directory = os.environ.get("DOCKER_CONFIG") or str(Path.home() / ".docker")
            path = Path(directory) / "config.json"
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls(source=str(path))
        except (OSError, ValueError) as exc:
            # Not our file: a broken one means anonymous look-ups, not a failed scan.
            log.warning("ignoring unreadable docker config %s (%s)", path, type(exc).__name__)
            return cls(source=str(path))
        return cls(config if isinstance(config, dict) else {}, source=str(path))

    @classmethod
    def from_environment(cls) -> CredentialStore:
        """The store the docker CLI of this user would use (``$DOCKER_CONFIG`` or ``~/.docker``)."""
        return cls.from_docker_config()

    def __repr__(self) -> str:
        hosts = sorted(set(self._auths) | set(self._helpers))
        return f"CredentialStore(source={self._source!r}, hosts={hosts}, credsStore={self._default_helper!r})"

    def get(self, registry: str) -> Credentials | None:
        """Credentials for a registry host (``127.0.0.1:5000``, ``docker.io``, …), or None."""
        host = _canonical_host(registry)
        # Held while a helper runs, so concurrent look-ups never start the same helper twice.
        with self._lock:
            if host not in self._resolved:
                self._resolved[host] = self._find(host)
            return self._resolved[host]

    def _find(self, host: str) -> Credentials | None:
        helper = self._helpers.get(host) or self._default_helper
        if helper:
            found = _run_helper(
                helper, DOCKER_HUB_SERVER if host == "docker.io" else host, self._helper_timeout
            )
            if found:
                return found
        entry = self._auths.get(host)
        return _from_auths_entry(entry, host) if entry else None


def _canonical_host(key: str) -> str:
    """``https://index.docker.io/v1/`` → ``docker.io``; ``http://host:5000/v2/`` → ``host:5000``."""
    host = re.sub(r"^[a-z]+://", "", key.strip().lower()).split("/")[0]
    return "docker.io" if host in DOCKER_HUB_NAMES else host


def _from_auths_entry(entry: Mapping[str, Any], host: str) -> Credentials | None:
    username, password = entry.get("username"), entry.get("password")
    encoded = entry.get("auth")
    if isinstance(encoded, str) and encoded:
        try:
            username, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            log.warning("ignoring malformed 'auth' entry for %s in docker config", host)
            return None
    token = entry.get("identitytoken")
    if isinstance(token, str) and token:
        return Credentials(username if isinstance(username, str) else "", token, identity_token=True)
    if isinstance(username, str) and isinstance(password, str) and username:
        return Credentials(username, password)
    return None


def _run_helper(helper: str, server: str, timeout: float) -> Credentials | None:
    """Ask ``docker-credential-<helper> get`` (the docker credential helper protocol) for ``server``."""
    if not _HELPER_NAME.match(helper):
        log.warning("ignoring credential helper with an unusable name %r", helper[:40])
        return None
    program = shutil.which(f"docker-credential-{helper}")
    if program is None:
        log.warning("credential helper docker-credential-%s is not on PATH", helper)
        return None
    try:
        done = subprocess.run(
            [program, "get"], input=server, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("credential helper docker-credential-%s failed (%s)", helper, type(exc).__name__)
        return None
    if done.returncode != 0:
        # "credentials not found in native keychain" is the normal answer for an unknown server.
        log.debug("credential helper docker-credential-%s has nothing for %s", helper, server)
        return None
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        log.warning("credential helper docker-credential-%s answered something that is not JSON", helper)
        return None
    username, secret = (answer.get(k) if isinstance(answer, dict) else None for k in ("Username", "Secret"))
    if not (isinstance(username, str) and isinstance(secret, str) and secret):
        return None
    # The helper protocol's way of saying "Secret is an identity token".
    if username == "<token>":
        return Credentials("", secret, identity_token=True)
    return Credentials(username, secret)
