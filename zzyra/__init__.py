"""Zzyra: durable workflow execution on Django, Celery and PostgreSQL."""

from zzyra.celery import app as celery_app

__all__ = ["celery_app"]
