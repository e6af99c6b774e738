"""Operators' view of pauses: filters for what is pending, and actions that decide approvals
and resume held executions through the same services as the API (never by editing rows)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from pauses import services
from pauses.exceptions import PauseError
from pauses.models import ExternalEvent, WorkflowPause


class _ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PauseStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", "pending"), ("resumed", "resumed")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "open":
            return queryset.filter(resumed_at__isnull=True)
        if self.value() == "resumed":
            return queryset.filter(resumed_at__isnull=False)
        return queryset


class PauseInline(_ReadOnly, admin.TabularInline):
    """On the execution page: who resumed what, when and how."""

    model = WorkflowPause
    fk_name = "execution"
    fields = (
        "id",
        "node_id",
        "kind",
        "reason",
        "created_at",
        "resume_at",
        "expires_at",
        "decision",
        "resumed_at",
        "resumed_by",
        "resumed_via",
    )
    readonly_fields = fields
    extra = 0
    show_change_link = True


@admin.register(WorkflowPause)
class WorkflowPauseAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = (
        "id",
        "execution",
        "node_id",
        "kind",
        "state",
        "reason",
        "created_at",
        "resume_at",
        "expires_at",
        "decision",
        "resumed_at",
        "resumed_by",
        "resumed_via",
    )
    list_filter = (PauseStateFilter, "kind", "decision", "resumed_via", "created_at")
    search_fields = ("=id", "execution__id", "node_id", "event_key", "reason")
    raw_id_fields = ("execution", "node_execution", "created_by", "resumed_by")
    date_hierarchy = "created_at"
    actions = ["approve", "reject", "resume"]

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    @admin.display(description="state")
    def state(self, pause: WorkflowPause) -> str:
        return "pending" if pause.is_open else "resumed"

    @admin.action(description="Approve selected pending approvals")
    def approve(self, request: HttpRequest, queryset: QuerySet[WorkflowPause]) -> None:
        self._each(request, queryset, lambda pause, actor, operator: services.pause_decide(
            pause_id=pause.id, approve=True, actor_id=actor, via="admin", operator=operator
        ))  # fmt: skip

    @admin.action(description="Reject selected pending approvals")
    def reject(self, request: HttpRequest, queryset: QuerySet[WorkflowPause]) -> None:
        self._each(request, queryset, lambda pause, actor, operator: services.pause_decide(
            pause_id=pause.id, approve=False, actor_id=actor, via="admin", operator=operator
        ))  # fmt: skip

    @admin.action(description="Resume selected paused executions (operator pauses)")
    def resume(self, request: HttpRequest, queryset: QuerySet[WorkflowPause]) -> None:
        self._each(request, queryset, lambda pause, actor, operator: services.pause_resume(
            pause_id=pause.id, actor_id=actor, via="admin", operator=operator
        ))  # fmt: skip

    def _each(self, request: HttpRequest, queryset: QuerySet[WorkflowPause], act: Any) -> None:
        # A superuser acts as an operator; other staff follow the approvers rule.
        actor = request.user.pk
        operator = bool(getattr(request.user, "is_superuser", False))
        done = 0
        for pause in queryset.order_by("id"):
            try:
                act(pause, actor, operator)
                done += 1
            except PauseError as error:
                self.message_user(request, str(error), level=messages.ERROR)
        if done:
            self.message_user(request, f"{done} pause{'s' if done != 1 else ''} resumed")


@admin.register(ExternalEvent)
class ExternalEventAdmin(_ReadOnly, admin.ModelAdmin):
    list_display = ("id", "owner", "key", "received_at", "consumed_at", "payload_excerpt")
    list_filter = ("received_at",)
    search_fields = ("key",)
    raw_id_fields = ("owner",)

    @admin.display(description="payload")
    def payload_excerpt(self, event: ExternalEvent) -> str:
        return json.dumps(event.payload)[:120]
