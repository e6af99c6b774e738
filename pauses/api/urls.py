from django.urls import path

from pauses.api.views import (
    EventPostApi,
    ExecutionPauseApi,
    ExecutionResumeApi,
    PauseDecideApi,
    PauseDetailApi,
    PauseListApi,
    PauseRejectApi,
)

urlpatterns = [
    path("pauses/", PauseListApi.as_view(), name="pause-list"),
    path("pauses/<int:pause_id>/", PauseDetailApi.as_view(), name="pause-detail"),
    path("pauses/<int:pause_id>/approve/", PauseDecideApi.as_view(), name="pause-approve"),
    path("pauses/<int:pause_id>/reject/", PauseRejectApi.as_view(), name="pause-reject"),
    path("events/", EventPostApi.as_view(), name="event-post"),
    path(
        "executions/<uuid:execution_id>/pause/",
        ExecutionPauseApi.as_view(),
        name="execution-pause",
    ),
    path(
        "executions/<uuid:execution_id>/resume/",
        ExecutionResumeApi.as_view(),
        name="execution-resume",
    ),
]
