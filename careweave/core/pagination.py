"""Keyset pagination: stable, index-friendly pages with an opaque cursor."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)
T = TypeVar("T")  # a model, or a plain row built from one


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([str(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int) -> list[str] | None:
    if not cursor or len(cursor) > 500:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (ValueError, json.JSONDecodeError):
        return None
    if not isinstance(values, list) or len(values) != size or not all(
        isinstance(v, str) for v in values
    ):
        return None
    return values


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def keyset_page(
    qs: QuerySet[M], *, fields: tuple[str, str], cursor: str | None, size: int,
    descending: bool = False,
) -> Page[M]:
    """One page of ``qs`` ordered by two fields (the second unique), after ``cursor``."""
    first, second = fields
    after = _typed(qs.model, fields, decode_cursor(cursor, 2))
    if after is not None:
        op = "lt" if descending else "gt"
        qs = qs.filter(
            Q(**{f"{first}__{op}": after[0]}) | Q(**{first: after[0], f"{second}__{op}": after[1]})
        )
    order = [f"-{first}", f"-{second}"] if descending else [first, second]
    rows = list(qs.order_by(*order)[: size + 1])
    next_cursor = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_cursor = encode_cursor([_value(last, first), _value(last, second)])
    return Page(items=rows, next_cursor=next_cursor)


def _typed(model: type[Model], fields: tuple[str, str],
           values: list[str] | None) -> list[Any] | None:
    """The cursor's values as the fields' Python values; None (start again from the first
    page, as for a garbled cursor) when a forged cursor holds something they cannot be."""
    if values is None:
        return None
    try:
        return [model._meta.get_field(name).to_python(value)  # type: ignore[union-attr]
                for name, value in zip(fields, values, strict=True)]
    except (ValidationError, ValueError, TypeError):
        return None


def _value(obj: Model, field: str) -> Any:
    value = getattr(obj, field)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
