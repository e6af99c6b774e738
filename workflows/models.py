"""Workflows and their immutable versions. An execution is pinned to one version."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Workflow(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workflows"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "workflows"
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "name"], name="workflow_name_unique_per_owner"
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def latest_version(self) -> WorkflowVersion | None:
        return self.versions.order_by("-number").first()


class ImmutableVersion(Exception):
    pass


class WorkflowVersion(models.Model):
    """A saved graph. Never changed after creation: editing a workflow adds a version."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    graph = models.JSONField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "workflow_versions"
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "number"], name="workflow_version_number_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="workflow_version_number_positive"
            ),
        ]
        ordering = ["workflow", "-number"]

    def __str__(self) -> str:
        return f"{self.workflow_id} v{self.number}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ImmutableVersion("workflow versions are immutable; save a new version instead")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
