"""Registers the nightly audit export with django-celery-beat (after the day has closed)."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_migrate

from database.schedule import register_nightly_jobs

NIGHTLY_JOBS = {"zzyra: export yesterday's audit trail": ("audit.export_previous_day", 0, 40)}


def _register(**_: Any) -> None:
    register_nightly_jobs(NIGHTLY_JOBS)


def connect(sender: Any) -> None:
    post_migrate.connect(_register, sender=sender, dispatch_uid="zzyra.audit.nightly_jobs")
