"""How the API reads a request body: JSON only, UTF-8 only, uncompressed.

- ``Content-Type`` must be ``application/json`` (or ``application/<something>+json``),
  with no charset or ``charset=utf-8``; anything else is a 415.
- ``Content-Encoding`` other than ``identity`` (gzip, br...) is a 415 with
  ``Accept-Encoding: identity`` (RFC 9110, section 15.5.16).
- The body must be valid UTF-8 (400), valid JSON without NaN or Infinity (400), and no
  text in it, nor in the query string, may hold a NUL or an unpaired surrogate: neither can
  be stored, so they are a 422 on the field that holds them.

ninja turns any error its parser raises into a plain "400 Cannot parse request body";
:func:`careweave.api.problems.handle_http_error` finds our error behind it (the
``__cause__``) and answers with it instead.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.parser import Parser

from careweave.core.errors import ValidationFailed

UTF8 = frozenset({"utf-8", "utf8"})


class BodyRejected(HttpError):
    """The body cannot be read as JSON (400) or is not JSON at all (415)."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, message)
        self.headers = headers or {}


def is_json_media_type(media_type: str) -> bool:
    kind, _sep, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def _no_constants(name: str) -> Any:
    raise ValueError(name)


def unstorable_text(value: Any, path: str = "") -> list[str]:
    """Paths of strings (keys included) holding a NUL or an unpaired surrogate."""
    found: list[str] = []
    if isinstance(value, str):
        if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
            found.append(path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if unstorable_text(key):
                found.append(path or "body")
            else:
                found.extend(unstorable_text(item, where))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.extend(unstorable_text(item, f"{path}.{index}" if path else str(index)))
    return found


def refuse_unstorable(value: Any) -> None:
    paths = unstorable_text(value)
    if paths:
        message = _("Remove the invalid character.")
        raise ValidationFailed(_("Check the highlighted fields."),
                               errors={p[:200]: [message] for p in paths[:50]})


class JsonParser(Parser):
    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        coding = request.headers.get("Content-Encoding", "").strip().lower()
        if coding and coding != "identity":
            raise BodyRejected(
                415, _("Send the body uncompressed, without Content-Encoding."),
                headers={"Accept-Encoding": "identity"})
        media_type = (request.content_type or "").strip().lower()
        if not is_json_media_type(media_type):
            raise BodyRejected(415, _("Send JSON, with the header "
                                      "Content-Type: application/json."))
        charset = (request.content_params or {}).get("charset")
        if charset is not None and charset.strip().lower() not in UTF8:
            raise BodyRejected(415, _("JSON must be UTF-8: send charset=utf-8, or no charset."))
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyRejected(400, _("The request body is not valid UTF-8.")) from None
        try:
            data = json.loads(text, parse_constant=_no_constants)
        except json.JSONDecodeError as exc:
            raise BodyRejected(400, _(
                "The request body is not valid JSON (line %(line)d, column %(column)d)."
            ) % {"line": exc.lineno, "column": exc.colno}) from None
        except (ValueError, RecursionError):
            raise BodyRejected(400, _("The request body is not valid JSON.")) from None
        refuse_unstorable(data)
        return data  # type: ignore[no-any-return]

    def parse_querydict(self, data: MultiValueDict, list_fields: list[str],
                        request: HttpRequest) -> dict[str, Any]:
        result = super().parse_querydict(data, list_fields, request)
        refuse_unstorable(result)
        return result
