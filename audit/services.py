"""Writing audit records. Every security-relevant action calls `audit_record` once."""

from __future__ import annotations

from typing import Any

from psycopg.types.json import Jsonb

from audit.models import AuditAction
from audit.sqlfile import sql


def audit_record(
    *,
    action: AuditAction,
    actor_id: int | None,
    target_type: str = "",
    target_id: Any = "",
    subject_user_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Appends one record in the caller's transaction (so it commits or rolls back with the
    action it describes). `actor_id` is who acted; None for an anonymous or failed login."""
    if action not in AuditAction.values:
        raise ValueError(f"unknown audit action {action!r}")
    sql.execute(
        "audit_insert",
        action=str(action),
        actor_id=actor_id,
        subject_user_id=subject_user_id,
        target_type=target_type,
        target_id=str(target_id) if target_id is not None else "",
        detail=Jsonb(detail or {}),
    )
