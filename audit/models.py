"""One row per security-relevant action. Never updated or deleted (see audit/sql/audit.sql)."""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    WORKFLOW_CREATE = "workflow_create"
    WORKFLOW_UPDATE = "workflow_update"
    WORKFLOW_DELETE = "workflow_delete"
    EXECUTION_START = "execution_start"
    EXECUTION_CANCEL = "execution_cancel"
    PAUSE_RESUME = "pause_resume"
    SECRET_ACCESS = "secret_access"
    ROLE_CHANGE = "role_change"
    DATA_EXPORT = "data_export"
    DATA_DELETE = "data_delete"


class AuditLog(models.Model):
    # Plain ids, not foreign keys: deleting a user must not rewrite (or cascade into) the trail.
    id = models.BigAutoField(primary_key=True)
    created_at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=32, choices=AuditAction.choices)
    actor_id = models.BigIntegerField(null=True, blank=True)
    subject_user_id = models.BigIntegerField(null=True, blank=True)
    target_type = models.CharField(max_length=64, blank=True, default="")
    target_id = models.CharField(max_length=255, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "audit_logs"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(action__in=[action.value for action in AuditAction]),
                name="audit_action_valid",
            ),
        ]
        indexes = [models.Index(fields=["actor_id", "created_at"], name="audit_by_actor")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action} by {self.actor_id}"
