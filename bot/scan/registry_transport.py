"""Authenticated, retried requests to a registry: the 401 → token (or Basic) → retry dance, cached.

Tokens are cached per (API host, repository) — i.e. per pull scope — until the ``expires_in`` the issuer
gave, so a scan touching many tags of one repository asks the issuer once.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Collection
from urllib.parse import urlsplit

import requests

from bot.model import Unverified
from bot.scan.registry_auth import Challenge, Credentials, CredentialStore, parse_www_authenticate
from bot.scan.registry_http import (
    Answer,
    Endpoint,
    RegistryLookupError,
    TransientRegistryError,
    is_plain_http_ok,
    raise_if_transient,
    retry_policy,
    send,
)

_TOKEN_LIMIT = 1024 * 1024
_DEFAULT_TOKEN_LIFETIME = 60  # seconds: the distribution token spec's default when expires_in is absent


class RegistryTransport:
    """Thread-safe: one requests session per thread (sessions are not thread-safe), caches under a lock."""

    def __init__(self, credentials: CredentialStore, timeout: float, insecure: Collection[str]) -> None:
        self._credentials = credentials
        self._timeout = timeout
        self._insecure = frozenset(insecure)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()
        self._auth: dict[tuple[str, str], tuple[str, float]] = {}  # → (Authorization value, expiry)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def fetch(
        self,
        method: str,
        endpoint: Endpoint,
        repository: str,
        path: str,
        *,
        accept: str,
        limit: int,
        deadline: float,
    ) -> Answer:
        """One request, retried under the policy; RegistryLookupError on auth failure or exhausted retries."""
        retrying = retry_policy(deadline)
        try:
            return retrying(self._fetch_once, method, endpoint, repository, path, accept, limit, deadline)
        except TransientRegistryError as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            raise RegistryLookupError(
                exc.reason, f"{exc.detail} (gave up after {attempts} attempts)"
            ) from None

    def _fetch_once(
        self,
        method: str,
        endpoint: Endpoint,
        repository: str,
        path: str,
        accept: str,
        limit: int,
        deadline: float,
    ) -> Answer:
        url = endpoint.base + path
        headers = {"Accept": accept, **self._cached_auth(endpoint, repository)}
        answer = self._send(method, url, limit, deadline, headers=headers, allow_redirects=True)
        if answer.status == 401:
            headers["Authorization"] = self._authenticate(endpoint, repository, answer, deadline)
            answer = self._send(method, url, limit, deadline, headers=headers, allow_redirects=True)
        if answer.status in (401, 403):
            raise RegistryLookupError(
                Unverified.AUTH, f"{method} {url}: access denied (HTTP {answer.status})"
            )
        raise_if_transient(answer, f"{method} {url}")
        return answer

    def _send(self, method: str, url: str, limit: int, deadline: float, **kwargs: object) -> Answer:
        return send(
            self._session(), method, url, limit=limit, timeout=self._timeout, deadline=deadline, **kwargs
        )

    def _session(self) -> requests.Session:
        session: requests.Session | None = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            session.max_redirects = 5  # blobs may redirect to storage once or twice; loops are garbage
            session.headers["User-Agent"] = "multiarch-bot"
            self._local.session = session
            with self._lock:
                self._sessions.append(session)
        return session

    def _cached_auth(self, endpoint: Endpoint, repository: str) -> dict[str, str]:
        with self._lock:
            cached = self._auth.get((endpoint.host, repository))
        if cached and cached[1] > time.monotonic():
            return {"Authorization": cached[0]}
        return {}

    def _authenticate(self, endpoint: Endpoint, repository: str, answer: Answer, deadline: float) -> str:
        """Answer a 401's challenge with a Bearer token from the realm or Basic credentials; cache it."""
        challenges = {c.scheme: c for c in parse_www_authenticate(answer.headers.get("WWW-Authenticate", ""))}
        credentials = self._credentials.get(endpoint.host)
        if "bearer" in challenges:
            authorization, lifetime = self._token(
                endpoint, repository, challenges["bearer"], credentials, deadline
            )
        elif "basic" in challenges and credentials and not credentials.identity_token:
            pair = f"{credentials.username}:{credentials.secret}".encode()
            authorization, lifetime = "Basic " + base64.b64encode(pair).decode(), float("inf")
        elif "basic" in challenges:
            raise RegistryLookupError(
                Unverified.AUTH, f"{endpoint.host} wants a user name and password; none found"
            )
        else:
            raise RegistryLookupError(
                Unverified.AUTH, f"{endpoint.host} asks for an authentication we do not speak"
            )
        with self._lock:
            self._auth[(endpoint.host, repository)] = (authorization, time.monotonic() + lifetime)
        return authorization

    def _token(
        self,
        endpoint: Endpoint,
        repository: str,
        challenge: Challenge,
        credentials: Credentials | None,
        deadline: float,
    ) -> tuple[str, float]:
        """A pull token for ``repository`` from the challenge's realm, and how many seconds it lives."""
        realm = challenge.params.get("realm", "")
        try:
            parts = urlsplit(realm)
        except ValueError:  # e.g. an unbalanced "[" in the host
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RegistryLookupError(Unverified.AUTH, f"{endpoint.host} named no usable token realm")
        if credentials and parts.scheme == "http" and not is_plain_http_ok(parts.netloc, self._insecure):
            raise RegistryLookupError(
                Unverified.AUTH, f"refusing to send credentials to plain-http realm {realm}"
            )
        scope = f"repository:{repository}:pull"
        form = {"scope": scope}
        if "service" in challenge.params:
            form["service"] = challenge.params["service"]
        what = f"token request to {realm} for {scope}"
        if credentials and credentials.identity_token:
            # docker login's identity token is an OAuth2 refresh token (distribution token spec, "oauth").
            grant = {
                "grant_type": "refresh_token",
                "refresh_token": credentials.secret,
                "client_id": "multiarch-bot",
            }
            answer = self._send("POST", realm, _TOKEN_LIMIT, deadline, data=form | grant)
        else:
            basic = (credentials.username, credentials.secret) if credentials else None
            answer = self._send("GET", realm, _TOKEN_LIMIT, deadline, params=form, auth=basic)
        if answer.status in (401, 403):
            who = (
                "credentials were refused"
                if credentials
                else "anonymous access refused, no credentials found"
            )
            raise RegistryLookupError(Unverified.AUTH, f"{what}: {who} (HTTP {answer.status})")
        raise_if_transient(answer, what)
        return _read_token(answer, what)


def _read_token(answer: Answer, what: str) -> tuple[str, float]:
    try:
        document = json.loads(answer.body)
    except ValueError:
        document = None
    if answer.status != 200 or not isinstance(document, dict):
        raise RegistryLookupError(Unverified.AUTH, f"{what}: HTTP {answer.status}, no token in the answer")
    token = document.get("token") or document.get("access_token")
    if not isinstance(token, str) or not token:
        raise RegistryLookupError(Unverified.AUTH, f"{what}: the answer holds no token")
    lifetime = document.get("expires_in")
    # NaN, infinity, zero, a day or more: not a lifetime we believe.
    if not isinstance(lifetime, int | float) or isinstance(lifetime, bool) or not 0 < lifetime < 86_400:
        lifetime = _DEFAULT_TOKEN_LIFETIME
    # Renew a little early so a token does not expire between the check and the request.
    return f"Bearer {token}", max(float(lifetime) - 5.0, 1.0)
