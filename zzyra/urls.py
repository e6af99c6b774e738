"""URL routes: the admin for operators and the REST API for the graph editor."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("workflows.api.urls")),
    path("api/", include("executions.api.urls")),
    path("api/", include("pauses.api.urls")),
]
