"""Checking API responses against the OpenAPI document of console/api/schema.py.

The `app` fixture runs every response of an `api` route through `ResponseChecker`, so each request
the suite makes (test client, live server, the official client, the real site agent) also checks
that the schema tells the truth about its status, headers and body.
"""

import json
import re

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from console.api.schema import openapi_document

DOCUMENT_URI = "urn:console-api"
# Flask's names for path values -> the schema's (Waldur's) names.
PATH_NAMES = {"uuid_text": "uuid", "offering_uuid_text": "uuid", "plan_uuid_text": "plan_uuid"}
# The routes that only refuse the methods a path does not offer (405); not operations.
REFUSAL_ENDPOINT_PREFIX = "api.not_allowed_"


def openapi_path(rule: str) -> str:
    """The schema's path for a Flask rule: `/api/x/<uuid_text>/` -> `/api/x/{uuid}/`."""
    return re.sub(
        r"<(?:[^:<>]+:)?([^<>]+)>", lambda match: "{" + PATH_NAMES.get(match[1], match[1]) + "}",
        rule,
    )


def documented_operations(url_map) -> set[tuple[str, str]]:
    """(method, schema path) of every operation the `api` blueprint routes (HEAD is implied)."""
    operations = set()
    for rule in url_map.iter_rules():
        if not rule.endpoint.startswith("api.") or rule.endpoint.startswith(
            REFUSAL_ENDPOINT_PREFIX
        ):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operations.add((method, openapi_path(rule.rule)))
    return operations


def _pointer(*parts: str) -> str:
    """A JSON pointer to the parts, escaped."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


class ResponseChecker:
    """Says how a response departs from what the schema promises for its operation."""

    def __init__(self, document: dict | None = None):
        self.document = document or openapi_document()
        self.registry = Registry().with_resource(
            DOCUMENT_URI, Resource.from_contents(self.document, default_specification=DRAFT202012)
        )
        self.validators: dict[str, Draft202012Validator] = {}

    def _errors(self, pointer: str, value) -> list[str]:
        validator = self.validators.get(pointer)
        if validator is None:
            validator = self.validators[pointer] = Draft202012Validator(
                {"$ref": f"{DOCUMENT_URI}#{pointer}"},
                registry=self.registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message[:300]}"
            for error in validator.iter_errors(value)
        ]

    def problems(self, method: str, rule: str, status: int, headers, data: bytes) -> list[str]:
        """Everything wrong with one response, as sentences (empty when it matches)."""
        path = openapi_path(rule)
        where = f"{method} {path} -> {status}"
        operations = self.document["paths"].get(path, {})
        if method == "HEAD" and "head" not in operations and "get" in operations:
            method_key = "get"  # Flask answers HEAD on every GET route with GET's headers.
        else:
            method_key = method.lower()
        operation = operations.get(method_key)
        if operation is None:
            return [f"{where}: the schema has no such operation"]
        response = operation["responses"].get(str(status))
        if response is None:
            return [f"{where}: the schema lists no {status} response for this operation"]
        problems = []
        for name, header in response.get("headers", {}).items():
            value = headers.get(name)
            if value is None:
                if header.get("required"):
                    problems.append(f"{where}: header {name} is missing")
                continue
            pointer = _pointer("paths", path, method_key, "responses", str(status), "headers",
                               name, "schema")
            problems += [f"{where}: header {name} {error}" for error in
                         self._errors(pointer, value)]
        content = response.get("content")
        if method == "HEAD" or content is None:
            if data and method != "HEAD":
                problems.append(f"{where}: a body the schema does not describe")
            return problems
        media_type = headers.get("Content-Type", "").split(";")[0].strip()
        if media_type not in content:
            return [*problems, f"{where}: Content-Type {media_type!r} is not {list(content)}"]
        if media_type != "application/json":
            return problems
        try:
            value = json.loads(data)
        except ValueError:
            return [*problems, f"{where}: the body is not JSON"]
        pointer = _pointer("paths", path, method_key, "responses", str(status), "content",
                           media_type, "schema")
        return problems + [f"{where}: {error}" for error in self._errors(pointer, value)]


def record_schema_problems(app, checker: ResponseChecker) -> list[str]:
    """Check every response of an `api` operation; return the list the problems go to."""
    from flask import request

    problems: list[str] = []

    @app.after_request
    def check_against_schema(response):
        rule = request.url_rule
        # OPTIONS is Flask's own answer (its Allow header is checked by test_schema.py).
        if rule is not None and request.blueprint == "api" and request.method != "OPTIONS" and (
            not request.endpoint.startswith(REFUSAL_ENDPOINT_PREFIX)
        ):
            problems.extend(checker.problems(request.method, rule.rule, response.status_code,
                                             response.headers, response.get_data()))
        return response

    return problems
