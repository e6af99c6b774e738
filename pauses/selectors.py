"""Reads of the pause ledger, scoped to the acting user where a person asks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from pauses.models import PauseKind, WorkflowPause


def _user_groups(user_id: int) -> list[str]:
    return list(get_user_model().objects.filter(pk=user_id).values_list("groups__name", flat=True))


def _visible_to(user_id: int) -> Q:
    """Pauses of the user's own executions, and approvals that list the user or a group."""
    visible = Q(owner_id=user_id) | Q(kind=PauseKind.APPROVAL, approvers__users__contains=[user_id])
    for group in filter(None, _user_groups(user_id)):
        visible |= Q(kind=PauseKind.APPROVAL, approvers__groups__contains=[group])
    return visible


def pause_list(
    *, user_id: int, state: str = "open", kind: str | None = None, execution_id: Any = None
) -> QuerySet[WorkflowPause]:
    """The pauses a user may see: `open` (pending, the default), `resumed`, or `all`."""
    # No join to the execution: an approver may not see it (row-level security).
    pauses = WorkflowPause.objects.filter(_visible_to(user_id)).select_related(
        "resumed_by", "created_by"
    )
    if state == "open":
        pauses = pauses.filter(resumed_at__isnull=True)
    elif state == "resumed":
        pauses = pauses.filter(resumed_at__isnull=False)
    if kind:
        pauses = pauses.filter(kind=kind)
    if execution_id:
        pauses = pauses.filter(execution_id=execution_id)
    return pauses


def pause_get(*, pause_id: Any, user_id: int | None = None) -> WorkflowPause:
    """One pause; with user_id, only one that user may see (DoesNotExist otherwise)."""
    pauses = WorkflowPause.objects.select_related("resumed_by", "created_by")
    if user_id is not None:
        pauses = pauses.filter(_visible_to(user_id))
    return pauses.get(id=pause_id)


def pause_may_decide(pause: WorkflowPause, user_id: int) -> bool:
    if pause.owner_id == user_id:
        return True
    approvers = pause.approvers or {}
    if user_id in (approvers.get("users") or []):
        return True
    groups = set(approvers.get("groups") or [])
    return bool(groups) and bool(groups.intersection(_user_groups(user_id)))


def pauses_for_execution(*, execution_id: Any) -> QuerySet[WorkflowPause]:
    return (
        WorkflowPause.objects.filter(execution_id=execution_id)
        .select_related("resumed_by", "created_by")
        .order_by("created_at", "id")
    )


def pauses_due(*, now: datetime, limit: int) -> list[int]:
    """Open pauses whose timer is due or whose wait has expired, oldest first."""
    due = WorkflowPause.objects.filter(resumed_at__isnull=True).filter(
        Q(resume_at__lte=now) | Q(expires_at__lte=now)
    )
    return list(due.order_by("created_at").values_list("id", flat=True)[:limit])
