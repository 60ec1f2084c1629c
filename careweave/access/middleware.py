"""Records a gate refusal that reaches a view, after the failed transaction rolled back;
Django then renders the plain 404."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from careweave.access.gate import AccessDenied


class AccessDeniedMiddleware:
    """Records a gate refusal (after the failed transaction rolled back); Django renders 404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, AccessDenied):
            exception.record()
        return None
