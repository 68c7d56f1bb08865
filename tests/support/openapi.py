"""Checks the local GitHub's answers against GitHub's published OpenAPI description.

The description is the npm package ``@octokit/openapi`` (GitHub's own description plus Octokit's
extensions), fetched by ``scripts/setup`` at a pinned version and integrity hash into ``.state/openapi/``.
openapi-core does the validating: it finds the operation by the route the server matched, says whether
the status is documented, picks the media type and validates the body (required keys, types, enums,
nullability) and any headers the description declares. Loading the whole 13 MB description without
openapi-core's check of the description itself takes a fraction of a second, and one response a few
milliseconds, so no cut-down copy of the description is needed.

Violations read ``POST /repos/{owner}/{repo}/forks 202: $.parent.owner.login: None is not of type 'string'``.
Known mistakes of the description are allowed by ``openapi_quirks.QUIRKS``, never the fake's own.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jsonschema.exceptions import ValidationError as SchemaError
from jsonschema.exceptions import best_match
from openapi_core import Config, OpenAPI
from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.testing import MockRequest, MockResponse
from openapi_core.validation.response.exceptions import (
    HeaderValidationError,
    InvalidData,
    MissingData,
    MissingRequiredHeader,
)
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from bot.sandbox.github.exchange import Exchange
from tests.support.openapi_quirks import QUIRKS, Quirk

DESCRIPTION = Path(__file__).resolve().parents[2] / ".state" / "openapi" / "api.github.com.json"
# The description's one server; the request's own host does not matter, the route picks the operation.
_SERVER = "https://api.github.com"
_DESCRIPTION_URI = "urn:github-openapi"


@dataclass(frozen=True)
class Violation:
    operation: str  # "POST /repos/{owner}/{repo}/forks"
    status: int
    where: str  # "$.parent.owner.login", "status", "operation", "content-type", "header Location"
    message: str

    def __str__(self) -> str:
        return f"{self.operation} {self.status}: {self.where}: {self.message}"


class OpenAPIChecker:
    """Validates ``Exchange`` records against one OpenAPI description, less the allowed quirks."""

    def __init__(self, description: Mapping[str, Any], quirks: Sequence[Quirk] = QUIRKS) -> None:
        self.version = str(description["info"]["version"])
        self.quirks = tuple(quirks)
        self.used_quirks: set[Quirk] = set()
        self._paths: Mapping[str, Any] = description["paths"]
        # The description is GitHub's, checked by GitHub's own tooling; checking it again here would take
        # minutes on 13 MB and tell the tests nothing.
        self._openapi = OpenAPI.from_dict(dict(description), config=Config(spec_validator_cls=None))
        self._registry: Registry[Any] = Registry().with_resource(
            _DESCRIPTION_URI, Resource.from_contents(description, default_specification=DRAFT4)
        )

    def with_quirks(self, quirks: Sequence[Quirk]) -> OpenAPIChecker:
        """The same description with another allow-list (and no quirk used yet)."""
        other = copy.copy(self)
        other.quirks, other.used_quirks = tuple(quirks), set()
        return other

    def check(self, exchange: Exchange) -> list[Violation]:
        """The exchange's violations that no quirk allows."""
        found = []
        for violation in self.violations(exchange):
            quirk = self._quirk_for(violation)
            if quirk is None:
                found.append(violation)
            else:
                self.used_quirks.add(quirk)
        return found

    def check_all(self, exchanges: Iterable[Exchange]) -> list[Violation]:
        return [violation for exchange in exchanges for violation in self.check(exchange)]

    def violations(self, exchange: Exchange) -> list[Violation]:
        """Every violation, allowed or not. Where a quirk says what to check instead (``validate_as``), that
        is checked too: an allowed status or body still has to have the shape GitHub gives it."""
        operation = f"{exchange.method.upper()} {exchange.route or exchange.path}"
        if not exchange.route:
            # GitHub answers an unknown path with 404 and its usual error body.
            found = []
            if exchange.status != 404:
                found.append(
                    Violation(
                        operation, exchange.status, "operation", "no route matched, yet the status is not 404"
                    )
                )
            return found + self._schema_violations(operation, exchange, "basic-error")
        if exchange.method.lower() in self._paths.get(exchange.route, {}):
            return self._operation_violations(operation, exchange, exchange.method, exchange.route)
        missing = Violation(operation, exchange.status, "operation", "not in the description")
        alias = self._quirk_for(missing)
        if alias is None or not alias.validate_as:
            return [missing]
        # An operation GitHub serves though the description lacks it: checked as the documented operation it
        # answers like (the closest of several, "A | B", when its answer takes more than one shape).
        candidates = [
            self._operation_violations(operation, exchange, *documented.split(" ", 1))
            for documented in alias.validate_as.split(" | ")
        ]
        # Closest: the fewest violations of the body as a whole (its type), then the fewest in all.
        closest = min(candidates, key=lambda found: (sum(v.where == "$" for v in found), len(found)))
        return [missing, *closest]

    def _operation_violations(
        self, operation: str, exchange: Exchange, method: str, route: str
    ) -> list[Violation]:
        found: list[Violation] = []

        def add(where: str, message: str) -> None:
            found.append(Violation(operation, exchange.status, where, message))

        for error in self._openapi_errors(method.lower(), route, exchange):
            if isinstance(error, ResponseNotFound):
                documented = ", ".join(error.availableresponses)
                add("status", f"{exchange.status} is not documented (documented: {documented})")
            elif isinstance(error.__cause__, MediaTypeNotFound):
                media = error.__cause__
                documented = ", ".join(media.availableMimetypes)
                add("content-type", f"{media.mimetype!r} is not documented ({documented})")
            elif isinstance(error, MissingData):
                add("$", "no body, yet the description documents one")
            elif isinstance(error, InvalidData):
                found += [Violation(operation, exchange.status, w, m) for w, m in _schema_messages(error)]
            elif isinstance(error, MissingRequiredHeader):
                add(f"header {error.name}", "missing (the description requires it)")
            elif isinstance(error, HeaderValidationError):
                add(f"header {error.name}", _first_line(error.__cause__ or error))
            elif isinstance(error, PathError):
                add("operation", _first_line(error))
            else:
                add("$", _first_line(error.__cause__ or error))
        followed: list[Violation] = []
        for violation in found:
            followed.append(violation)
            quirk = self._quirk_for(violation)
            if quirk is not None and quirk.validate_as:
                followed += self._schema_violations(operation, exchange, quirk.validate_as)
        return followed

    def _openapi_errors(self, method: str, route: str, exchange: Exchange) -> Iterator[Exception]:
        request = MockRequest(
            _SERVER,
            method,
            exchange.path,
            path_pattern=route,
            args={key: values[-1] for key, values in parse_qs(exchange.query).items()},
            data=exchange.request_body,
        )
        headers = {name.lower(): value for name, value in exchange.headers.items()}
        response = MockResponse(
            exchange.body,
            status_code=exchange.status,
            headers=headers,
            content_type=headers.get("content-type", ""),
        )
        yield from self._openapi.iter_response_errors(request, response)

    def _schema_violations(self, operation: str, exchange: Exchange, schema_name: str) -> list[Violation]:
        """The body against one of the description's component schemas."""
        if not exchange.body:
            return [Violation(operation, exchange.status, "$", f"no body, yet GitHub sends a {schema_name}")]
        try:
            body = json.loads(exchange.body)
        except ValueError as error:
            return [Violation(operation, exchange.status, "$", f"not JSON: {error}")]
        validator = OAS30Validator(
            {"$ref": f"{_DESCRIPTION_URI}#/components/schemas/{schema_name}"}, registry=self._registry
        )
        return [
            Violation(operation, exchange.status, where, message)
            for where, message in _messages(validator.iter_errors(body))
        ]

    def _quirk_for(self, violation: Violation) -> Quirk | None:
        return next((quirk for quirk in self.quirks if _allows(quirk, violation)), None)


def _allows(quirk: Quirk, violation: Violation) -> bool:
    return (
        fnmatch.fnmatchcase(violation.operation, quirk.operation)
        and _where_pattern(quirk.where).fullmatch(violation.where) is not None
        and quirk.message in violation.message
    )


@cache
def _where_pattern(where: str) -> re.Pattern[str]:
    # "$[*].head.repo": [*] stands for any index, * for any one key, ** for any path; the rest is literal.
    escaped = (
        re.escape(where)
        .replace(re.escape("[*]"), r"\[\d+\]")
        .replace(re.escape("**"), r".*")
        .replace(re.escape("*"), r"[^.\[]+")
    )
    return re.compile(escaped)


def _schema_messages(error: InvalidData) -> list[tuple[str, str]]:
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None)
    if not schema_errors:
        return [("$", _first_line(cause or error))]
    return _messages(schema_errors)


def _messages(errors: Iterable[SchemaError]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for error in errors:
        while error.context:  # oneOf/anyOf: say which part of the nearest alternative failed
            error = best_match(error.context)
        message = error.message
        shown = repr(error.instance)
        if len(shown) > 80 and shown in message:  # a whole object or list says little and floods the report
            message = message.replace(shown, _summary(error.instance))
        found.append((json_path(error.absolute_path), message))
    # OAS 3.0 validators report a null twice ("None for not nullable" and "None is not of type 'x'"):
    # keep the one that names the type.
    typed = {where for where, message in found if message.startswith("None is not of type")}
    return [
        (where, message)
        for where, message in dict.fromkeys(found)
        if not (message == "None for not nullable" and where in typed)
    ]


def _summary(value: object) -> str:
    if isinstance(value, list):
        return f"[{len(value)} items]"
    if isinstance(value, dict):
        return "{" + ", ".join(repr(key) for key in list(value)[:3]) + (", …}" if len(value) > 3 else "}")
    return repr(value)[:77] + "..."


def json_path(parts: Iterable[str | int]) -> str:
    path = "$"
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", part):
            path += f".{part}"
        else:
            path += f"[{part!r}]"
    return path


def _first_line(error: BaseException) -> str:
    return (str(error) or type(error).__name__).splitlines()[0]


@cache
def load_checker(path: Path = DESCRIPTION) -> OpenAPIChecker:
    """The checker for the description ``scripts/setup`` fetched, loaded once per process."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: scripts/setup fetches GitHub's OpenAPI description")
    return OpenAPIChecker(json.loads(path.read_bytes()))
