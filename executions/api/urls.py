from django.urls import path

from executions.api.views import (
    ExecutionCancelApi,
    ExecutionDetailApi,
    ExecutionListApi,
    ExecutionStartApi,
)

urlpatterns = [
    path(
        "workflows/<uuid:workflow_id>/executions/",
        ExecutionStartApi.as_view(),
        name="execution-start",
    ),
    path("executions/", ExecutionListApi.as_view(), name="execution-list"),
    path("executions/<uuid:execution_id>/", ExecutionDetailApi.as_view(), name="execution-detail"),
    path(
        "executions/<uuid:execution_id>/cancel/",
        ExecutionCancelApi.as_view(),
        name="execution-cancel",
    ),
]
