"""Row-level security: the database itself keeps tenants apart.

Every table is either under forced RLS or on a short, justified allow-list (read from the
catalog, so a new table cannot slip through). As `anon` (no acting user) the application role
sees and changes nothing; as user B it cannot read, update or delete user A's rows, through
raw SQL or through the API; staff read everything through explicit policies, not a bypass.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import uuid4

import pytest
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditLog
from database.roles import APP_ROLE, MAINTENANCE_ROLE
from executions.engine import node_run
from executions.models import WorkflowExecution
from executions.services import execution_start
from pauses.models import WorkflowPause
from pauses.services import pause_decide
from tests.graphs import chain, edge, graph, transform
from workflows.models import Workflow
from workflows.services import workflow_create

pytestmark = pytest.mark.django_db

# Tables without RLS, each with the reason it holds no tenant or user data.
ALLOWED_WITHOUT_RLS = {
    "django_migrations": "the schema's migration history",
    "django_content_type": "the list of installed models",
    "auth_permission": "the list of permissions models define",
    "auth_group": "group names, configured by operators",
    "auth_group_permissions": "which permissions a group grants",
    "django_celery_beat_periodictask": "the maintenance schedule (no tenant data)",
    "django_celery_beat_periodictasks": "the schedule's change marker",
    "django_celery_beat_intervalschedule": "schedule intervals",
    "django_celery_beat_crontabschedule": "schedule crontabs",
    "django_celery_beat_solarschedule": "schedule solar events",
    "django_celery_beat_clockedschedule": "schedule clock times",
}
# Tenant tables whose rows belong to the owner of an execution (pauses and secrets join this
# list when their tables exist).
TENANT_TABLES = [
    "workflows",
    "workflow_versions",
    "workflow_executions",
    "node_executions",
    "node_inputs",
    "node_outputs",
    "execution_logs",
    "node_logs",
    "workflow_pauses",
    "secrets",
]


def tables_without_forced_rls() -> dict[str, tuple[bool, bool]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c"
            " JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
            " AND NOT (c.relrowsecurity AND c.relforcerowsecurity)"
        )
        return {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}


def existing(tables: list[str]) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s)", [tables])
        found = {row[0] for row in cursor.fetchall()}
    return [table for table in tables if table in found]


def test_every_table_has_forced_rls_or_a_reason_not_to() -> None:
    unprotected = tables_without_forced_rls()
    slipped_through = sorted(set(unprotected) - set(ALLOWED_WITHOUT_RLS))
    assert slipped_through == [], (
        f"tables without forced row-level security: {slipped_through}; enable and force RLS"
        " with policies in a SQL migration, or justify them in ALLOWED_WITHOUT_RLS"
    )


def test_the_application_role_owns_nothing_and_cannot_bypass_rls() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolname, rolsuper, rolbypassrls, rolcanlogin,"
            " (SELECT count(*) FROM pg_class WHERE relowner = r.oid)"
            " FROM pg_roles r WHERE rolname = ANY(%s) ORDER BY rolname",
            [[APP_ROLE, MAINTENANCE_ROLE]],
        )
        roles = cursor.fetchall()
    assert roles == [
        (APP_ROLE, False, False, False, 0),
        (MAINTENANCE_ROLE, False, False, False, 0),
    ]


@pytest.fixture
def alice() -> Any:
    return get_user_model().objects.create_user(username="alice")


@pytest.fixture
def bob() -> Any:
    return get_user_model().objects.create_user(username="bob")


@pytest.fixture
def alices_execution(alice: Any) -> WorkflowExecution:
    """A workflow of Alice's with one execution, its nodes, input, output and logs."""
    workflow = workflow_create(owner_id=alice.pk, name="payroll", graph=chain(2))
    execution, _ = execution_start(owner_id=alice.pk, workflow=workflow, input={"x": 1})
    node = execution.nodes.order_by("-id").first()  # the last node: the engine test runs the root
    assert node is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO node_inputs (node_execution_id, attempt, config, parents, created_at)"
            " VALUES (%s, 1, '{}', '{}', now())",
            [node.pk],
        )
        cursor.execute(
            "INSERT INTO node_outputs (node_execution_id, attempt, output, created_at)"
            " VALUES (%s, 1, '{\"salary\": 1}', now())",
            [node.pk],
        )
        cursor.execute(
            "INSERT INTO node_logs (execution_id, node_id, attempt, created_at, level, message)"
            " VALUES (%s, %s, 1, now(), 'info', 'secret line')",
            [execution.pk, node.node_id],
        )
    return execution


@pytest.fixture
def as_app_role() -> Iterator[Any]:
    """`as_app_role(user_id)` makes the rest of the test run as the application role, acting
    as `user_id` (None: anonymous), as middleware and tasks do. Set up data before calling it."""

    def act(user_id: int | None) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {APP_ROLE}")
            cursor.execute("SELECT set_config('zzyra.user_id', %s, true)", [str(user_id or "")])

    yield act
    # The test's transaction is rolled back, which also ends the SET LOCAL ROLE.


def visible_rows(tables: list[str]) -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")  # names come from this module
            counts[table] = int(cursor.fetchone()[0])
    return counts


def changed_rows(statement: str) -> int:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.rowcount


def test_anon_sees_and_changes_nothing(alices_execution: Any, as_app_role: Any) -> None:
    as_app_role(None)
    tables = [*existing(TENANT_TABLES), "auth_user", "authtoken_token", "django_session"]
    assert visible_rows(tables) == dict.fromkeys(tables, 0)
    assert changed_rows("UPDATE workflows SET name = 'mine'") == 0
    assert changed_rows("UPDATE workflow_executions SET status = 'cancelled'") == 0
    assert changed_rows("DELETE FROM node_executions") == 0
    assert changed_rows("DELETE FROM auth_user") == 0
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Workflow.objects.create(owner_id=alices_execution.owner_id, name="planted")


def test_user_b_cannot_read_update_or_delete_user_as_rows_with_raw_sql(
    alices_execution: Any, bob: Any, as_app_role: Any
) -> None:
    tables = existing(TENANT_TABLES)
    as_app_role(alices_execution.owner_id)
    populated = [table for table in tables if table not in ("workflow_pauses", "secrets")]
    assert all(visible_rows(populated).values()), "Alice sees her own rows"

    as_app_role(bob.pk)
    assert visible_rows(tables) == dict.fromkeys(tables, 0)
    for table in tables:
        assert changed_rows(f"DELETE FROM {table}") == 0
    assert changed_rows("UPDATE workflows SET name = 'stolen'") == 0
    assert changed_rows("UPDATE workflow_executions SET status = 'cancelled'") == 0
    assert changed_rows("UPDATE node_outputs SET output = '{}'") == 0
    # A query that forgets its owner filter still stays inside Bob's rows.
    assert list(Workflow.objects.all()) == []
    assert AuditLog.objects.filter(actor_id=alices_execution.owner_id).count() == 0
    # Nor can Bob write a row into Alice's tenancy.
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
        Workflow.objects.create(owner_id=alices_execution.owner_id, name="planted")

    as_app_role(alices_execution.owner_id)
    assert Workflow.objects.get().name == "payroll"


def test_user_b_gets_404_for_user_as_workflow_and_execution_through_the_api(
    alices_execution: Any, bob: Any, as_app_role: Any
) -> None:
    token = Token.objects.create(user=bob).key
    as_app_role(None)  # the request authenticates and acts as Bob by itself
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    workflow_id = alices_execution.workflow_id

    assert client.get("/api/workflows/").json() == []
    assert client.get(f"/api/workflows/{workflow_id}/").status_code == 404
    assert (
        client.patch(f"/api/workflows/{workflow_id}/", {"name": "x"}, format="json").status_code
        == 404
    )
    assert client.get(f"/api/executions/{alices_execution.pk}/").status_code == 404
    assert client.get("/api/executions/").json()["results"] == []
    assert client.post(f"/api/workflows/{workflow_id}/executions/", {}).status_code == 404

    as_app_role(alices_execution.owner_id)
    assert Workflow.objects.get().name == "payroll"


def test_a_token_request_acts_as_its_user_under_rls(alice: Any, as_app_role: Any) -> None:
    token = Token.objects.create(user=alice).key
    as_app_role(None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")

    created = client.post("/api/workflows/", {"name": "mine", "graph": chain(1)}, format="json")

    assert created.status_code == 201, created.json()
    assert [item["name"] for item in client.get("/api/workflows/").json()] == ["mine"]
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get("/api/workflows/").status_code == 401


def test_staff_read_through_an_explicit_policy_but_cannot_write(
    alices_execution: Any, as_app_role: Any
) -> None:
    operator = get_user_model().objects.create_user(username="operator", is_staff=True)
    as_app_role(operator.pk)
    assert WorkflowExecution.objects.filter(pk=alices_execution.pk).exists()
    assert changed_rows("UPDATE workflows SET name = 'renamed by staff'") == 0
    assert changed_rows("DELETE FROM workflow_executions") == 0


def test_the_maintenance_role_reads_the_ledger_but_not_workflows_or_users(
    alices_execution: Any,
) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {MAINTENANCE_ROLE}")
        cursor.execute("SELECT count(*) FROM node_executions")
        assert cursor.fetchone()[0] == 2
        for forbidden in ("SELECT count(*) FROM workflows", "SELECT count(*) FROM auth_user"):
            with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
                cursor.execute(forbidden)
        with pytest.raises(DatabaseError, match="permission denied"), transaction.atomic():
            cursor.execute("DELETE FROM node_executions")


def test_the_engine_runs_a_node_as_the_executions_owner_under_rls(
    alices_execution: Any, bob: Any, as_app_role: Any
) -> None:
    from executions.engine import node_run

    root = alices_execution.nodes.get(unfinished_parents=0)
    # Due before this test's transaction began (now() is the transaction's start time).
    alices_execution.nodes.filter(pk=root.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=1)
    )
    # The last node holds the fixture's seeded output: keep the engine from running it next.
    alices_execution.nodes.exclude(pk=root.pk).update(status="skipped")
    as_app_role(bob.pk)  # whatever the connection acted as before, the engine acts as Alice

    outcome = node_run(execution_id=str(alices_execution.pk), node_id=root.node_id, attempt=1)

    assert outcome == "succeeded"
    as_app_role(alices_execution.owner_id)
    assert alices_execution.nodes.get(pk=root.pk).status == "succeeded"
    # A message naming no execution acts as nobody and finds nothing.
    assert node_run(execution_id=str(uuid4()), node_id=root.node_id, attempt=1) == "unknown"


def test_an_operator_logs_into_the_admin_and_reads_every_tenant_under_rls(
    alices_execution: Any, as_app_role: Any
) -> None:
    get_user_model().objects.create_user(
        username="operator", password="long enough password", is_staff=True, is_superuser=True
    )
    as_app_role(None)  # from here on, sessions, users and logins go through RLS
    client = Client()

    refused = client.post(
        "/admin/login/", {"username": "operator", "password": "wrong", "next": "/admin/"}
    )
    assert refused.status_code == 200  # the form again, with an error
    logged_in = client.post(
        "/admin/login/",
        {"username": "operator", "password": "long enough password", "next": "/admin/"},
    )
    assert logged_in.status_code == 302, logged_in.content[:500]

    listing = client.get("/admin/workflows/workflow/")
    assert listing.status_code == 200
    assert b"payroll" in listing.content  # Alice's workflow, through the operator policy
    assert client.get("/admin/audit/auditlog/").status_code == 200


def test_an_approver_who_is_not_the_owner_decides_under_rls(
    alice: Any, bob: Any, as_app_role: Any
) -> None:
    """The resume writes Alice's ledger as Alice; the audit record of Bob's decision is Bob's."""
    approval = {
        "id": "approve",
        "type": "approval",
        "data": {"config": {"message": "Pay?", "approvers": [bob.pk]}},
    }

    workflow = workflow_create(
        owner_id=alice.pk,
        name="pay",
        graph=graph(
            [approval, transform("pay", "paid")],
            [edge("approve", "pay", "approved")],
        ),
    )
    execution, _ = execution_start(owner_id=alice.pk, workflow=workflow)
    assert node_run(execution_id=str(execution.id), node_id="approve", attempt=1) == "paused"
    pause = WorkflowPause.objects.get(execution=execution)

    as_app_role(bob.pk)
    pause_decide(pause_id=pause.id, approve=True, actor_id=bob.pk, via="rest")

    audited = AuditLog.objects.filter(action="pause_resume", target_id=str(pause.id))
    assert [entry.actor_id for entry in audited] == [bob.pk]
