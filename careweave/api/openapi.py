"""What the shell adds to the OpenAPI description of every operation.

The routers declare the answers their own code gives (``response={...}`` with
:data:`careweave.core.api.ERRORS`). The shell itself answers more, before or around any
router, and documents those answers here, so that the description lists every status code
an operation can return:

- 400 when the request cannot be read (a malformed Content-Length; on operations with a
  body, a body that is not valid UTF-8 or JSON);
- 403 on unsafe methods: a session (our own pages) without the CSRF header;
- 413 and 415 on operations with a body (``careweave.api.middleware``,
  ``careweave.api.parser``);
- and every error is ``application/problem+json`` (RFC 9457), not ``application/json``.
"""

from __future__ import annotations

from typing import Any

from careweave.api.problems import CONTENT_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/ProblemOut"}
UNSAFE = frozenset({"post", "put", "patch", "delete"})
METHODS = frozenset({"get", "head", "options", "post", "put", "patch", "delete"})

# Status -> what it means here (English: the OpenAPI description is for developers).
DESCRIPTIONS = {
    400: "The request could not be read: a malformed header, or a body that is not valid "
         "UTF-8 JSON.",
    401: "No valid access token (or session).",
    403: "Not permitted: your role may not do this, or (with a session) the CSRF header is "
         "missing.",
    404: "There is nothing here, or you may not see it (the same answer for both).",
    409: "Conflict with the record as it is (for example an identifier already in use).",
    412: "If-Match does not name the current version (someone changed the record).",
    413: "The request body is larger than the server's limit (CAREWEAVE_MAX_BODY_BYTES).",
    415: "The body is not JSON (Content-Type: application/json, UTF-8, uncompressed).",
    422: "Invalid input: `errors` maps each field to its messages.",
    428: "If-Match is required: send the ETag of your last read.",
    429: "Too many requests: wait and try again.",
}


def _problem(status: int) -> dict[str, Any]:
    return {"description": DESCRIPTIONS.get(status, "Error"),
            "content": {CONTENT_TYPE: {"schema": dict(PROBLEM_REF)}}}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the shell's answers to every operation and serve errors as problem+json."""
    for item in schema.get("paths", {}).values():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            # ninja keys responses by int status; keep them so (JSON makes them strings).
            responses: dict[Any, Any] = {int(code) if str(code).isdigit() else code: value
                                         for code, value in operation.get("responses",
                                                                          {}).items()}
            extra = {400}
            if "requestBody" in operation:
                extra |= {413, 415, 422}
            if method in UNSAFE:
                extra.add(403)
            for status in sorted(extra):
                responses.setdefault(status, _problem(status))
            for code, response in responses.items():
                if not isinstance(code, int) or code < 400:
                    continue
                content = response.get("content") or {}
                body = content.pop("application/json", None) or {"schema": dict(PROBLEM_REF)}
                content[CONTENT_TYPE] = body
                response["content"] = content
                response["description"] = DESCRIPTIONS.get(code, response.get("description", ""))
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: str(kv[0])))
    return schema
