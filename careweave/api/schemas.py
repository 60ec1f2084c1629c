"""Shapes of the shell's own answers (the health check)."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema


class HealthOut(Schema):
    status: Literal["ok", "degraded", "error"]
    database: str
    tasks: dict[str, Any]
    audit: dict[str, Any]
