from __future__ import annotations

from typing import Any

from rest_framework import serializers

from workflows.models import Workflow


class WorkflowInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    # Validated in depth by workflows.graph, which reports every problem at once.
    graph = serializers.JSONField()


class WorkflowUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    graph = serializers.JSONField(required=False)


class WorkflowOutputSerializer(serializers.ModelSerializer):
    version = serializers.SerializerMethodField()
    graph = serializers.SerializerMethodField()

    class Meta:
        model = Workflow
        fields = ["id", "name", "description", "version", "graph", "created_at", "updated_at"]

    def _latest(self, workflow: Workflow) -> Any:
        cache = self.context.setdefault("latest_versions", {})
        if workflow.pk not in cache:
            cache[workflow.pk] = workflow.latest_version()
        return cache[workflow.pk]

    def get_version(self, workflow: Workflow) -> int | None:
        latest = self._latest(workflow)
        return latest.number if latest else None

    def get_graph(self, workflow: Workflow) -> Any:
        latest = self._latest(workflow)
        return latest.graph if latest else None
