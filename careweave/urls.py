"""The URL configuration: the API and the health check, the shell (sign-in), then each app's
pages. An app's pages are in its own ``urls.py`` under its own namespace. Django's admin is
for superusers only, behind the same sign-in and two-factor authentication (every one of
its views carries the ``superuser_required`` route marker)."""

from django.urls import include, path

from careweave.core.adminsite import site as admin_site
from careweave.core.routes import guard_patterns, superuser_required

urlpatterns = [
    # The API first: its prefix settles a request in one match, where every page include
    # ("") must be tried pattern by pattern (about 120 patterns before the API otherwise).
    path("api/v1/", include("careweave.api.urls")),
    path("", include("careweave.api.health_urls")),
    path("", include("careweave.web.urls")),
    path("", include("careweave.people.urls")),
    path("", include("careweave.access.urls")),
    path("", include("careweave.audit.urls")),
    path("", include("careweave.orgs.urls")),
    path("", include("careweave.insights.urls")),
    path("admin/", (guard_patterns(admin_site.get_urls(), superuser_required), "admin",
                    admin_site.name)),
    path("", include("careweave.notes.urls")),
    path("", include("careweave.medicines.urls")),
    path("", include("careweave.plans.urls")),
    path("", include("careweave.assessments.urls")),
]

# Errors raised before any view (a bad Host header, a middleware's failure): problem+json
# for the API, the service's own pages otherwise.
handler400 = "careweave.api.problems.bad_request"
handler500 = "careweave.api.problems.server_error"
