"""Pause endpoints: list and read pauses, approve or reject, post events, and an operator's
pause and resume of an execution. Each view calls one service; PauseError subclasses carry
the HTTP status (403 not an approver, 404 unknown, 409 already resumed or not paused)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from executions.models import WorkflowExecution
from pauses import selectors, services
from pauses.api.serializers import (
    DecisionSerializer,
    EventSerializer,
    ExecutionPauseSerializer,
    PauseSerializer,
)
from pauses.exceptions import PauseError
from pauses.models import WorkflowPause
from zzyra.api import acting_user_id


def _answer(call: Callable[[], WorkflowPause], code: int = status.HTTP_200_OK) -> Response:
    try:
        pause = call()
    except PauseError as error:
        return Response({"detail": str(error)}, status=error.http_status)
    return Response(PauseSerializer(pause).data, status=code)


class PauseListApi(ListAPIView):
    """GET /api/pauses/?state=open|resumed|all&kind=&execution=: pending pauses by default,
    those of the user's executions and the approvals that list the user."""

    serializer_class = PauseSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = self.request.query_params
        return selectors.pause_list(
            user_id=acting_user_id(self.request),
            state=params.get("state", "open"),
            kind=params.get("kind"),
            execution_id=params.get("execution"),
        )


class PauseDetailApi(APIView):
    def get(self, request: Request, pause_id: int) -> Response:
        try:
            pause = selectors.pause_get(pause_id=pause_id, user_id=acting_user_id(request))
        except WorkflowPause.DoesNotExist:
            return Response({"detail": "no such pause"}, status=status.HTTP_404_NOT_FOUND)
        return Response(PauseSerializer(pause).data)


class PauseDecideApi(APIView):
    """POST /api/pauses/<id>/approve/ or /reject/ with optional {"data": ...}."""

    approve = True

    def post(self, request: Request, pause_id: int) -> Response:
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _answer(
            lambda: services.pause_decide(
                pause_id=pause_id,
                approve=self.approve,
                actor_id=acting_user_id(request),
                data=serializer.validated_data["data"],
                via="rest",
            )
        )


class PauseRejectApi(PauseDecideApi):
    approve = False


class EventPostApi(APIView):
    """POST /api/events/ {"key", "payload"}: 202 with the pauses it resumed, or none when it
    is kept for a wait that has not begun yet."""

    def post(self, request: Request) -> Response:
        serializer = EventSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = services.event_post(
            owner_id=acting_user_id(request),
            key=serializer.validated_data["key"],
            payload=serializer.validated_data["payload"],
        )
        body: dict[str, Any] = {
            "event": outcome.event_id,
            "resumed_pauses": outcome.resumed_pause_ids,
            "stored_for_later": outcome.stored_for_later,
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class _OwnedExecutionApi(APIView):
    def _owned(self, request: Request, execution_id: str) -> bool:
        return WorkflowExecution.objects.filter(
            id=execution_id, owner_id=acting_user_id(request)
        ).exists()


class ExecutionPauseApi(_OwnedExecutionApi):
    """POST /api/executions/<id>/pause/ {"reason"?}: 201 with the operator's pause."""

    def post(self, request: Request, execution_id: str) -> Response:
        if not self._owned(request, execution_id):
            return Response({"detail": "no such execution"}, status=status.HTTP_404_NOT_FOUND)
        serializer = ExecutionPauseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return _answer(
            lambda: services.execution_pause(
                execution_id=execution_id,
                actor_id=acting_user_id(request),
                reason=serializer.validated_data["reason"],
            ),
            status.HTTP_201_CREATED,
        )


class ExecutionResumeApi(_OwnedExecutionApi):
    """POST /api/executions/<id>/resume/: 200 with the closed pause; 409 if not paused."""

    def post(self, request: Request, execution_id: str) -> Response:
        if not self._owned(request, execution_id):
            return Response({"detail": "no such execution"}, status=status.HTTP_404_NOT_FOUND)
        return _answer(
            lambda: services.execution_resume(
                execution_id=execution_id, actor_id=acting_user_id(request), via="rest"
            )
        )
