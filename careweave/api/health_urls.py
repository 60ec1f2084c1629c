"""``/healthz`` lives outside ``/api/v1/``: monitoring should not depend on the API version."""

from django.urls import path

from careweave.api.health import healthz

urlpatterns = [path("healthz", healthz, name="healthz")]
