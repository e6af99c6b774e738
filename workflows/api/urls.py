from django.urls import path

from workflows.api.views import WorkflowDetailApi, WorkflowListCreateApi

urlpatterns = [
    path("workflows/", WorkflowListCreateApi.as_view(), name="workflow-list"),
    path("workflows/<uuid:workflow_id>/", WorkflowDetailApi.as_view(), name="workflow-detail"),
]
