from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def careweave(request: HttpRequest) -> dict[str, Any]:
    return {"actor": getattr(request, "actor", None)}
