"""Workflow endpoints: thin, each one call into services or selectors."""

from __future__ import annotations

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from workflows import selectors, services
from workflows.api.serializers import (
    WorkflowInputSerializer,
    WorkflowOutputSerializer,
    WorkflowUpdateSerializer,
)
from workflows.exceptions import InvalidGraph, WorkflowNameTaken
from workflows.models import Workflow
from zzyra.api import acting_user_id


def graph_errors_response(error: InvalidGraph) -> Response:
    return Response(
        {"detail": "the graph is invalid", "errors": [item.as_dict() for item in error.errors]},
        status=status.HTTP_400_BAD_REQUEST,
    )


def name_taken_response(error: WorkflowNameTaken) -> Response:
    return Response({"detail": str(error), "field": "name"}, status=status.HTTP_409_CONFLICT)


class WorkflowListCreateApi(APIView):
    def get(self, request: Request) -> Response:
        workflows = selectors.workflow_list(owner_id=acting_user_id(request))
        return Response(WorkflowOutputSerializer(workflows, many=True).data)

    def post(self, request: Request) -> Response:
        serializer = WorkflowInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            workflow = services.workflow_create(
                owner_id=acting_user_id(request), **serializer.validated_data
            )
        except InvalidGraph as error:
            return graph_errors_response(error)
        except WorkflowNameTaken as error:
            return name_taken_response(error)
        return Response(WorkflowOutputSerializer(workflow).data, status=status.HTTP_201_CREATED)


class WorkflowDetailApi(APIView):
    def get(self, request: Request, workflow_id: str) -> Response:
        workflow = _get_or_404(request, workflow_id)
        if workflow is None:
            return _not_found()
        return Response(WorkflowOutputSerializer(workflow).data)

    def put(self, request: Request, workflow_id: str) -> Response:
        return self.patch(request, workflow_id)

    def patch(self, request: Request, workflow_id: str) -> Response:
        workflow = _get_or_404(request, workflow_id)
        if workflow is None:
            return _not_found()
        serializer = WorkflowUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            updated, _ = services.workflow_update(
                workflow=workflow, actor_id=acting_user_id(request), **serializer.validated_data
            )
        except InvalidGraph as error:
            return graph_errors_response(error)
        except WorkflowNameTaken as error:
            return name_taken_response(error)
        return Response(WorkflowOutputSerializer(updated).data)


def _get_or_404(request: Request, workflow_id: str) -> Workflow | None:
    try:
        return selectors.workflow_get(owner_id=acting_user_id(request), workflow_id=workflow_id)
    except Workflow.DoesNotExist:
        return None


def _not_found() -> Response:
    return Response({"detail": "no such workflow"}, status=status.HTTP_404_NOT_FOUND)
