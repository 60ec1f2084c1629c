"""Hand-written SQL for the few statements on every request's hot path (the token, the
person with the gate's facts, the audit insert), returning ordinary model instances.

Django's ORM builds the SQL of a query afresh each time, and on a read of one person that
compiling costs more CPU than PostgreSQL spends answering (bench/README.md has the
profile). These statements are fixed, so they are written once, here, as plain portable
SQL (PostgreSQL and SQLite alike) over the models' own table and column names; tests
check that they return the same instances and facts as the ORM queries they replace.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from django.db import connection
from django.db.models import CharField, Model
from django.db.models.expressions import RawSQL


@cache
def columns(model: type[Model]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The model's concrete columns (quoted, for a SELECT list) and attribute names."""
    fields = model._meta.concrete_fields
    qn = connection.ops.quote_name
    return (tuple(qn(str(f.column)) for f in fields), tuple(f.attname for f in fields))


def select_list(model: type[Model], alias: str) -> str:
    cols, _names = columns(model)
    return ", ".join(f"{alias}.{c}" for c in cols)


def table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def build(model: type[Model], values: Sequence[Any]) -> Model:
    """A model instance from the values of :func:`select_list`'s columns, as the ORM makes
    one (from_db: converters applied, not "adding")."""
    _cols, names = columns(model)
    converted = []
    for (col, converters), value in zip(_converters(model), values, strict=True):
        for converter in converters:
            value = converter(value, col, connection)
        converted.append(value)
    return model.from_db(connection.alias, list(names), converted)


def build_or_none(model: type[Model], values: Sequence[Any]) -> Model | None:
    """As :func:`build`, or None for the columns of a LEFT JOIN that found no row (its
    primary key is NULL), as select_related leaves a missing nullable relation."""
    _cols, names = columns(model)
    if values[names.index(model._meta.pk.attname)] is None:
        return None
    return build(model, values)


@cache
def _converters(model: type[Model]) -> tuple[tuple[Any, tuple[Any, ...]], ...]:
    """Per column, the converters the ORM's compiler would apply (backend, then field)."""
    out = []
    for field in model._meta.concrete_fields:
        col = field.get_col(model._meta.db_table)
        out.append((col, tuple(connection.ops.get_db_converters(col))
                    + tuple(col.get_db_converters(connection))))
    return tuple(out)


def split(row: Sequence[Any], *models: type[Model]) -> tuple[list[Sequence[Any]], Sequence[Any]]:
    """Cut a row of several models' select lists (in this order) into their values, and
    return what is left after them (extra columns)."""
    parts = []
    at = 0
    for model in models:
        n = len(columns(model)[0])
        parts.append(row[at:at + n])
        at += n
    return parts, row[at:]


def relate(instance: Model, name: str, other: Model | None) -> None:
    """Set a foreign key's cached object, as select_related does."""
    instance._state.fields_cache[name] = other


def prep(model: type[Model], field: str, value: Any) -> Any:
    """A parameter for a column, as the ORM would send it (a UUID is hex text on SQLite)."""
    target: Any = model._meta.get_field(field)
    return target.get_db_prep_value(value, connection, prepared=False)


def convert(model: type[Model], field: str, value: Any) -> Any:
    """A single column's value from the database, as the ORM would read it."""
    for col, converters in _converters(model):
        if col.target.name == field:
            for converter in converters:
                value = converter(value, col, connection)
            return value
    raise KeyError(field)


def constant(value: str) -> RawSQL:
    """A string constant of the code written into the statement's text, not passed as a
    parameter: ``filter(status=constant("pending"))``. PostgreSQL's generic plan of a
    prepared statement knows nothing of a parameter's value, so it cannot prove a partial
    index's condition (``WHERE status = 'pending'``) and must not guess the rows from it;
    with the constant in the text it can (tests/test_generic_plans.py). Never for input."""
    if not value or not value.isascii() or not all(ch.isalnum() or ch in "_-." for ch in value):
        raise ValueError(f"not a plain constant: {value!r}")
    return RawSQL(f"'{value}'", (), output_field=CharField())
