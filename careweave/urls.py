from django.urls import include, path

urlpatterns = [
    path("", include("careweave.web.urls")),
    path("api/v1/", include("careweave.api.urls")),
    path("", include("careweave.api.health_urls")),
]
