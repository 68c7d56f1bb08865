"""HTTP primitives for registries: endpoints, bounded reads, failure kinds, and the one retry policy.

Every request runs under a per-look-up deadline, so a slow, rate-limiting or unreachable registry costs
at most the client's ``total_budget``. Only ``TransientRegistryError`` is retried; everything else ends
the look-up with a reason the caller turns into a verdict. Failure texts name the method and URL, never
headers: that is where credentials and tokens travel.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential, wait_random

from bot.errors import RegistryError
from bot.model import Unverified
from bot.scan.registry_auth import DOCKER_HUB_NAMES

log = logging.getLogger(__name__)

_LOOPBACK = re.compile(r"^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$")
_ERROR_BODY_LIMIT = 64 * 1024  # enough for a registry's JSON error, never a whole page of junk
# 0.25 s, 0.5 s, 1 s … capped at 5 s, jittered so parallel look-ups do not retry in lockstep.
_BACKOFF = wait_exponential(multiplier=0.25, max=5.0) + wait_random(0, 0.25)


class RegistryLookupError(RegistryError):
    """A look-up ended without an answer: not found, or unverified for ``reason``."""

    def __init__(self, reason: Unverified | None, detail: str, *, not_found: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.not_found = not_found


class TransientRegistryError(RegistryLookupError):
    """Worth asking again: 429, 5xx, a refused or timed-out connection."""

    def __init__(self, reason: Unverified, detail: str, retry_after: float | None = None) -> None:
        super().__init__(reason, detail)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Endpoint:
    """Where a registry's API is reached: ``docker.io`` → ``https://registry-1.docker.io``, or a mirror."""

    scheme: str
    host: str

    @property
    def base(self) -> str:
        return f"{self.scheme}://{self.host}"


def resolve_endpoint(registry: str, mirrors: Mapping[str, str], insecure: Collection[str]) -> Endpoint:
    target = mirrors.get(registry) or mirrors.get(canonical_registry(registry)) or registry
    scheme, _, host = target.rpartition("://")
    host = host.split("/")[0].lower()  # a mirror written as http://mirror:5000/v2/ is the host only
    if host in DOCKER_HUB_NAMES:
        host = "registry-1.docker.io"
    if not scheme:
        scheme = "http" if is_plain_http_ok(host, insecure) else "https"
    return Endpoint(scheme.lower(), host)


def canonical_registry(registry: str) -> str:
    host = registry.lower()
    return "docker.io" if host in DOCKER_HUB_NAMES else host


def is_plain_http_ok(host: str, insecure: Collection[str]) -> bool:
    """Loopback traffic cannot be sniffed on the wire; other hosts only when the user said so."""
    return bool(_LOOPBACK.match(host)) or host in insecure


@dataclass(frozen=True)
class Answer:
    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes  # bounded; empty for HEAD

    def error_code(self) -> str:
        """The first ``errors[].code`` of a registry's JSON error body, or ""."""
        try:
            errors = json.loads(self.body).get("errors") or [{}]
            return str(errors[0].get("code", ""))
        except (ValueError, AttributeError, IndexError, TypeError):
            return ""


def retry_policy(deadline: float) -> Retrying:
    """The one retry policy: transient failures only, Retry-After honoured, never past ``deadline``."""

    def wait(state: RetryCallState) -> float:
        failure = state.outcome.exception() if state.outcome else None
        if isinstance(failure, TransientRegistryError) and failure.retry_after is not None:
            return failure.retry_after
        return _BACKOFF(state)

    def out_of_budget(state: RetryCallState) -> bool:
        # Stop now rather than sleep into the deadline: a Retry-After beyond the budget ends it at once.
        return time.monotonic() + state.upcoming_sleep >= deadline

    return Retrying(
        retry=retry_if_exception_type(TransientRegistryError), wait=wait, stop=out_of_budget, reraise=True
    )


def send(
    session: requests.Session,
    method: str,
    url: str,
    *,
    limit: int,
    timeout: float,
    deadline: float,
    **kwargs: Any,
) -> Answer:
    """One HTTP exchange with the body read under ``limit``; failures become RegistryLookupError kinds."""
    what = f"{method} {url}"
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise RegistryLookupError(Unverified.NETWORK, f"{what}: time budget exhausted")
    seconds = min(timeout, remaining)
    try:
        with session.request(method, url, timeout=(seconds, seconds), stream=True, **kwargs) as response:
            log.debug("%s → %s", what, response.status_code)
            body = b"" if method == "HEAD" else _read_bounded(response, limit, deadline, what)
            return Answer(response.status_code, response.headers, body)
    except requests.exceptions.SSLError:
        raise RegistryLookupError(Unverified.NETWORK, f"{what}: TLS handshake failed") from None
    except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
        raise TransientRegistryError(Unverified.NETWORK, f"{what}: {_network_reason(exc)}") from None
    except (requests.RequestException, ValueError) as exc:  # e.g. a redirect to an unparsable Location
        raise RegistryLookupError(Unverified.PROTOCOL, f"{what}: {type(exc).__name__}") from None


def raise_if_transient(answer: Answer, what: str) -> None:
    if answer.status == 429:
        retry_after = parse_retry_after(answer.headers.get("Retry-After", ""))
        raise TransientRegistryError(Unverified.RATE_LIMIT, f"{what}: HTTP 429 rate limited", retry_after)
    if answer.status >= 500:
        raise TransientRegistryError(Unverified.NETWORK, f"{what}: HTTP {answer.status}")


def parse_retry_after(value: str, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date), or None if unreadable."""
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _read_bounded(response: requests.Response, limit: int, deadline: float, what: str) -> bytes:
    """The body: a success over ``limit`` bytes is garbage (PROTOCOL); an error body is just truncated."""
    strict = response.status_code < 300
    cap = limit if strict else _ERROR_BODY_LIMIT
    declared = response.headers.get("Content-Length", "")
    if strict and declared.isdigit() and int(declared) > cap:
        raise RegistryLookupError(Unverified.PROTOCOL, f"{what}: answer of {declared} bytes exceeds {cap}")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(64 * 1024):
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            if strict:
                raise RegistryLookupError(Unverified.PROTOCOL, f"{what}: answer exceeds {cap} bytes")
            break
        if time.monotonic() > deadline:
            raise RegistryLookupError(Unverified.NETWORK, f"{what}: time budget exhausted while reading")
    return b"".join(chunks)[:cap]


def _network_reason(exc: requests.RequestException) -> str:
    """A short cause ("Connection refused", "timed out") rather than the whole exception chain."""
    if isinstance(exc, requests.Timeout):
        return "timed out"
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    return match.group(1).strip() if match else type(exc).__name__
