"""Errors that services raise and every boundary (page, API, FHIR, CLI) turns into
a clear message: a form error, problem+json, an OperationOutcome or a non-zero exit."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None,
                 extra: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.extra = extra or {}


class ValidationFailed(ServiceError):
    status = 422
    title = "Invalid input"


class DuplicateRecord(ServiceError):
    status = 409
    title = "Duplicate record"


class Conflict(ServiceError):
    """The request cannot be done in the record's current state (two different NHS numbers
    on records to merge, a merge already undone)."""

    status = 409
    title = "Conflict"


class StaleVersion(ServiceError):
    status = 412
    title = "The record has changed since you read it"


class NotPermitted(ServiceError):
    """The actor may see the record but not do this (e.g. an analyst breaking the glass)."""

    status = 403
    title = "Not permitted"


class RateLimited(ServiceError):
    """Too many attempts of something that is limited per user (e.g. refused lookups)."""

    status = 429
    title = "Too many requests"
