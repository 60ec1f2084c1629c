"""The API reference page at ``/api/v1/docs``: Swagger UI served from our own static files.

ninja's default Swagger page loads its script from a CDN, which hospital networks (and
this project's offline installs) cannot reach. ``scripts/build-assets.sh`` copies
``swagger-ui-dist`` into ``static/vendor/swagger-ui/``; this renders a page using it.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

if TYPE_CHECKING:
    from ninja import NinjaAPI


class LocalSwagger(DocsBase):
    settings: dict[str, Any] = {
        "layout": "BaseLayout",
        "deepLinking": True,
        "persistAuthorization": False,
        "validatorUrl": None,  # the default badge calls validator.swagger.io
    }

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        openapi_url = self.get_openapi_url(api, kwargs)
        settings = dict(self.settings, url=openapi_url)
        # Inside <script type="application/json">: escape "<" so "</script>" cannot occur.
        payload = json.dumps(settings).replace("<", "\\u003c")
        context = {"api": api, "openapi_url": openapi_url, "swagger_settings": payload}
        return render(request, "api/docs.html", context)
