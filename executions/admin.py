"""Operators' view of the ledger. Read-only: statuses change only through transitions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from executions.models import ExecutionLog, NodeExecution, NodeLog, WorkflowExecution
from pauses.admin import PauseInline


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class NodeExecutionInline(admin.TabularInline):
    model = NodeExecution
    fields = (
        "node_id",
        "node_type",
        "status",
        "attempt",
        "retry_count",
        "started_at",
        "duration_ms",
        "worker",
        "error",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ExecutionLogInline(admin.TabularInline):
    model = ExecutionLog
    fields = ("created_at", "level", "event", "message")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WorkflowExecution)
class WorkflowExecutionAdmin(ReadOnlyAdmin):
    list_display = ("id", "workflow", "status", "trigger", "created_at", "duration_ms")
    list_filter = ("status", "trigger", "created_at")
    search_fields = ("id", "workflow__name", "owner__username", "idempotency_key")
    date_hierarchy = "created_at"
    list_select_related = ("workflow",)
    inlines = [NodeExecutionInline, PauseInline, ExecutionLogInline]


@admin.register(NodeExecution)
class NodeExecutionAdmin(ReadOnlyAdmin):
    list_display = ("node_id", "execution", "node_type", "status", "attempt", "queue", "updated_at")
    list_filter = ("status", "node_type", "queue")
    search_fields = ("node_id", "execution__id", "worker")
    raw_id_fields = ("execution",)


@admin.register(NodeLog)
class NodeLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "execution_id", "node_id", "attempt", "level", "message")
    list_filter = ("level",)
    search_fields = ("node_id", "message")
    raw_id_fields = ("execution",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
