"""The JSON API: one NinjaAPI, problem+json errors, authentication, and the list of the
routers it mounts. Each router lives in its own app (``careweave/<app>/api.py``); this
module is the only place in the shell that knows the apps."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI, Router
from ninja.openapi.schema import OpenAPISchema

from careweave.access import api as access_api
from careweave.api.auth import AUTH, restricted_auth
from careweave.api.docs import LocalSwagger
from careweave.api.openapi import document_problems
from careweave.api.parser import JsonParser
from careweave.api.problems import install
from careweave.assessments import api as assessments_api
from careweave.audit import api as audit_api
from careweave.core.api import restriction_of
from careweave.medicines import api as medicines_api
from careweave.notes import api as notes_api
from careweave.orgs import api as orgs_api
from careweave.people import api as people_api
from careweave.plans import api as plans_api

# The mounted routers, in the order their operations appear in the OpenAPI description.
ROUTERS = (people_api.router, access_api.router, audit_api.router, orgs_api.router,
           notes_api.router, medicines_api.router, plans_api.router, assessments_api.router)

DESCRIPTION = _(
    "Careweave's JSON API for our own front ends and integrators.\n\n"
    "Authenticate with a personal access token (`careweave token create USERNAME`) sent as "
    "`Authorization: Bearer cwt_...`; the token acts through one membership. Our own pages "
    "may use the logged-in session instead (unsafe methods need the X-CSRFToken header).\n\n"
    "Send bodies as UTF-8 JSON (`Content-Type: application/json`, uncompressed): anything "
    "else is a 415, and a body larger than the server's limit (1 MiB unless configured) a "
    "413.\n\n"
    "Every error is `application/problem+json` (RFC 9457). A person you may not see and a "
    "person who does not exist get the same 404. Changing a record needs `If-Match` with the "
    "ETag you read, such as `W/\"3\"`: without it, or with `*`, the answer is 428; with any "
    "other value, or when someone changed the record since, 412."
)


class CareweaveAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_problems(schema)
        return schema


api = CareweaveAPI(
    title="Careweave API",
    version="1",
    description=str(DESCRIPTION),
    auth=AUTH,
    urls_namespace="api",
    docs=LocalSwagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=JsonParser(),
)


def _restrict(router: Router) -> None:
    """Operations for some actors only (core.api.only_for) check who is calling as part of
    authentication, before any input is parsed: anyone else gets a 404. Set as each
    operation's own auth, which the API keeps when it binds the router."""
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            restriction = restriction_of(operation.view_func)
            if restriction is not None:
                operation.auth_param = operation.auth_callbacks = restricted_auth(restriction)


install(api)
for router in ROUTERS:
    _restrict(router)
    api.add_router("", router)
