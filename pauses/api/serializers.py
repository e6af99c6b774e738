from __future__ import annotations

from rest_framework import serializers

from pauses.models import WorkflowPause


class PauseSerializer(serializers.ModelSerializer):
    """A pause as an approver or the execution's owner sees it: what waits, on what, and who
    resumed it, when, how and with which decision."""

    state = serializers.SerializerMethodField()
    resumed_by = serializers.CharField(source="resumed_by.username", default=None)
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = WorkflowPause
        fields = [
            "id",
            "execution",
            "node_id",
            "kind",
            "state",
            "reason",
            "context",
            "approvers",
            "event_key",
            "created_by",
            "created_at",
            "resume_at",
            "expires_at",
            "resumed_at",
            "resumed_by",
            "resumed_via",
            "decision",
            "resume_data",
        ]

    def get_state(self, pause: WorkflowPause) -> str:
        return "open" if pause.is_open else "resumed"


class ExecutionPauseSummarySerializer(PauseSerializer):
    """For the execution view: the same fields without the execution (the view is it)."""

    class Meta(PauseSerializer.Meta):
        fields = [field for field in PauseSerializer.Meta.fields if field != "execution"]


class DecisionSerializer(serializers.Serializer):
    """{"data": any JSON}. Declared in get_fields: `data` is also the Serializer's property."""

    def get_fields(self) -> dict[str, serializers.Field]:
        return {"data": serializers.JSONField(required=False, default=None)}


class EventSerializer(serializers.Serializer):
    key = serializers.CharField(max_length=255)
    payload = serializers.JSONField(required=False, default=None)


class ExecutionPauseSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
