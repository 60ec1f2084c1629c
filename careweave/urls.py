"""The URL configuration: the shell (sign-in, the API, the health check), then each app's
pages. An app's pages are in its own ``urls.py`` under its own namespace."""

from django.urls import include, path

urlpatterns = [
    path("", include("careweave.web.urls")),
    path("", include("careweave.people.urls")),
    path("", include("careweave.access.urls")),
    path("", include("careweave.audit.urls")),
    path("", include("careweave.plans.urls")),
    path("api/v1/", include("careweave.api.urls")),
    path("", include("careweave.api.health_urls")),
]
