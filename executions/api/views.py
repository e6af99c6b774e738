"""Execution endpoints: start one, list them, read one with its node states."""

from __future__ import annotations

from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from executions import selectors, services
from executions.api.serializers import (
    ExecutionDetailSerializer,
    ExecutionStartSerializer,
    ExecutionSummarySerializer,
)
from executions.exceptions import (
    ExecutionAlreadyFinished,
    IdempotencyKeyReused,
    WorkflowHasNoVersion,
)
from executions.models import WorkflowExecution
from workflows.models import Workflow
from workflows.selectors import workflow_get, workflow_latest_version
from zzyra.api import acting_user_id

MAX_IDEMPOTENCY_KEY_LENGTH = 255


class ExecutionStartApi(APIView):
    """POST /api/workflows/<id>/executions/ with an optional `Idempotency-Key` header:
    201 for a new execution, 200 with the first one when the key was used before."""

    def post(self, request: Request, workflow_id: str) -> Response:
        owner_id = acting_user_id(request)
        version = workflow_latest_version(owner_id=owner_id, workflow_id=workflow_id)
        try:
            # Without a version, only the rare "exists but was never saved" needs another read.
            workflow = (
                version.workflow
                if version
                else workflow_get(owner_id=owner_id, workflow_id=workflow_id)
            )
        except Workflow.DoesNotExist:
            return Response({"detail": "no such workflow"}, status=status.HTTP_404_NOT_FOUND)
        serializer = ExecutionStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key") or None
        if key and len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
            return Response(
                {"detail": f"Idempotency-Key exceeds {MAX_IDEMPOTENCY_KEY_LENGTH} characters"},
                status=status.HTTP_400_BAD_REQUEST,
            )
        try:
            execution, created = services.execution_start(
                owner_id=owner_id,
                workflow=workflow,
                version=version,
                input=serializer.validated_data["input"],
                idempotency_key=key,
                trigger="api",
            )
        except IdempotencyKeyReused as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        except WorkflowHasNoVersion as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        return Response(
            {
                "id": str(execution.id),
                "workflow": str(workflow.id),
                "status": execution.status,
                "created": created,
            },
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ExecutionListApi(ListAPIView):
    serializer_class = ExecutionSummarySerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = self.request.query_params
        return selectors.execution_list(
            owner_id=acting_user_id(self.request),
            workflow_id=params.get("workflow"),
            status=params.get("status"),
        )


class ExecutionDetailApi(APIView):
    def get(self, request: Request, execution_id: str) -> Response:
        try:
            execution = selectors.execution_get(
                owner_id=acting_user_id(request), execution_id=execution_id
            )
        except WorkflowExecution.DoesNotExist:
            return Response({"detail": "no such execution"}, status=status.HTTP_404_NOT_FOUND)
        return Response(ExecutionDetailSerializer(execution).data)


class ExecutionCancelApi(APIView):
    """POST /api/executions/<id>/cancel/: 202 while running nodes stop, 200 once cancelled,
    409 when the execution had already ended."""

    def post(self, request: Request, execution_id: str) -> Response:
        owner_id = acting_user_id(request)
        if not WorkflowExecution.objects.filter(id=execution_id, owner_id=owner_id).exists():
            return Response({"detail": "no such execution"}, status=status.HTTP_404_NOT_FOUND)
        try:
            now = services.execution_cancel(execution_id=execution_id, actor_id=owner_id)
        except ExecutionAlreadyFinished as error:
            return Response({"detail": str(error)}, status=status.HTTP_409_CONFLICT)
        code = status.HTTP_200_OK if now == "cancelled" else status.HTTP_202_ACCEPTED
        return Response({"id": execution_id, "status": now}, status=code)
