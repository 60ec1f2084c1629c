"""The JSON API: one NinjaAPI, problem+json errors, authentication, and the list of the
routers it mounts. Each router lives in its own app (``careweave/<app>/api.py``); this
module is the only place in the shell that knows the apps."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from careweave.access import api as access_api
from careweave.api.auth import AUTH
from careweave.api.docs import LocalSwagger
from careweave.api.problems import install
from careweave.audit import api as audit_api
from careweave.orgs import api as orgs_api
from careweave.people import api as people_api
from careweave.plans import api as plans_api

# The mounted routers, in the order their operations appear in the OpenAPI description.
ROUTERS = (people_api.router, access_api.router, audit_api.router, orgs_api.router,
           plans_api.router)

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
for router in ROUTERS:
    api.add_router("", router)
