"""Audit records for actions that Django or the ORM announce by signal.

Logins, logouts and failed logins come from django.contrib.auth; role changes (staff or
superuser flags, groups, permissions) from saves of the user model; workflow lifecycle from
its model, so no path that creates or deletes one can skip the trail. Executions are started in
one place, executions.services.execution_start, which writes its audit record itself.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.dispatch import receiver

from audit.models import AuditAction
from audit.services import audit_record
from database.acting import acting_user_id
from workflows.models import Workflow

User = get_user_model()
ROLE_FIELDS = ("is_staff", "is_superuser", "is_active")


def _ip(request: Any) -> str:
    return str(getattr(request, "META", {}).get("REMOTE_ADDR", "")) if request else ""


@receiver(user_logged_in, dispatch_uid="audit.login")
def _login(sender: Any, request: Any, user: Any, **_: Any) -> None:
    audit_record(
        action=AuditAction.LOGIN,
        actor_id=user.pk,
        target_type="user",
        target_id=user.pk,
        detail={"ip": _ip(request)},
    )


@receiver(user_logged_out, dispatch_uid="audit.logout")
def _logout(sender: Any, request: Any, user: Any, **_: Any) -> None:
    if user is not None:
        audit_record(
            action=AuditAction.LOGOUT, actor_id=user.pk, target_type="user", target_id=user.pk
        )


@receiver(user_login_failed, dispatch_uid="audit.login_failed")
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **_: Any) -> None:
    # Django already masks secrets in `credentials`; keep only the name that was tried.
    audit_record(
        action=AuditAction.LOGIN_FAILED,
        actor_id=None,
        detail={"username": str(credentials.get("username", "")), "ip": _ip(request)},
    )


@receiver(pre_save, sender=User, dispatch_uid="audit.role_before")
def _remember_roles(sender: Any, instance: Any, **_: Any) -> None:
    if instance.pk is None:
        instance._audit_roles_before = None
        return
    before = sender._default_manager.filter(pk=instance.pk).values(*ROLE_FIELDS).first()
    instance._audit_roles_before = before


@receiver(post_save, sender=User, dispatch_uid="audit.role_after")
def _role_saved(sender: Any, instance: Any, created: bool, **_: Any) -> None:
    before = getattr(instance, "_audit_roles_before", None)
    after = {field: getattr(instance, field) for field in ROLE_FIELDS}
    if created:
        changed = {field: value for field, value in after.items() if field != "is_active" and value}
    else:
        changed = {
            field: value for field, value in after.items() if before and before[field] != value
        }
    if changed:
        audit_record(
            action=AuditAction.ROLE_CHANGE,
            actor_id=acting_user_id(),
            subject_user_id=instance.pk,
            target_type="user",
            target_id=instance.pk,
            detail=changed,
        )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit.groups")
@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="audit.permissions")
def _memberships_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **_: Any
) -> None:
    if action not in {"post_add", "post_remove", "post_clear"}:
        return
    relation = "groups" if sender is User.groups.through else "permissions"
    users = sorted(pk_set or []) if reverse else [instance.pk]
    for user_id in users:
        audit_record(
            action=AuditAction.ROLE_CHANGE,
            actor_id=acting_user_id(),
            subject_user_id=user_id,
            target_type="user",
            target_id=user_id,
            detail={relation: action.removeprefix("post_"), "ids": sorted(pk_set or [])},
        )


@receiver(post_save, sender=Workflow, dispatch_uid="audit.workflow_saved")
def _workflow_saved(sender: Any, instance: Workflow, created: bool, **_: Any) -> None:
    audit_record(
        action=AuditAction.WORKFLOW_CREATE if created else AuditAction.WORKFLOW_UPDATE,
        actor_id=acting_user_id() or instance.owner_id,
        subject_user_id=instance.owner_id,
        target_type="workflow",
        target_id=instance.pk,
        detail={"name": instance.name},
    )


@receiver(post_delete, sender=Workflow, dispatch_uid="audit.workflow_deleted")
def _workflow_deleted(sender: Any, instance: Workflow, **_: Any) -> None:
    audit_record(
        action=AuditAction.WORKFLOW_DELETE,
        actor_id=acting_user_id() or instance.owner_id,
        subject_user_id=instance.owner_id,
        target_type="workflow",
        target_id=instance.pk,
        detail={"name": instance.name},
    )
