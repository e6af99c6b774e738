"""The audit trail: security-relevant actions are recorded, the database refuses to change
or remove a record, and the nightly export is deterministic and idempotent."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import DatabaseError, connection, transaction
from django.test import Client

from audit.export import AuditExportConflict, audit_export_day, audit_export_name
from audit.models import AuditAction, AuditLog
from executions.services import execution_start
from tests.graphs import chain
from workflows.services import workflow_create, workflow_update

pytestmark = pytest.mark.django_db


def actions() -> list[str]:
    return list(AuditLog.objects.order_by("id").values_list("action", flat=True))


@pytest.fixture
def user() -> Any:
    return get_user_model().objects.create_user(username="ada", password="correct horse")


def test_workflow_and_execution_lifecycle_is_recorded(user: Any) -> None:
    workflow = workflow_create(owner_id=user.pk, name="w", graph=chain(1))
    workflow_update(workflow=workflow, actor_id=user.pk, name="renamed")
    execution, _ = execution_start(owner_id=user.pk, workflow=workflow)
    unused = workflow_create(owner_id=user.pk, name="unused", graph=chain(1))
    unused_id = str(unused.pk)
    unused.delete()

    records = list(AuditLog.objects.order_by("id").values("action", "actor_id", "target_id"))
    workflow_id = str(workflow.pk)
    assert records == [
        {"action": "workflow_create", "actor_id": user.pk, "target_id": workflow_id},
        {"action": "workflow_update", "actor_id": user.pk, "target_id": workflow_id},
        {"action": "execution_start", "actor_id": user.pk, "target_id": str(execution.pk)},
        {"action": "workflow_create", "actor_id": user.pk, "target_id": unused_id},
        {"action": "workflow_delete", "actor_id": user.pk, "target_id": unused_id},
    ]


def test_logins_failed_logins_and_role_changes_are_recorded(user: Any) -> None:
    client = Client()
    assert client.login(username="ada", password="correct horse")
    assert not client.login(username="ada", password="wrong")
    user.is_staff = True
    user.save()
    user.groups.add(Group.objects.create(name="operators"))

    assert actions()[-4:] == ["login", "login_failed", "role_change", "role_change"]
    failed = AuditLog.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.actor_id is None
    assert failed.detail["username"] == "ada"
    assert "wrong" not in json.dumps(failed.detail)


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_logs SET action = 'logout'", "DELETE FROM audit_logs", "TRUNCATE audit_logs"],
)
def test_the_database_refuses_to_change_or_remove_records(user: Any, statement: str) -> None:
    workflow_create(owner_id=user.pk, name="w", graph=chain(1))
    # The test runner connects as the owner (a superuser here): even it is refused.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement)
    assert AuditLog.objects.count() == 1


def test_a_setting_alone_does_not_open_the_maintenance_path(user: Any) -> None:
    workflow_create(owner_id=user.pk, name="w", graph=chain(1))
    # The application role lacks the privilege, and the trigger would refuse it anyway.
    with (
        pytest.raises(DatabaseError, match=r"permission denied|append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL ROLE zzyra_app")
        cursor.execute("SET LOCAL zzyra.audit_maintenance = 'on'")
        cursor.execute("DELETE FROM audit_logs")


def test_replica_identity_is_full() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relreplident FROM pg_class WHERE relname = 'audit_logs'")
        assert cursor.fetchone()[0] == "f"


def test_the_export_is_compressed_json_lines_with_a_checksum_and_idempotent(
    user: Any, tmp_path: Path
) -> None:
    workflow_create(owner_id=user.pk, name="w", graph=chain(1))
    storage = FileSystemStorage(location=tmp_path)
    today = datetime.now(UTC).date()

    first = audit_export_day(day=today, storage=storage)
    again = audit_export_day(day=today, storage=storage)

    assert first.written and not again.written
    assert first.checksum == again.checksum
    archive = tmp_path / audit_export_name(today)
    content = archive.read_bytes()
    assert hashlib.sha256(content).hexdigest() == first.checksum
    assert (tmp_path / f"{audit_export_name(today)}.sha256").read_text().startswith(first.checksum)
    lines = [json.loads(line) for line in gzip.decompress(content).decode().splitlines()]
    assert [line["action"] for line in lines] == ["workflow_create"]
    assert lines[0]["actor_id"] == user.pk
    # Nothing of another day is in it.
    yesterday = audit_export_day(day=today - timedelta(days=1), storage=storage)
    assert yesterday.records == 0


def test_an_export_that_no_longer_matches_the_trail_is_refused(user: Any, tmp_path: Path) -> None:
    workflow_create(owner_id=user.pk, name="w", graph=chain(1))
    storage = FileSystemStorage(location=tmp_path)
    today = datetime.now(UTC).date()
    storage.save(audit_export_name(today), ContentFile(b"tampered"))

    with pytest.raises(AuditExportConflict):
        audit_export_day(day=today, storage=storage)
    assert (tmp_path / audit_export_name(today)).read_bytes() == b"tampered"
