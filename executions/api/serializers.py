from __future__ import annotations

from typing import Any

from rest_framework import serializers

from executions.models import NodeExecution, WorkflowExecution
from executions.selectors import node_output


class ExecutionStartSerializer(serializers.Serializer):
    input = serializers.JSONField(required=False, default=dict)


class NodeExecutionSerializer(serializers.ModelSerializer):
    output = serializers.SerializerMethodField()

    class Meta:
        model = NodeExecution
        fields = [
            "node_id",
            "node_type",
            "status",
            "attempt",
            "retry_count",
            "max_attempts",
            "started_at",
            "completed_at",
            "duration_ms",
            "error",
            "worker",
            "output",
        ]

    def get_output(self, node: NodeExecution) -> Any:
        return node_output(node)


class ExecutionSummarySerializer(serializers.ModelSerializer):
    workflow_name = serializers.CharField(source="workflow.name", read_only=True)
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = WorkflowExecution
        fields = [
            "id",
            "workflow",
            "workflow_name",
            "version",
            "status",
            "trigger",
            "idempotency_key",
            "input",
            "output",
            "error",
            "created_at",
            "started_at",
            "completed_at",
            "duration_ms",
        ]


class ExecutionDetailSerializer(ExecutionSummarySerializer):
    nodes = NodeExecutionSerializer(many=True, read_only=True)
    # Every wait of the run: what it waited on, who resumed it, when, how and with what.
    pauses = serializers.SerializerMethodField()

    class Meta(ExecutionSummarySerializer.Meta):
        fields = [*ExecutionSummarySerializer.Meta.fields, "nodes", "pauses"]

    def get_pauses(self, execution: WorkflowExecution) -> list[dict[str, Any]]:
        from pauses.api.serializers import ExecutionPauseSummarySerializer
        from pauses.selectors import pauses_for_execution

        pauses = pauses_for_execution(execution_id=execution.id)
        return list(ExecutionPauseSummarySerializer(pauses, many=True).data)
