"""Insights for analysts: aggregates across the organisation's caseload, never a person's
record. Only the landing page exists yet; it says what is coming.

Every view carries one route marker from careweave.core.routes.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from careweave.core.auditing import refuse
from careweave.core.pages import actor_of
from careweave.core.routes import staff_required

ANALYST = "analyst"


@staff_required
@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if actor.role != ANALYST:
        refuse(actor, action="read", object_type="Insights", basis="not-an-analyst")
    return render(request, "insights/home.html")
