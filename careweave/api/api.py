"""The JSON API: one NinjaAPI, its routers, problem+json errors and authentication."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from careweave.api.auth import AUTH
from careweave.api.docs import LocalSwagger
from careweave.api.endpoints import care, directory, people
from careweave.api.problems import install

DESCRIPTION = _(
    "Careweave's JSON API for our own front ends and integrators.\n\n"
    "Authenticate with a personal access token (`careweave token create USERNAME`) sent as "
    "`Authorization: Bearer cwt_...`; the token acts through one membership. Our own pages "
    "may use the logged-in session instead (unsafe methods need the X-CSRFToken header).\n\n"
    "Every error is `application/problem+json` (RFC 9457). A person you may not see and a "
    "person who does not exist get the same 404. Changing a record needs `If-Match` with the "
    "ETag you read (428 without it, 412 when someone changed it since)."
)

api = NinjaAPI(
    title="Careweave API",
    version="1",
    description=str(DESCRIPTION),
    auth=AUTH,
    urls_namespace="api",
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install(api)
api.add_router("", people.router)
api.add_router("", care.router)
api.add_router("", directory.router)
